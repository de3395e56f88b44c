"""The Cascade-Correlation estimator (Fahlman & Lebiere 1990) and its multi-trial runner."""
from __future__ import annotations

import numbers
import os

import numpy as np

from ..validation import check_array, check_positive_int, check_rng
from ..activations import get_activation
from .pool import CandidatePool
from .runner import BatchRunner, RunConfig

__all__ = ["CascadeCorrelation"]

#: output activations a cascor network may use, with their value range
_OUTPUT_RANGES = {"symmetric_sigmoid": (-0.5, 0.5), "sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0),
                  "linear": None}


def _check_number(value, name, low=None, high=None, low_open=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__} {value!r}")
    value = float(value)
    too_low = low is not None and (value < low or (low_open and value == low))
    bad = not np.isfinite(value) or too_low or (high is not None and value > high)
    if bad:
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        interval = f"{'(' if low_open else '['}{lo}, {hi}]"
        raise ValueError(f"{name}: expected a number in {interval}, got {value}")
    return value


class CascadeCorrelation:
    """Cascade-Correlation with quickprop, and the sibling/descendant pool.

    Fahlman, S. E. & Lebiere, C. (1990). *The Cascade-Correlation Learning
    Architecture.* CMU-CS-90-100; the details follow Fahlman's C code
    (cascor v1.1, M. White 1994, public domain).  The sibling/descendant pool
    is from Baluja, S. & Fahlman, S. E. (1994), *Reducing Network Depth in the
    Cascade-Correlation Learning Architecture*, CMU technical report
    (October 1994).

    The network starts with inputs wired straight to the outputs.  Then, in
    turn:

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
      (fan-in x pool) matrix (see :mod:`structlearn.cascor.core`).
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
        Most units to install.  The C code's default is 25; the reference
        two-spirals runs (``anchors.md``) used 50.
    unit_type : str or sequence of str, default "symmetric_sigmoid"
        Candidate activation: the code's sigmoid in -0.5..+0.5.  ``"tanh"`` and
        ``"gaussian"`` (``exp(-a^2/2)``, as in the code) are options; a sequence
        gives a mixed pool, cycled over the candidates (the code's ``VARIED``).
    output_activation : str, optional
        ``"symmetric_sigmoid"`` (default for classification, the code's
        output type), ``"sigmoid"``, ``"tanh"``, or ``"linear"`` (default for
        regression; no sigmoid-prime offset).
    output_epsilon : float, default 1.0
        Quickprop step size for output weights, divided by the number of
        patterns (code: ``outEpsilon`` 1.0).
    output_mu : float, default 2.0
        Quickprop maximum growth factor (code: 2.0; Fahlman 1988: 1.75).
    output_decay : float, default 0.0
        Weight decay on output weights (code: 0.0).
    output_patience : int, default 12
        Epochs without a relative error change above the threshold before the
        output phase stops (code: 12; 0 disables).
    output_change_threshold : float, default 0.01
        Relative change of the error that counts as progress (code: 0.01).
    output_epochs : int, default 200
        Most epochs of one output phase (code: 200).
    candidate_epsilon : float, default 100.0
        Quickprop step size for candidate weights, divided by patterns x units
        (bias and inputs counted; code: ``candEpsilon`` 100).
    candidate_mu, candidate_decay : float, default 2.0, 0.0
        (code: 2.0 and 0.0).
    candidate_patience : int, default 12
        (code: 12).
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
    score_formula : {"c_code", "covariance"}, default "c_code"
        How the candidates' mean is removed from the score.  The C code (and
        the reference figures) subtract ``mean(V) * mean(E)`` once, not ``P``
        times, so its score is not exactly the paper's covariance; the slopes
        are the covariance's either way.  ``"covariance"`` is the paper's
        definition (and Fahlman's Lisp code's).
    task : {"auto", "classification", "regression"}, default "auto"
        ``"auto"``: integer labels (1-D) or 0/1 target matrices are
        classification, anything else regression.
    dtype : float64 or float32, default float64
        Floating type of the network and every pass (the C code uses float).
    history : {"epoch", "phase"}, default "epoch"
        Log one History row per epoch, or one per phase (cheaper for many trials).
    snapshots : bool, default False
        Keep a copy of the network after every output phase (``snapshots_``),
        for plots of the decision boundary as units are added.
    rng : int, Generator or None
        Source of every random number (initial weights, candidates).

    Attributes
    ----------
    network_ : Network
    history_ : History
    success_ : bool
    stop_reason_ : str
    n_epochs_ : int
    crossings_ : int
        Connection crossings: multiply-accumulates over connections, forward
        and backward, per pattern, in both phases (the paper's measure).
    crossings_forward_ : int
    hidden_units_, depth_ : int
    snapshots_ : list of (int, Network)
    classes_ : ndarray or None

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

    def __init__(self, *, pool_size=8, max_hidden_units=50, unit_type="symmetric_sigmoid",
                 output_activation=None, output_epsilon=1.0, output_mu=2.0, output_decay=0.0,
                 output_patience=12, output_change_threshold=0.01, output_epochs=200,
                 candidate_epsilon=100.0, candidate_mu=2.0, candidate_decay=0.0,
                 candidate_patience=12, candidate_change_threshold=0.03, candidate_epochs=200,
                 weight_range=1.0, weight_multiplier=1.0, sigmoid_prime_offset=0.1,
                 score_threshold=0.4, error_index_threshold=0.2, pool_type="cascade",
                 descendant_penalty=0.8, n_siblings=None, validation_patience=12,
                 score_formula="c_code", task="auto", dtype=np.float64, history="epoch",
                 snapshots=False, rng=None):
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
        self.task = task
        self.dtype = dtype
        self.history = history
        self.snapshots = snapshots
        self.rng = rng

    def get_params(self):
        """The constructor parameters as a dict."""
        import inspect
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    # ------------------------------------------------------------ validation
    def _config(self, task):
        """Check every parameter; return a RunConfig (raises ValueError/TypeError)."""
        pool_size = check_positive_int(self.pool_size, "pool_size", minimum=1)
        max_units = check_positive_int(self.max_hidden_units, "max_hidden_units", minimum=0)
        types = [self.unit_type] if isinstance(self.unit_type, str) else self.unit_type
        if not isinstance(types, (list, tuple)) or not types:
            raise TypeError("unit_type: expected an activation name or a non-empty sequence of "
                            f"names, got {self.unit_type!r}")
        for name in types:
            act = get_activation(name)
            if not act.elementwise:
                raise ValueError(f"unit_type: {name!r} cannot be a hidden unit")
        out = self.output_activation
        if out is None:
            out = "symmetric_sigmoid" if task == "classification" else "linear"
        if out not in _OUTPUT_RANGES:
            raise ValueError(f"output_activation: expected one of {sorted(_OUTPUT_RANGES)}, "
                             f"got {out!r}")
        if task == "classification" and out == "linear":
            raise ValueError("output_activation: 'linear' outputs need task='regression'")
        if self.pool_type not in ("cascade", "sibling_descendant"):
            raise ValueError("pool_type: expected 'cascade' or 'sibling_descendant', "
                             f"got {self.pool_type!r}")
        sdcc = self.pool_type == "sibling_descendant"
        penalty = _check_number(self.descendant_penalty, "descendant_penalty", 0.0, low_open=True)
        if self.n_siblings is None:
            n_sib = pool_size // 2
        else:
            n_sib = check_positive_int(self.n_siblings, "n_siblings", minimum=0, maximum=pool_size)
        if self.score_formula not in ("c_code", "covariance"):
            raise ValueError("score_formula: expected 'c_code' or 'covariance', "
                             f"got {self.score_formula!r}")
        if self.history not in ("epoch", "phase"):
            raise ValueError(f"history: expected 'epoch' or 'phase', got {self.history!r}")
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            raise TypeError(f"dtype: expected float32 or float64, got {self.dtype!r}") from None
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
        if not isinstance(self.snapshots, (bool, np.bool_)):
            raise TypeError(f"snapshots: expected a bool, got {self.snapshots!r}")
        pool = CandidatePool(pool_size, types, sdcc, n_sib, penalty)
        return RunConfig(
            pool=pool, output_activation=out, max_hidden_units=max_units,
            output_epsilon=_check_number(self.output_epsilon, "output_epsilon", 0.0, low_open=True),
            output_mu=_check_number(self.output_mu, "output_mu", 0.0, low_open=True),
            output_decay=_check_number(self.output_decay, "output_decay", 0.0),
            output_patience=check_positive_int(self.output_patience, "output_patience", minimum=0),
            output_change_threshold=_check_number(self.output_change_threshold,
                                                  "output_change_threshold", 0.0),
            output_epochs=check_positive_int(self.output_epochs, "output_epochs", minimum=1),
            candidate_epsilon=_check_number(self.candidate_epsilon, "candidate_epsilon", 0.0,
                                            low_open=True),
            candidate_mu=_check_number(self.candidate_mu, "candidate_mu", 0.0, low_open=True),
            candidate_decay=_check_number(self.candidate_decay, "candidate_decay", 0.0),
            candidate_patience=check_positive_int(self.candidate_patience, "candidate_patience",
                                                  minimum=0),
            candidate_change_threshold=_check_number(self.candidate_change_threshold,
                                                     "candidate_change_threshold", 0.0),
            candidate_epochs=check_positive_int(self.candidate_epochs, "candidate_epochs",
                                                minimum=1),
            weight_range=_check_number(self.weight_range, "weight_range", 0.0, low_open=True),
            weight_multiplier=_check_number(self.weight_multiplier, "weight_multiplier", 0.0),
            sigmoid_prime_offset=_check_number(self.sigmoid_prime_offset, "sigmoid_prime_offset",
                                               0.0),
            score_threshold=_check_number(self.score_threshold, "score_threshold", 0.0,
                                          low_open=True),
            error_measure="bits" if task == "classification" else "index",
            error_index_threshold=_check_number(self.error_index_threshold,
                                                "error_index_threshold", 0.0),
            validation_patience=check_positive_int(self.validation_patience,
                                                   "validation_patience", minimum=0),
            score=self.score_formula, dtype=dtype, history=self.history,
            snapshots=bool(self.snapshots))

    def _task_of(self, y):
        if self.task not in ("auto", "classification", "regression"):
            raise ValueError("task: expected 'auto', 'classification' or 'regression', "
                             f"got {self.task!r}")
        if self.task != "auto":
            return self.task
        y = np.asarray(y)
        if y.dtype.kind in "biu":
            return "classification"
        if y.ndim == 2 and y.dtype.kind == "f" and np.all(np.isin(y, (0.0, 1.0))):
            return "classification"
        return "regression"

    def _encode(self, y, n_samples, out_act, task, name="y", fit=True):
        """Targets for the output activation; sets ``classes_`` / ``multilabel_`` when fitting."""
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected class labels or numeric targets, "
                            f"got dtype {y.dtype}")
        if y.ndim not in (1, 2) or len(y) != n_samples:
            raise ValueError(f"{name}: expected {n_samples} rows (one per sample of X) as a 1-D or "
                             f"2-D array, got shape {y.shape}")
        if task == "regression":
            T = check_array(y.reshape(n_samples, -1), name, ndim=2)
            if not fit and T.shape[1] != self.n_outputs_:
                raise ValueError(f"{name}: expected {self.n_outputs_} target columns, "
                                 f"got {T.shape[1]}")
            if fit:
                self.classes_, self.multilabel_ = None, False
            return T
        low, high = _OUTPUT_RANGES[out_act]
        if y.ndim == 2:
            Y = check_array(y, name, ndim=2)
            if not np.all(np.isin(Y, (0.0, 1.0))):
                raise ValueError(f"{name}: a 2-D classification target must hold only 0 and 1")
            if fit:
                self.classes_, self.multilabel_ = None, True
            elif not self.multilabel_ or Y.shape[1] != self.n_outputs_:
                raise ValueError(f"{name}: expected labels like the training targets")
            return np.where(Y > 0.5, high, low)
        if y.dtype.kind == "f" and not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(f"{name}: classification labels must be whole numbers")
        if fit:
            self.classes_, self.multilabel_ = np.unique(y), False
            if len(self.classes_) < 2:
                raise ValueError(f"{name}: classification needs at least 2 classes, "
                                 f"got {len(self.classes_)}")
        elif self.multilabel_:
            raise ValueError(f"{name}: expected a 2-D 0/1 target matrix like the training targets")
        codes = np.searchsorted(self.classes_, y)
        codes = np.minimum(codes, len(self.classes_) - 1)
        if np.any(self.classes_[codes] != y):
            raise ValueError(f"{name}: holds labels not seen in training")
        n_out = 1 if len(self.classes_) == 2 else len(self.classes_)
        if n_out == 1:
            return np.where(codes == 1, high, low).reshape(-1, 1).astype(float)
        T = np.full((n_samples, n_out), low)
        T[np.arange(n_samples), codes] = high
        return T

    def _prepare(self, X, y, validation):
        task = self._task_of(y)
        cfg = self._config(task)
        X = check_array(X, "X", ndim=2, dtype=np.float64)
        T = self._encode(y, len(X), cfg.output_activation, task)
        self.task_, self.n_inputs_, self.n_outputs_ = task, X.shape[1], T.shape[1]
        val = None
        if validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise TypeError("validation: expected a tuple (X_val, y_val)")
            Xv = check_array(validation[0], "validation X", ndim=2, dtype=np.float64)
            if Xv.shape[1] != X.shape[1]:
                raise ValueError(f"validation X: expected {X.shape[1]} columns, got {Xv.shape[1]}")
            Tv = self._encode(validation[1], len(Xv), cfg.output_activation, task,
                              name="validation y", fit=False)
            val = (Xv.astype(cfg.dtype), Tv.astype(cfg.dtype))
        return cfg, X.astype(cfg.dtype), T.astype(cfg.dtype), val

    # ------------------------------------------------------------------- fit
    def fit(self, X, y, validation=None):
        """Grow and train a cascade network on ``(X, y)``.

        Parameters
        ----------
        X : array (n_samples, n_inputs)
        y : array
            Class labels (1-D), a 0/1 target matrix, or regression targets.
        validation : tuple (X_val, y_val), optional
            Enables the validation-patience stop.

        Returns
        -------
        self
        """
        cfg, X, T, val = self._prepare(X, y, validation)
        result = BatchRunner(X, T, [check_rng(self.rng)], cfg, val).run()[0]
        self._set_result(result)
        return self

    def fit_trials(self, X, y, seeds, *, validation=None, n_jobs=1):
        """Run independent trials (one per seed) together, as one batched computation.

        Each trial draws only from its own seed, and its result does not depend
        on the other trials of the batch: it is the result of ``fit`` with that
        seed, bit for bit (float64 and float32; see ``BatchRunner.F_ALIGN``).
        The estimator's ``rng`` is ignored; its other parameters apply to every
        trial.

        Parameters
        ----------
        X, y, validation
            As in :meth:`fit`.
        seeds : sequence of int or Generator
        n_jobs : int, default 1
            Worker processes; trials are dealt out to them in turn and each
            worker runs its share as one batch with single-threaded BLAS.

        Returns
        -------
        list of TrialResult
            In the order of ``seeds``.
        """
        cfg, X, T, val = self._prepare(X, y, validation)
        seeds = list(seeds)
        if not seeds:
            raise ValueError("seeds: expected at least one seed")
        rngs = [check_rng(s) for s in seeds]
        n_jobs = check_positive_int(n_jobs, "n_jobs", minimum=1)
        n_jobs = min(n_jobs, len(rngs))
        if n_jobs == 1:
            return BatchRunner(X, T, rngs, cfg, val).run()
        return _run_parallel(X, T, rngs, cfg, val, n_jobs)

    def _set_result(self, r):
        self.network_, self.history_ = r.network, r.history
        self.success_, self.stop_reason_ = r.success, r.stop_reason
        self.n_epochs_, self.crossings_, self.crossings_forward_ = r.epochs, r.crossings, \
            r.crossings_forward
        self.hidden_units_, self.depth_, self.snapshots_ = r.hidden_units, r.depth, r.snapshots

    # --------------------------------------------------------------- predict
    def _check_fitted(self):
        if not hasattr(self, "network_"):
            raise ValueError("this CascadeCorrelation is not fitted yet: call fit first")

    def predict(self, X):
        """Network outputs, shape (n_samples, n_outputs)."""
        self._check_fitted()
        return self.network_.forward(X)

    def predict_classes(self, X):
        """Class labels (classification), or 0/1 matrices for 0/1 targets."""
        self._check_fitted()
        if self.task_ != "classification":
            raise ValueError("predict_classes: this model was fitted for regression")
        out = self.network_.forward(X)
        low, high = _OUTPUT_RANGES[self.network_.blocks[-1].activation]
        mid = 0.5 * (low + high)
        if self.multilabel_:
            return (out > mid).astype(np.int64)
        if out.shape[1] == 1:
            return self.classes_[(out[:, 0] > mid).astype(np.int64)]
        return self.classes_[out.argmax(axis=1)]

    def score(self, X, y):
        """Accuracy (classification, whole patterns) or R^2 (regression)."""
        self._check_fitted()
        if self.task_ == "classification":
            pred = self.predict_classes(X)
            y = np.asarray(y)
            if self.multilabel_:
                return float(np.mean(np.all(pred == (y > 0.5), axis=1)))
            return float(np.mean(pred == y))
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        P = self.predict(X)
        ss_res = float(((Y - P) ** 2).sum())
        ss_tot = float(((Y - Y.mean(axis=0)) ** 2).sum())
        return 1.0 - ss_res / ss_tot if ss_tot > 0 else float(ss_res == 0)

    def __repr__(self):
        defaults = type(self)().get_params()
        changed = {k: v for k, v in self.get_params().items() if not _same(v, defaults[k])}
        return f"CascadeCorrelation({', '.join(f'{k}={v!r}' for k, v in changed.items())})"


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:
        return False


# ------------------------------------------------------------ parallel trials
def _worker(args):
    X, T, rngs, cfg, val = args
    try:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(1)
    except ImportError:  # pragma: no cover - optional
        limit = None
    try:
        return BatchRunner(X, T, rngs, cfg, val).run()
    finally:
        if limit is not None:
            limit.unregister()


def _run_parallel(X, T, rngs, cfg, val, n_jobs):
    """Deal the trials out to ``n_jobs`` processes, each running one batch."""
    import concurrent.futures as cf
    import multiprocessing as mp

    shares = [list(range(j, len(rngs), n_jobs)) for j in range(n_jobs)]
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() and os.name == "posix"
                         else "spawn")
    with cf.ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as ex:
        futures = [ex.submit(_worker, (X, T, [rngs[i] for i in share], cfg, val))
                   for share in shares]
        parts = [f.result() for f in futures]
    results = [None] * len(rngs)
    for share, part in zip(shares, parts):
        for i, r in zip(share, part):
            results[i] = r
    return results
