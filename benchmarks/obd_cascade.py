"""Pruning the networks cascade-correlation grows: test accuracy and weights before and after.

For each seed, :class:`structlearn.cascor.CascadeCorrelation` (defaults: pool
of 8, quickprop, ``--max-units``) grows a network on the training set; then
each criterion prunes *that* network with the same schedule
(``--prune-fraction`` of the remaining weights per round, ``--retrain-epochs``
of full-batch Adam on the squared error after each round, every block
unfrozen and retrained: ``frozen="unfreeze"``) down to ``--target`` of its
weights.  Biases are never pruned.

``--select best`` or ``smallest`` chooses the stopping point on a validation
set instead (``OptimalBrainDamage(select=...)``; ``--target`` is then the
floor the path runs to): the validation points are held out of the training
set, never the test set.

Data sets (``--dataset``):

* ``two_spirals``: the 194 CMU points; test: the 194 half-step (shifted)
  points; validation: the 384 quarter-step points (positions i + 1/4 and
  i + 3/4 of ``two_spirals(density=4)``), disjoint from both.
* ``digits``: scikit-learn's 8x8 digits (needs scikit-learn), inputs / 16, a
  fixed stratified 75/25 split; with ``--select``, a fixed stratified quarter
  of the training part is the validation set.
* ``fashion_mnist``: a fixed stratified subsample of Fashion-MNIST's training
  images (``--n-train``, default 2,000, plus ``--n-val`` 1,000 validation
  images), downscaled to 14 x 14 by 2 x 2 means (196 inputs: cascor on 784
  inputs grows networks whose full Hessian does not fit), all 10,000 test
  images.  Read from the Debian package's files or ``--data-dir
  fashion_mnist=PATH``.

``--label-noise F`` flips a fixed fraction ``F`` of the training labels (exactly
``round(F n)`` of them, one draw from a fixed seed, the same for every seed; a
two-class label becomes the other class, a multi-class one a different class
drawn at random) and the same fraction of the validation labels (their own
draw): the validation data are noisy like the training data, the test labels
are the true ones.  Cascor then grows until it fits the noisy labels.

``--retrain-patience P`` stops each round's retraining after ``P`` epochs
without a better loss on the validation set (``OptimalBrainDamage(
retrain_patience=P)``; the best epoch is put back; ``--retrain-epochs`` is the
most a round trains); it needs validation data (``--select`` or
``fashion_mnist``, which always has them).  ``--control`` adds the unpruned
network given the same retraining rounds without pruning ("unpruned,
retrained").

    python benchmarks/obd_cascade.py [--seeds 5] [--target 0.75] [--dataset digits]
        [--methods 'obs (exact),magnitude'] [--select smallest] [--label-noise 0.1]
"""
from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace

import numpy as np

from structlearn.bench.data import load_bench_data, set_data_dirs, subsample
from structlearn.cascor import CascadeCorrelation
from structlearn.datasets import train_test_split, two_spirals
from structlearn.obd import OptimalBrainDamage
from structlearn.optim import Adam
from structlearn.train import evaluate, train

#: name -> (criterion, hessian, obs_blocks)
METHODS = {"obd (lm)": ("obd", "lm", "full"), "obd (full)": ("obd", "full", "full"),
           "obd (exact)": ("obd", "exact", "full"), "obs (exact)": ("obs", "exact", "full"),
           "obs (lm)": ("obs", "lm", "full"), "obs (unit lm)": ("obs", "lm", "unit"),
           "obs (unit full)": ("obs", "full", "unit"),
           "obs (layer exact)": ("obs", "exact", "layer"),
           "magnitude": ("magnitude", "lm", "full"), "random": ("random", "lm", "full")}


def flip_labels(y, fraction, rng):
    """``y`` with exactly ``round(fraction * len(y))`` labels changed, at positions drawn
    from ``rng``: a label becomes another class of ``y`` (the other one for two classes,
    one drawn at random for more).  Returns ``(y_noisy, flipped positions)``."""
    y = np.asarray(y)
    classes = np.unique(y)
    n = int(round(fraction * len(y)))
    idx = np.sort(rng.choice(len(y), size=n, replace=False))
    noisy = y.copy()
    for i in idx:
        noisy[i] = rng.choice(classes[classes != y[i]])
    return noisy, idx


def add_label_noise(d, fraction, seed=12345):
    """Flip ``fraction`` of the training and of the validation labels of ``d`` (fixed draws:
    ``seed`` and ``seed + 1``); the test labels stay the true ones."""
    d.y_train_true = d.y_train
    d.y_train, d.flipped_train = flip_labels(d.y_train, fraction, np.random.default_rng(seed))
    if d.y_val is not None:
        d.y_val, d.flipped_val = flip_labels(d.y_val, fraction, np.random.default_rng(seed + 1))
    return d


