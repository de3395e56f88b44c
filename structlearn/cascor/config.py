"""Settings and results of cascade-correlation runs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..history import History
from ..network import Network
from .kinds import CandidatePool

__all__ = ["RunConfig", "TrialResult", "PRESETS"]

#: The parameters a preset sets (``CascadeCorrelation(preset=...)``); any of them given
#: explicitly overrides the preset.
#:
#: ``"c_code"``: Fahlman's C code, cascor v1.1 (M. White 1994), whose defaults its authors tuned
#: for two-spirals; the reference figures of ``anchors.md`` were made with them.
#:
#: ``"paper"``: the settings of Fahlman's Lisp code (``cascor1.lisp``, the defaults of its
#: ``defvar``s: ``*output-epsilon*`` 0.35, ``*input-epsilon*`` 1.0, ``*output-patience*`` and
#: ``*input-patience*`` 8, ``*output-decay*`` 0.0001; its ``adjust-correlations`` subtracts
#: ``sum(V) * mean(E)``, the true covariance) with the Gaussian hidden units with which the
#: paper made its N-parity table (CMU-CS-90-100, section 3.2: "The best results were obtained
#: with a sigmoid output unit and hidden units whose output is a Gaussian function of the sum
#: of weighted inputs"). Both scale the epsilons alike (output: / patterns; candidates:
#: / (patterns x units)).
PRESETS = {
    "c_code": dict(unit_type="symmetric_sigmoid", output_epsilon=1.0, candidate_epsilon=100.0,
                   output_patience=12, candidate_patience=12, output_decay=0.0,
                   score_formula="c_code"),
    "paper": dict(unit_type="gaussian", output_epsilon=0.35, candidate_epsilon=1.0,
                  output_patience=8, candidate_patience=8, output_decay=1e-4,
                  score_formula="covariance"),
}


@dataclass
class RunConfig:
    """Validated settings of a run (built by :class:`CascadeCorrelation`)."""

    pool: CandidatePool
    output_activation: str
    max_hidden_units: int
    output_epsilon: float
    output_mu: float
    output_decay: float
    output_patience: int
    output_change_threshold: float
    output_epochs: int
    candidate_epsilon: float
    candidate_mu: float
    candidate_decay: float
    candidate_patience: int
    candidate_change_threshold: float
    candidate_epochs: int
    weight_range: float
    weight_multiplier: float
    sigmoid_prime_offset: float
    score_threshold: float
    error_measure: str            # "bits" (classification) or "index" (regression)
    error_index_threshold: float
    validation_patience: int
    score: str
    dtype: np.dtype
    history: str                  # "epoch" or "phase"
    snapshots: bool
    objective: str = "covariance"  # what candidates maximise: "covariance" or "cascade2"
    candidate_holdout: float = 0.0  # fraction of patterns held out to choose the winner (0: none)
    candidate_stagnation: str = "best"  # patience on the pool's best score, or "each_kind"


@dataclass
class TrialResult:
    """The outcome of one trial.

    Attributes
    ----------
    network : Network
        The grown network (frozen hidden blocks, trained output block).
    history : History
    success : bool
        Victory: every output within the score threshold of its target (or the
        error index under its threshold, for regression).
    stop_reason : str
        ``"victory"``, ``"max_units"``, ``"validation"`` or ``"diverged"``.
    epochs : int
        Output plus candidate epochs, counted as in Fahlman's code.
    crossings : int
        Connection crossings: multiply-accumulates across a connection, forward
        (values) and backward (slopes), per pattern, both phases.
    crossings_forward : int
        The forward part of ``crossings``.
    hidden_units, depth : int
    snapshots : list of (int, Network)
        ``(hidden units, network copy)`` after every output phase, if asked for.
    """

    network: Network
    history: History
    success: bool
    stop_reason: str
    epochs: int
    crossings: int
    crossings_forward: int
    hidden_units: int
    depth: int
    snapshots: list
