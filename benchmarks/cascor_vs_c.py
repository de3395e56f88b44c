"""structlearn's Cascade-Correlation against Fahlman's original C code, side by side.

The C code (cascor v1.1, M. White 1994, public domain) is the untouched 1994 tarball
``c/v110.tgz`` of the public mirror ``kaizhu256/neural-net-cascor``. To build it with a current
gcc/glibc, add ``#include <stdlib.h>`` to ``interface.c`` and make ``parse.c``'s ``strcpy``
overlap-safe (for example ``#define strcpy(d, s) memmove((d), (s), strlen(s) + 1)`` after its
includes), then ``make CC=gcc CFLAGS=-O2``. Build it outside the repository. It seeds from the
clock, and it loops forever on end-of-file when a data file fails to parse: this script runs it
with its standard input empty, its output in a file, and a time limit.

The script writes two-spirals in the CMU benchmark format the C code reads (``$SETUP`` /
``$TRAIN``; inputs as fixed-point decimals: its parser takes no exponents) and a configuration
file (``Ntrials``, ``maxNewUnits 50``; every other parameter the code's default), then
alternates whole-process runs: the C binary running ``--trials`` trials, then a Python process
running the same number of trials with structlearn (``--mode fit``: ``CascadeCorrelation.fit``
in a loop, one seed after another; ``--mode fit_trials``: one ``fit_trials`` batch), and again,
``--runs`` times. Each run's wall time covers the whole process (start-up and imports
included); the ratio is taken run pair by run pair, and the median is printed with the machine's
load average (these machines are shared: a figure means little when other jobs run).

    python benchmarks/cascor_vs_c.py --cascor /path/to/cascor [--trials 100] [--runs 3]
        [--mode fit|fit_trials] [--dtype float64|float32] [--accelerate] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def write_c_data(path, X, y):
    """Two-spirals (or any 2-class set) in the CMU benchmark data format of the C code."""
    lines = [";written by structlearn benchmarks/cascor_vs_c.py", "$SETUP", "", "PROTOCOL: IO;",
             "OFFSET: 0;", f"INPUTS: {X.shape[1]};", "OUTPUTS: 1;", ""]
    lo, hi = float(np.floor(X.min())) - 1, float(np.ceil(X.max())) + 1
    lines += [f"IN [{i + 1}]: CONT {{{lo:.1f}..{hi:.1f}}};" for i in range(X.shape[1])]
    lines += ["", "OUT [1]: BINARY;", "", "", "$TRAIN", ""]
    for x, t in zip(X, y):
        lines.append(", ".join(f"{float(v):.10f}" for v in x) + f" => {'+' if t else '-'};")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def parse_c_output(text):
    """The C code's run summary: trials, victories, mean epochs and hidden units."""
    out = {}
    m = re.search(r"(\d+) trials\s+(\d+) victories", text)
    if m:
        out["trials"], out["solved"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"Ave epochs:\s+([\d.]+)\s+Ave hidden units:\s+([\d.]+)", text)
    if m:
        out["epochs_mean"], out["units_mean"] = float(m.group(1)), float(m.group(2))
    return out


def timed(cmd, stdout_path, timeout):
    """Run ``cmd`` as a whole process; wall and CPU seconds (its own and its children's)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(stdout_path, "w") as fh:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                              timeout=timeout)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def worker(mode, trials, dtype, accelerate=False):
    """The structlearn side: ``trials`` two-spirals trials (seeds 0..trials-1); prints a summary."""
    from structlearn import datasets as ds
    from structlearn.cascor import CascadeCorrelation

    X, y = ds.two_spirals()
    if mode == "fit":
        rows = []
        for seed in range(trials):
            m = CascadeCorrelation(rng=seed, dtype=dtype, accelerate=accelerate).fit(X, y)
            rows.append((m.success_, m.hidden_units_, m.n_epochs_))
    else:
        rows = [(r.success, r.hidden_units, r.epochs) for r in
                CascadeCorrelation(dtype=dtype, accelerate=accelerate).fit_trials(
                    X, y, range(trials))]
    print(json.dumps(dict(trials=trials, solved=int(sum(r[0] for r in rows)),
                          units_mean=float(np.mean([r[1] for r in rows])),
                          epochs_mean=float(np.mean([r[2] for r in rows])))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cascor", help="path of a built C cascor v1.1 binary")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3, help="alternating run pairs")
    ap.add_argument("--mode", choices=["fit", "fit_trials"], default="fit")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds, per run")
    ap.add_argument("--accelerate", action="store_true",
                    help="accelerate=True (the optional numba kernels), for fit and fit_trials")
    ap.add_argument("--json", default=None, help="write the figures here")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.mode, args.trials, args.dtype, args.accelerate)
    if not args.cascor:
        ap.error("--cascor: the path of a built C cascor binary is needed")
    from structlearn import datasets as ds

    X, y = ds.two_spirals()
    work = tempfile.mkdtemp(prefix="cascor_vs_c_")
    data, cfg = os.path.join(work, "spirals.data"), os.path.join(work, "spirals.cfg")
    write_c_data(data, X, y)
    with open(cfg, "w") as fh:
        fh.write(f"Ntrials {args.trials}\nmaxNewUnits 50\n")
    c_cmd = [os.path.abspath(args.cascor), data, cfg]
    py_cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--mode", args.mode,
              "--trials", str(args.trials), "--dtype", args.dtype] + \
        (["--accelerate"] if args.accelerate else [])
    runs = []
    for r in range(args.runs):
        c_wall, c_cpu, c_rc = timed(c_cmd, os.path.join(work, f"c_{r}.txt"), args.timeout)
        p_wall, p_cpu, p_rc = timed(py_cmd, os.path.join(work, f"py_{r}.txt"), args.timeout)
        with open(os.path.join(work, f"c_{r}.txt"), errors="replace") as fh:
            c_sum = parse_c_output(fh.read())
        with open(os.path.join(work, f"py_{r}.txt")) as fh:
            p_sum = json.loads(fh.read().strip().splitlines()[-1]) if p_rc == 0 else {}
        runs.append(dict(c_wall=c_wall, c_cpu=c_cpu, c_rc=c_rc, c=c_sum, py_wall=p_wall,
                         py_cpu=p_cpu, py_rc=p_rc, py=p_sum, ratio=p_wall / c_wall,
                         load=os.getloadavg()))
        print(f"run {r + 1}: C {c_wall:.2f} s wall ({c_cpu:.2f} s cpu) {c_sum}  |  structlearn "
              f"{args.mode} {p_wall:.2f} s wall ({p_cpu:.2f} s cpu) {p_sum}  |  ratio "
              f"{p_wall / c_wall:.2f}  |  load {os.getloadavg()[0]:.2f}", flush=True)
    ratios = [r["ratio"] for r in runs]
    print(f"\n{args.trials} two-spirals trials a run, {args.runs} run pairs: C median "
          f"{np.median([r['c_wall'] for r in runs]):.2f} s, structlearn ({args.mode}, "
          f"{args.dtype}) median {np.median([r['py_wall'] for r in runs]):.2f} s; ratio "
          f"structlearn / C: median {np.median(ratios):.2f} (min {min(ratios):.2f}, max "
          f"{max(ratios):.2f}); load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(args=vars(args), runs=runs), fh, indent=1)
    return runs


if __name__ == "__main__":
    main()
