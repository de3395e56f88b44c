"""Cascade-Correlation (Fahlman & Lebiere 1990) with quickprop, and the
sibling/descendant candidate pool (Baluja & Fahlman 1994).

* :class:`CascadeCorrelation` -- the estimator (the :mod:`structlearn.estimator` contract:
  ``fit(X, y, *, network=None, validation=None)``, ``predict``, ``decision_function``, ...;
  and ``fit_trials``).
* :mod:`.core` -- the arithmetic of both phases on arrays with a leading trial axis.
* :mod:`.pool` -- the candidate pool (activations, sibling/descendant kinds).
* :mod:`.runner` -- :class:`BatchRunner`, many independent trials advanced together.
"""
from .estimator import CascadeCorrelation
from .pool import CandidatePool
from .runner import BatchRunner, RunConfig, TrialResult

__all__ = ["CascadeCorrelation", "CandidatePool", "BatchRunner", "RunConfig", "TrialResult"]
