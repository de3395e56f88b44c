"""Stochastic gradient descent with (optionally Nesterov) momentum."""
import numpy as np

from .base import OPTIMIZERS, Optimizer, _check_float


class SGD(Optimizer):
    """``v <- momentum v - lr g``; ``w <- w + v`` (or the Nesterov form).

    Parameters
    ----------
    lr : float, default 0.01
    momentum : float in [0, 1), default 0.9
    nesterov : bool, default False
    """

    _state_names = ("velocity",)

    def __init__(self, lr=0.01, momentum=0.9, nesterov=False):
        super().__init__()
        self.lr = _check_float(lr, "lr", low_open=True)
        self.momentum = _check_float(momentum, "momentum", 0.0, 0.999999)
        self.nesterov = bool(nesterov)

    def _compute_step(self, params, grads):
        v = self.state["velocity"]
        v *= self.momentum
        v -= self.lr * grads
        if self.nesterov:
            return self.momentum * v - self.lr * grads
        return v.copy()


OPTIMIZERS["sgd"] = SGD
