"""Dynamic Node Creation on MNIST-size data against a sweep of fixed widths.

Runs the digit entries of the ``dnc`` full suite (FULL_DIGITS in
``structlearn/bench/dnc_trials.py``) through the shared runner (resumable):
DNC with windows w = 1 and 2 epochs, with split growth, with two hidden layers
(round-robin and loss-estimate growth), and fixed single-layer networks of
16, 32, 64, 128 and 256 logistic units, all on the same 10,000-image training
subsample (9,000 to train, 1,000 to validate) and the whole test set, on the
digit data set of ``--dataset`` (default ``fashion_mnist``; ``mnist`` with
``--data-dir mnist=PATH`` on machines that cannot download it).  It
writes ``OUT/dnc_mnist.md``: per variant the test accuracy against the best
fixed width of the sweep (chosen by validation accuracy, per seed) and the
total cost against the whole sweep's, and a growth-curve figure.

Data sets are never substituted: ``mnist`` is MNIST or an error saying how to give
a directory.

    OPENBLAS_NUM_THREADS=1 nice python benchmarks/dnc_mnist.py --out bench_out/dnc_mnist --jobs 2
    python benchmarks/dnc_mnist.py --dataset mnist --data-dir mnist=/data/mnist --out bench_out/dnc_mnist_digits
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np


def specs(seeds=None, dataset="fashion_mnist", n_train=None):
    from structlearn.bench.dnc_trials import FULL_DIGITS
    from structlearn.bench.suites import TrialSpec

    def params_of(params):
        params = dict(params)
        if n_train is not None:
            params["n_train"] = int(n_train)
        return params

    return [TrialSpec("dnc", params_of(params), dataset, seed)
            for params, _, n in FULL_DIGITS
            for seed in range(n if seeds is None else min(n, seeds))]


def report(out, dataset=None):
    from structlearn.bench.runner import final_rows, read_results

    rows = [r for r in final_rows(read_results(out)).values()
            if r["algorithm"] == "dnc" and r.get("status") == "ok"
            and r["dataset"].startswith(("mnist", "fashion"))
            and (dataset is None or r["dataset"] == dataset)]
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
    split = sorted({r.get("dataset_split", "") for r in rows} - {""})
    parts = ["# Dynamic Node Creation on MNIST-size data",
             "",
             f"Data: {rows[0]['dataset']}, {', '.join(source)}; split used: "
             f"{' | '.join(split) or 'not recorded'}. "
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
    # the axis follows the data (MNIST sits near 97%, Fashion-MNIST near 85%)
    vals = [100 * v for r in picked
            for v in History.load(os.path.join(out, "curves", f"{r['trial_id']}.json"))
            .column("val_accuracy") if np.isfinite(v)]
    vals += [100 * r["val_accuracy"] for r in fixed if r.get("val_accuracy") is not None]
    if vals:
        hi = min(100.0, max(vals) + 1.0)
        lo = max(0.0, min(np.percentile(vals, 5), hi - 1.0) - 2.0)
        a2.set_ylim(lo, hi)
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
    ap.add_argument("--dataset", default="fashion_mnist",
                    help="digit data set: mnist, fashion_mnist (default) or a _small form")
    ap.add_argument("--data-dir", action="append", default=[], metavar="NAME=PATH",
                    help="read NAME (mnist, fashion_mnist) from the directory PATH of its four "
                         "IDX files; repeatable")
    ap.add_argument("--n-train", type=int, default=None,
                    help="training subsample (default the suite's 10,000)")
    args = ap.parse_args(argv)
    from structlearn.bench.data import DIGIT_DATASETS, set_data_dirs
    if args.dataset not in DIGIT_DATASETS:
        ap.error(f"--dataset: expected one of {', '.join(DIGIT_DATASETS)}, got {args.dataset!r}")
    try:
        set_data_dirs(args.data_dir)
    except ValueError as exc:
        ap.error(str(exc))
    if not args.report_only:
        from structlearn.bench.runner import run_suite
        run_suite(specs(args.seeds, args.dataset, args.n_train), args.out, jobs=args.jobs,
                  resume=True, threads=1)
    print(report(args.out, args.dataset))


if __name__ == "__main__":
    sys.exit(main())
