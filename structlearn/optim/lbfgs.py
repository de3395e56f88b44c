"""L-BFGS through :func:`scipy.optimize.minimize` (method ``L-BFGS-B``)."""
import numpy as np

from ..validation import check_number
from .base import OPTIMIZERS, Optimizer


class LBFGS(Optimizer):
    """Full-batch L-BFGS on the free parameters of a network.

    Masked weights and frozen blocks are not variables of the minimisation at
    all, so they cannot move.  One scipy iteration is one "epoch" of history.

    Parameters
    ----------
    history : int, default 10
        Number of correction pairs kept (scipy's ``maxcor``).
    tol : float, default 1e-9
        Relative tolerance on the loss (scipy's ``ftol``).
    """

    full_batch_solver = True

    def __init__(self, history=10, tol=1e-9):
        super().__init__()
        if int(history) < 1:
            raise ValueError(f"history must be >= 1, got {history}")
        self.history = int(history)
        self.tol = check_number(tol, "tol", 0.0)

    def run(self, network, objective, max_iter, callback=None):
        """Minimise ``objective()`` (which fills ``network.grads`` and returns the
        loss) over the free entries of ``network.params``.

        ``callback(iteration)`` is called after each iteration; if it returns
        True the run stops early.  Returns the scipy ``OptimizeResult``.
        """
        # imported here: scipy.optimize adds about 0.3 s to every process start
        from scipy.optimize import minimize

        free = (np.ones(network.params.size, bool) if network.update_mask is None
                else network.update_mask.astype(bool))

        def fun(x):
            network.params[free] = x
            value = objective()
            return value, network.grads[free].astype(np.float64)

        class _Stop(Exception):
            pass

        count = [0]

        def cb(xk):
            network.params[free] = xk
            count[0] += 1
            self.iterations += 1
            if callback is not None and callback(count[0]):
                raise _Stop

        x0 = network.params[free].astype(np.float64)
        try:
            result = minimize(fun, x0, jac=True, method="L-BFGS-B", callback=cb,
                              options=dict(maxiter=int(max_iter), maxcor=self.history,
                                           ftol=self.tol, gtol=0.0))
            network.params[free] = result.x
        except _Stop:
            result = None
        return result


OPTIMIZERS["lbfgs"] = LBFGS
