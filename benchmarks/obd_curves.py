"""Test accuracy against weights left: OBD, magnitude, random; with and without retraining.

One trained LeNet-300-100 (784-300-100-10, ReLU, softmax, float32, Adam lr
1e-3, batch 128) per seed on ``--dataset`` (default ``mnist_small``: a fixed
6,000/2,000 stratified subsample of MNIST, here of Fashion-MNIST because MNIST
cannot be downloaded on these machines).  Each criterion prunes *the same
trained network* with the same schedule, saliencies recomputed every round,
down to ``--target`` of its weights: once with no retraining (the setting of
LeCun et al. 1990, Fig. 1; ``--prune-fraction-no-retraining`` = 5% of the
remaining weights per round) and once with ``--retrain-epochs`` epochs after
every round (``--prune-fraction`` = 20% per round).  Small rounds matter
without retraining: the saliencies add up only while the deletions of one
round do not interact, and 20% of a ReLU network's weights at once (many of
them large weights into units that are off) do interact.

Test accuracy is measured on all 10,000 test images (the ``_small`` test split
has only 2,000: too noisy to compare curves a few tenths of a point apart).

Writes ``<out>.png`` (one figure, three panels: test accuracy without and with
retraining, mean over seeds with the min-max band; and the training loss
without retraining, the quantity of LeCun et al.'s Fig. 1) and ``<out>.json``
(every curve), and prints, for the no-retraining runs, where OBD's mean curve
is above magnitude's.

    OPENBLAS_NUM_THREADS=1 python benchmarks/obd_curves.py [--seeds 5] [--dataset mnist_small] [--out benchmarks/results/obd/curves]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from structlearn import Network, train
from structlearn.bench.data import load_bench_data
from structlearn.obd import OptimalBrainDamage
from structlearn.optim import Adam

CRITERIA = ("obd", "magnitude", "random")


def run_curve(net, data, test, criterion, retrain_epochs, args, seed):
    """(fraction of weights left, test accuracy, training loss) after every round,
    the unpruned network first."""
    n0 = sum(b.W.size for b in net.blocks)
    X_test, y_test = test
    points = []

    def record(rnd, network, info):
        acc = float(np.mean(network.predict_classes(X_test) == y_test))
        if not points:
            points.append((1.0, float(np.mean(net.predict_classes(X_test) == y_test)),
                           info["loss_before"]))
        points.append((info["weights_left"] / n0, acc, info["loss_retrained"]))
        return False

    fraction = args.prune_fraction if retrain_epochs else args.prune_fraction_no_retraining
    OptimalBrainDamage(criterion=criterion, target_fraction=args.target,
                       prune_fraction=fraction, retrain_epochs=retrain_epochs,
                       hessian=args.hessian, loss="softmax_cross_entropy",
                       optimizer=Adam(lr=1e-3), batch_size=128, callbacks=[record],
                       rng=seed).fit(data.X_train, data.y_train, network=net)
    return points


def on_grid(points, grid, column=1):
    """A column (1: test accuracy, 2: training loss) at each grid fraction,
    interpolated in log(fraction left)."""
    x = np.log(np.array([p[0] for p in points]))[::-1]
    y = np.array([p[column] for p in points])[::-1]
    return np.interp(np.log(grid), x, y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--no-full-test", dest="full_test", action="store_false",
                    help="for *_small data sets, test on the small test split, not all 10,000")
    ap.add_argument("--dataset", default="mnist_small")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--retrain-epochs", type=int, default=2)
    ap.add_argument("--prune-fraction", type=float, default=0.2,
                    help="fraction of the remaining weights deleted per round, with retraining")
    ap.add_argument("--prune-fraction-no-retraining", type=float, default=0.05,
                    help="the same without retraining (rounds are cheap there, and small ones "
                         "keep OBD's diagonal approximation valid)")
    ap.add_argument("--target", type=float, default=0.01)
    ap.add_argument("--hessian", default="lm")
    ap.add_argument("--activation", default="relu", help="hidden units (LeNet-300-100: relu)")
    ap.add_argument("--no-retraining-only", action="store_true")
    ap.add_argument("--out", default="benchmarks/results/obd/curves")
    args = ap.parse_args()
    data = load_bench_data(args.dataset)
    test = (data.X_test, data.y_test)
    if args.dataset.endswith("_small") and args.full_test:
        full = load_bench_data(args.dataset[:-len("_small")])
        test = (full.X_test, full.y_test)  # less noisy curves: all 10,000 test images
    print(f"data: {args.dataset} ({data.info.get('dataset_source')}), "
          f"{len(data.X_train)} train, {len(test[0])} test", flush=True)
    curves = {}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        net = Network.mlp([data.n_inputs, 300, 100, 10], hidden=args.activation,
                          output="softmax", rng=rng, dtype=np.float32)
        train(net, data.X_train, data.y_train, optimizer=Adam(lr=1e-3), epochs=args.epochs,
              batch_size=128, rng=rng, progress=False)
        for retrain in ((0,) if args.no_retraining_only else (0, args.retrain_epochs)):
            for crit in CRITERIA:
                t = time.perf_counter()
                pts = run_curve(net, data, test, crit, retrain, args, seed)
                curves.setdefault(f"{crit}|{retrain}", []).append(pts)
                print(f"seed {seed} {crit:9s} retrain {retrain}: {len(pts) - 1} rounds, "
                      f"accuracy {pts[0][1]:.4f} -> {pts[-1][1]:.4f} at "
                      f"{100 * pts[-1][0]:.1f}% weights, {time.perf_counter() - t:.0f} s",
                      flush=True)

    grid = np.geomspace(max(args.target, 1e-3), 1.0, 60)
    summary = {}
    for key, runs in curves.items():
        acc = np.array([on_grid(p, grid) for p in runs])
        loss = np.array([on_grid(p, grid, 2) for p in runs])
        summary[key] = dict(mean=acc.mean(0), low=acc.min(0), high=acc.max(0),
                            loss_median=np.median(loss, 0), loss_low=loss.min(0),
                            loss_high=loss.max(0))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from structlearn.plotting import plot_pruning_curves

    if args.no_retraining_only:
        args.retrain_epochs = 0  # both accuracy panels show the no-retraining runs
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.8))
    panel = {c: (100 * grid, summary[f"{c}|0"]["loss_median"], summary[f"{c}|0"]["loss_low"],
                 summary[f"{c}|0"]["loss_high"]) for c in CRITERIA}
    plot_pruning_curves(panel, ax=axes[2], xlabel="weights left (%)",
                        ylabel="training loss (cross-entropy)", logx=True, markers=False,
                        title=f"Training loss, no retraining (median of {args.seeds}, min-max)")
    axes[2].set_yscale("log")
    for ax, retrain in zip(axes, (0, args.retrain_epochs)):
        panel = {}
        for c in CRITERIA:
            cur = summary[f"{c}|{retrain}"]
            panel[c] = (100 * grid, cur["mean"], cur["low"], cur["high"])
        what = "no retraining" if retrain == 0 else f"{retrain} retraining epochs per round"
        plot_pruning_curves(panel, ax=ax, xlabel="weights left (%)", ylabel="test accuracy",
                            logx=True, markers=False,
                            title=f"LeNet-300-100 ({args.activation}), {what} "
                                  f"(mean of {args.seeds}, min-max)")
    fig.suptitle(f"Pruning {args.dataset} ({data.info.get('dataset_source')}): OBD vs "
                 "magnitude vs random")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out + ".png", dpi=120)

    lo, lm = summary["obd|0"]["loss_median"], summary["magnitude|0"]["loss_median"]
    print(f"no retraining: OBD's median training loss <= magnitude's at "
          f"{np.mean(lo <= lm + 1e-12):.0%} of the grid points")
    obd, mag = summary["obd|0"]["mean"], summary["magnitude|0"]["mean"]
    deleted = 1 - grid
    first_half = deleted <= 0.5 * deleted.max()
    above = obd >= mag - 1e-12
    print(f"no retraining: OBD mean accuracy >= magnitude's at {above[first_half].mean():.0%} of "
          f"the grid points over the first half of the deletions (0-{50 * deleted.max():.0f}% "
          f"deleted), {above.mean():.0%} over all; largest gap magnitude - OBD "
          f"{100 * np.max(mag - obd):.2f} points, largest OBD - magnitude "
          f"{100 * np.max(obd - mag):.2f} points")
    for frac in (0.5, 0.2, 0.1, 0.05, 1 / 12, 0.02):
        if frac >= grid[0]:
            i = int(np.argmin(np.abs(grid - frac)))
            print(f"  {100 * grid[i]:5.1f}% left: " + "  ".join(
                f"{key} {100 * s['mean'][i]:.2f}" for key, s in summary.items()))
    with open(args.out + ".json", "w") as fh:
        json.dump(dict(args=vars(args), dataset_source=data.info.get("dataset_source"),
                       grid=grid.tolist(), curves=curves,
                       summary={k: {kk: vv.tolist() for kk, vv in v.items()}
                                for k, v in summary.items()}), fh)
    print(f"wrote {args.out}.png and {args.out}.json")


if __name__ == "__main__":
    main()
