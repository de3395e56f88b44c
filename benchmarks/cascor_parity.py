"""Cascade-Correlation on XOR and N-input parity (N = 2..8), both presets, against the paper.

Fahlman & Lebiere (1990), CMU-CS-90-100, section 3.2: "The best results were obtained with a
sigmoid output unit and hidden units whose output is a Gaussian function of the sum of
weighted inputs. Based on five trials for each value of N": hidden units and average epochs

    N          2    3    4    5      6    7      8
    units      1    1    2    2-3    3    4-5    4-5
    epochs     24   32   66   142    161  292    357

(XOR is 2-input parity.) This script runs ``--trials`` seeds (default 10) of each N with
``preset="c_code"`` (Fahlman's C code v1.1, symmetric sigmoid units, tuned for two-spirals)
and ``preset="paper"`` (the Lisp code's settings, Gaussian units), and prints, per N and
preset, the trials solved, the hidden units (mean, min-max) and the mean epochs (output epochs
with an update plus every candidate epoch, as the code counts them) next to the paper's.
``--unit-type`` overrides the presets' units for both. ``--inputs pm1`` codes the inputs
-1/+1 instead of 0/1 (the paper does not say which it used).

    python benchmarks/cascor_parity.py [--trials 10] [--max-n 8] [--inputs 01|pm1]
        [--json FILE] [--markdown]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from structlearn import datasets as ds
from structlearn.cascor import CascadeCorrelation

#: the paper's table: N -> (hidden units (min, max), average epochs)
PAPER = {2: ((1, 1), 24), 3: ((1, 1), 32), 4: ((2, 2), 66), 5: ((2, 3), 142),
         6: ((3, 3), 161), 7: ((4, 5), 292), 8: ((4, 5), 357)}


def run(n, preset, seeds, unit_type=None, max_hidden_units=50, inputs="01"):
    X, y = ds.parity(n)
    if inputs == "pm1":
        X = 2.0 * X - 1.0
    est = CascadeCorrelation(preset=preset, unit_type=unit_type, history="phase",
                             max_hidden_units=max_hidden_units)
    t0 = time.perf_counter()
    results = est.fit_trials(X, y, seeds)
    seconds = time.perf_counter() - t0
    units = np.array([r.hidden_units for r in results])
    lo, hi = PAPER[n][0]
    return dict(n=n, preset=preset, inputs=inputs, trials=len(seeds),
                solved=int(sum(r.success for r in results)),
                units_mean=float(units.mean()), units_min=int(units.min()),
                units_max=int(units.max()),
                units_in_paper_range=int(np.sum((units >= lo) & (units <= hi))),
                epochs_mean=float(np.mean([r.epochs for r in results])),
                paper_units=list(PAPER[n][0]), paper_epochs=PAPER[n][1], seconds=seconds)


def markdown(rows, presets):
    head = "| N | paper: units | paper: epochs |" + "".join(
        f" {p}: solved | {p}: units mean (min-max) | {p}: epochs |" for p in presets)
    sep = "|---:" * (3 + 3 * len(presets)) + "|"
    out = [head, sep]
    for n in sorted({r["n"] for r in rows}):
        lo, hi = PAPER[n][0]
        line = f"| {n}{' (XOR)' if n == 2 else ''} | {lo if lo == hi else f'{lo}-{hi}'} | " \
               f"{PAPER[n][1]} |"
        for p in presets:
            r = next(r for r in rows if r["n"] == n and r["preset"] == p)
            line += (f" {r['solved']}/{r['trials']} | {r['units_mean']:.1f} "
                     f"({r['units_min']}-{r['units_max']}) | {r['epochs_mean']:.0f} |")
        out.append(line)
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--min-n", type=int, default=2)
    ap.add_argument("--max-n", type=int, default=8)
    ap.add_argument("--presets", nargs="*", default=["c_code", "paper"])
    ap.add_argument("--unit-type", default=None, help="override the presets' candidate kind")
    ap.add_argument("--inputs", choices=["01", "pm1"], default="01",
                    help="input coding: 0/1 (datasets.parity) or -1/+1 (the paper does not say)")
    ap.add_argument("--json", default=None, help="write the rows here")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table too")
    args = ap.parse_args(argv)
    seeds = list(range(args.trials))
    rows = []
    for n in range(args.min_n, args.max_n + 1):
        for preset in args.presets:
            r = run(n, preset, seeds, args.unit_type, inputs=args.inputs)
            rows.append(r)
            lo, hi = PAPER[n][0]
            print(f"N={n} {preset:7s} solved {r['solved']}/{r['trials']}  units mean "
                  f"{r['units_mean']:.2f} ({r['units_min']}-{r['units_max']}; "
                  f"{r['units_in_paper_range']}/{r['trials']} in the paper's {lo}-{hi})  "
                  f"epochs {r['epochs_mean']:.0f} (paper {PAPER[n][1]}, ratio "
                  f"{r['epochs_mean'] / PAPER[n][1]:.2f})  [{r['seconds']:.1f} s]", flush=True)
    if args.markdown:
        print()
        print(markdown(rows, args.presets))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return rows


if __name__ == "__main__":
    main()
