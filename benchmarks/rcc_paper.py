"""Recurrent Cascade-Correlation against the paper's table (Fahlman 1991, NIPS 3).

Runs the harness's ``rcc`` trials (:mod:`structlearn.bench.rcc_trials`): Reber (10 trials, 128
training strings, 128 new test strings), embedded Reber (6 trials, 256/256), Morse code block
training (10 trials) and the paper's incremental lessons (10 trials), and prints, per task, the
trials perfect (every step of every training and test sequence right by the paper's criterion),
hidden units, epochs and seconds per trial next to the paper's figures, plus the per-trial
table of embedded Reber.

    python benchmarks/rcc_paper.py [--tasks reber,embedded_reber,morse,morse_lessons]
        [--trials N] [--first-seed S] [--json FILE]

(seeds ``S`` .. ``S + N - 1``; by default 0 .. the paper's trial count - 1: the table's seeds)

(``--tasks`` also takes ``morse_lessons_reset_last`` and ``morse_lessons_reset_every``, and
``morse_c_code`` and ``morse_lessons_c_code``: the C-code defaults instead of ``MORSE_SETTINGS``.)

The same trials run in the harness: ``python -m structlearn bench rcc``.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from structlearn.bench.rcc_trials import MORSE_SETTINGS, PAPER, rcc_trial

TASKS = {
    "reber": ("reber", {}, 10),
    "embedded_reber": ("embedded_reber", {}, 6),
    "morse": ("morse", dict(MORSE_SETTINGS), 10),
    "morse_lessons": ("morse", dict(MORSE_SETTINGS, lessons=True), 10),
    # variants: the output weights redrawn before the last lesson / every lesson
    "morse_lessons_reset_last": ("morse", dict(MORSE_SETTINGS, lessons=True,
                                               reset_outputs="last"), 10),
    "morse_lessons_reset_every": ("morse", dict(MORSE_SETTINGS, lessons=True,
                                                reset_outputs="every"), 10),
    # the C-code defaults instead of MORSE_SETTINGS (block and lessons)
    "morse_c_code": ("morse", {}, 10),
    "morse_lessons_c_code": ("morse", dict(lessons=True), 10),
}

#: the paper's per-trial embedded Reber table: (units, epochs, train errors, test errors)
EMBEDDED_TABLE = [(9, 831, 0, 0), (7, 602, 0, 0), (15, 1256, 0, 2), (11, 910, 0, 1),
                  (13, 1063, 11, 16), (9, 707, 0, 0)]


def run(task, trials, first_seed=0):
    dataset, params, default = TASKS[task]
    rows = []
    for seed in range(first_seed, first_seed + (trials or default)):
        t0 = time.perf_counter()
        row, _ = rcc_trial(dataset, seed, **params)
        row.update(task=task, seed=seed, seconds=time.perf_counter() - t0)
        rows.append(row)
        print(f"  {task} seed {seed}: units {row['hidden_units']}, epochs {row['epochs']}, "
              f"train perfect {row['train_perfect']:.3f}, test perfect "
              f"{row['test_perfect']:.3f}, {row['seconds']:.1f} s", flush=True)
    return rows


def summary(task, rows):
    units = np.array([r["hidden_units"] for r in rows])
    epochs = np.array([r["epochs"] for r in rows])
    perfect = [r["perfect"] for r in rows]
    pu = units[perfect] if any(perfect) else units[:0]
    pe = epochs[perfect] if any(perfect) else epochs[:0]
    p = PAPER[task if task in PAPER else "morse_lessons" if "lessons" in task else "morse"]
    return (f"| {task} | {sum(perfect)}/{len(rows)} | {units.mean():.1f} ({units.min()}-"
            f"{units.max()}) | {epochs.mean():.0f} | "
            f"{pu.mean() if len(pu) else float('nan'):.1f} | "
            f"{pe.mean() if len(pe) else float('nan'):.0f} | "
            f"{np.mean([r['seconds'] for r in rows]):.2f} | {p['perfect']}/{p['trials']} | "
            f"{p['units']} | {p['epochs']} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", default="reber,embedded_reber,morse,morse_lessons")
    ap.add_argument("--trials", type=int, default=None, help="trials per task (default: the "
                    "paper's)")
    ap.add_argument("--first-seed", type=int, default=0, help="the first trial's seed "
                    "(default 0; the held-out checks use 10)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    all_rows, lines = [], []
    t0 = time.perf_counter()
    for task in args.tasks.split(","):
        if task not in TASKS:
            ap.error(f"--tasks: unknown task {task!r}; known: {', '.join(TASKS)}")
        rows = run(task, args.trials, args.first_seed)
        all_rows += rows
        lines.append(summary(task, rows))
        if task == "embedded_reber":
            emb = rows
    print(f"\ntotal {time.perf_counter() - t0:.0f} s\n")
    print("| task | perfect | units mean (min-max) | epochs mean | units (perfect) | "
          "epochs (perfect) | s / trial | paper: perfect | paper: units | paper: epochs |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    if "embedded_reber" in args.tasks.split(","):
        print("\n| trial | units | epochs | train strings wrong | test strings wrong | "
              "paper: units | paper: epochs | paper: train wrong | paper: test wrong |")
        print("|---|---|---|---|---|---|---|---|---|")
        for i, r in enumerate(emb):
            p = EMBEDDED_TABLE[i] if i < len(EMBEDDED_TABLE) else ("", "", "", "")
            print(f"| {i + 1} | {r['hidden_units']} | {r['epochs']} | "
                  f"{round((1 - r['train_perfect']) * 256)} | "
                  f"{round((1 - r['test_perfect']) * 256)} | {p[0]} | {p[1]} | {p[2]} | {p[3]} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(all_rows, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
