"""Benchmark trials of Dynamic Node Creation (algorithm ``dnc``).

Presets per data set (override any of them through the trial's params):

* Boolean tasks (``xor``, ``parityN``, ``encoderN``, ``symmetryN``,
  ``additionN``): Ash's (1989) settings: logistic units, squared error,
  Delta_T 0.05, w 1000, C_a 0.001, C_m 0.01, new units uniform +-0.1666;
  backprop with learning rate 0.2 (on the loss summed over a minibatch) and
  momentum 0.9, eight minibatches per epoch (one pattern each for XOR's
  four), reshuffled every epoch: our choice, as Ash's values are not known
  to us (see docs/dnc.md).  ``compare_scratch=True`` also
  trains the final-size network from scratch to the same criterion.
* ``two_spirals``: tanh hidden units, full-batch Adam (lr 0.01), w 200, two
  hidden layers grown round-robin, "solved" = every output within 0.4 of its
  target (C_a = C_m = 0.16), at most 60 units.
* digits (``mnist``, ``fashion_mnist`` and their ``_small`` forms): logistic
  hidden units, softmax output, cross-entropy, Adam (lr 1e-3), minibatches of
  64, float32, w 1 epoch, validation patience 20 sizes (on validation
  accuracy, 10% of the training subsample), at most 256 units.
  ``fixed_width=K`` trains a fixed K-unit network instead (the members of
  the width sweep), with early stopping on the same validation split.
  ``n_train`` subsamples the training set (the test set stays whole).

Accuracies in the row are ``DynamicNodeCreation.score``'s (the decoded class;
whole patterns for the multi-label tasks, ``additionN``).  New networks (DNC's,
the scratch baseline's, the width sweep's) are drawn by the ``"ash"``-style
initialiser of :mod:`structlearn.initializers` (every weight and bias uniform
in +-``init_range``).

The row has the standard columns plus ``known_min_units``,
``units_over_min``, ``weight_epochs`` (sum over epochs of the weights trained:
the cost), ``additions``, ``stop_reason``, ``widths``, ``mean_jump`` (mean relative
change of the training loss caused by an addition, before any training) and,
with ``compare_scratch``, ``scratch_success``, ``scratch_epochs``,
``scratch_weight_epochs`` and ``cost_ratio`` (DNC cost / scratch cost).  The
scratch run is cut at ``scratch_budget`` (default 5) times DNC's cost; when it
has not reached the criterion by then, ``cost_ratio`` is an upper bound.
"""
from __future__ import annotations

import re

import numpy as np

from .. import datasets as ds
from ..dnc import DynamicNodeCreation, train_to_criterion
from ..initializers import uniform
from ..network import Network
from ..optim import Adam
from ..train import evaluate, train
from .data import BenchData, load_bench_data, subsample
from .registry import register_trial, trial_result

__all__ = ["dnc_trial", "known_min_units", "PRESETS", "BOOLEAN_TASKS"]

_DIGITS = ("mnist", "fashion_mnist", "mnist_small", "fashion_mnist_small")

PRESETS = {
    "boolean": dict(hidden="sigmoid", output="sigmoid", loss="mse", trigger=0.05, window=1000,
                    c_a=0.001, c_m=0.01, learning_rate=0.2, momentum=0.9, batch_size="auto",
                    max_units=20, max_epochs=60_000, init_range=0.1666),
    "two_spirals": dict(hidden="tanh", output="sigmoid", loss="mse", trigger=0.05, window=200,
                        c_a=0.16, c_m=0.16, optimizer="adam", lr=0.01, batch_size=None,
                        hidden_layers=2, max_units=60, max_epochs=20_000),
    "digits": dict(hidden="sigmoid", output="softmax", loss="softmax_cross_entropy",
                   trigger=0.05, window=1, c_a=None, optimizer="adam", lr=1e-3, batch_size=64,
                   patience=20, monitor="val_accuracy", max_units=256, max_epochs=400,
                   dtype="float32",
                   validation_fraction=0.1, n_train=None),
}


