"""The optimizer interface and the registry of optimizers by name."""
from __future__ import annotations

import numpy as np

from ..keys import carry_over


__all__ = ["Optimizer", "OPTIMIZERS", "get_optimizer"]


class Optimizer:
    """Base class for step-wise optimizers.

    Subclasses list their per-parameter state in ``_state_names`` and
    implement :meth:`_compute_step`, returning the step to add to the
    parameters.  The base class keeps the state aligned with the network's
    current layout and applies the update mask.
    """

    _state_names: tuple[str, ...] = ()
    #: True for optimizers that run a whole minimisation (L-BFGS), not steps.
    full_batch_solver = False

    def __init__(self):
        self._keys = None
        self._layout = None
        self.state: dict[str, np.ndarray] = {}
        self.iterations = 0

    def _sync_state(self, network):
        """Create the state, or carry it over after a structural edit."""
        layout = (id(network), network.layout_version)
        if layout == self._layout:
            return
        keys = network.param_keys()
        if self._keys is None:
            self.state = {name: np.zeros_like(network.params) for name in self._state_names}
        else:
            self.state = {name: carry_over(self._keys, value, keys).astype(network.dtype)
                          for name, value in self.state.items()}
        self._keys, self._layout = keys, layout

    def step(self, network) -> None:
        """Update ``network.params`` in place from ``network.grads``."""
        self._sync_state(network)
        self.iterations += 1
        self._update(network.params, network.grads, network.update_mask)

    def _update(self, params, grads, mask) -> None:
        """Add ``mask * step`` to ``params`` in place (mask None: no mask)."""
        step = self._compute_step(params, grads)
        if mask is not None:
            step *= mask
        params += step

    def _compute_step(self, params, grads):  # pragma: no cover - interface
        raise NotImplementedError

    def reset(self):
        """Forget all state (as if newly constructed)."""
        self.__init__(**self.get_params())

    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and k not in ("state", "iterations")}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


OPTIMIZERS: dict[str, type] = {}


def get_optimizer(optimizer, **kwargs) -> Optimizer:
    """An optimizer instance from a name ('sgd', 'adam', 'quickprop', 'lbfgs') or instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    try:
        cls = OPTIMIZERS[optimizer]
    except (KeyError, TypeError):
        raise ValueError(f"optimizer: expected one of {sorted(OPTIMIZERS)} or an Optimizer, "
                         f"got {optimizer!r}") from None
    return cls(**kwargs)