def _two_spirals(with_validation):
    d = load_bench_data("two_spirals")
    out = SimpleNamespace(X_train=d.X_train, y_train=d.y_train, X_test=d.X_test,
                          y_test=d.y_test, X_val=None, y_val=None)
    if with_validation:
        X, y = two_spirals(density=4)
        pos = np.repeat(np.arange(len(X) // 2), 2)  # position i on the density-4 spiral
        quarter = pos % 2 == 1  # i/4 = k + 1/4 or k + 3/4: neither training nor test points
        out.X_val, out.y_val = X[quarter], y[quarter]
    return out


def _digits(with_validation):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, rng=0,
                                                        stratify=True)
    X_val = y_val = None
    if with_validation:
        X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.25,
                                                          rng=1, stratify=True)
    return SimpleNamespace(X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
                           X_val=X_val, y_val=y_val)


def _fashion(n_train, n_val):
    d = load_bench_data("fashion_mnist")
    rng = np.random.default_rng(12345)  # a fixed subsample: the same for every seed

    def pool(A):  # 28 x 28 -> 14 x 14 by 2 x 2 means
        return A.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(-1, 196).astype(np.float64)

    X, y = subsample(d.X_train, d.y_train, n_train + n_val, rng)
    X_train, X_val, y_train, y_val = train_test_split(pool(X), y, test_size=n_val, rng=1,
                                                      stratify=True)
    return SimpleNamespace(X_train=X_train, y_train=y_train, X_test=pool(d.X_test),
                           y_test=d.y_test, X_val=X_val, y_val=y_val,
                           source=d.info.get("dataset_source"))


