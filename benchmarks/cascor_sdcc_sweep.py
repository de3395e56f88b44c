"""Sibling/descendant Cascade-Correlation: depth and units against the descendant penalty.

Baluja & Fahlman (1994) split the candidate pool into siblings (they join the deepest layer)
and descendants (they start a new one), and multiply the descendants' scores by a penalty
before the winner is picked; 0.8 is the value in common use (the default here, as in the
SDCC implementations). This script runs the same two-spirals trials (seeds 0..trials-1, C-code
defaults otherwise) for each penalty (default 0.5 to 1.0 in steps of 0.1) and the plain
cascade, and prints, for each, the trials solved, the mean hidden units and the mean depth
(and its ratio to the plain cascade's). ``--figure`` draws both against the penalty.

    python benchmarks/cascor_sdcc_sweep.py [--trials 100] [--jobs 1] [--dtype float64]
        [--penalties 0.5 0.6 0.7 0.8 0.9 1.0] [--figure docs/cascor_sdcc_sweep.png] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

from structlearn import datasets as ds
from structlearn.cascor import CascadeCorrelation


def run(X, y, seeds, dtype, jobs, penalty=None):
    params = dict(dtype=dtype)
    if penalty is not None:
        params.update(pool_type="sibling_descendant", descendant_penalty=penalty)
    results = CascadeCorrelation(**params).fit_trials(X, y, seeds, n_jobs=jobs)
    units = np.array([r.hidden_units for r in results])
    depth = np.array([r.depth for r in results])
    n = len(seeds)
    return dict(penalty=penalty, trials=n, solved=int(sum(r.success for r in results)),
                units_mean=float(units.mean()), units_sem=float(units.std(ddof=1) / np.sqrt(n)),
                depth_mean=float(depth.mean()), depth_sem=float(depth.std(ddof=1) / np.sqrt(n)),
                epochs_mean=float(np.mean([r.epochs for r in results])))


def figure(rows, plain, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pen = [r["penalty"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for key, label, color in (("depth", "depth (hidden layers)", "tab:blue"),
                              ("units", "hidden units", "tab:orange")):
        ax.errorbar(pen, [r[f"{key}_mean"] for r in rows], yerr=[r[f"{key}_sem"] for r in rows],
                    marker="o", capsize=3, color=color, label=f"sibling/descendant: {label}")
    ax.axhline(plain["units_mean"], color="gray", ls="--",
               label=f"plain cascade: units = depth = {plain['units_mean']:.2f}")
    ax.axvline(0.8, color="k", lw=0.8, ls=":", label="default penalty 0.8")
    ax.set_xlabel("descendant penalty (descendants' scores are multiplied by it)")
    ax.set_ylabel(f"mean over {plain['trials']} trials (± s.e.)")
    ax.set_title("Two-spirals: depth and size against the descendant penalty", fontsize="medium")
    ax.legend(fontsize="small")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--penalties", type=float, nargs="*",
                    default=[0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    ap.add_argument("--figure", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    X, y = ds.two_spirals()
    seeds = list(range(args.trials))
    plain = run(X, y, seeds, args.dtype, args.jobs)
    print(f"plain cascade: solved {plain['solved']}/{plain['trials']}, units "
          f"{plain['units_mean']:.2f}, depth {plain['depth_mean']:.2f}", flush=True)
    rows = []
    print("| descendant penalty | solved | hidden units (mean ± s.e.) | depth (mean ± s.e.) | "
          "depth / plain | epochs |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| plain cascade | {plain['solved']}/{plain['trials']} | {plain['units_mean']:.2f} ± "
          f"{plain['units_sem']:.2f} | {plain['depth_mean']:.2f} | 1 | "
          f"{plain['epochs_mean']:.0f} |")
    for pen in args.penalties:
        r = run(X, y, seeds, args.dtype, args.jobs, pen)
        r["depth_ratio"] = r["depth_mean"] / plain["depth_mean"]
        rows.append(r)
        print(f"| {pen:.1f}{' (default)' if pen == 0.8 else ''} | {r['solved']}/{r['trials']} | "
              f"{r['units_mean']:.2f} ± {r['units_sem']:.2f} | {r['depth_mean']:.2f} ± "
              f"{r['depth_sem']:.2f} | {r['depth_ratio']:.3f} | {r['epochs_mean']:.0f} |",
              flush=True)
    if args.figure:
        figure(rows, plain, args.figure)
        print(f"figure: {args.figure}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(plain=plain, rows=rows), fh, indent=1)
    return plain, rows


if __name__ == "__main__":
    main()
