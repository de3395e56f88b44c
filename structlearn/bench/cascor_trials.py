"""Benchmark trials: Cascade-Correlation, plain (``cascor``) and sibling/descendant
(``cascor_sdcc``).

Settings are Fahlman's C code defaults (cascor v1.1; see
:class:`~structlearn.cascor.CascadeCorrelation`), except where a data set
needs otherwise:

* Boolean tasks and two-spirals: float64, at most 50 hidden units (the
  reference runs of ``anchors.md``), "solved" = every training output within
  0.4 of its +-0.5 target (the code's victory test).
* MNIST-size sets: float32, at most 15 hidden units (victory on 6,000 images
  never happens, so the unit budget is the stop; an epoch costs about 170
  million multiply-adds, a run about 5 minutes on these machines), and the test
  accuracy after every installed unit is recorded (``test_accuracy_by_units``:
  ``[units, weights, accuracy]``).  For
  comparison the row also holds an MLP (784-h-10, ReLU, softmax, Adam) whose
  number of weights is as close as possible to the grown network's
  (``mlp_*`` columns).

Each trial returns ``(row, history, network)``.  The row adds, to the standard
columns: ``crossings_forward``, ``stop_reason``, ``pool_type``, and for the
digits the accuracy curve and the MLP comparison.
"""
from __future__ import annotations

import numpy as np

from ..cascor import CascadeCorrelation
from .data import load_bench_data
from .registry import register_trial, trial_result

__all__ = ["cascor_trial", "cascor_sdcc_trial"]

_DIGITS = ("mnist", "fashion_mnist", "mnist_small", "fashion_mnist_small")
_DATASETS = ["xor", "parityN", "encoderN", "symmetryN", "additionN", "two_spirals", *_DIGITS]


def _suites(quick_seeds=3):
    """The suites shared by both variants (their costs are about the same)."""
    return {
        "quick": [({}, "xor", 3), ({}, "two_spirals", quick_seeds)],
        "full": [({}, "xor", 20),
                 *[({}, f"parity{n}", 10) for n in range(2, 9)],
                 ({}, "two_spirals", 100),
                 # the digits: every digit data set, the same seeds (see docs/results.md)
                 ({}, "mnist_small", 3),
                 ({}, "fashion_mnist_small", 3)],
    }


def _run(dataset, seed, pool_type, *, max_hidden_units=None, dtype=None, compare_mlp=True,
         mlp_epochs=5, **params):
    data = load_bench_data(dataset, seed)
    digits = dataset in _DIGITS
    if max_hidden_units is None:
        max_hidden_units = 15 if digits else 50
    if dtype is None:
        dtype = "float32" if digits else "float64"
    model = CascadeCorrelation(pool_type=pool_type, max_hidden_units=max_hidden_units,
                               dtype=dtype, history="phase", snapshots=digits, rng=seed, **params)
    model.fit(data.X_train, data.y_train)
    net = model.network_
    extra = dict(crossings_forward=model.crossings_forward_, stop_reason=model.stop_reason_,
                 pool_type=pool_type, victory=model.success_)
    if digits:
        extra.update(_digits_extras(model, data, seed, compare_mlp, mlp_epochs))
    # accuracies: trial_result scores the network with the estimator's own targets (the
    # decoded class; whole patterns for 0/1 target matrices), the number model.score gives
    row, history = trial_result(net, model.history_, data=data, targets=model.target_info_,
                                crossings=model.crossings_, **extra)
    return row, history, net


def _digits_extras(model, data, seed, compare_mlp, mlp_epochs):
    """Test accuracy after every installed unit, and an MLP with as many weights."""
    from ..train import evaluate

    out = {}
    curve = []
    for units, snap in model.snapshots_:
        # a snapshot's outputs, decoded and scored as the estimator's own (target_info_)
        acc = evaluate(snap, data.X_test, data.y_test, targets=model.target_info_)["accuracy"]
        curve.append([int(units), int(snap.n_weights), float(acc)])
    out["test_accuracy_by_units"] = curve
    if compare_mlp:
        from ..network import Network
        from ..optim import Adam
        from ..train import train

        n_in, n_out = data.n_inputs, data.n_outputs
        target = model.network_.n_weights
        hidden = max(1, int(round((target - n_out) / (n_in + 1 + n_out))))
        rng = np.random.default_rng(seed)
        mlp = Network.mlp([n_in, hidden, n_out], hidden="relu", output="softmax", rng=rng,
                          dtype=np.float32)
        train(mlp, data.X_train, data.y_train, loss="softmax_cross_entropy",
              optimizer=Adam(lr=1e-3), epochs=mlp_epochs, batch_size=128, rng=rng,
              progress=False)
        out.update(mlp_hidden=hidden, mlp_weights=int(mlp.n_weights),
                   mlp_test_accuracy=float(np.mean(mlp.predict_classes(data.X_test)
                                                   == data.y_test)))
    return out


@register_trial("cascor", datasets=_DATASETS, suites=_suites(),
                description="Cascade-Correlation (Fahlman & Lebiere 1990), quickprop, pool of 8")
def cascor_trial(dataset, seed, **params):
    """Cascade-Correlation with Fahlman's C-code defaults.

    ``params`` are :class:`~structlearn.cascor.CascadeCorrelation` parameters,
    plus ``compare_mlp`` and ``mlp_epochs`` for the digit data sets.
    """
    return _run(dataset, seed, "cascade", **params)


@register_trial("cascor_sdcc", datasets=_DATASETS, suites=_suites(),
                description="Cascade-Correlation with the sibling/descendant pool "
                            "(Baluja & Fahlman 1994)")
def cascor_sdcc_trial(dataset, seed, **params):
    """Sibling/descendant Cascade-Correlation (half siblings, descendant penalty 0.8)."""
    return _run(dataset, seed, "sibling_descendant", **params)
