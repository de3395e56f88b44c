"""Quickprop (Fahlman 1988), as in Fahlman's cascade-correlation code.

Per weight, with slope ``s = dE/dw + decay * w``, previous slope ``p`` and
previous step ``d``:

* if ``d == 0``: ``step = -epsilon * s`` (a plain gradient step);
* otherwise the quadratic (secant) step ``d * s / (p - s)``, capped at
  ``mu * d`` when ``s`` has not shrunk enough relative to ``p`` (the test
  ``s >= mu / (1 + mu) * p`` for ``d < 0``, mirrored for ``d > 0``), plus
  ``-epsilon * s`` while the slope still points the way we were going.

The cap is the "maximum growth factor" mu (1.75 in the 1988 paper, 2.0 in the
cascor code).  Fahlman's C code divides by ``p - s`` unguarded; when
``p == s`` outside the cap's reach we take the capped step ``mu * d`` instead.
"""
import numpy as np

from ..validation import check_number
from .base import OPTIMIZERS, Optimizer

__all__ = ["quickprop_step", "Quickprop"]


def quickprop_step(weights, slopes, prev_steps, prev_slopes, epsilon, mu, decay=0.0):
    """One vectorised quickprop update; returns ``(steps, slopes_with_decay)``.

    Parameters
    ----------
    weights, slopes, prev_steps, prev_slopes : ndarray (same shape)
        Current weights, current dE/dw (to be *decreased*), and the previous
        step and previous slope (both 0 at the start).  To *maximise* a score,
        pass ``slopes = -dScore/dw``.
    epsilon : float or ndarray
        Gradient-step size (may be per weight).
    mu : float
        Maximum growth factor.
    decay : float
        Weight decay, added to the slope as ``decay * w``.

    Returns
    -------
    steps : ndarray
        The change to add to ``weights``.
    slopes : ndarray
        ``slopes + decay * weights``, to store as the next ``prev_slopes``.
    """
    s = slopes + decay * weights if decay else slopes.copy()
    d, p = prev_steps, prev_slopes
    shrink = mu / (1.0 + mu)
    neg, pos = d < 0, d > 0
    # Gradient term: on a fresh start, or while the slope keeps pushing the
    # weight the way the previous step went.
    use_eps = (d == 0) | (neg & (s > 0)) | (pos & (s < 0))
    step = np.where(use_eps, -epsilon * s, 0.0)
    capped = (neg & (s >= shrink * p)) | (pos & (s <= shrink * p))
    denom = p - s
    quad = (neg | pos) & ~capped
    capped |= quad & (denom == 0)  # guard: equal slopes would divide by zero
    quad &= denom != 0
    safe = np.where(quad, denom, 1.0)
    step += np.where(capped, mu * d, 0.0) + np.where(quad, d * s / safe, 0.0)
    return step.astype(weights.dtype, copy=False), s


class Quickprop(Optimizer):
    """Fahlman's quickprop as a network optimizer (normally full batch).

    Parameters
    ----------
    epsilon : float, default 0.35
        Gradient-step size (cascor scales its own by the number of patterns).
    mu : float, default 1.75
        Maximum growth factor (Fahlman 1988; the cascor code uses 2.0).
    decay : float, default 0.0
        Weight decay added to the slopes (cascor: 0 for output and candidates).
    """

    _state_names = ("prev_steps", "prev_slopes")

    def __init__(self, epsilon=0.35, mu=1.75, decay=0.0):
        super().__init__()
        self.epsilon = check_number(epsilon, "epsilon", 0.0, closed="right")
        self.mu = check_number(mu, "mu", 0.0, closed="right")
        self.decay = check_number(decay, "decay", 0.0)

    def _compute_step(self, params, grads):
        step, s = quickprop_step(params, grads, self.state["prev_steps"],
                                 self.state["prev_slopes"], self.epsilon, self.mu, self.decay)
        self.state["prev_slopes"] = s
        self.state["prev_steps"] = step  # the base class masks it in place
        return step


OPTIMIZERS["quickprop"] = Quickprop
