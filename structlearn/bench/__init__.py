"""The comparative benchmark harness: trial registry, suites, runner and reports.

Algorithm modules contribute trials in ``structlearn/bench/<algorithm>_trials.py``
with :func:`~structlearn.bench.registry.register_trial`; the ``structlearn``
command line (:mod:`structlearn.cli`) runs suites of them and writes reports.
"""
from .registry import TRIALS, Trial, get_trial, load_trials, register_trial, trial_result

__all__ = ["TRIALS", "Trial", "get_trial", "load_trials", "register_trial", "trial_result"]
