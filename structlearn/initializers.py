"""Weight initialisers, in one registry the network builders take.

An initialiser is ``init(rng, fan_in, fan_out, activation, shape) -> ndarray``. Names:

=============  ==========================================================================
``glorot``     uniform in ``+-sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010), times 4
               for a logistic sigmoid (their recommendation); the default for tanh/sigmoid
``he``         uniform in ``+-sqrt(6 / fan_in)`` (He et al. 2015), for rectifiers
``auto``       ``he`` for ReLU and softplus, ``glorot`` otherwise (what ``Network.mlp`` uses)
``ash``        uniform in ``+-0.1666`` (Ash 1989's initial range for DNC)
``fahlman``    uniform in ``+-1.0`` (Fahlman's cascor code, ``WeightRange``)
=============  ==========================================================================

``uniform(r)`` makes a fixed-range initialiser for any other ``r``.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["glorot_bound", "uniform", "get_initializer", "INITIALIZERS"]


def glorot_bound(fan_in, fan_out, activation):
    """Half-width of the Glorot-uniform (He-uniform for ReLU/softplus) draw."""
    if activation in ("relu", "softplus"):
        return float(np.sqrt(6.0 / fan_in))
    bound = float(np.sqrt(6.0 / (fan_in + fan_out)))
    return bound * 4.0 if activation == "sigmoid" else bound


def _glorot(rng, fan_in, fan_out, activation, shape):
    bound = float(np.sqrt(6.0 / (fan_in + fan_out)))
    bound *= 4.0 if activation == "sigmoid" else 1.0
    return rng.uniform(-bound, bound, shape)


def _he(rng, fan_in, fan_out, activation, shape):
    bound = float(np.sqrt(6.0 / fan_in))
    return rng.uniform(-bound, bound, shape)


def _auto(rng, fan_in, fan_out, activation, shape):
    bound = glorot_bound(fan_in, fan_out, activation)
    return rng.uniform(-bound, bound, shape)


class uniform:  # noqa: N801 - reads as a function: uniform(0.5)
    """Uniform in ``[-r, r]`` whatever the fan-in (Ash: 0.1666; Fahlman: 1.0)."""

    def __init__(self, r):
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0 < r < np.inf:
            raise ValueError(f"r: expected a finite number > 0, got {r!r}")
        self.r = float(r)

    def __call__(self, rng, fan_in, fan_out, activation, shape):
        return rng.uniform(-self.r, self.r, shape)

    def __repr__(self):
        return f"uniform({self.r})"


INITIALIZERS = {"glorot": _glorot, "he": _he, "auto": _auto, "ash": uniform(0.1666),
                "fahlman": uniform(1.0)}


def get_initializer(init):
    """The initialiser called ``init`` (a registry name), or ``init`` itself if it is callable."""
    if callable(init):
        return init
    try:
        return INITIALIZERS[init]
    except (KeyError, TypeError):
        raise ValueError(f"init: expected one of {sorted(INITIALIZERS)} or a callable "
                         f"init(rng, fan_in, fan_out, activation, shape), got {init!r}") from None
