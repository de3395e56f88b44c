"""The Cascade-Correlation estimator (Fahlman & Lebiere 1990) and its multi-trial runner."""
from __future__ import annotations

import numpy as np

from ..estimator import Estimator
from ..parallel import blas_threads, process_pool
from ..validation import Check, InstanceOf, Interval, Options, check_rng, validate_params
from . import accel
from .config import PRESETS, RunConfig
from .executor import Executor
from .kinds import CandidateKind, CandidatePool

__all__ = ["CascadeCorrelation"]

#: the output activations cascade-correlation trains: those of Fahlman's code (sigmoid-type
#: and linear). Not softmax: its outputs are coupled, and quickprop's per-weight secant steps
#: then overshoot and diverge (tried: two-spirals never leaves 50%).
_OUTPUTS = ("symmetric_sigmoid", "sigmoid", "tanh", "linear")


class _FloatDtype(Options):
    """float32 or float64, as a numpy type, dtype or name."""

    def __init__(self):
        super().__init__(np.float32, np.float64, "float32", "float64")

    def accepts(self, value):
        try:
            return np.dtype(value) in (np.dtype(np.float32), np.dtype(np.float64))
        except (TypeError, ValueError):
            return False

    def __str__(self):
        return "float32 or float64"


def _names(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and \
        all(isinstance(v, (str, CandidateKind)) for v in value)


def _positive(kind):
    return [Interval(kind, 0, None, closed="neither")]


def _non_negative(kind):
    return [Interval(kind, 0, None)]


class CascadeCorrelation(Estimator):
    """Cascade-Correlation with quickprop, and the sibling/descendant pool.

    Fahlman, S. E. & Lebiere, C. (1990). *The Cascade-Correlation Learning
    Architecture.* CMU-CS-90-100; the details follow Fahlman's C code
    (cascor v1.1, M. White 1994, public domain).  The sibling/descendant pool
    is from Baluja, S. & Fahlman, S. E. (1994), *Reducing Network Depth in the
    Cascade-Correlation Learning Architecture*, CMU technical report
    (October 1994).

    The network starts with inputs wired straight to the outputs (or from a
    given network: see :meth:`fit`).  Then, in turn:

    * **Output phase.** Only the output weights learn, by quickprop on the
      squared error (error derivative ``(y - t)(f'(z) + 0.1)``: the
      sigmoid-prime offset, outputs only), until every output is within
      ``score_threshold`` of its target (victory), or the error stops changing
      by more than ``output_change_threshold`` (relative) for
      ``output_patience`` epochs, or ``output_epochs`` pass.
    * **Candidate phase.** A pool of ``pool_size`` candidate units, each fed by
      every input and every installed unit, learns by quickprop *ascent* on
      the score ``S = sum_o |sum_p (V_p - Vbar)(E_po - Ebar_o)| / sum E^2`` (the
      paper's eq. 1, normalised by the sum of squared errors as in the code),
      with its own patience.  The whole pool is one computation: weights are a
      (fan-in x pool) matrix (see :mod:`structlearn.cascor.steps`).
    * **Install.** The best candidate joins the network with its incoming
      weights frozen; its output weights start at ``-C_o * weight_multiplier``
      (minus its correlation with each output's error).  Its values are cached:
      no pass ever recomputes the frozen part of the network.

    Training stops on victory, after ``max_hidden_units`` units (with a final
    output phase), or, when validation data is given, when the validation
    error has not improved for ``validation_patience`` units (the network is
    then cut back to its best size).

    Parameters
    ----------
    pool_size : int, default 8
        Candidates trained at once (C code ``Ncand`` = 8; the paper: 8).
    max_hidden_units : int, default 50
        Most units to install (new units: those of a network given to ``fit``
        do not count).  The C code's default is 25; the reference two-spirals
        runs (``anchors.md``) used 50.
    preset : {"c_code", "paper"}, default "c_code"
        Where the defaults of ``unit_type``, ``output_epsilon``, ``candidate_epsilon``,
        ``output_patience``, ``candidate_patience``, ``output_decay`` and
        ``score_formula`` come from (those left None): ``"c_code"``, Fahlman's C code
        v1.1 (tuned for two-spirals; the values below); ``"paper"``, Fahlman's Lisp code,
        with which the paper's N-parity table was made (Gaussian units, output epsilon
        0.35, candidate epsilon 1, patience 8, output decay 1e-4, the covariance score).
        An explicit value overrides the preset (:data:`structlearn.cascor.config.PRESETS`).
    unit_type : str, CandidateKind or sequence of them, optional
        Candidate kind (preset: ``"symmetric_sigmoid"``, the code's sigmoid in
        -0.5..+0.5; ``"paper"``: ``"gaussian"``, ``exp(-a^2/2)`` as in the code).
        ``"sigmoid"``, ``"tanh"``, any element-wise activation, a registered kind
        (:mod:`structlearn.cascor.kinds`) or a :class:`CandidateKind`; a sequence gives
        a mixed pool, cycled over the candidates (the code's ``VARIED``).
    output_activation : str, optional
        ``"symmetric_sigmoid"`` (default for classification, the code's
        output type), ``"sigmoid"``, ``"tanh"``, or ``"linear"`` (default for
        regression; no sigmoid-prime offset).  Not softmax: quickprop's
        per-weight steps diverge on its coupled outputs.  With a network given
        to ``fit``,
        the network's output activation is used (a different one here is an
        error).
    output_epsilon : float, optional
        Quickprop step size for output weights, divided by the number of
        patterns (preset: 1.0, the code's ``outEpsilon``; ``"paper"``: 0.35).
    output_mu : float, default 2.0
        Quickprop maximum growth factor (code: 2.0; Fahlman 1988: 1.75).
    output_decay : float, optional
        Weight decay on output weights (preset: 0.0; ``"paper"``: 1e-4).
    output_patience : int, optional
        Epochs without a relative error change above the threshold before the
        output phase stops (preset: 12; ``"paper"``: 8; 0 disables).
    output_change_threshold : float, default 0.01
        Relative change of the error that counts as progress (code: 0.01).
    output_epochs : int, default 200
        Most epochs of one output phase (code: 200).
    candidate_epsilon : float, optional
        Quickprop step size for candidate weights, divided by patterns x units
        (bias and inputs counted; preset: 100, the code's ``candEpsilon``;
        ``"paper"``: 1.0).
    candidate_mu, candidate_decay : float, default 2.0, 0.0
        (code: 2.0 and 0.0).
    candidate_patience : int, optional
        (preset: 12; ``"paper"``: 8).
    candidate_change_threshold : float, default 0.03
        (code: 0.03).
    candidate_epochs : int, default 200
        Most training epochs of one candidate phase, after the first epoch that
        only measures correlations (code: 200).
    weight_range : float, default 1.0
        Initial weights are uniform in ``[-weight_range, weight_range]`` (code: 1.0).
    weight_multiplier : float, default 1.0
        Scale of a new unit's initial output weights (code: 1.0; for regression
        the code divides it by the number of units).
    sigmoid_prime_offset : float, default 0.1
        Added to ``f'`` of sigmoid-type output units only (code: 0.1).
    score_threshold : float, default 0.4
        Victory: every output within this of its target on a +-0.5 scale (code:
        0.4, the benchmark's 40-20-40 criterion).
    error_index_threshold : float, default 0.2
        Regression victory: RMS error / target standard deviation (Lapedes &
        Faber's error index) at or below this (code: 0.2).
    pool_type : {"cascade", "sibling_descendant"}, default "cascade"
        ``"sibling_descendant"``: Baluja & Fahlman's split pool.  Siblings do not
        see the deepest layer and join it (``Network.add_units``); descendants see
        everything and start a new layer (``Network.add_block``).  With a mixed
        pool, a sibling whose activation differs from the deepest block's starts
        a parallel block at the same depth (a block has one activation).
    descendant_penalty : float, default 0.8
        Descendants' scores are multiplied by this when the winner is picked
        (Baluja & Fahlman; 0.8 in common use).
    n_siblings : int, optional
        Sibling candidates in a split pool (default: half the pool).
    validation_patience : int, default 12
        Units without validation improvement before stopping (code:
        ``valPatience`` 12); only used when ``fit`` gets validation data.
    score_formula : {"c_code", "covariance"}, optional
        How the candidates' mean is removed from the score (preset: ``"c_code"``;
        ``"paper"``: ``"covariance"``).  The C code (and
        the reference figures) subtract ``mean(V) * mean(E)`` once, not ``P``
        times, so its score is not exactly the paper's covariance; the slopes
        are the covariance's either way.  ``"covariance"`` is the paper's
        definition (and Fahlman's Lisp code's).
    candidate_objective : {"covariance", "cascade2"}, default "covariance"
        What the candidates maximise: the covariance score (the paper's eq. 1), or
        Cascade-2's (Fahlman's later variant, the one FANN ships): the fraction of the
        residual squared error a candidate removes through its own output weights, which
        then become the new unit's (:func:`structlearn.cascor.steps.cascade2_terms`; better
        suited to regression).
    candidate_holdout : float in (0, 1) or None, default None
        Hold out this fraction of the training patterns from each candidate phase and choose
        the winner by its score on them (a structlearn option, not the paper's; see
        ``docs/kbcc.md``, "The irrelevant source: three more mechanisms"): at the start of
        every candidate phase the patterns are split once (a permutation drawn from the
        trial's generator, after the candidates' weights: same seed, same split), the
        candidates train on the residual errors of the other patterns only, and the
        candidate with the best covariance score on the held-out patterns is installed, its
        output weights starting from its correlations on all patterns. The selection pass
        counts as one candidate epoch. None: every pattern trains and chooses (the paper).
        Not with ``candidate_objective="cascade2"``; ``accelerate`` runs the numpy path.
    candidate_stagnation : {"best", "each_kind"}, default "best"
        What the candidate phase's patience test watches: the pool's best score (Fahlman's
        code), or the sum over the pool's kinds of each kind's best score, so that the phase
        goes on while any kind of candidate is still improving (a structlearn option for
        mixed pools, e.g. source networks next to units; same section of ``docs/kbcc.md``).
        The winner is the best candidate either way; with one kind in the pool the two are
        the same. ``accelerate`` runs the numpy path with ``"each_kind"``.
    task : {"auto", "classification", "regression"}, default "auto"
        ``"auto"``: class labels (1-D integers, booleans, strings, any hashable
        values of one type) and 0/1 target matrices (multi-label) are
        classification, real values regression (:mod:`structlearn.targets`).
    dtype : float64 or float32, default float64
        Floating type of the network and every pass (the C code uses float).
        A network given to ``fit`` is converted to it.
    history : {"phase", "epoch"}, default "phase"
        Log one History row per phase (the end of every output and candidate phase), or,
        when asked, one per epoch (learning curves; it costs a few microseconds an epoch).
    snapshots : bool, default False
        Keep a copy of the network after every output phase (``snapshots_``),
        for plots of the decision boundary as units are added.
    accelerate : bool, default False
        Run a single ``fit``'s phases in compiled kernels (:mod:`structlearn.cascor.accel`;
        needs numba, an optional extra). The numpy path stays the reference: the kernels
        agree with it to rounding, not bit for bit. Used with per-phase history, the
        covariance objective and the code's unit and output types; otherwise the numpy
        path runs. ``fit_trials`` then runs its trials one after another, each alone
        through the kernels: a trial's result is ``fit(accelerate=True)``'s with its seed,
        bit for bit, whatever its batch or ``n_jobs``.
    rng : int, Generator or None
        Source of every random number (initial weights, candidates).

    Attributes
    ----------
    network_ : Network
    history_ : History
    classes_ : ndarray
        The class labels in output order (classification only: absent for
        multi-label and regression targets).
    n_features_in_, n_outputs_ : int
    target_info_ : TargetInfo
        How targets are encoded for the outputs and decoded by ``predict``.
    success_ : bool
    stop_reason_ : str
        ``"victory"``, ``"max_units"``, ``"validation"`` or ``"diverged"``.
    n_epochs_ : int
        Output epochs with an update plus every candidate epoch (as the code counts).
    crossings_ : int
        Connection crossings: multiply-accumulates over connections, forward
        and backward, per pattern, in both phases (the paper's measure).
    crossings_forward_ : int
    hidden_units_, depth_ : int
        Of ``network_`` (a given network's hidden units included).
    snapshots_ : list of (int, Network)
    task_, multilabel_, n_inputs_
        Kept from before the estimator contract: ``"classification"`` or
        ``"regression"``, whether the targets are a 0/1 matrix, and
        ``n_features_in_`` (``target_info_.kind`` says more).

    See Also
    --------
    structlearn.estimator.Estimator : the contract (``predict``,
        ``decision_function``, ``predict_proba``, ``score``, ``get_params``).

    Notes
    -----
    Deviations from the C code, all deliberate: the sigmoid is not clipped at
    ``|net| > 15`` (``expit`` is exact there); float64 by default (the code uses
    float: pass ``dtype=np.float32`` to match it); the validation stop keeps the
    output weights of the best size even when that is the first measurement
    (the code forgets them then).  The candidates' error signal is the one of
    the last output epoch's forward pass (before its weight update), as in the
    code; the output weights' quickprop state carries over from one output
    phase to the next, as in the code.
    """


    _parameter_constraints = {
        "pool_size": [Interval(int, 1, None)],
        "max_hidden_units": _non_negative(int),
        "preset": [Options(*PRESETS)],
        "unit_type": [None, InstanceOf(str), InstanceOf(CandidateKind),
                      Check(_names, "a non-empty list or tuple of candidate kinds")],
        "output_activation": [Options(None, *_OUTPUTS)],
        "output_epsilon": [None, *_positive(float)],
        "output_mu": _positive(float),
        "output_decay": [None, *_non_negative(float)],
        "output_patience": [None, *_non_negative(int)],
        "output_change_threshold": _non_negative(float),
        "output_epochs": [Interval(int, 1, None)],
        "candidate_epsilon": [None, *_positive(float)],
        "candidate_mu": _positive(float),
        "candidate_decay": _non_negative(float),
        "candidate_patience": [None, *_non_negative(int)],
        "candidate_change_threshold": _non_negative(float),
        "candidate_epochs": [Interval(int, 1, None)],
        "weight_range": _positive(float),
        "weight_multiplier": _non_negative(float),
        "sigmoid_prime_offset": _non_negative(float),
        "score_threshold": _positive(float),
        "error_index_threshold": _non_negative(float),
        "pool_type": [Options("cascade", "sibling_descendant")],
        "descendant_penalty": _positive(float),
        "n_siblings": [None, Interval(int, 0, None)],
        "validation_patience": _non_negative(int),
        "score_formula": [None, Options("c_code", "covariance")],
        "candidate_objective": [Options("covariance", "cascade2")],
        "candidate_holdout": [None, Interval(float, 0.0, 1.0, closed="neither")],
        "candidate_stagnation": [Options("best", "each_kind")],
        "task": [Options("auto", "classification", "regression")],
        "dtype": [_FloatDtype()],
        "history": [Options("epoch", "phase")],
        "snapshots": ["boolean"],
        "accelerate": ["boolean"],
        "rng": [None, Interval(int, 0, None), InstanceOf(np.random.Generator)],
    }

    def __init__(self, *, preset="c_code", pool_size=8, max_hidden_units=50, unit_type=None,
                 output_activation=None, output_epsilon=None, output_mu=2.0, output_decay=None,
                 output_patience=None, output_change_threshold=0.01, output_epochs=200,
                 candidate_epsilon=None, candidate_mu=2.0, candidate_decay=0.0,
                 candidate_patience=None, candidate_change_threshold=0.03, candidate_epochs=200,
                 weight_range=1.0, weight_multiplier=1.0, sigmoid_prime_offset=0.1,
                 score_threshold=0.4, error_index_threshold=0.2, pool_type="cascade",
                 descendant_penalty=0.8, n_siblings=None, validation_patience=12,
                 score_formula=None, candidate_objective="covariance", candidate_holdout=None,
                 candidate_stagnation="best", task="auto",
                 dtype=np.float64, history="phase",
                 snapshots=False, accelerate=False, rng=None):
        self.preset = preset
        self.pool_size = pool_size
        self.max_hidden_units = max_hidden_units
        self.unit_type = unit_type
        self.output_activation = output_activation
        self.output_epsilon = output_epsilon
        self.output_mu = output_mu
        self.output_decay = output_decay
        self.output_patience = output_patience
        self.output_change_threshold = output_change_threshold
        self.output_epochs = output_epochs
        self.candidate_epsilon = candidate_epsilon
        self.candidate_mu = candidate_mu
        self.candidate_decay = candidate_decay
        self.candidate_patience = candidate_patience
        self.candidate_change_threshold = candidate_change_threshold
        self.candidate_epochs = candidate_epochs
        self.weight_range = weight_range
        self.weight_multiplier = weight_multiplier
        self.sigmoid_prime_offset = sigmoid_prime_offset
        self.score_threshold = score_threshold
        self.error_index_threshold = error_index_threshold
        self.pool_type = pool_type
        self.descendant_penalty = descendant_penalty
        self.n_siblings = n_siblings
        self.validation_patience = validation_patience
        self.score_formula = score_formula
        self.candidate_objective = candidate_objective
        self.candidate_holdout = candidate_holdout
        self.candidate_stagnation = candidate_stagnation
        self.task = task
        self.dtype = dtype
        self.history = history
        self.snapshots = snapshots
        self.accelerate = accelerate
        self.rng = rng


    # ------------------------------------------------------------ validation
    def _config(self, output_activation, classify):
        """The RunConfig of a run, from the (validated) parameters.

        The checks here are the ones that involve more than one parameter or the data.
        """
        pool_size = int(self.pool_size)
        p = self._resolved()
        types = [p["unit_type"]] if isinstance(p["unit_type"], (str, CandidateKind)) \
            else list(p["unit_type"])
        if self.n_siblings is None:
            n_sib = pool_size // 2
        elif self.n_siblings > pool_size:
            raise ValueError(f"n_siblings: expected at most pool_size={pool_size}, "
                             f"got {self.n_siblings}")
        else:
            n_sib = int(self.n_siblings)
        if self.candidate_holdout is not None and self.candidate_objective == "cascade2":
            raise ValueError("candidate_holdout: not available with candidate_objective="
                             "'cascade2' (its score is not a covariance)")
        pool = CandidatePool(pool_size, types, self.pool_type == "sibling_descendant", n_sib,
                             float(self.descendant_penalty))
        return RunConfig(
            pool=pool, output_activation=output_activation,
            max_hidden_units=int(self.max_hidden_units),
            output_epsilon=float(p["output_epsilon"]), output_mu=float(self.output_mu),
            output_decay=float(p["output_decay"]), output_patience=int(p["output_patience"]),
            output_change_threshold=float(self.output_change_threshold),
            output_epochs=int(self.output_epochs),
            candidate_epsilon=float(p["candidate_epsilon"]),
            candidate_mu=float(self.candidate_mu), candidate_decay=float(self.candidate_decay),
            candidate_patience=int(p["candidate_patience"]),
            candidate_change_threshold=float(self.candidate_change_threshold),
            candidate_epochs=int(self.candidate_epochs),
            weight_range=float(self.weight_range),
            weight_multiplier=float(self.weight_multiplier),
            sigmoid_prime_offset=float(self.sigmoid_prime_offset),
            score_threshold=float(self.score_threshold),
            error_measure="bits" if classify else "index",
            error_index_threshold=float(self.error_index_threshold),
            validation_patience=int(self.validation_patience),
            score=p["score_formula"], objective=self.candidate_objective,
            candidate_holdout=float(self.candidate_holdout or 0.0),
            candidate_stagnation=self.candidate_stagnation,
            dtype=np.dtype(self.dtype), history=self.history,
            snapshots=bool(self.snapshots))

    def _resolved(self):
        """The preset's parameters, each overridden by an explicit (not None) value."""
        return {name: value if getattr(self, name) is None else getattr(self, name)
                for name, value in PRESETS[self.preset].items()}

    def _output_activation(self, classify, network):
        """The output activation: the given network's, else the parameter or the task's default."""
        if network is not None:
            out = network.blocks[-1]
            if out.activation not in _OUTPUTS:
                why = (" (quickprop's per-weight steps diverge on a softmax's coupled outputs)"
                       if out.activation == "softmax" else "")
                raise ValueError(f"network: its output activation is {out.activation!r}; "
                                 "cascade-correlation trains outputs of type "
                                 f"{', '.join(map(repr, _OUTPUTS))}{why}")
            if self.output_activation is not None and self.output_activation != out.activation:
                raise ValueError(f"output_activation: {self.output_activation!r} differs from "
                                 f"the given network's {out.activation!r} (leave it None to "
                                 "use the network's)")
            if not out.trainable:
                raise ValueError("network: its output block is frozen, and the output block "
                                 "is what cascade-correlation trains (unfreeze it with "
                                 "network.freeze(-1, frozen=False))")
            act = out.activation
        else:
            act = self.output_activation
            if act is None:
                act = "symmetric_sigmoid" if classify else "linear"
        if classify and act == "linear":
            where = "network: its output is" if network is not None else "output_activation:"
            raise ValueError(f"{where} 'linear', which cascade-correlation uses for regression "
                             "only, but y holds class labels (use task='regression' for real "
                             "targets, or a sigmoid-type output)")
        return act

    def _prepare(self, X, y, network, validation):
        """Config, data and start network of a run (``X`` and ``network`` already checked).

        Returns ``(cfg, X, T, validation, network)`` in the run's dtype: what
        :class:`~structlearn.cascor.executor.Executor` takes.
        """
        classify = self._target_kind(y) != "regression"
        act = self._output_activation(classify, network)
        cfg = self._config(act, classify)
        T = self._encode_targets(y, act, network=network, dtype=cfg.dtype)
        val = self._encode_validation(validation, dtype=cfg.dtype)
        return cfg, X.astype(cfg.dtype), T, val, network

    # ------------------------------------------------------------------- fit
    def fit(self, X, y, *, network=None, validation=None):
        """Grow and train a cascade network on ``(X, y)``; returns ``self``.

        Parameters
        ----------
        X : array (n_samples, n_features)
        y : array
            Class labels (1-D, any hashable values of one type), a 0/1 target
            matrix (multi-label), or real-valued targets.
        network : Network, optional
            Start from (a copy of) this network instead of inputs wired straight
            to the outputs; it is never changed. Its hidden part stays fixed
            (weights, masks and trainable flags as given): its node values are
            computed once, exactly as installed units' are. Its output block is
            what the output phases train (its activation and width are used; a
            mismatch with ``y`` is an error); where it does not read every node
            (an MLP's output reads only the last hidden layer), the missing
            sources are added first with zero weights (``Network.add_sources``:
            the function is unchanged), and masked output weights stay zero. New
            candidates read every node; the first new unit starts a new layer.
        validation : (X_val, y_val), optional
            Enables the validation-patience stop.

        Returns
        -------
        self
        """
        return super().fit(X, y, network=network, validation=validation)

    def _fit(self, X, y, *, network, validation):
        cfg, X, T, val, start = self._prepare(X, y, network, validation)
        if self.accelerate and not accel.HAVE_NUMBA:
            raise ValueError("accelerate: True needs numba (pip install numba); the numpy "
                             "path runs without it")
        result = Executor(X, T, [check_rng(self.rng)], cfg, val, network=start,
                          accelerate=self.accelerate and _accelerable(cfg)).run()[0]
        self._set_result(result)

    def fit_trials(self, X, y, seeds, *, network=None, validation=None, n_jobs=1):
        """Run independent trials (one per seed) together, as one batched computation.

        Each trial draws only from its own seed, and its result does not depend
        on the other trials of the batch: it is the result of ``fit`` with that
        seed, bit for bit (float64 and float32; see :func:`.steps.fan_product`).
        The estimator's ``rng`` is ignored; its other parameters apply to every
        trial. The estimator itself is not fitted (no ``network_``).

        Parameters
        ----------
        X, y, network, validation
            As in :meth:`fit` (every trial starts from its own copy of ``network``).
        seeds : sequence of int or Generator
        n_jobs : int, default 1
            Worker processes (:func:`structlearn.parallel.process_pool`); trials
            are dealt out to them in turn and each worker runs its share as one
            batch with single-threaded BLAS.

        Returns
        -------
        list of TrialResult
            In the order of ``seeds``.
        """
        validate_params({"n_jobs": n_jobs}, {"n_jobs": [Interval(int, 1, None)]})
        X, network = self._prepare_fit(X, y, network)
        seeds = list(seeds)
        if not seeds:
            raise ValueError("seeds: expected at least one seed")
        rngs = [check_rng(s) for s in seeds]
        cfg, X, T, val, start = self._prepare(X, y, network, validation)
        if self.accelerate and not accel.HAVE_NUMBA:
            raise ValueError("accelerate: True needs numba (pip install numba); the numpy "
                             "path runs without it")
        return run_trials(X, T, rngs, cfg, val, start, n_jobs, accelerate=self.accelerate)

    def _set_result(self, r):
        self.network_, self.history_ = r.network, r.history
        self.success_, self.stop_reason_ = r.success, r.stop_reason
        self.n_epochs_ = int(r.epochs)
        self.crossings_, self.crossings_forward_ = r.crossings, r.crossings_forward
        self.hidden_units_, self.depth_, self.snapshots_ = r.hidden_units, r.depth, r.snapshots

    # --------------------------------------------------------------- predict
    def predict_classes(self, X):
        """Class labels: an alias of :meth:`predict` for classification.

        Kept from before the estimator contract (when ``predict`` gave the raw
        outputs); multi-label targets give 0/1 rows. Raises ``ValueError`` for a
        model fitted for regression.
        """
        self._check_fitted()
        if not self.target_info_.is_classification:
            raise ValueError("predict_classes: this model was fitted for regression; "
                             "use predict")
        return self.predict(X)

    # ---------------------------------------------- kept from before the contract
    @property
    def task_(self):
        """``"classification"`` (multi-label included) or ``"regression"``."""
        return "classification" if self.target_info_.is_classification else "regression"

    @property
    def multilabel_(self):
        """True when the targets were a 0/1 matrix (one yes/no output per column)."""
        return self.target_info_.kind == "multilabel"

    @property
    def n_inputs_(self):
        """The number of input features (``n_features_in_``)."""
        return self.n_features_in_


# ------------------------------------------------------------ parallel trials
def run_trials(X, T, rngs, cfg, val, network, n_jobs=1, accelerate=False, **options):
    """Run one trial per generator of ``rngs`` as batches of the :class:`Executor`.

    ``n_jobs`` worker processes each take every ``n_jobs``-th trial as one batch (a trial's
    result does not depend on its batch, so the split changes nothing but the time);
    ``options`` go to the executor (the sequence layouts of recurrent trials). With
    ``accelerate`` (and settings the compiled kernels take, :func:`.accel.supported`) a
    worker runs its trials one after another, each a batch of one through the kernels: a
    single trial's phase is one compiled call, cheaper than a batched numpy epoch. Results
    come back in the order of ``rngs``.
    """
    n_jobs = min(int(n_jobs), len(rngs))
    accelerate = bool(accelerate) and accel.supported(cfg) and _accelerable(cfg)
    if n_jobs == 1:
        return _run_share(X, T, rngs, cfg, val, network, accelerate, options)
    shares = [list(range(j, len(rngs), n_jobs)) for j in range(n_jobs)]
    with process_pool(n_jobs, threads=1) as pool:
        futures = [pool.submit(_run_batch, X, T, [rngs[i] for i in share], cfg, val, network,
                               accelerate, options) for share in shares]
        parts = [f.result() for f in futures]
    results = [None] * len(rngs)
    for share, part in zip(shares, parts):
        for i, r in zip(share, part):
            results[i] = r
    return results


def _accelerable(cfg):
    """The options the compiled kernels do not implement (then the numpy path runs)."""
    return not cfg.candidate_holdout and cfg.candidate_stagnation == "best"


def _run_share(X, T, rngs, cfg, val, network, accelerate, options):
    """Trials of one process: one batch, or (accelerated) one compiled trial at a time."""
    if accelerate:
        return [Executor(X, T, [rng], cfg, val, network=network, accelerate=True,
                         **options).run()[0] for rng in rngs]
    return Executor(X, T, rngs, cfg, val, network=network, **options).run()


def _run_batch(X, T, rngs, cfg, val, network, accelerate, options):
    """One worker's share of :func:`run_trials`, with single-threaded BLAS."""
    with blas_threads(1):
        return _run_share(X, T, rngs, cfg, val, network, accelerate, options)