def known_min_units(dataset):
    """The smallest single-hidden-layer network (no shortcuts) known to solve
    the Boolean task, as usually quoted; None where there is none.

    * XOR: 2 (1 with input-output shortcuts).
    * N-bit parity: N, the construction of Rumelhart, Hinton & Williams
      (1986); sigmoid nets can do with fewer (so DNC may go below it).
    * N-input symmetry: 2 (Rumelhart et al. 1986).
    * N-log2(N)-N encoder: log2 N.
    * 2-bit addition: 3, the PDP ch. 8 network, which has input-output
      shortcuts our layered networks lack.
    """
    if dataset == "xor":
        return 2
    m = re.fullmatch(r"(parity|symmetry|addition|encoder)(\d+)", dataset)
    if not m:
        return None
    kind, n = m.group(1), int(m.group(2))
    return {"parity": n, "symmetry": 2, "encoder": int(np.ceil(np.log2(n))),
            "addition": 3 if n == 2 else None}[kind]


def _preset_name(dataset):
    if dataset in _DIGITS:
        return "digits"
    return "two_spirals" if dataset == "two_spirals" else "boolean"


def _digits_data(dataset, seed, n_train):
    """The digit set, its training part optionally subsampled (fixed subset)."""
    data = load_bench_data(dataset, seed)
    if n_train is not None and n_train < len(data.X_train):
        X, y = subsample(data.X_train, data.y_train, int(n_train), np.random.default_rng(12345))
        data = BenchData(data.name, X, y, data.X_test, data.y_test, data.n_classes,
                         dict(data.info, n_train=int(n_train),
                              dataset_split=f"train {len(X):,} of {len(data.X_train):,} (fixed "
                              f"stratified subsample) / test {len(data.X_test):,}"))
    return data


def _make_optimizer(cfg):
    if cfg.get("optimizer") == "adam":
        return Adam(lr=cfg.get("lr", 1e-3))
    if cfg.get("optimizer") not in (None, "sgd"):
        raise ValueError(f"optimizer must be 'sgd' (Ash) or 'adam', got {cfg.get('optimizer')!r}")
    return None  # DNC's default: SGD with the PDP learning-rate convention


def _ash_network(sizes, cfg, rng, dtype):
    """A new MLP with Ash's initialisation (every weight and bias uniform in +-init_range)."""
    return Network.mlp(sizes, hidden=cfg["hidden"], output=cfg["output"], rng=rng, dtype=dtype,
                       init=uniform(cfg.get("init_range", 0.1666)))


def _mean_jump(history):
    """Mean relative change of the training loss caused by an addition itself
    (loss just after the edit against just before; positive: it jumped up)."""
    jumps = [(e["loss_after"] - e["loss_before"]) / e["loss_before"]
             for e in history.events_of("unit_added") if e.get("loss_before")]
    return float(np.mean(jumps)) if jumps else None


BOOLEAN_TASKS = ("xor", "parity3", "parity4", "parity5", "parity6", "encoder8", "symmetry4",
                  "symmetry6", "addition2")
_WIDTHS = (16, 32, 64, 128, 256)

QUICK = [({}, "xor", 3), ({"max_epochs": 10_000}, "two_spirals", 2)]

#: Ash's settings on every Boolean task, against the final size from scratch;
#: function-preserving units (Net2Net split; zero outgoing weights) instead of
#: Ash's random one; shorter windows.
FULL_BOOLEAN = (
    [({"compare_scratch": True}, name, 8) for name in BOOLEAN_TASKS]
    + [({"label": init, "init": init}, name, n) for init, n in (("split", 4), ("zero_out", 8))
       for name in ("xor", "parity4", "parity5", "encoder8", "symmetry6", "addition2")]
    + [({"label": f"w{w}", "window": w, "compare_scratch": True}, name, 8)
       for w in (300, 100) for name in ("parity4", "parity5", "encoder8", "symmetry6",
                                        "addition2")])

