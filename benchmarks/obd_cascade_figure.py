"""Figure of grown-then-pruned cascade networks: test accuracy per criterion, one dot per seed.

Reads the ``--json`` files of ``benchmarks/obd_cascade.py`` (one per pruning target) and writes
one panel per file (two per row): the unpruned network's test accuracy and each criterion's, every seed a dot,
the mean a bar.

    python benchmarks/obd_cascade_figure.py run75.json run60.json --out docs/obd_cascade.png

``a.json+b.json`` draws two runs of the same seeds and networks as one panel (the criteria of
``b`` added to ``a``'s; the unpruned networks' test accuracies must agree).
"""
from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def load(spec):
    """One run, or several runs of the same seeds joined by ``+`` merged into one."""
    first, *more = spec.split("+")
    with open(first) as fh:
        run = json.load(fh)
    for path in more:
        with open(path) as fh:
            other = json.load(fh)
        for row, extra in zip(run["rows"], other["rows"], strict=True):
            if row["seed"] != extra["seed"] or row["test_accuracy"] != extra["test_accuracy"]:
                raise ValueError(f"{path}: not the same seeds and networks as {first}")
            row.update({k: v for k, v in extra.items() if isinstance(v, dict) and k not in row})
    return run


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
        run = load(path)
        rows = run["rows"]
        names = ["unpruned"] + [k for k in rows[0] if isinstance(rows[0][k], dict)]
        names.sort(key=lambda n: n == "unpruned, retrained")  # the control last
        select = run["args"].get("select", "last")
        rng = np.random.default_rng(0)
        accs = [np.array([r["test_accuracy"] if name == "unpruned" else r[name]["test_accuracy"]
                          for r in rows]) for name in names]
        low = max(0.0, np.floor(min(a.min() for a in accs) * 20) / 20 - 0.05)
        high = min(1.0, np.ceil(max(a.max() for a in accs) * 20) / 20 + 0.05)
        for i, (name, acc) in enumerate(zip(names, accs)):
            color = {"unpruned": "C0", "unpruned, retrained": "C2"}.get(name, "C1")
            ax.bar(i, acc.mean(), color=color, alpha=0.35)
            ax.plot(i + rng.uniform(-0.15, 0.15, acc.size), acc, "k.", ms=4)
            label = f"{acc.mean():.3f}"
            if select != "last" and name != "unpruned":
                label += f"\n{np.mean([r[name]['fraction_left'] for r in rows]):.0%} w"
            ax.text(i, low + 0.01, label, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(low, high)
        dataset = run["args"].get("dataset", "two_spirals")
        ax.set_ylabel("test accuracy" + (" (shifted two-spirals points, true labels)"
                                         if dataset == "two_spirals" else ""))
        if select == "last":
            what = f"pruned to {run['args']['target']:.0%} of their weights"
        else:
            what = (f"pruned to the {select} on validation (floor "
                    f"{run['args']['target']:.0%})")
        extra = ""
        if run["args"].get("label_noise"):
            extra += f", {run['args']['label_noise']:.0%} label noise"
        if run["args"].get("retrain_patience"):
            extra += f", retraining stopped on validation, {run['args']['prune_fraction']:.0%} per round"
        ax.set_title(f"{dataset}{extra}" + ("\n" if extra else ": ")
                     + f"cascor-grown nets {what}, {len(rows)} seeds",
                     fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