CONTROL = "unpruned, retrained"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--target", type=float, default=0.75)
    ap.add_argument("--prune-fraction", type=float, default=0.05)
    ap.add_argument("--retrain-epochs", type=int, default=500)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--frozen", default="unfreeze")
    ap.add_argument("--methods", default="obd (lm),obd (full),obd (exact),obs (exact),obs (lm),"
                                         "magnitude,random",
                    help="comma-separated subset of: " + ", ".join(METHODS))
    ap.add_argument("--dataset", choices=("two_spirals", "digits", "fashion_mnist"),
                    default="two_spirals")
    ap.add_argument("--max-units", type=int, default=None,
                    help="cascor's max_hidden_units (default 50; 10 for fashion_mnist)")
    ap.add_argument("--n-train", type=int, default=2000, help="fashion_mnist only")
    ap.add_argument("--n-val", type=int, default=1000, help="fashion_mnist only")
    ap.add_argument("--data-dir", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--select", choices=("last", "best", "smallest"), default="last",
                    help="the stopping point: the target (last), or chosen on validation data")
    ap.add_argument("--label-noise", type=float, default=0.0,
                    help="fraction of the training (and validation) labels flipped")
    ap.add_argument("--retrain-patience", type=int, default=None,
                    help="stop each retraining on the validation loss (needs validation data)")
    ap.add_argument("--control", action="store_true",
                    help="also retrain the unpruned network for the same rounds, unpruned")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    set_data_dirs(args.data_dir)
    methods = {n: METHODS[n] for n in args.methods.split(",")}
    validate = args.select != "last" or args.retrain_patience is not None
    if args.dataset == "digits":
        d = _digits(validate)
    elif args.dataset == "fashion_mnist":
        d = _fashion(args.n_train, args.n_val)
    else:
        d = _two_spirals(validate)
    if args.label_noise:
        add_label_noise(d, args.label_noise)
    max_units = args.max_units or (10 if args.dataset == "fashion_mnist" else 50)
    validation = (d.X_val, d.y_val) if validate else None
    print(f"{args.dataset}: label noise {args.label_noise:.0%}, train {len(d.X_train)}, validation "
          f"{0 if d.X_val is None else len(d.X_val)}, test {len(d.X_test)}, "
          f"{d.X_train.shape[1]} inputs", flush=True)
    rows = []
    for seed in range(args.seeds):
        cc = CascadeCorrelation(max_hidden_units=max_units, rng=seed).fit(d.X_train, d.y_train)
        net = cc.network_
        row = dict(seed=seed, hidden_units=net.n_hidden_units,
                   weights=int(sum(b.W.size for b in net.blocks)),
                   train_accuracy=cc.score(d.X_train, d.y_train),
                   test_accuracy=cc.score(d.X_test, d.y_test))
        if d.X_val is not None:
            row["val_accuracy"] = cc.score(d.X_val, d.y_val)
        for name, (crit, mode, blocks) in methods.items():
            t0 = time.perf_counter()
            path = [dict(round=0, weights_left=row["weights"], test_accuracy=row["test_accuracy"],
                         val_accuracy=row.get("val_accuracy"))]

            def record(rnd, network, info, path=path):
                # every round's retrained network, scored on the test set (never used to choose)
                path.append(dict(round=rnd, weights_left=info["weights_left"],
                                 val_accuracy=info.get("val_accuracy"),
                                 test_accuracy=evaluate(network, d.X_test, d.y_test,
                                                        targets=m.target_info_)["score"]))
                return False

            m = OptimalBrainDamage(criterion=crit, hessian=mode, obs_blocks=blocks,
                                   target_fraction=args.target,
                                   prune_fraction=args.prune_fraction,
                                   retrain_epochs=args.retrain_epochs, frozen=args.frozen,
                                   select=args.select, loss="mse", optimizer=Adam(lr=args.lr),
                                   retrain_patience=args.retrain_patience,
                                   callbacks=(record,), rng=seed)
            m.fit(d.X_train, d.y_train, network=net, validation=validation)
            p = m.network_
            row[name] = dict(weights_left=m.weights_left_, hidden_units=p.n_hidden_units,
                             fraction_left=m.weights_left_ / m.initial_weights_,
                             rounds=m.n_rounds_, epochs=m.n_epochs_,
                             train_accuracy=m.score(d.X_train, d.y_train),
                             test_accuracy=m.score(d.X_test, d.y_test),
                             seconds=time.perf_counter() - t0, path=path)
            if d.X_val is not None:
                row[name]["val_accuracy"] = m.score(d.X_val, d.y_val)
        if args.control:
            # the unpruned network, retrained as often as the first criterion's path has rounds
            t0 = time.perf_counter()
            rounds = len(row[next(iter(methods))]["path"]) - 1
            ctl = net.copy()
            for k, blk in enumerate(ctl.blocks):
                if not blk.trainable and args.frozen == "unfreeze":
                    ctl.freeze(k, frozen=False)
            opt = Adam(lr=args.lr)
            stop = (dict(validation=(d.X_val, d.y_val), early_stopping=args.retrain_patience,
                         restore_best=True) if args.retrain_patience else {})
            epochs = 0
            for _ in range(rounds):
                epochs += train(ctl, d.X_train, d.y_train, loss="mse", optimizer=opt,
                      epochs=args.retrain_epochs, rng=seed, progress=False,
                      targets=cc.target_info_, **stop).epochs
            row[CONTROL] = dict(weights_left=row["weights"], hidden_units=ctl.n_hidden_units,
                                fraction_left=1.0, rounds=rounds, epochs=epochs,
                                train_accuracy=evaluate(ctl, d.X_train, d.y_train,
                                                        targets=cc.target_info_)["score"],
                                test_accuracy=evaluate(ctl, d.X_test, d.y_test,
                                                       targets=cc.target_info_)["score"],
                                seconds=time.perf_counter() - t0, path=[])
        rows.append(row)
        print(f"seed {seed}: {row['hidden_units']} units, {row['weights']} weights, test "
              f"{row['test_accuracy']:.3f} -> " + ", ".join(
                  f"{n} {row[n]['test_accuracy']:.3f} ({row[n]['weights_left']} w, "
                  f"train {row[n]['train_accuracy']:.3f}, {row[n]['seconds']:.0f} s)"
                  for n in methods), flush=True)
    if args.control:
        methods[CONTROL] = None
    base = np.mean([r["test_accuracy"] for r in rows])
    print(f"\nmean over {args.seeds} seeds (unpruned test accuracy {base:.4f}, train "
          f"{np.mean([r['train_accuracy'] for r in rows]):.3f}, weights "
          f"{np.mean([r['weights'] for r in rows]):.1f}):")
    for n in methods:
        acc = np.array([r[n]["test_accuracy"] for r in rows])
        at_least = sum(r[n]["test_accuracy"] >= r["test_accuracy"] for r in rows)
        print(f"  {n:17s} test {acc.mean():.4f} (+-{acc.std(ddof=1) if len(acc) > 1 else 0:.4f}"
              f", >= unpruned on {at_least}/{len(rows)})  train "
              f"{np.mean([r[n]['train_accuracy'] for r in rows]):.3f}  weights left "
              f"{np.mean([r[n]['weights_left'] for r in rows]):.1f} "
              f"({np.mean([r[n]['fraction_left'] for r in rows]):.1%})  hidden units "
              f"{np.mean([r[n]['hidden_units'] for r in rows]):.1f}  "
              f"{np.mean([r[n]['seconds'] for r in rows]):.0f} s")
    if validate:
        # the other validation rule, from the same paths: the best validation accuracy, ties to
        # the smaller network (what select="best" returns)
        other = "best" if args.select == "smallest" else "smallest"
        print(f"\nthe same paths, chosen by select={other!r}:")
        for n in (n for n in methods if n != CONTROL):
            picks = []
            for r in rows:
                path = r[n]["path"]
                if other == "best":
                    pick = min(path, key=lambda p: (-p["val_accuracy"], p["weights_left"]))
                else:
                    pick = min((p for p in path if p["val_accuracy"] >= path[0]["val_accuracy"]),
                               key=lambda p: p["weights_left"])
                picks.append((pick["test_accuracy"], pick["weights_left"] / r["weights"],
                              pick["test_accuracy"] >= r["test_accuracy"]))
            t, f, ok = np.array(picks).T
            print(f"  {n:17s} test {t.mean():.4f}  weights left {f.mean():.1%}  "
                  f">= unpruned on {int(ok.sum())}/{len(rows)}")
    if args.json:
        with open(args.json, "w") as fh:
            noise = {k: getattr(d, k).tolist() for k in ("flipped_train", "flipped_val")
                     if hasattr(d, k)}
            json.dump(dict(args=vars(args), rows=rows, **noise), fh, indent=1)


if __name__ == "__main__":
    main()
