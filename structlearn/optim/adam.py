"""Adam (Kingma & Ba 2015, Algorithm 1)."""
import numpy as np

from ..validation import check_number
from .base import OPTIMIZERS, Optimizer


class Adam(Optimizer):
    """Adam with bias correction folded into the step size, as in the paper's
    section 2 ("efficiency" remark): ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``
    and ``eps_hat = eps sqrt(1 - b2^t)``.

    The update is a dozen in-place numpy passes over the flat parameter
    buffer and allocates nothing.  (BLAS ``axpy`` through scipy would save a
    few passes, but scipy ships its own OpenBLAS thread pool; alternating it
    with numpy's pool made whole epochs many times slower on a busy machine.)

    Parameters
    ----------
    lr : float, default 1e-3
    beta1, beta2 : float, default 0.9, 0.999
    eps : float, default 1e-8
    """

    _state_names = ("m", "v")

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__()
        self.lr = check_number(lr, "lr", 0.0, closed="right")
        self.beta1 = check_number(beta1, "beta1", 0.0, 0.999999)
        self.beta2 = check_number(beta2, "beta2", 0.0, 0.999999999)
        self.eps = check_number(eps, "eps", 0.0, closed="right")
        self._tmp = None

    def _update(self, params, grads, mask):
        m, v = self.state["m"], self.state["v"]
        if self._tmp is None or self._tmp.shape != params.shape or self._tmp.dtype != params.dtype:
            self._tmp = np.empty_like(params)
        tmp = self._tmp
        t = self.iterations
        np.subtract(grads, m, out=tmp)           # m += (1 - b1) (g - m)
        tmp *= 1.0 - self.beta1
        m += tmp
        np.multiply(grads, grads, out=tmp)       # v += (1 - b2) (g^2 - v)
        tmp -= v
        tmp *= 1.0 - self.beta2
        v += tmp
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        eps_hat = self.eps * np.sqrt(1.0 - self.beta2 ** t)
        np.sqrt(v, out=tmp)
        tmp += eps_hat
        np.divide(m, tmp, out=tmp)
        tmp *= -lr_t
        if mask is not None:
            tmp *= mask
        params += tmp


OPTIMIZERS["adam"] = Adam
