"""Do Net2WiderNet's replicas ever become different units? A diagnostic for docs/net2net.md.

    python benchmarks/net2net_replicas.py --data DIR_OR_NAME [--subset 10000] [--teacher-epochs 15]
        [--epochs 30] [--seed 0] [--dropout 0,0.2,0.5]

A 100-100 ReLU teacher (the founding experiment's, ``benchmarks/net2net_founding.py``) is
trained ``--teacher-epochs`` epochs; its first hidden layer is widened to 200 units
(:func:`structlearn.net2net.wider`, relative noise 0.01 or 0.1), and the student is trained
``--epochs`` more epochs with Adam (lr 1e-4 and 1e-3: the students' x0.1 and x1) or SGD
(lr 0.05). For every new unit, the distance between its incoming weights and bias and those
of the unit it copies, relative to the latter's norm, is measured right after widening and
after training: the median over the new units, and the fraction above 0.1. ``--dropout``
(comma-separated rates) trains each student once per rate with that dropout of every hidden
unit (``train(dropout=...)``; the teacher trains without).

Why it matters: a replica and its origin start with the same incoming weights (up to the
noise) and equal shares of the outgoing ones, so they get the same gradients, and Adam's
per-weight normalisation even evens out unequal shares. If the distance stays at the noise
level, the widened network is the teacher with duplicated units, whatever it trains on.
Dropout draws a mask per unit and pattern, so a replica and its origin are dropped on
different patterns and their gradients differ.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import net2net_founding as founding  # noqa: E402

from structlearn.net2net import wider  # noqa: E402
from structlearn.optim import get_optimizer  # noqa: E402

#: (optimizer, learning rate) of the students measured
OPTIMIZERS = [("adam", 1e-4), ("adam", 1e-3), ("sgd", 0.05)]
NOISES = [0.01, 0.1]


def replica_distance(network, origin, width, block=0):
    """Median relative distance of the new units' incoming weights and bias (units
    ``width..``) to their origins', and the fraction of new units farther than 0.1."""
    blk = network.blocks[block]
    A = np.vstack([blk.W.astype(np.float64), blk.b.astype(np.float64)[None]])
    new = np.arange(width, A.shape[1])
    src = A[:, origin[width:]]
    d = np.linalg.norm(A[:, new] - src, axis=0) / np.linalg.norm(src, axis=0)
    return float(np.median(d)), float(np.mean(d > 0.1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="digits8x8",
                   help="as benchmarks/net2net_founding.py: digits8x8, fashion_mnist, mnist or "
                        "a directory of the four IDX files")
    p.add_argument("--subset", type=int, default=None)
    p.add_argument("--teacher-epochs", type=int, default=15)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dropout", default="0",
                   help="comma-separated dropout rates of the students' training (0: none)")
    args = p.parse_args(argv)
    rates = [float(r) for r in args.dropout.split(",")]
    data = founding.load_data(args.data, subset=args.subset)
    teacher, _, row = founding.teacher_run(data, args.seed, args.teacher_epochs)
    print(f"teacher 100-100, {args.teacher_epochs} epochs: test {row['test_accuracy']:.4f}")
    print("| noise | optimizer | lr | dropout | median distance: widened -> trained | "
          "share > 0.1: widened -> trained | student test | s |")
    print("|---|---|---|---|---|---|---|---|")
    for noise in NOISES:
        for name, lr in OPTIMIZERS:
            for rate in rates:
                t0 = time.perf_counter()
                net, (origin, _) = wider(teacher, 0, 200, noise=noise, rng=args.seed + 1,
                                         return_mapping=True)
                before = replica_distance(net, origin, 100)
                fit = founding._fit(net, data, get_optimizer(name, lr=lr), args.epochs,
                                    args.seed + 7, dropout=rate or None)
                after = replica_distance(net, origin, 100)
                print(f"| {noise} | {name} | {lr:g} | {rate:g} | {before[0]:.3f} -> "
                      f"{after[0]:.3f} | {before[1]:.2f} -> {after[1]:.2f} | "
                      f"{fit['test_accuracy']:.4f} | {time.perf_counter() - t0:.0f} |",
                      flush=True)


if __name__ == "__main__":
    main()
