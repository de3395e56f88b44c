"""Net2Net (Chen, Goodfellow & Shlens 2016): function-preserving growth and
the warm-started architecture search it enables.

* :func:`wider`: Net2WiderNet (random replication mapping, section 2.2).
* :func:`deeper`: Net2DeeperNet (identity block, section 2.3) and two exact
  alternatives for activations with f(f(x)) != f(x).
* :class:`Net2NetSearch`: train a small teacher (or take a trained MLP given
  as ``fit(X, y, network=teacher)``), grow a grid of students from it, and
  compare against the same grid from scratch, random padding and the teacher
  training on.  An estimator like every algorithm here: its fitted model
  (``network_``, ``predict``, ``score``) is the best Net2Net student.
"""
from .ops import NotFunctionPreservingError, deeper, wider, widen_to

__all__ = ["wider", "deeper", "widen_to", "NotFunctionPreservingError"]
from .search import Net2NetSearch, arch_name, grow, summarise  # noqa: E402

__all__ += ["Net2NetSearch", "grow", "arch_name", "summarise"]
