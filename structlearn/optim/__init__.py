"""Optimizers acting on a :class:`~structlearn.network.Network`'s flat buffers.

Every optimizer updates ``network.params`` from ``network.grads`` with a few
whole-buffer numpy calls, and multiplies its step by ``network.update_mask``
so that masked (pruned) weights stay exactly zero and frozen blocks never move.
State (momenta, previous slopes) is keyed by parameter identity and carried
over when the network's structure changes (:func:`~structlearn.network.carry_over`),
so an algorithm that adds a unit keeps the optimizer's state for the old weights.
"""
from .base import Optimizer, get_optimizer, OPTIMIZERS
from .sgd import SGD
from .adam import Adam
from .quickprop import Quickprop, quickprop_step
from .lbfgs import LBFGS

__all__ = ["Optimizer", "SGD", "Adam", "Quickprop", "quickprop_step", "LBFGS",
           "get_optimizer", "OPTIMIZERS"]
