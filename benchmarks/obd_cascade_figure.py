"""Figure of grown-then-pruned cascade networks: test accuracy per criterion, one dot per seed.

Reads the ``--json`` files of ``benchmarks/obd_cascade.py`` (one per pruning target) and writes
one panel per file (two per row): the unpruned network's test accuracy and each criterion's, every seed a dot,
the mean a bar.

    python benchmarks/obd_cascade_figure.py run75.json run60.json --out docs/obd_cascade.png
"""
from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", default="docs/obd_cascade.png")
    args = ap.parse_args()
    ncols = min(2, len(args.runs))
    nrows = -(-len(args.runs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.5 * ncols, 4.2 * nrows), squeeze=False)
    for ax in axes.flat[len(args.runs):]:
        ax.set_visible(False)
    for ax, path in zip(axes.flat, args.runs):
        with open(path) as fh:
            run = json.load(fh)
        rows = run["rows"]
        names = ["unpruned"] + [k for k in rows[0] if isinstance(rows[0][k], dict)]
        select = run["args"].get("select", "last")
        rng = np.random.default_rng(0)
        accs = [np.array([r["test_accuracy"] if name == "unpruned" else r[name]["test_accuracy"]
                          for r in rows]) for name in names]
        low = max(0.0, np.floor(min(a.min() for a in accs) * 20) / 20 - 0.05)
        for i, (name, acc) in enumerate(zip(names, accs)):
            ax.bar(i, acc.mean(), color="C0" if name == "unpruned" else "C1", alpha=0.35)
            ax.plot(i + rng.uniform(-0.15, 0.15, acc.size), acc, "k.", ms=4)
            label = f"{acc.mean():.3f}"
            if select != "last" and name != "unpruned":
                label += f"\n{np.mean([r[name]['fraction_left'] for r in rows]):.0%} w"
            ax.text(i, low + 0.01, label, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(low, 1.0)
        dataset = run["args"].get("dataset", "two_spirals")
        ax.set_ylabel("test accuracy" + (" (shifted two-spirals points)"
                                         if dataset == "two_spirals" else ""))
        if select == "last":
            what = f"pruned to {run['args']['target']:.0%} of their weights"
        else:
            what = (f"pruned to the {select} on validation (floor "
                    f"{run['args']['target']:.0%})")
        ax.set_title(f"{dataset}: cascor-grown nets {what}, {len(rows)} seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
