"""Dynamic Node Creation on the Boolean tasks, two-spirals, and where to grow.

Runs the ``dnc`` trials of the full suite that are not digit runs (see
``structlearn/bench/dnc_trials.py``: FULL_BOOLEAN and FULL_GROWTH) through the
shared runner (resumable: rerun the command to finish an interrupted run),
then writes ``OUT/dnc_boolean.md`` with:

1. Ash's settings on every task: units found against the known minimum,
   epochs, and the cost (sum over epochs of the weights trained) against the
   final-size network trained from scratch to the same criterion;
2. the trigger window w (1000, Ash's; 300; 100): units against cost;
3. Ash's random new unit against function-preserving ones: a Net2Net split,
   and random incoming with zero outgoing weights (does the error jump?);
4. where to grow in two hidden layers (round-robin against the one-step loss
   estimate) and one layer against two on two-spirals;

and growth curves (hidden units and training loss against epoch) as PNG files.

    OPENBLAS_NUM_THREADS=1 nice python benchmarks/dnc_boolean.py --out bench_out/dnc --jobs 2
    python benchmarks/dnc_boolean.py --out bench_out/dnc --report-only
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np


def specs(seeds=None):
    from structlearn.bench.dnc_trials import FULL_BOOLEAN, FULL_GROWTH
    from structlearn.bench.suites import TrialSpec

    out = []
    for params, dataset, n in FULL_BOOLEAN + FULL_GROWTH:
        for seed in range(n if seeds is None else min(n, seeds)):
            out.append(TrialSpec("dnc", dict(params), dataset, seed))
    return out


def _label(row):
    return row.get("label") or "ash"


def _fmt(v, digits=3):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def _group(rows):
    groups = {}
    for r in rows:
        groups.setdefault((_label(r), r["dataset"]), []).append(r)
    return groups


def table_ash(groups, datasets, label="ash"):
    lines = ["| task | known min | solved | units min / mean / max | max over min | within 3 "
             "in every trial | epochs (mean) | DNC cost (mean) | scratch solved | scratch cost "
             "(mean) | cost ratio DNC/scratch |",
             "|" + "---|" * 11]
    for ds in datasets:
        rs = groups.get((label, ds))
        if not rs:
            continue
        units = np.array([r["hidden_units"] for r in rs])
        kmin = rs[0].get("known_min_units")
        solved = sum(bool(r["success"]) for r in rs)
        over = units - kmin if kmin is not None else None
        within = "yes" if over is not None and solved == len(rs) and over.max() <= 3 else "no"
        cost = np.mean([r["weight_epochs"] for r in rs])
        line = (f"| {ds} | {_fmt(kmin)} | {solved}/{len(rs)} | {units.min()} / "
                f"{units.mean():.2f} / {units.max()} | "
                f"{_fmt(None if over is None else int(over.max()))} | {within} | "
                f"{np.mean([r['epochs'] for r in rs]):.0f} | {cost:.3g} |")
        if "scratch_weight_epochs" in rs[0]:
            sc = np.mean([r["scratch_weight_epochs"] for r in rs])
            s_ok = sum(bool(r["scratch_success"]) for r in rs)
            bound = "<= " if s_ok < len(rs) else ""
            line += f" {s_ok}/{len(rs)} | {sc:.3g} | {bound}{cost / sc:.2f} |"
        else:
            line += " - | - | - |"
        lines.append(line)
    return "\n".join(lines)


def table_variants(groups, datasets, labels, with_ratio=True, jump=False):
    head = "| task | variant | solved | units mean / max | epochs (mean) | cost (mean) |"
    sep = "|---|---|---|---|---|---|"
    if with_ratio:
        head += " cost ratio DNC/scratch |"
        sep += "---|"
    if jump:
        head += " mean loss jump at an addition |"
        sep += "---|"
    lines = [head, sep]
    for ds in datasets:
        for lab in labels:
            rs = groups.get((lab, ds))
            if not rs:
                continue
            units = np.array([r["hidden_units"] for r in rs])
            cost = np.mean([r["weight_epochs"] for r in rs])
            line = (f"| {ds} | {lab} | {sum(bool(r['success']) for r in rs)}/{len(rs)} | "
                    f"{units.mean():.2f} / {units.max()} | {np.mean([r['epochs'] for r in rs]):.0f}"
                    f" | {cost:.3g} |")
            if with_ratio:
                if "scratch_weight_epochs" in rs[0]:
                    sc = np.mean([r["scratch_weight_epochs"] for r in rs])
                    bound = "<= " if not all(r["scratch_success"] for r in rs) else ""
                    line += f" {bound}{cost / sc:.2f} |"
                else:
                    line += " - |"
            if jump:
                j = [r["mean_jump"] for r in rs if r.get("mean_jump") is not None]
                line += f" {np.mean(j):+.1e} |" if j else " - |"
            lines.append(line)
    return "\n".join(lines)


def table_growth(groups, items):
    lines = ["| task | variant | solved | widths (mean per block) | units mean | epochs (mean) "
             "| cost (mean) | test accuracy (mean) |", "|---|---|---|---|---|---|---|---|"]
    for ds, lab in items:
        rs = groups.get((lab, ds))
        if not rs:
            continue
        widths = np.array([r["widths"] for r in rs], dtype=float).mean(axis=0)
        lines.append(
            f"| {ds} | {lab} | {sum(bool(r['success']) for r in rs)}/{len(rs)} | "
            f"{' / '.join(f'{w:.1f}' for w in widths)} | "
            f"{np.mean([r['hidden_units'] for r in rs]):.1f} | "
            f"{np.mean([r['epochs'] for r in rs]):.0f} | "
            f"{np.mean([r['weight_epochs'] for r in rs]):.3g} | "
            f"{np.mean([r['test_accuracy'] for r in rs]):.3f} |")
    return "\n".join(lines)


def growth_figure(out, rows, datasets, label, name, title):
    """Hidden units and training loss against epoch, seed 0 of each task."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from structlearn.history import History

    picked = [r for ds in datasets for r in rows
              if r["dataset"] == ds and _label(r) == label and r["seed"] == 0]
    if not picked:
        return None
    cols = min(3, len(picked))
    nrows = int(np.ceil(len(picked) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.0 * nrows), squeeze=False)
    for ax, r in zip(axes.ravel(), picked):
        h = History.load(os.path.join(out, "curves", f"{r['trial_id']}.json"))
        ep, loss, units = h.column("epoch"), h.column("loss"), h.column("units")
        ax.semilogy(ep, loss, color="tab:blue", lw=1)
        ax.set_title(f"{r['dataset']}: {r['hidden_units']} units", fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel("training loss", color="tab:blue", fontsize=8)
        ax2 = ax.twinx()
        ax2.step(ep, units, color="tab:red", lw=1, where="post")
        ax2.set_ylabel("hidden units", color="tab:red", fontsize=8)
        ax2.yaxis.get_major_locator().set_params(integer=True)
    for ax in axes.ravel()[len(picked):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(out):
    from structlearn.bench.dnc_trials import BOOLEAN_TASKS
    from structlearn.bench.runner import final_rows, read_results

    rows = [r for r in final_rows(read_results(out)).values()
            if r["algorithm"] == "dnc" and r.get("status") == "ok"
            and not r["dataset"].startswith(("mnist", "fashion"))]
    errors = [r for r in final_rows(read_results(out)).values() if r.get("status") == "error"]
    groups = _group(rows)
    hard = ("parity4", "parity5", "encoder8", "symmetry6", "addition2")
    parts = [
        "# Dynamic Node Creation: Boolean tasks, two-spirals, where to grow",
        "",
        "Produced by `benchmarks/dnc_boolean.py`; cost = sum over epochs of the weights "
        "trained (weight-epochs); \"<=\" marks ratios where some scratch runs did not reach "
        "the criterion within 5x DNC's cost (their cost is counted at that budget, so the "
        "ratio is an upper bound).",
        "",
        "## 1. Ash's settings (w = 1000, Delta_T = 0.05, C_a = 0.001, C_m = 0.01)",
        "",
        table_ash(groups, BOOLEAN_TASKS),
        "",
        "## 2. Trigger window",
        "",
        table_variants(groups, hard, ["ash", "w300", "w100"]),
        "",
        "(`ash` is w = 1000.)",
        "",
        "## 3. New unit: Ash's random weights against function-preserving ones",
        "",
        table_variants(groups, ("xor",) + hard, ["ash", "split", "zero_out"], with_ratio=False,
                       jump=True),
        "",
        "## 4. Where to grow",
        "",
        table_growth(groups, [("parity4", "round_robin"), ("parity4", "loss_estimate"),
                              ("two_spirals", "round_robin"), ("two_spirals", "loss_estimate"),
                              ("two_spirals", "split"), ("two_spirals", "one_layer")]),
        "",
    ]
    figs = [growth_figure(out, rows, BOOLEAN_TASKS, "ash", "dnc_growth_boolean.png",
                          "DNC growth, Ash's settings (seed 0)"),
            growth_figure(out, rows, ["two_spirals"], "round_robin",
                          "dnc_growth_spirals_rr.png", "two-spirals, round-robin (seed 0)"),
            growth_figure(out, rows, ["two_spirals"], "loss_estimate",
                          "dnc_growth_spirals_le.png", "two-spirals, loss estimate (seed 0)")]
    parts += ["Figures: " + ", ".join(os.path.basename(f) for f in figs if f), ""]
    if errors:
        parts += [f"{len(errors)} trials raised errors: " + "; ".join(
            f"{r['dataset']} {r['label']} seed {r['seed']}: {r['error'].get('message')}"
            for r in errors), ""]
    text = "\n".join(parts)
    with open(os.path.join(out, "dnc_boolean.md"), "w") as fh:
        fh.write(text)
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="bench_out/dnc")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=None, help="at most this many seeds per entry")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)
    if not args.report_only:
        from structlearn.bench.runner import run_suite
        run_suite(specs(args.seeds), args.out, jobs=args.jobs, resume=True, threads=1)
    print(report(args.out))


if __name__ == "__main__":
    sys.exit(main())
