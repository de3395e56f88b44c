"""Activation functions with their first and second derivatives.

Each activation is a small record of pure functions, in the spirit of
scikit-learn's ``neural_network/_base.py``.  Derivatives take both the
pre-activation ``a`` and the value ``y = f(a)``, because for most units the
derivative is cheapest written in terms of ``y`` (for example
``sigmoid'(a) = y (1 - y)``), and the forward pass has ``y`` cached anyway.

``softmax`` is an output-only activation: it couples the units of a block, so
it has no element-wise derivative here; the softmax cross-entropy loss works
directly on the pre-activations instead (see :mod:`structlearn.losses`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Activation", "ACTIVATIONS", "get_activation"]


@dataclass(frozen=True)
class Activation:
    """An element-wise activation function.

    Attributes
    ----------
    name : str
        Registry name.
    f : callable
        ``f(a, out=None) -> y``.
    df : callable
        ``df(a, y, out=None) -> f'(a)`` (``out``: an array to write into, as
        for ``f``; hot loops use it to avoid allocating).
    d2f : callable
        ``d2f(a, y) -> f''(a)``.
    idempotent : bool
        True when ``f(f(x)) == f(x)`` for every ``x`` (ReLU, linear), which is
        what Net2DeeperNet needs for an exact identity block.
    elementwise : bool
        False for softmax, which couples the units of a block (output only).
    range : (float, float)
        The values ``f`` can take (``-inf``/``inf`` for unbounded sides).
    label_values : (float, float)
        The target values that stand for "off" and "on" (a class absent or
        present) when class labels are encoded for this output
        (:mod:`structlearn.targets`): the ends of a bounded range, 0 and 1
        otherwise. Their midpoint is where a single output's decision flips.
    """

    name: str
    f: Callable
    df: Callable
    d2f: Callable
    idempotent: bool = False
    elementwise: bool = True
    range: tuple = (-np.inf, np.inf)
    label_values: tuple = (0.0, 1.0)

    @property
    def midpoint(self) -> float:
        """Decision threshold of one output: the mean of :attr:`label_values`."""
        return 0.5 * (self.label_values[0] + self.label_values[1])

    @property
    def bounded(self) -> bool:
        return bool(np.all(np.isfinite(self.range)))


def expit(a, out=None):
    """:func:`scipy.special.expit`, imported at its first use: importing ``scipy.special``
    adds about 0.15 s to the start of every process, and most never need it."""
    from scipy.special import expit as scipy_expit
    return scipy_expit(a, out=out)


def _sigmoid(a, out=None):
    return expit(a, out=out)


def _sigmoid_df(a, y, out=None):
    out = np.subtract(1.0, y, out=out)
    return np.multiply(y, out, out=out)


def _sigmoid_d2f(a, y):
    return y * (1.0 - y) * (1.0 - 2.0 * y)


def _symmetric_sigmoid(a, out=None):
    # Fahlman's cascor code: logistic shifted to the range -0.5..+0.5, written
    # as 0.5 - 1 / (1 + e^a): numpy's vectorised exp makes this 2-3x faster
    # than expit (it is cascor's hot loop).  e^a overflows to inf for large a,
    # which gives exactly +0.5.
    with np.errstate(over="ignore"):
        out = np.exp(a, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return np.subtract(0.5, out, out=out)


def _symmetric_sigmoid_df(a, y, out=None):
    out = np.multiply(y, y, out=out)
    return np.subtract(0.25, out, out=out)


def _symmetric_sigmoid_d2f(a, y):
    return -2.0 * y * (0.25 - y * y)


def _tanh(a, out=None):
    return np.tanh(a, out=out)


def _tanh_df(a, y, out=None):
    out = np.multiply(y, y, out=out)
    return np.subtract(1.0, out, out=out)


def _tanh_d2f(a, y):
    return -2.0 * y * (1.0 - y * y)


def _relu(a, out=None):
    return np.maximum(a, 0, out=out)


def _relu_df(a, y, out=None):
    # f'(0) is taken as 0, the usual sub-gradient choice.
    if out is None:
        return (a > 0).astype(a.dtype)
    np.copyto(out, a > 0)
    return out


def _zeros(a, y):
    return np.zeros_like(a)


def _softplus(a, out=None):
    return np.logaddexp(0, a, out=out)


def _softplus_df(a, y, out=None):
    return expit(a, out=out)


def _softplus_d2f(a, y):
    s = expit(a)
    return s * (1.0 - s)


def _gaussian(a, out=None):
    # exp(-a^2 / 2), the Gaussian unit of Fahlman's cascor code.
    out = np.multiply(a, a, out=out)
    out *= -0.5
    return np.exp(out, out=out)


def _gaussian_df(a, y, out=None):
    out = np.multiply(a, y, out=out)
    return np.negative(out, out=out)


def _gaussian_d2f(a, y):
    return (a * a - 1.0) * y


def _linear(a, out=None):
    if out is None:
        return a.copy()
    out[...] = a
    return out


def _ones(a, y, out=None):
    if out is None:
        return np.ones_like(a)
    out[...] = 1.0
    return out


def _softmax(a, out=None):
    out = np.subtract(a, a.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def _no_elementwise_derivative(a, y, out=None):
    raise ValueError(
        "softmax couples the units of a block and has no element-wise derivative; "
        "use it only on the output block with loss='softmax_cross_entropy'"
    )


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in [
        Activation("sigmoid", _sigmoid, _sigmoid_df, _sigmoid_d2f,
                   range=(0.0, 1.0), label_values=(0.0, 1.0)),
        Activation("symmetric_sigmoid", _symmetric_sigmoid, _symmetric_sigmoid_df,
                   _symmetric_sigmoid_d2f, range=(-0.5, 0.5), label_values=(-0.5, 0.5)),
        Activation("tanh", _tanh, _tanh_df, _tanh_d2f, range=(-1.0, 1.0),
                   label_values=(-1.0, 1.0)),
        Activation("relu", _relu, _relu_df, _zeros, idempotent=True, range=(0.0, np.inf)),
        Activation("softplus", _softplus, _softplus_df, _softplus_d2f, range=(0.0, np.inf)),
        Activation("gaussian", _gaussian, _gaussian_df, _gaussian_d2f, range=(0.0, 1.0),
                   label_values=(0.0, 1.0)),
        Activation("linear", _linear, _ones, _zeros, idempotent=True),
        Activation("softmax", _softmax, _no_elementwise_derivative, _no_elementwise_derivative,
                   elementwise=False, range=(0.0, 1.0), label_values=(0.0, 1.0)),
    ]
}


def get_activation(name: str) -> Activation:
    """Return the registered activation called ``name`` (or pass an Activation through)."""
    if isinstance(name, Activation):
        return name
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(n) for n in sorted(ACTIVATIONS))
        if not isinstance(name, str):
            raise TypeError(f"activation: expected one of {valid} or an Activation, got "
                            f"{type(name).__name__} {name!r:.80}") from None
        raise ValueError(f"activation: expected one of {valid}, got {name!r:.80}") from None