#: where to grow in two hidden layers, and one layer against two on two-spirals
FULL_GROWTH = (
    [({"label": where, "grow_where": where, "hidden_layers": 2}, "parity4", 8)
     for where in ("round_robin", "loss_estimate")]
    + [({"label": where, "grow_where": where}, "two_spirals", 8)
       for where in ("round_robin", "loss_estimate")]
    + [({"label": "split", "init": "split"}, "two_spirals", 8),
       ({"label": "one_layer", "hidden_layers": 1, "max_epochs": 40_000}, "two_spirals", 8)])

#: the digits, 10,000 training images, on every digit data set with the same variants and
#: seeds: DNC for several windows, split growth, two layers, and the width sweep.
FULL_DIGITS = [
    (params, dataset, 3)
    for dataset in ("mnist", "fashion_mnist")
    for params in (
        [{"label": f"w{w}", "window": w, "n_train": 10_000} for w in (1, 2)]
        + [{"label": "w1_p40", "patience": 40, "n_train": 10_000},
           {"label": "w1_finish", "finish_patience": 10, "n_train": 10_000}]
        + [{"label": f"w1_{init}", "init": init, "n_train": 10_000}
           for init in ("split", "zero_out")]
        + [{"label": f"2layers_{where}", "hidden_layers": 2, "grow_where": where,
            "n_train": 10_000} for where in ("round_robin", "loss_estimate")]
        + [{"label": f"width{k}", "fixed_width": k, "n_train": 10_000} for k in _WIDTHS])]

_DNC_KEYS = ("hidden", "output", "loss", "trigger", "window", "c_a", "c_m", "learning_rate",
             "momentum", "batch_size", "max_units", "max_epochs", "init_range", "hidden_layers",
             "initial_units", "grow_where", "init", "split_noise", "patience", "monitor",
             "finish_patience",
             "estimate_samples")


@register_trial(
    "dnc",
    datasets=["xor", "parityN", "encoderN", "symmetryN", "additionN", "two_spirals", *_DIGITS],
    description="Dynamic Node Creation (Ash 1989): grow the hidden layer until the net fits",
    suites={"quick": QUICK, "full": FULL_BOOLEAN + FULL_GROWTH + FULL_DIGITS},
)
def dnc_trial(dataset, seed, *, compare_scratch=False, scratch_budget=5.0, fixed_width=None,
              **params):
    """One Dynamic Node Creation run (or, with ``fixed_width``, one fixed-width
    baseline of the digits width sweep); ``params`` override the preset."""
    preset = _preset_name(dataset)
    cfg = dict(PRESETS[preset])
    unknown = set(params) - set(cfg) - set(_DNC_KEYS) - {"optimizer", "lr"}
    if unknown:
        raise ValueError(f"unknown dnc trial params {sorted(unknown)}")
    cfg.update(params)
    if preset == "digits":
        data = _digits_data(dataset, seed, cfg.get("n_train"))
    else:
        data = load_bench_data(dataset, seed)
    dtype = np.dtype(cfg.get("dtype", "float64"))
    options = {k: cfg[k] for k in _DNC_KEYS if k in cfg}
    optimizer = _make_optimizer(cfg)

    X, y, validation = data.X_train, data.y_train, None
    if preset == "digits":
        X, Xv, y, yv = ds.train_test_split(X, y, test_size=cfg["validation_fraction"],
                                           rng=seed, stratify=True)
        validation = (Xv, yv)
        data.info["dataset_split"] = (f"{data.info.get('dataset_split', '')}; of the training "
                                      f"part {len(X):,} train, {len(Xv):,} validation")
    extra = dict(known_min_units=known_min_units(dataset))

    if fixed_width is not None:
        return _fixed_width_trial(data, X, y, validation, int(fixed_width), cfg, optimizer,
                                  dtype, seed, extra)

    dnc = DynamicNodeCreation(optimizer=optimizer, dtype=dtype, rng=seed, **options)
    dnc.fit(X, y, validation=validation)
    net, hist = dnc.network_, dnc.history_
    reached = dnc.stop_reason_ == "criterion"
    extra.update(
        weight_epochs=dnc.cost_, additions=len(hist.events_of("unit_added")),
        stop_reason=dnc.stop_reason_, widths=[b.width for b in net.blocks[:-1]],
        mean_jump=_mean_jump(hist),
        crossings=int(dnc.cost_) * len(X),
    )
    if extra["known_min_units"] is not None:
        extra["units_over_min"] = net.n_hidden_units - extra["known_min_units"]
    if "dataset_source" in data.info:
        extra["dataset_source"] = data.info["dataset_source"]
    if preset != "digits":
        extra["success"] = reached
    if compare_scratch:
        # The scratch run stops at scratch_budget times DNC's cost: past that
        # the answer (DNC is cheaper) is known, and minimal nets from scratch
        # can take very long or never get there (Ash's remark).
        budget = int(np.ceil(scratch_budget * dnc.cost_ / net.n_weights))
        extra.update(_scratch(net, X, y, cfg, seed, dtype, min(budget, cfg["max_epochs"]),
                              dnc.cost_))
    # accuracies as dnc.score gives them (multi-label targets: whole patterns)
    return trial_result(net, hist, data=data, loss=cfg["loss"], targets=dnc.target_info_,
                        **extra)


