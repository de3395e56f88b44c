"""Pruning trials: Optimal Brain Damage, Optimal Brain Surgeon, magnitude and random baselines.

Four trials with the same schedule (:class:`~structlearn.obd.OptimalBrainDamage`
with ``criterion`` = ``"obd"``, ``"obs"``, ``"magnitude"``, ``"random"``), so their rows
compare directly: train an MLP, then delete ``prune_fraction`` of the
remaining weights per round, retraining after each, until ``target_fraction``
is left.  Each row reports the network before pruning (``unpruned_*``) and
after (the standard columns), the compression and the predicted and actual loss
increases.

Defaults per data set (ours, measured on this machine; see ``docs/obd.md``):

* XOR: 2-4-1 tanh/sigmoid, full-batch Adam (lr 0.05), 500 epochs, pruned to
  60% of its weights (8 of 12) with 200 retraining epochs per round.
* two-spirals: 2-20-20-1 tanh/sigmoid, full-batch Adam (lr 0.02), 2,500
  epochs, pruned to 35% with 200 retraining epochs per round (Adam lr 0.01).
* MNIST-size sets: LeNet-300-100 (784-300-100-10, ReLU, softmax), float32,
  Adam (lr 1e-3), minibatches of 128, 20 epochs; pruned 12x (Han et al.
  2015's size for this network), 10% of the remaining weights per round with
  1 retraining epoch after each (24 rounds) and 5 final epochs.  About 50
  epochs over 60,000 images in all: the ``full`` suite's slowest trial.
  ``mnist`` is MNIST (a clear error without its files: ``--data-dir mnist=PATH``).

``network="cascor"`` prunes the network cascade-correlation grows instead of
an MLP (its frozen hidden units are unfrozen and retrained: ``frozen="unfreeze"``).

The ``obs`` trial (Hassibi & Stork 1993, exact Hessian by default) runs in the suites
where ``obd`` runs except on the MNIST-size sets: LeNet-300-100's 266,200 weights fit
neither the full Hessian nor the unit-wise one (its first layer's 300 units of 785 inputs).
"""
from __future__ import annotations

import numpy as np

from ..history import History
from ..network import Network
from ..obd import OptimalBrainDamage
from ..optim import Adam
from ..train import train
from .data import load_bench_data
from .registry import register_trial, trial_result

__all__ = ["pruning_trial"]

_DIGITS = ("mnist", "fashion_mnist", "mnist_small", "fashion_mnist_small")
_DATASETS = ("xor", "two_spirals") + _DIGITS


def _defaults(dataset):
    if dataset in _DIGITS:
        return dict(hidden=[300, 100], activation="relu", lr=1e-3, epochs=20, batch_size=128,
                    dtype="float32", retrain_epochs=1, final_epochs=5, target_fraction=1 / 12,
                    prune_fraction=0.1, retrain_lr=1e-3)
    if dataset == "two_spirals":
        return dict(hidden=[20, 20], activation="tanh", lr=0.02, epochs=2500, batch_size=None,
                    dtype="float64", retrain_epochs=200, final_epochs=0, target_fraction=0.35,
                    prune_fraction=0.2, retrain_lr=0.01)
    return dict(hidden=[4], activation="tanh", lr=0.05, epochs=500, batch_size=None,
                dtype="float64", retrain_epochs=200, final_epochs=0, target_fraction=0.6,
                prune_fraction=0.2, retrain_lr=0.05)


def _grow_cascor(data, seed):
    """The network cascade-correlation grows on ``data`` (max 50 units)."""
    from ..cascor import CascadeCorrelation

    cc = CascadeCorrelation(max_hidden_units=50, rng=seed).fit(data.X_train, data.y_train)
    return cc.network_


