"""Dynamic Node Creation on MNIST-size data against a sweep of fixed widths.

Runs the digit entries of the ``dnc`` full suite (FULL_DIGITS in
``structlearn/bench/dnc_trials.py``) through the shared runner (resumable):
DNC with windows w = 1 and 2 epochs, with split growth, with two hidden layers
(round-robin and loss-estimate growth), and fixed single-layer networks of
16, 32, 64, 128 and 256 logistic units, all on the same 10,000-image training
subsample (9,000 to train, 1,000 to validate) and the whole test set.  It
writes ``OUT/dnc_mnist.md``: per variant the test accuracy against the best
fixed width of the sweep (chosen by validation accuracy, per seed) and the
total cost against the whole sweep's, and a growth-curve figure.

MNIST cannot be downloaded on the machines this was written on; the data
sets fall back to Fashion-MNIST (the rows' ``dataset_source`` says which).

    OPENBLAS_NUM_THREADS=1 nice python benchmarks/dnc_mnist.py --out bench_out/dnc_mnist --jobs 2
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np


def specs(seeds=None):
    from structlearn.bench.dnc_trials import FULL_DIGITS
    from structlearn.bench.suites import TrialSpec

    return [TrialSpec("dnc", dict(params), dataset, seed)
            for params, dataset, n in FULL_DIGITS
            for seed in range(n if seeds is None else min(n, seeds))]


def report(out):
    from structlearn.bench.runner import final_rows, read_results

    rows = [r for r in final_rows(read_results(out)).values()
            if r["algorithm"] == "dnc" and r.get("status") == "ok"
            and r["dataset"].startswith(("mnist", "fashion"))]
    if not rows:
        return "no results yet"
    fixed = [r for r in rows if r["label"].startswith("width")]
    seeds = sorted({r["seed"] for r in fixed})
    best = {}
    for s in seeds:
        members = [r for r in fixed if r["seed"] == s]
        by_val = max(members, key=lambda r: (r["val_accuracy"], -r["hidden_units"]))
        best[s] = dict(width=by_val["hidden_units"], test=by_val["test_accuracy"],
                       best_test=max(r["test_accuracy"] for r in members),
                       sweep_cost=sum(r["weight_epochs"] for r in members),
                       complete=len(members))
    lines = ["| variant | seeds | hidden units (mean) | widths | epochs (mean) | test accuracy "
             "(mean) | minus best fixed width (mean, min) | cost / sweep cost (mean) |",
             "|---|---|---|---|---|---|---|---|"]
    labels = sorted({r["label"] for r in rows}, key=lambda x: (x.startswith("width"),
                                                             int(x[5:]) if x[5:].isdigit() else 0,
                                                             x))
    for lab in labels:
        rs = sorted((r for r in rows if r["label"] == lab), key=lambda r: r["seed"])
        diffs = [100 * (r["test_accuracy"] - best[r["seed"]]["test"]) for r in rs
                 if r["seed"] in best]
        ratios = [r["weight_epochs"] / best[r["seed"]]["sweep_cost"] for r in rs
                  if r["seed"] in best]
        widths = np.array([r["widths"] for r in rs], dtype=float).mean(axis=0)
        lines.append(
            f"| {lab} | {len(rs)} | {np.mean([r['hidden_units'] for r in rs]):.1f} | "
            f"{' / '.join(f'{w:.0f}' for w in widths)} | "
            f"{np.mean([r['epochs'] for r in rs]):.0f} | "
            f"{100 * np.mean([r['test_accuracy'] for r in rs]):.2f}% | "
            + (f"{np.mean(diffs):+.2f} / {min(diffs):+.2f} points | " if diffs else "- | ")
            + (f"{np.mean(ratios):.2f} |" if ratios else "- |"))
    source = sorted({r.get("dataset_source", r["dataset"]) for r in rows})
    parts = ["# Dynamic Node Creation on MNIST-size data",
             "",
             f"Data: {', '.join(source)}; {rows[0]['dataset']} with a 10,000-image training "
             "subsample (9,000 train / 1,000 validation), tested on the whole test set. "
             "Best fixed width per seed chosen by validation accuracy: "
             + ", ".join(f"seed {s}: {b['width']} units ({100 * b['test']:.2f}% test; best test "
                         f"in sweep {100 * b['best_test']:.2f}%)" for s, b in best.items()),
             "",
             "\n".join(lines),
             ""]
    fig = _figure(out, rows)
    if fig:
        parts += [f"Figure: {os.path.basename(fig)}", ""]
    text = "\n".join(parts)
    with open(os.path.join(out, "dnc_mnist.md"), "w") as fh:
        fh.write(text)
    return text


def _figure(out, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from structlearn.history import History

    picked = [r for r in rows if r["seed"] == 0 and not r["label"].startswith("width")]
    if not picked:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for r in sorted(picked, key=lambda r: r["label"]):
        h = History.load(os.path.join(out, "curves", f"{r['trial_id']}.json"))
        a1.plot(h.column("epoch"), h.column("units"), label=r["label"])
        a2.plot(h.column("epoch"), 100 * h.column("val_accuracy"), label=r["label"], lw=1)
    fixed = [r for r in rows if r["seed"] == 0 and r["label"].startswith("width")]
    for r in fixed:
        a2.axhline(100 * r["val_accuracy"], color="grey", lw=0.6, ls=":")
    a1.set_xlabel("epoch")
    a1.set_ylabel("hidden units")
    a2.set_xlabel("epoch")
    a2.set_ylabel("validation accuracy (%)  (dotted: fixed widths)")
    a2.set_ylim(70, 90)
    a1.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(out, "dnc_growth_mnist.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="bench_out/dnc_mnist")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)
    if not args.report_only:
        from structlearn.bench.runner import run_suite
        run_suite(specs(args.seeds), args.out, jobs=args.jobs, resume=True, threads=1)
    print(report(args.out))


if __name__ == "__main__":
    sys.exit(main())
