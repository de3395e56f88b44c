"""Figure of grown-then-pruned cascade networks: test accuracy per criterion, one dot per seed.

Reads the ``--json`` files of ``benchmarks/obd_cascade.py`` (one per pruning target) and writes
one panel per file: the unpruned network's test accuracy and each criterion's, every seed a dot,
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
    fig, axes = plt.subplots(1, len(args.runs), figsize=(6.5 * len(args.runs), 4.2), squeeze=False)
    for ax, path in zip(axes[0], args.runs):
        with open(path) as fh:
            run = json.load(fh)
        rows = run["rows"]
        names = ["unpruned"] + [k for k in rows[0] if isinstance(rows[0][k], dict)]
        rng = np.random.default_rng(0)
        for i, name in enumerate(names):
            acc = np.array([r["test_accuracy"] if name == "unpruned" else r[name]["test_accuracy"]
                            for r in rows])
            ax.bar(i, acc.mean(), color="C0" if name == "unpruned" else "C1", alpha=0.35)
            ax.plot(i + rng.uniform(-0.15, 0.15, acc.size), acc, "k.", ms=4)
            ax.text(i, 0.52, f"{acc.mean():.3f}", ha="center", fontsize=8)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0.5, 1.0)
        dataset = run["args"].get("dataset", "two_spirals")
        ax.set_ylabel("test accuracy" + (" (shifted two-spirals points)"
                                         if dataset == "two_spirals" else ""))
        ax.set_title(f"{dataset}: cascor-grown nets pruned to {run['args']['target']:.0%} of "
                     f"their weights, {len(rows)} seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
