"""Cascade-Correlation (Fahlman & Lebiere 1990) with quickprop, and the
sibling/descendant candidate pool (Baluja & Fahlman 1994).

* :class:`CascadeCorrelation` -- the estimator (the :mod:`structlearn.estimator` contract:
  ``fit(X, y, *, network=None, validation=None)``, ``predict``, ``decision_function``, ...;
  and ``fit_trials``).
* :mod:`.policy` -- the algorithm for one trial: output phase, candidate phase, install, stop.
* :mod:`.steps` -- the pure step functions it relies on (errors, score and slope, quickprop,
  patience), on arrays with a leading trial axis.
* :mod:`.kinds` -- candidate kinds (a registry) and the candidate pool.
* :mod:`.executor` -- :class:`Executor`, one trial or many advanced together epoch by epoch.
* :mod:`.recurrent` -- Recurrent Cascade-Correlation (Fahlman 1991): the self-recurrent
  candidate kind and :class:`RecurrentCascadeCorrelation` on sequences.
"""
from .config import RunConfig, TrialResult
from .estimator import CascadeCorrelation
from . import accel
from .executor import Executor
from .kinds import KINDS, CandidateKind, CandidatePool, UnitKind, get_kind, register_kind
from .recurrent import RecurrentCascadeCorrelation, RecurrentKind

#: the executor's former name
BatchRunner = Executor

__all__ = ["CascadeCorrelation", "CandidatePool", "CandidateKind", "UnitKind", "KINDS",
           "register_kind", "get_kind", "Executor", "BatchRunner", "RunConfig", "TrialResult",
           "RecurrentCascadeCorrelation", "RecurrentKind"]