def pruning_trial(criterion, dataset, seed, *, hidden=None, activation=None, lr=None,
                  epochs=None, batch_size=None, dtype=None, retrain_epochs=None,
                  final_epochs=None, target_fraction=None, prune_fraction=None,
                  retrain_lr=None, hessian=None, ranking="global", network="mlp",
                  frozen=None, tolerance=None, obs_blocks="full"):
    """Train, then prune with ``criterion`` and retrain; one result row.

    Parameters
    ----------
    criterion : {"obd", "obs", "magnitude", "random"}
        (``"obs"`` needs a network of at most 4,096 weights, or ``obs_blocks``: not the
        MNIST sets.)
    dataset : str
    seed : int
    hidden, activation, lr, epochs, batch_size, dtype
        The MLP and its initial training (defaults per data set, module docstring).
    retrain_epochs, final_epochs, target_fraction, prune_fraction, retrain_lr
        The pruning schedule.
    hessian : {"lm", "full", "exact"}, optional
        Default ``"lm"`` for ``"obd"``, ``"exact"`` for ``"obs"`` (``"exact"``: small
        networks only; for ``"obs"`` see :class:`~structlearn.obd.OptimalBrainDamage`).
    ranking : {"global", "per_block"}
    network : {"mlp", "cascor"}
        Prune an MLP, or the network cascade-correlation grows (two-spirals).
    frozen : {"keep", "prune", "unfreeze"}, optional
        What to do with frozen blocks (default "unfreeze" for a cascor network).
    tolerance : float, optional
        Stop pruning (and go back one round) when the training error rate
        exceeds the unpruned network's by more than this.
    obs_blocks : {"full", "layer", "unit"}
        OBS only: the whole Hessian or a block-diagonal one (:mod:`structlearn.obs`).
    """
    cfg = _defaults(dataset)
    given = dict(hidden=hidden, activation=activation, lr=lr, epochs=epochs,
                 batch_size=batch_size, dtype=dtype, retrain_epochs=retrain_epochs,
                 final_epochs=final_epochs, target_fraction=target_fraction,
                 prune_fraction=prune_fraction, retrain_lr=retrain_lr)
    cfg.update({k: v for k, v in given.items() if v is not None})
    data = load_bench_data(dataset, seed)
    rng = np.random.default_rng(seed)
    if data.n_classes is not None and data.n_classes > 2:
        output, loss = "softmax", "softmax_cross_entropy"
    else:
        output, loss = "sigmoid", "sigmoid_cross_entropy"
    if network == "cascor":
        net = _grow_cascor(data, seed)
        loss = "mse"
        frozen = frozen or "unfreeze"
        history = History()
    elif network == "mlp":
        sizes = [cfg["hidden"]] if np.isscalar(cfg["hidden"]) else list(cfg["hidden"])
        net = Network.mlp([data.n_inputs, *sizes, data.n_outputs], hidden=cfg["activation"],
                          output=output, rng=rng, dtype=np.dtype(cfg["dtype"]))
        history = train(net, data.X_train, data.y_train, loss=loss,
                        optimizer=Adam(lr=cfg["lr"]), epochs=cfg["epochs"],
                        batch_size=cfg["batch_size"], rng=rng, progress=False)
    else:
        raise ValueError(f"network must be 'mlp' or 'cascor', got {network!r}")
    before = {f"unpruned_{k}": v for k, v in trial_result(net, History(), data=data,
                                                            loss=loss)[0].items()
              if k in ("train_accuracy", "test_accuracy", "hidden_units", "weights",
                       "active_weights")}
    m = OptimalBrainDamage(criterion=criterion, target_fraction=cfg["target_fraction"],
                           prune_fraction=cfg["prune_fraction"],
                           retrain_epochs=cfg["retrain_epochs"], final_epochs=cfg["final_epochs"],
                           hessian=hessian, ranking=ranking, frozen=frozen or "keep",
                           obs_blocks=obs_blocks,
                           tolerance=tolerance, loss=loss,
                           optimizer=Adam(lr=cfg["retrain_lr"]), batch_size=cfg["batch_size"],
                           rng=rng).fit(data.X_train, data.y_train, network=net)
    h = history.extend(m.history_, epoch_offset=history.epochs)
    events = h.events_of("weights_pruned")
    left = m.weights_left_
    extra = dict(criterion=criterion, grown_by=network, rounds=m.n_rounds_,
                 weights_left=left, initial_weights=m.initial_weights_,
                 compression=m.initial_weights_ / max(1, left),
                 predicted_increase=float(sum(e["predicted_increase"] for e in events)),
                 actual_increase=float(sum(e["actual_increase"] for e in events)), **before)
    if "dataset_source" in data.info:
        extra["dataset_source"] = data.info["dataset_source"]
    return trial_result(m.network_, h, data=data, loss=loss, **extra)


_SUITES = {
    "quick": [({}, "xor", 2), ({}, "two_spirals", 1)],
    "full": [({}, "xor", 10), ({}, "two_spirals", 5), ({"network": "cascor"}, "two_spirals", 5),
             ({}, "mnist", 3), ({}, "fashion_mnist", 3)],
}


@register_trial("obd", datasets=_DATASETS, suites=_SUITES,
                description="Optimal Brain Damage pruning with retraining (LeCun et al. 1990)")
def obd_trial(dataset, seed, **params):
    """Optimal Brain Damage: prune by saliency h w^2 / 2, retrain, repeat."""
    return pruning_trial("obd", dataset, seed, **params)


#: OBS where its Hessian fits: every suite of obd but the MNIST-size trial
_OBS_SUITES = {name: [t for t in trials if t[1] not in _DIGITS] for name, trials in _SUITES.items()}


@register_trial("obs", datasets=("xor", "two_spirals"), suites=_OBS_SUITES,
                description="Optimal Brain Surgeon pruning with retraining (Hassibi & Stork 1993)")
def obs_trial(dataset, seed, **params):
    """Optimal Brain Surgeon: prune by w^2 / (2 [H^-1]_qq) with the compensating update."""
    return pruning_trial("obs", dataset, seed, **params)


@register_trial("magnitude_pruning", datasets=_DATASETS, suites=_SUITES,
                description="magnitude pruning with retraining, OBD's schedule (baseline)")
def magnitude_trial(dataset, seed, **params):
    """Magnitude pruning (smallest |w| first) on OBD's schedule."""
    return pruning_trial("magnitude", dataset, seed, **params)


@register_trial("random_pruning", datasets=_DATASETS, suites=_SUITES,
                description="random pruning with retraining, OBD's schedule (baseline)")
def random_trial(dataset, seed, **params):
    """Random pruning on OBD's schedule (the floor any criterion must beat)."""
    return pruning_trial("random", dataset, seed, **params)