def _scratch(grown, X, y, cfg, seed, dtype, max_epochs, dnc_cost):
    """Train the final-size network from new random weights to the same criterion."""
    rng = np.random.default_rng([seed, 7919])  # a stream of its own, not DNC's
    net = _ash_network(grown.node_sizes, cfg, rng, dtype)
    hist = train_to_criterion(net, X, y, loss=cfg["loss"], optimizer=_make_optimizer(cfg),
                              learning_rate=cfg.get("learning_rate", 0.2),
                              momentum=cfg.get("momentum", 0.9), batch_size=cfg["batch_size"],
                              c_a=cfg["c_a"], c_m=cfg["c_m"], max_epochs=max_epochs, rng=rng)
    cost = int(np.sum(hist.column("weights")))
    return dict(scratch_success=hist.stop_reason == "criterion", scratch_epochs=hist.epochs,
                scratch_weight_epochs=cost, cost_ratio=dnc_cost / cost if cost else None)


def _fixed_width_trial(data, X, y, validation, width, cfg, optimizer, dtype, seed, extra):
    """One member of the width sweep: a fixed network, early stopping on validation."""
    rng = np.random.default_rng(seed)
    net = _ash_network([data.n_inputs, width, data.n_outputs], cfg, rng, dtype)
    # Early stopping on the same validation score as DNC's patience, after
    # patience * window epochs without improvement (what DNC allows a size).
    key = cfg.get("monitor", "val_loss")
    best = {"score": np.inf, "params": None, "epoch": 0}

    def stop(epoch, network, history):
        score = history.rows[-1][key] * (1 if key == "val_loss" else -1)
        if score < best["score"]:
            best.update(score=score, params=network.params.copy(), epoch=epoch)
        return epoch - best["epoch"] >= cfg["patience"] * cfg["window"]

    hist = train(net, X, y, loss=cfg["loss"], optimizer=optimizer or Adam(lr=1e-3),
                 epochs=cfg["max_epochs"], batch_size=cfg["batch_size"], validation=validation,
                 callbacks=[stop], rng=rng, progress=False)
    net.params[:] = best["params"]
    cost = int(np.sum(hist.column("weights")))
    extra.update(weight_epochs=cost, stop_reason=hist.stop_reason, widths=[width],
                 best_val_epoch=best["epoch"],
                 crossings=cost * len(X), val_accuracy=evaluate(net, *validation,
                                                                cfg["loss"])["accuracy"])
    if "dataset_source" in data.info:
        extra["dataset_source"] = data.info["dataset_source"]
    return trial_result(net, hist, data=data, loss=cfg["loss"], **extra)
