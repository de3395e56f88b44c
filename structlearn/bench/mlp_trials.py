"""Baseline: a fixed-size MLP trained by backpropagation with Adam.

Every structure-learning algorithm is compared against the plain answer "pick
a network size and train it".  The network never changes shape, so this trial
is also the harness's own smoke test: it runs on every benchmark data set.

Defaults per data set (chosen by us, not taken from a paper; measured on this
machine, see ``docs/benchmarks.md``):

* XOR and the Boolean tasks: one tanh hidden layer, full-batch Adam
  (lr 0.05), training stops as soon as every training pattern is classified
  correctly ("solved", the papers' criterion), at most 5,000 epochs (parity8
  with 16 units needs about 2,000).
* two-spirals: 64 tanh hidden units, full-batch Adam (lr 0.05), at most 5,000
  epochs, stopping when solved (it usually is within 1,000-2,500 epochs,
  about a second).
* MNIST-size sets: 784-100-10, ReLU, softmax, Adam (lr 1e-3), minibatches of
  128, float32, a few epochs.
"""
from __future__ import annotations

import numpy as np

from ..network import Network
from ..optim import Adam
from ..train import evaluate, train
from .data import DATASET_PATTERNS, load_bench_data
from .registry import register_trial, trial_result

__all__ = ["mlp_trial"]

_DIGITS = ("mnist", "fashion_mnist", "mnist_small", "fashion_mnist_small")


def _defaults(dataset):
    if dataset in _DIGITS:
        return dict(hidden=[100], activation="relu", lr=1e-3, epochs=5, batch_size=128,
                    dtype="float32")
    if dataset == "two_spirals":
        return dict(hidden=[64], activation="tanh", lr=0.05, epochs=5000, batch_size=None,
                    dtype="float64")
    return dict(hidden=[8], activation="tanh", lr=0.05, epochs=5000, batch_size=None,
                dtype="float64")


@register_trial(
    "mlp",
    datasets=DATASET_PATTERNS,
    description="fixed-size MLP trained by backprop with Adam (baseline)",
    suites={
        "quick": [({"hidden": [4]}, "xor", 5),
                  ({}, "two_spirals", 3)],
        "full": [({"hidden": [4]}, "xor", 20),
                 ({}, "two_spirals", 20),
                 ({"hidden": [8]}, "parity4", 10),
                 ({"hidden": [16]}, "parity8", 10),
                 ({"hidden": [3]}, "encoder8", 10),  # the 8-3-8 encoder
                 ({}, "mnist_small", 3),
                 ({}, "fashion_mnist_small", 3),
                 ({"epochs": 10}, "mnist", 3),
                 ({"epochs": 10}, "fashion_mnist", 3)],
        # a parallel-scaling check: 8 independent trials of about the same cost
        "scaling": [({"epochs": 6000, "stop_when_solved": False}, "two_spirals", 8)],
    },
)
def mlp_trial(dataset, seed, *, hidden=None, activation=None, lr=None, epochs=None,
              batch_size=None, dtype=None, stop_when_solved=True):
    """A fixed-size MLP trained by backprop with Adam (baseline).

    Parameters
    ----------
    dataset : str
    seed : int
        Seeds the initial weights and the minibatch order.
    hidden : int or list of int, optional
        Hidden layer sizes (default per data set, see the module docstring).
    activation : str, optional
        Hidden activation.
    lr : float, optional
        Adam learning rate.
    epochs : int, optional
        Maximum epochs.
    batch_size : int or None
        None for full batch.
    dtype : {"float64", "float32"}, optional
    stop_when_solved : bool, default True
        Stop as soon as every training pattern is classified correctly.
    """
    cfg = _defaults(dataset)
    given = dict(hidden=hidden, activation=activation, lr=lr, epochs=epochs,
                 batch_size=batch_size, dtype=dtype)
    cfg.update({k: v for k, v in given.items() if v is not None})
    hidden_sizes = [cfg["hidden"]] if np.isscalar(cfg["hidden"]) else list(cfg["hidden"])
    data = load_bench_data(dataset, seed)
    rng = np.random.default_rng(seed)
    multi_label = data.n_classes is None
    if data.n_classes is not None and data.n_classes > 2:
        output, loss = "softmax", "softmax_cross_entropy"
    else:
        output, loss = "sigmoid", "sigmoid_cross_entropy"
    net = Network.mlp([data.n_inputs, *hidden_sizes, data.n_outputs], hidden=cfg["activation"],
                      output=output, rng=rng, dtype=np.dtype(cfg["dtype"]))

    def solved(epoch, network, history):
        # the logged accuracy is from before this epoch's step: confirm on the new weights
        if not multi_label and history.rows[-1]["accuracy"] < 1.0:
            return False
        return evaluate(network, data.X_train, data.y_train, loss)["accuracy"] == 1.0

    callbacks = [solved] if stop_when_solved else []
    history = train(net, data.X_train, data.y_train, loss=loss, optimizer=Adam(lr=cfg["lr"]),
                    epochs=cfg["epochs"], batch_size=cfg["batch_size"], callbacks=callbacks,
                    rng=rng, progress=False)
    # trial_result scores with structlearn.evaluate: the decoded class for labels, whole
    # patterns for the multi-output 0/1 targets (encoder, addition)
    extra = {}
    if "dataset_source" in data.info:
        extra["dataset_source"] = data.info["dataset_source"]
    return trial_result(net, history, data=data, loss=loss, **extra)
