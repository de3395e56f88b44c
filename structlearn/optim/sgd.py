"""Stochastic gradient descent with (optionally Nesterov) momentum."""
from ..validation import check_number
from .base import OPTIMIZERS, Optimizer


class SGD(Optimizer):
    """``v <- momentum v - lr g``; ``w <- w + v`` (Nesterov: ``w <- w + momentum v - lr g``).

    Parameters
    ----------
    lr : float, default 0.01
    momentum : float in [0, 1), default 0.9
    nesterov : bool, default False
    """

    _state_names = ("velocity",)

    def __init__(self, lr=0.01, momentum=0.9, nesterov=False):
        super().__init__()
        self.lr = check_number(lr, "lr", 0.0, closed="right")
        self.momentum = check_number(momentum, "momentum", 0.0, 0.999999)
        self.nesterov = bool(nesterov)

    def _update(self, params, grads, mask):
        v = self.state["velocity"]
        v *= self.momentum
        v -= self.lr * grads
        if mask is not None:
            v *= mask  # masked and frozen entries never build up velocity
        if self.nesterov:
            g = grads if mask is None else grads * mask
            params += self.momentum * v - self.lr * g
        else:
            params += v


OPTIMIZERS["sgd"] = SGD
