"""Training losses with value, gradient and diagonal second derivative.

Every loss here is a mean over patterns: ``L = (1/N) sum_n l(z_n, t_n)``,
where ``z_n`` are the output block's pre-activations and ``t_n`` the targets.
Gradients and second derivatives are taken with respect to ``z`` (the output
pre-activations), which is where back-propagation starts and where the
Optimal Brain Damage recursion (LeCun, Denker & Solla 1990) needs its
boundary condition.

=========================  ===============================  ===================
loss                       l(z, t)                          output activation
=========================  ===============================  ===================
``mse``                    ``1/2 sum_k (f(z_k) - t_k)^2``   any element-wise
``softmax_cross_entropy``  ``-sum_k t_k log softmax(z)_k``  ``softmax``
``sigmoid_cross_entropy``  ``-sum_k t log p + (1-t) log(1-p)``, ``p = sigmoid(z)``  ``sigmoid``
=========================  ===============================  ===================

The ``1/2`` in ``mse`` is the usual one (scikit-learn's ``squared_loss`` and
Fahlman's cascor code use it too), so its gradient is ``(y - t) f'(z)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import Activation, get_activation

__all__ = ["Loss", "LOSSES", "get_loss", "MSE", "SoftmaxCrossEntropy", "SigmoidCrossEntropy"]


@dataclass(frozen=True)
class Loss:
    """Base class: a loss on the output block's pre-activations.

    Subclasses implement ``value``, ``grad`` and ``hess_diag``.  ``y`` is always
    ``f(z)``, the output values the forward pass has already computed.
    """

    name: str = "loss"
    #: output activations this loss is defined for (None: any element-wise one)
    requires_output: tuple[str, ...] | None = None

    def check_output_activation(self, activation: str) -> None:
        """Raise ValueError if the loss cannot be paired with ``activation``."""
        if self.requires_output is not None and activation not in self.requires_output:
            raise ValueError(
                f"loss {self.name!r} needs the output activation to be one of "
                f"{list(self.requires_output)}, got {activation!r}"
            )
        if self.requires_output is None and not get_activation(activation).elementwise:
            raise ValueError(
                f"loss {self.name!r} needs an element-wise output activation, got {activation!r}; "
                "use loss='softmax_cross_entropy' with a softmax output"
            )

    #: the values a target may take (None: any finite value)
    target_range: tuple[float, float] | None = None

    def check_targets(self, T, name="y") -> None:
        """Raise ValueError if the encoded targets ``T`` are outside :attr:`target_range`.

        A cross-entropy trained on a target above 1 or below 0 has no minimum and reports a
        negative loss.
        """
        if self.target_range is None:
            return
        lo, hi = self.target_range
        if np.any(T < lo) or np.any(T > hi):
            raise ValueError(f"{name}: loss {self.name!r} needs targets in [{lo:g}, {hi:g}], got "
                             f"values in [{float(np.min(T)):g}, {float(np.max(T)):g}]")

    def value(self, z, y, t) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def grad(self, z, y, t, act: Activation, out=None):  # pragma: no cover - interface
        raise NotImplementedError

    def hess_diag(self, z, y, t, act: Activation, exact: bool = True):  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class MSE(Loss):
    """Half squared error, mean over patterns, summed over outputs."""

    name: str = "mse"

    def value(self, z, y, t):
        d = y - t
        return 0.5 * float(np.vdot(d, d)) / len(z)

    def grad(self, z, y, t, act, out=None):
        out = np.subtract(y, t, out=out)
        out *= act.df(z, y)
        out *= 1.0 / len(z)
        return out

    def hess_diag(self, z, y, t, act, exact=True):
        """``d2L/dz^2 = (f'(z)^2 + (y - t) f''(z)) / N``; the Gauss-Newton
        (``exact=False``) version drops the second term and is never negative."""
        fp = act.df(z, y)
        h = fp * fp
        if exact:
            h = h + (y - t) * act.d2f(z, y)
        return h / len(z)


@dataclass(frozen=True)
class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of a softmax output against one-hot (or soft) targets.

    The diagonal of the Hessian with respect to ``z`` is ``p_k (1 - p_k)``; the
    off-diagonal ``-p_j p_k`` terms are what OBD's diagonal approximation drops
    (they do not enter the diagonal of the output weights' Hessian at all).
    """

    name: str = "softmax_cross_entropy"
    requires_output: tuple[str, ...] | None = ("softmax",)
    target_range: tuple[float, float] | None = (0.0, 1.0)

    def value(self, z, y, t):
        zmax = z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)) + zmax
        return float(np.vdot(t, log_norm - z)) / len(z)

    def grad(self, z, y, t, act=None, out=None):
        out = np.subtract(y, t, out=out)
        out *= 1.0 / len(z)
        return out

    def hess_diag(self, z, y, t, act=None, exact=True):
        return y * (1.0 - y) / len(z)


@dataclass(frozen=True)
class SigmoidCrossEntropy(Loss):
    """Binary cross-entropy of independent sigmoid outputs."""

    name: str = "sigmoid_cross_entropy"
    requires_output: tuple[str, ...] | None = ("sigmoid",)
    target_range: tuple[float, float] | None = (0.0, 1.0)

    def value(self, z, y, t):
        # log(1 + e^z) - t z, written to stay finite for large |z|.
        return float(np.sum(np.logaddexp(0.0, z) - t * z)) / len(z)

    def grad(self, z, y, t, act=None, out=None):
        out = np.subtract(y, t, out=out)
        out *= 1.0 / len(z)
        return out

    def hess_diag(self, z, y, t, act=None, exact=True):
        return y * (1.0 - y) / len(z)


LOSSES: dict[str, Loss] = {
    loss.name: loss for loss in [MSE(), SoftmaxCrossEntropy(), SigmoidCrossEntropy()]
}


def get_loss(name) -> Loss:
    """Return the registered loss called ``name`` (or pass a Loss through)."""
    if isinstance(name, Loss):
        return name
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(n) for n in sorted(LOSSES))
        if not isinstance(name, str):
            raise TypeError(f"loss: expected one of {valid} or a Loss, got "
                            f"{type(name).__name__} {name!r:.80}") from None
        raise ValueError(f"loss: expected one of {valid}, got {name!r:.80}") from None


def default_loss_for(output_activation: str) -> str:
    """The natural loss for an output activation (used when none is given)."""
    return {"softmax": "softmax_cross_entropy", "sigmoid": "sigmoid_cross_entropy"}.get(
        output_activation, "mse"
    )
