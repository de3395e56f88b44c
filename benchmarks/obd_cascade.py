"""Pruning the networks cascade-correlation grows on two-spirals: test accuracy before and after.

For each seed, :class:`structlearn.cascor.CascadeCorrelation` (defaults: pool
of 8, quickprop, max 50 units) grows a network on the 194 CMU two-spirals
points; then each criterion prunes *that* network with the same schedule
(``--prune-fraction`` of the remaining weights per round, ``--retrain-epochs``
of full-batch Adam on the squared error after each round, every block
unfrozen and retrained: ``frozen="unfreeze"``) down to ``--target`` of its
weights.  Test accuracy is on the shifted test points (the benchmark's test
set).  Biases are never pruned.

    python benchmarks/obd_cascade.py [--seeds 5] [--target 0.75] [--dataset digits]
        [--methods 'obs (exact),magnitude']
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from structlearn.bench.data import load_bench_data
from structlearn.cascor import CascadeCorrelation
from structlearn.obd import OptimalBrainDamage
from structlearn.optim import Adam

METHODS = {"obd (lm)": ("obd", "lm"), "obd (full)": ("obd", "full"),
           "obd (exact)": ("obd", "exact"), "obs (exact)": ("obs", "exact"),
           "obs (lm)": ("obs", "lm"), "magnitude": ("magnitude", "lm"),
           "random": ("random", "lm")}


def _digits():
    from types import SimpleNamespace

    from sklearn.datasets import load_digits

    from structlearn.datasets import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, rng=0,
                                                        stratify=True)
    return SimpleNamespace(X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--target", type=float, default=0.75)
    ap.add_argument("--prune-fraction", type=float, default=0.05)
    ap.add_argument("--retrain-epochs", type=int, default=500)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--frozen", default="unfreeze")
    ap.add_argument("--methods", default=",".join(METHODS),
                    help="comma-separated subset of: " + ", ".join(METHODS))
    ap.add_argument("--dataset", choices=("two_spirals", "digits"), default="two_spirals",
                    help="digits: scikit-learn's 8x8 digits (needs scikit-learn), inputs / 16, "
                         "a fixed stratified 75/25 split")
    ap.add_argument("--json")
    args = ap.parse_args()
    methods = {n: METHODS[n] for n in args.methods.split(",")}
    d = _digits() if args.dataset == "digits" else load_bench_data("two_spirals")
    rows = []
    for seed in range(args.seeds):
        cc = CascadeCorrelation(max_hidden_units=50, rng=seed).fit(d.X_train, d.y_train)
        net = cc.network_
        row = dict(seed=seed, hidden_units=net.n_hidden_units,
                   weights=int(sum(b.W.size for b in net.blocks)),
                   train_accuracy=cc.score(d.X_train, d.y_train),
                   test_accuracy=cc.score(d.X_test, d.y_test))
        for name, (crit, mode) in methods.items():
            m = OptimalBrainDamage(criterion=crit, hessian=mode, target_fraction=args.target,
                                   prune_fraction=args.prune_fraction,
                                   retrain_epochs=args.retrain_epochs, frozen=args.frozen,
                                   loss="mse", optimizer=Adam(lr=args.lr), rng=seed)
            m.fit(d.X_train, d.y_train, network=net)
            p = m.network_
            row[name] = dict(weights_left=m.weights_left_, hidden_units=p.n_hidden_units,
                             train_accuracy=m.score(d.X_train, d.y_train),
                             test_accuracy=m.score(d.X_test, d.y_test))
        rows.append(row)
        print(f"seed {seed}: {row['hidden_units']} units, {row['weights']} weights, test "
              f"{row['test_accuracy']:.3f} -> " + ", ".join(
                  f"{n} {row[n]['test_accuracy']:.3f} ({row[n]['weights_left']} w, "
                  f"train {row[n]['train_accuracy']:.3f})" for n in methods), flush=True)
    print(f"\nmean over {args.seeds} seeds (unpruned test accuracy "
          f"{np.mean([r['test_accuracy'] for r in rows]):.3f}, train "
          f"{np.mean([r['train_accuracy'] for r in rows]):.3f}, weights "
          f"{np.mean([r['weights'] for r in rows]):.1f}):")
    for n in methods:
        print(f"  {n:11s} test {np.mean([r[n]['test_accuracy'] for r in rows]):.3f}  train "
              f"{np.mean([r[n]['train_accuracy'] for r in rows]):.3f}  weights left "
              f"{np.mean([r[n]['weights_left'] for r in rows]):.1f}  hidden units "
              f"{np.mean([r[n]['hidden_units'] for r in rows]):.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(args=vars(args), rows=rows), fh, indent=1)


if __name__ == "__main__":
    main()
