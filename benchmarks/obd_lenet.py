"""LeNet-300-100 pruned 12x with retraining, and the cost of one Hessian-diagonal pass.

Two measurements of issue 5 (Optimal Brain Damage):

1. **Pruning.**  A 784-300-100-10 ReLU/softmax MLP (266,200 weights + 410
   biases), float32, Adam (lr 1e-3), minibatches of 128, is trained on MNIST
   (or Fashion-MNIST: ``--dataset fashion_mnist``; MNIST from a directory of IDX files with
   ``STRUCTLEARN_MNIST_DIR``; ``load_bench_data('mnist')`` never substitutes) -- then pruned
   by OBD (and by magnitude, the Han et al. 2015 baseline, on the same trained
   network with the same schedule) to 1/12 of its weights (22,184): 10% of the
   remaining weights per round, one retraining epoch after each (24 rounds),
   5 final epochs.  Reported: test error of the unpruned and
   pruned networks.  As a control for the extra training the pruned network
   gets, the unpruned network is also trained for the same number of extra
   epochs ("unpruned+").
2. **Cost.**  Median time of one ``hessian_diagonal`` pass (``lm`` and
   ``full``; and gradient + Hessian together) over one ``loss_and_grad``
   pass, same network, same 10,000 patterns, interleaved in the same run.

    python benchmarks/obd_lenet.py                 # both, seed 0
    python benchmarks/obd_lenet.py --timing-only
    python benchmarks/obd_lenet.py --seeds 0 1 2 --json results.json

``--schedule cubic`` replaces the geometric schedule by Zhu & Gupta's (2017, "To
prune, or not to prune", eq. 1) gradual one: after step t of ``--rounds`` n the
density is ``d_f + (1 - d_f) (1 - t / n)^3`` (``d_f = 1 / --compression``), so
the early steps delete many weights and the last ones few; ``--retrain-epochs``
after each step, ``--final-epochs`` at the end (each step is one
``OptimalBrainDamage`` round on the previous step's network, ``max_rounds=1``).

``--cache DIR`` keeps the trained unpruned networks, so runs that only change
the pruning schedule reuse them.  On a shared 2-core machine run it with
``OPENBLAS_NUM_THREADS=1``: two BLAS threads competing with other processes
made an epoch more than ten times slower in our runs.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from structlearn import Network, train
from structlearn.bench.data import load_bench_data
from structlearn.hessian import hessian_diagonal_pass
from structlearn.losses import get_loss
from structlearn.obd import OptimalBrainDamage
from structlearn.optim import Adam

SIZES = [784, 300, 100, 10]
LOSS = "softmax_cross_entropy"


def test_error(net, X, y):
    return float(np.mean(net.predict_classes(X) != y))


def timing(X, y, repeats=20, seed=0):
    """Median seconds of each pass, interleaved so load affects all alike."""
    net = Network.mlp(SIZES, hidden="relu", output="softmax", rng=seed, dtype=np.float32)
    train(net, X[:10000], y[:10000], optimizer=Adam(lr=1e-3), epochs=1, batch_size=128, rng=0,
          progress=False)  # realistic (non-initial) weights
    X = X[:10000]
    T = np.eye(10, dtype=np.float32)[y[:10000]]
    loss = get_loss(LOSS)
    H = np.empty(net.params.size, np.float32)
    passes = {
        "gradient": lambda: net.loss_and_grad(X, T, loss),
        "hessian_lm": lambda: hessian_diagonal_pass(net, X, T, loss, "lm", out=H),
        "hessian_full": lambda: hessian_diagonal_pass(net, X, T, loss, "full", out=H),
        "gradient+hessian_lm": lambda: hessian_diagonal_pass(net, X, T, loss, "lm",
                                                             gradient=True, out=H),
        "forward": lambda: net._forward(X),
    }
    # the full recursion on a network with curved (tanh) hidden units, where it
    # really does carry the extra f'' terms
    tnet = Network.mlp(SIZES, hidden="tanh", output="softmax", rng=seed, dtype=np.float32)
    passes["gradient (tanh)"] = lambda: tnet.loss_and_grad(X, T, loss)
    passes["hessian_full (tanh)"] = lambda: hessian_diagonal_pass(tnet, X, T, loss, "full", out=H)
    times = {k: [] for k in passes}
    for f in passes.values():
        f()
    for _ in range(repeats):
        for k, f in passes.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    med = {k: float(np.median(v)) for k, v in times.items()}
    ratios = {
        "hessian_lm / gradient": med["hessian_lm"] / med["gradient"],
        "hessian_full / gradient": med["hessian_full"] / med["gradient"],
        "hessian_full / gradient (tanh net)": med["hessian_full (tanh)"] / med["gradient (tanh)"],
        "(gradient+hessian_lm together) / gradient": med["gradient+hessian_lm"] / med["gradient"],
        "(gradient+hessian_lm together) / (gradient + hessian_lm apart)":
            med["gradient+hessian_lm"] / (med["gradient"] + med["hessian_lm"]),
    }
    return med, ratios


def prune_run(data, seed, args):
    rng = np.random.default_rng(seed)
    cached = (os.path.join(args.cache, f"lenet_seed{seed}_epochs{args.epochs}_lr{args.lr}.npz")
              if args.cache else None)
    t0 = time.perf_counter()
    if cached and os.path.exists(cached):
        net = Network.load(cached)
        rng = np.random.default_rng([seed, 1])
    else:
        net = Network.mlp(SIZES, hidden="relu", output="softmax", rng=rng, dtype=np.float32)
        train(net, data.X_train, data.y_train, loss=LOSS, optimizer=Adam(lr=args.lr),
              epochs=args.epochs, batch_size=128, rng=rng, progress=False)
        rng = np.random.default_rng([seed, 1])
        if cached:
            os.makedirs(args.cache, exist_ok=True)
            net.save(cached)
    t_train = time.perf_counter() - t0
    row = dict(seed=seed, dataset_source=data.info.get("dataset_source"), epochs=args.epochs,
               train_seconds=t_train, unpruned_test_error=test_error(net, data.X_test,
                                                                     data.y_test),
               weights=int(sum(b.W.size for b in net.blocks)))
    extra_epochs = None
    for crit in args.criteria:
        t0 = time.perf_counter()
        if args.schedule == "cubic":
            pruned, h, rounds = cubic_prune(net, data, crit, seed, args)
        else:
            m = OptimalBrainDamage(criterion=crit, target_fraction=1 / args.compression,
                                   prune_fraction=args.prune_fraction,
                                   retrain_epochs=args.retrain_epochs,
                                   final_epochs=args.final_epochs, hessian=args.hessian,
                                   ranking=args.ranking, loss=LOSS,
                                   optimizer=Adam(lr=args.retrain_lr), batch_size=128,
                                   rng=seed).fit(data.X_train, data.y_train, network=net)
            pruned, h, rounds = m.network_, m.history_, m.n_rounds_
        if args.finetune_epochs:
            # a last low-learning-rate pass (the control gets the same one)
            train(pruned, data.X_train, data.y_train, loss=LOSS,
                  optimizer=Adam(lr=args.finetune_lr), epochs=args.finetune_epochs,
                  batch_size=128, rng=np.random.default_rng([seed, 2]), progress=False,
                  history=h, phase="finetune", epoch_offset=h.epochs)
        left = int(sum(b.W.size if b.mask is None else b.mask.sum() for b in pruned.blocks))
        extra_epochs = h.epochs
        row[crit] = dict(test_error=test_error(pruned, data.X_test, data.y_test),
                         weights_left=left, compression=row["weights"] / left,
                         hidden_units=pruned.n_hidden_units, rounds=rounds,
                         retrain_epochs_total=h.epochs, seconds=time.perf_counter() - t0,
                         per_layer_left=[int(b.W.size if b.mask is None else b.mask.sum())
                                         for b in pruned.blocks],
                         predicted_vs_actual=[(e["predicted_increase"], e["actual_increase"])
                                              for e in h.events_of("weights_pruned")])
        print(f"seed {seed} {crit}: test error {row[crit]['test_error']:.4f} "
              f"(unpruned {row['unpruned_test_error']:.4f}), {left} weights left "
              f"({row[crit]['compression']:.1f}x), {row[crit]['seconds']:.0f} s", flush=True)
    if args.control and extra_epochs:
        # the same number of extra epochs for the unpruned network
        ctl = net.copy()
        train(ctl, data.X_train, data.y_train, loss=LOSS, optimizer=Adam(lr=args.retrain_lr),
              epochs=extra_epochs - args.finetune_epochs, batch_size=128, rng=rng,
              progress=False)
        if args.finetune_epochs:
            train(ctl, data.X_train, data.y_train, loss=LOSS, optimizer=Adam(lr=args.finetune_lr),
                  epochs=args.finetune_epochs, batch_size=128,
                  rng=np.random.default_rng([seed, 2]), progress=False)
        row["unpruned_plus_extra_epochs_test_error"] = test_error(ctl, data.X_test, data.y_test)
        row["extra_epochs"] = extra_epochs
    return row


def cubic_prune(net, data, crit, seed, args):
    """Zhu & Gupta's (2017) gradual schedule: one OBD round per step to the step's density."""
    from structlearn.history import History

    total = int(sum(b.W.size for b in net.blocks))
    final = 1.0 / args.compression
    h = History()
    for t in range(1, args.rounds + 1):
        density = final + (1.0 - final) * (1.0 - t / args.rounds) ** 3
        active = int(sum(b.W.size if b.mask is None else b.mask.sum() for b in net.blocks))
        keep = min(1.0, density * total / active)
        m = OptimalBrainDamage(criterion=crit, target_fraction=keep * (1 - 1e-9),
                               prune_fraction=min(1.0, max(1e-9, 1.0 - keep)), max_rounds=1,
                               retrain_epochs=args.retrain_epochs,
                               final_epochs=args.final_epochs if t == args.rounds else 0,
                               hessian=args.hessian, ranking=args.ranking, loss=LOSS,
                               optimizer=Adam(lr=args.retrain_lr), batch_size=128,
                               rng=np.random.default_rng([seed, t])).fit(
                                   data.X_train, data.y_train, network=net)
        h.extend(m.history_, epoch_offset=h.epochs)
        net = m.network_
    return net, h, args.rounds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--epochs", type=int, default=20, help="initial training epochs")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--retrain-lr", type=float, default=1e-3)
    ap.add_argument("--retrain-epochs", type=int, default=1)
    ap.add_argument("--final-epochs", type=int, default=5)
    ap.add_argument("--finetune-epochs", type=int, default=0,
                    help="epochs at --finetune-lr after pruning (and for the control)")
    ap.add_argument("--finetune-lr", type=float, default=1e-4)
    ap.add_argument("--prune-fraction", type=float, default=0.1)
    ap.add_argument("--compression", type=float, default=12.0,
                    help="prune to 1/this of the weights (default 12, Han et al. 2015's)")
    ap.add_argument("--schedule", choices=("geometric", "cubic"), default="geometric")
    ap.add_argument("--rounds", type=int, default=10, help="steps of the cubic schedule")
    ap.add_argument("--hessian", default="lm")
    ap.add_argument("--ranking", default="global")
    ap.add_argument("--criteria", nargs="+", default=["obd", "magnitude"])
    ap.add_argument("--no-control", dest="control", action="store_false")
    ap.add_argument("--timing-only", action="store_true")
    ap.add_argument("--no-timing", dest="timing", action="store_false")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--cache", help="folder to keep the trained unpruned networks in")
    ap.add_argument("--json")
    ap.add_argument("--dataset", default="mnist",
                    help="mnist (its IDX files: STRUCTLEARN_MNIST_DIR) or fashion_mnist")
    args = ap.parse_args()
    data = load_bench_data(args.dataset)
    print(f"data: {data.info.get('dataset_source')}", flush=True)
    out = {"args": vars(args)}
    if args.timing or args.timing_only:
        med, ratios = timing(data.X_train, data.y_train, args.repeats)
        out["timing_seconds"], out["timing_ratios"] = med, ratios
        print("median ms: " + ", ".join(f"{k} {v * 1e3:.1f}" for k, v in med.items()))
        for k, v in ratios.items():
            print(f"  {k}: {v:.2f}")
    if not args.timing_only:
        out["runs"] = [prune_run(data, s, args) for s in args.seeds]
        for crit in args.criteria:
            diffs = [r[crit]["test_error"] - r["unpruned_test_error"] for r in out["runs"]]
            print(f"{crit}: pruned - unpruned test error, points: "
                  + ", ".join(f"{100 * d:+.2f}" for d in diffs)
                  + f"  (mean {100 * np.mean(diffs):+.2f})")
        if args.control:
            diffs = [r["unpruned_plus_extra_epochs_test_error"] - r["unpruned_test_error"]
                     for r in out["runs"]]
            print("control, unpruned + same extra epochs - unpruned, points: "
                  + ", ".join(f"{100 * d:+.2f}" for d in diffs))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
