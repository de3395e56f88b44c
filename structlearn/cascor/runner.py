"""Many independent cascade-correlation runs advanced together, one epoch at a time.

:class:`BatchRunner` holds ``B`` independent trials (the same data, different
random seeds) with their arrays stacked along a leading trial axis.  Each
:meth:`BatchRunner.step` advances every unfinished trial by one epoch of
whatever phase it is in, with a handful of batched numpy calls:
:func:`~structlearn.cascor.core.candidate_terms` for the trials in their
candidate phase (kept in the first slots), :func:`~structlearn.cascor.core.output_terms`
for the others.  The output weights and the candidate weights of a trial share
their fan-in, so they are stored side by side in one array ``W`` of shape
(B, O + K, F), and a single :func:`~structlearn.optim.quickprop_step` updates
it; a per-row *commit mask* keeps the updates of each trial's phase.  Phase
changes and unit installations are per-trial events handled in Python; they
are rare (about two per installed unit).  Finished trials leave the arrays.

A single run is the batch of one, so
:class:`~structlearn.cascor.CascadeCorrelation` and the multi-trial benchmark
execute the same code.

Each trial keeps its own :class:`~structlearn.network.Network`: it is created
by :meth:`Network.cascade`, or is a copy of a given network (``network=``: its
hidden part is fixed and its node values go into the cache once, exactly like
installed units'; see :class:`BatchRunner`), and every winning candidate is
installed into it with :meth:`Network.add_block` (a new layer) or
:meth:`Network.add_units` (a sibling joining the deepest layer) as a frozen
unit.  The values of the
installed units on the training (and validation) patterns are cached: when a
unit is installed its values are computed once, from the cached values of the
units that feed it, and the cache gains a row; nothing ever recomputes the
frozen part of the network.  During training a trial's output weights live in
``W[:, :O]`` (column 0 the bias, then the output block's rows, in order); they
are written back into its network when the trial ends or a snapshot is taken.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..activations import get_activation
from ..history import History
from ..network import Network
from ..optim import quickprop_step
from .core import candidate_terms, error_stats, output_terms, patience_step, workspace
from .pool import SIBLING, CandidatePool

__all__ = ["BatchRunner", "TrialResult", "RunConfig"]


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


#: per-trial arrays that follow the trials when finished ones leave the batch
_SLOT_ARRAYS = ("tid", "V", "Vv", "W", "d", "p", "smask", "eps", "W_start", "prev_cor", "e_aug",
                "e_cen", "e_mean", "sse", "out_phase", "rows", "corr_only", "fan", "n_hidden",
                "hidden_weights", "phase_i", "last", "quit_at", "patience", "threshold",
                "max_epochs", "best", "best_score", "epochs", "cross_fwd", "cross_bwd", "n_conn",
                "last_true_error", "last_bits", "done")


class BatchRunner:
    """``B`` independent cascade-correlation trials on the same data.

    Parameters
    ----------
    X : ndarray (P, n_inputs)
        Training inputs, in ``cfg.dtype``.
    T : ndarray (P, O)
        Training targets (already encoded for the output activation).
    rngs : list of numpy.random.Generator
        One per trial; a trial draws every random number from its own.
    cfg : RunConfig
    validation : tuple (Xv, Tv) or None
        Validation patterns: after each output phase the validation error is
        measured; the run stops when it has not improved for
        ``cfg.validation_patience`` installed units, and the network is cut back
        to its best size (cascor v1.1's ``validation_epoch``).
    network : Network, optional
        Start every trial from a copy of this network instead of
        :meth:`Network.cascade` (it is never changed). Its hidden blocks stay as
        they are (weights, masks, trainable flags): their values on the patterns
        are computed once into the cache, like installed units, and nothing
        trains them. Its output block (activation ``cfg.output_activation``,
        ``O`` outputs) is what the output phase trains; where it does not read
        every node, the missing sources are added first with zero weights
        (:meth:`Network.add_sources`, function-preserving), so new units'
        outputs join a block that sees every node. Masked output weights stay
        zero (the rows of the commit mask ``smask``). ``max_hidden_units`` counts
        the new units; the first new unit always starts a new layer (siblings
        join layers that this run created).
    """

    #: The fan-in the batched products use (the largest of the batch) is rounded
    #: up to a multiple of this.  BLAS kernels unroll the reduction (OpenBLAS's
    #: small-matrix sgemm by 8): with whole blocks of zero padding a trial's
    #: sums do not depend on the other trials' fan-ins, so a float32 trial gives
    #: the same bits alone or in any batch (float64 does anyway; tested).
    F_ALIGN = 8

    def __init__(self, X, T, rngs, cfg, validation=None, network=None):
        self.cfg = cfg
        dt = cfg.dtype
        P, n_in = X.shape
        O = T.shape[1]
        B = len(rngs)
        K = cfg.pool.size
        C = O + K
        start = None if network is None else self._start_network(network, n_in, O)
        H0 = 0 if start is None else start.n_hidden_units
        fan0 = 1 + n_in + H0
        Fmax = -(-(fan0 + cfg.max_hidden_units) // self.F_ALIGN) * self.F_ALIGN
        self.B, self.P, self.O, self.K, self.C = B, P, O, K, C
        self.n_in, self.Fmax = n_in, Fmax
        self.X = X
        self.rngs = list(rngs)
        self.targets = np.ascontiguousarray(T.T[None], dtype=dt)
        self.out_act = get_activation(cfg.output_activation)
        self.prime_offset = 0.0 if cfg.output_activation == "linear" else cfg.sigmoid_prime_offset
        if cfg.error_measure == "index":
            t = T.ravel().astype(np.float64)
            n = t.size
            var = (n * np.dot(t, t) - t.sum() ** 2) / (n * (n - 1.0)) if n > 1 else 0.0
            self.target_std = float(np.sqrt(max(var, 0.0))) or 1.0
        same_mu = cfg.output_mu == cfg.candidate_mu
        self.mu = cfg.output_mu if same_mu else \
            np.r_[np.full(O, cfg.output_mu), np.full(K, cfg.candidate_mu)].astype(dt)[None, :, None]
        self.decay = None
        if cfg.output_decay or cfg.candidate_decay:
            self.decay = np.r_[np.full(O, cfg.output_decay),
                               np.full(K, cfg.candidate_decay)].astype(dt)[None, :, None]

        # the cache of unit values, one row per unit: bias, inputs, hidden units
        self.V = np.zeros((B, Fmax, P), dt)
        self.V[:, 0] = 1.0
        self.V[:, 1:1 + n_in] = X.T
        if H0:      # a given network's hidden nodes: computed once, like installed units
            self.V[:, 1 + n_in:fan0] = self._hidden_values(start, X)
        self.Vv = self.val = None
        if validation is not None:
            Xv, Tv = validation
            self.Vv = np.zeros((B, Fmax, len(Xv)), dt)
            self.Vv[:, 0] = 1.0
            self.Vv[:, 1:1 + n_in] = Xv.T
            if H0:
                self.Vv[:, 1 + n_in:fan0] = self._hidden_values(start, Xv)
            self.val = np.ascontiguousarray(Tv.T, dtype=dt)

        # networks, and the output weights they start with
        if start is None:
            self.nets = [Network.cascade(n_in, O, output=cfg.output_activation,
                                         weight_range=cfg.weight_range, rng=rng, dtype=dt)
                         for rng in self.rngs]
        else:
            self.nets = [start.copy() for _ in self.rngs]
        self.W = np.zeros((B, C, Fmax), dt)        # output units' rows, then candidates'
        for t, net in enumerate(self.nets):
            self.W[t, :O, 0] = net.blocks[-1].b
            self.W[t, :O, 1:fan0] = net.blocks[-1].W.T
        self.d = np.zeros_like(self.W)             # quickprop: previous steps
        self.p = np.zeros_like(self.W)             # quickprop: previous slopes
        self.smask = np.zeros_like(self.W)         # the inputs each unit may use
        self.smask[:, :O] = 1.0
        self.h0 = H0                               # hidden units of the start network
        self.out_masked = 0                        # masked output weights (held at zero)
        if start is not None and start.blocks[-1].mask is not None:
            self.smask[:, :O, 1:fan0] = start.blocks[-1].mask.T
            self.out_masked = int((~start.blocks[-1].mask).sum())
        self.eps = np.zeros((B, C, 1), dt)
        self.eps[:, :O] = cfg.output_epsilon / P   # the code: epsilon / patterns
        self.W_start = self.W[:, :O].copy()        # output weights at the phase start

        # candidate-phase state
        self.prev_cor = np.zeros((B, K, O), dt)
        self.e_aug = np.zeros((B, P, O + 1), dt)
        self.e_cen = np.zeros((B, O, P), dt)
        self.e_mean = np.zeros((B, O), dt)
        self.sse = np.ones(B, dt)

        # per-trial counters and flags
        self.tid = np.arange(B)
        self.out_phase = np.ones(B, bool)
        self.rows = np.zeros((B, C, 1), bool)     # the rows the current phase trains
        self.rows[:, :O] = True
        self.patience = np.full(B, cfg.output_patience, np.int64)   # of the current phase
        self.threshold = np.full(B, cfg.output_change_threshold)
        self.max_epochs = np.full(B, cfg.output_epochs, np.int64)
        self.corr_only = np.zeros(B, bool)
        self.done = np.zeros(B, bool)
        self.fan = np.full(B, fan0, np.int64)
        self.n_hidden = np.full(B, H0, np.int64)
        self.hidden_weights = np.zeros(B, np.int64)
        self.phase_i = np.zeros(B, np.int64)
        self.last = np.zeros(B, np.float64)
        self.quit_at = np.zeros(B, np.int64)
        self.best = np.zeros(B, np.int64)
        self.best_score = np.zeros(B, np.float64)
        self.epochs = np.zeros(B, np.int64)
        self.cross_fwd = np.zeros(B, np.int64)
        if start is not None:
            self.hidden_weights[:] = sum(blk.W.size + blk.b.size for blk in start.blocks[:-1])
            # computing the start network's hidden values: one forward pass over its
            # active connections
            self.cross_fwd[:] = P * (start.n_active_weights - start.blocks[-1].W.size
                                     - start.blocks[-1].b.size + self.out_masked)
        self.cross_bwd = np.zeros(B, np.int64)
        self.n_conn = np.zeros(B, np.int64)       # connections into the pool
        self.last_true_error = np.full(B, np.nan)
        self.last_bits = np.zeros(B, np.int64)

        # per-trial Python state, by trial id
        depth0 = 0 if start is None else start.depth
        self.depth = [depth0] * B           # hidden layers on the longest path
        # the deepest layer this run created (None: the next unit starts a new layer)
        self.layer_start = [None] * B       # first cache row of the deepest layer
        self.layer_node = [None] * B        # first node of the deepest layer
        bounds, row = [], 1 + n_in
        for w in ([] if start is None else start.node_sizes[1:-1]):
            bounds.append((row, row + w))
            row += w
        self.node_bounds = [list(bounds) for _ in range(B)]   # cache rows of each hidden node
        self.installs = [[] for _ in range(B)]      # (block, unit) of each installed unit
        self.best_val = [None] * B          # (validation error, hidden units, output weights)
        self.snapshots = [[] for _ in range(B)]
        self.results = [None] * B
        meta = dict(algorithm="cascor", pool=cfg.pool.types, kinds=cfg.pool.kinds)
        if start is not None:
            meta["start_network"] = dict(hidden_units=H0, depth=depth0,
                                         blocks=len(start.blocks))
        self.histories = [History(meta=dict(meta)) for _ in range(B)]
        self.work = workspace(B, O, K, P, dt)
        self.slopes = np.zeros((B, C, Fmax), dt)  # scratch: this epoch's slopes
        self.nc = 0                               # trials in their candidate phase
        self.t0 = time.perf_counter()
        self.iterations = 0

    def _start_network(self, network, n_in, O):
        """The template every trial copies: the given network in ``cfg.dtype``, its
        output block reading every node in ascending order (zero weights added)."""
        if not isinstance(network, Network):
            raise TypeError("network: expected a structlearn Network, "
                            f"got {type(network).__name__}")
        if network.n_inputs != n_in or network.n_outputs != O:
            raise ValueError(f"network: it has {network.n_inputs} inputs and "
                             f"{network.n_outputs} outputs, the data {n_in} and {O}")
        if network.blocks[-1].activation != self.cfg.output_activation:
            raise ValueError(f"network: its output activation is "
                             f"{network.blocks[-1].activation!r}, the run's "
                             f"{self.cfg.output_activation!r}")
        net = network.astype(self.cfg.dtype)        # a copy: the caller's is never changed
        out = net.output_block
        every = tuple(range(out + 1))
        if net.blocks[out].sources != every:
            net.add_sources(out, [s for s in every if s not in net.blocks[out].sources])
        return net

    @staticmethod
    def _hidden_values(net, X):
        """The values of every hidden node of ``net`` on ``X``, rows in node order (H, P)."""
        nodes = net.forward(X, return_nodes=True)
        return np.concatenate(nodes[1:-1], axis=1).T

    # ------------------------------------------------------------------ loop
    def run(self):
        """Advance every trial until it stops; return a list of :class:`TrialResult`."""
        while self.step():
            pass
        return self.results

    def step(self):
        """One epoch for every unfinished trial.  Returns False once all are done.

        Slots ``[0, nc)`` hold the trials in their candidate phase, ``[nc, B)``
        those in their output phase, so each part computes only what its phase
        needs (a trial moves across when its phase changes).
        """
        B = self.B
        if B == 0:
            return False
        cfg = self.cfg
        O, P, nc = self.O, self.P, self.nc
        self.iterations += 1
        F = -(-int(self.fan.max()) // self.F_ALIGN) * self.F_ALIGN
        V = self.V[:, :F]
        W = self.W[:, :, :F]
        slopes = self.slopes[:B, :, :F]
        win = np.zeros(B, bool)
        finite = np.ones(B, bool)
        value = np.empty(B)
        if nc:          # the candidate pools
            cor, scores, sc = candidate_terms(
                V[:nc], W[:nc, O:], cfg.pool.groups, self.e_aug[:nc], self.e_cen[:nc],
                self.e_mean[:nc], self.sse[:nc], self.prev_cor[:nc], cfg.score, self.work)
            slopes[:nc, :O] = 0.0
            slopes[:nc, O:] = sc
            self.prev_cor[:nc] = cor
            sel = scores * cfg.pool.penalty
            sel[~np.isfinite(sel)] = -np.inf
            best = sel.argmax(axis=1)
            self.best[:nc] = best
            value[:nc] = self.best_score[:nc] = sel[np.arange(nc), best]
        if nc < B:      # the output units
            E, true_err, bits, so = output_terms(
                V[nc:], W[nc:, :O], self.out_act, self.targets, self.prime_offset,
                cfg.score_threshold, self.work)
            slopes[nc:, :O] = so
            slopes[nc:, O:] = 0.0
            if cfg.error_measure == "bits":
                win[nc:] = bits == 0
            else:
                win[nc:] = self._error_index(true_err) <= cfg.error_index_threshold
            finite[nc:] = np.isfinite(true_err)
            value[nc:] = true_err
            self.last_true_error[nc:] = true_err
            self.last_bits[nc:] = bits
        slopes *= self.smask[:, :, :F]
        if self.decay is not None:
            slopes += self.decay * W
        d, p = self.d[:, :, :F], self.p[:, :, :F]
        step, s = quickprop_step(W, slopes, d, p, self.eps, self.mu)
        # keep the updates of each trial's phase; none on a winning epoch (the
        # code stops before updating), a non-finite one, or the first candidate
        # epoch (it only measures correlations)
        out_m = self.out_phase
        updated = np.where(out_m, ~win & finite, ~self.corr_only)
        commit = self.rows & updated[:, None, None]
        step *= commit
        W += step
        np.copyto(d, step, where=commit)
        np.copyto(p, s, where=commit)

        # counters: the code counts output epochs with an update and every candidate epoch
        fwd = np.where(out_m, P * (O * self.fan - self.out_masked), P * self.n_conn)
        self.cross_fwd += fwd
        self.cross_bwd += fwd * updated
        self.epochs += updated | ~out_m

        # stagnation tests of both phases, skipping the correlation-only epoch
        last, quit_at, stagnant, timeout = patience_step(
            self.phase_i, value, self.last, self.quit_at, self.patience, self.threshold,
            self.max_epochs)
        counted = out_m | updated
        self.last = np.where(counted, last, self.last)
        self.quit_at = np.where(counted, quit_at, self.quit_at)
        self.phase_i += counted
        self.corr_only[:nc] = False

        if cfg.history == "epoch":
            for j in range(B):
                if out_m[j]:
                    self._log(j, "output")
                else:
                    self._log_candidate(j)
        ended = np.where(out_m, win | stagnant | timeout | ~finite, updated & (stagnant | timeout))
        changed = False
        for j in np.flatnonzero(ended):
            j = int(j)
            if out_m[j]:
                self._end_output_phase(j, E[j - nc], bool(win[j]), bool(finite[j]))
            else:
                self._install(j)
            changed = True
        if changed:
            self._repartition()
        if self.done.any():
            self._compact()
        return True

    def _swap(self, a, b):
        """Exchange the trials in slots a and b."""
        if a == b:
            return
        for name in _SLOT_ARRAYS:
            arr = getattr(self, name)
            if arr is None:
                continue
            if arr.ndim == 1:
                arr[a], arr[b] = arr[b], arr[a]     # numpy scalars: copies
            else:
                row = arr[a].copy()
                arr[a] = arr[b]
                arr[b] = row

    def _repartition(self):
        """Restore the slot order after phase changes: candidate phases first."""
        nc, live = self.nc, ~self.done
        to_out = list(np.flatnonzero(self.out_phase[:nc] & live[:nc]))
        to_cand = list(nc + np.flatnonzero(~self.out_phase[nc:] & live[nc:]))
        while to_out and to_cand:           # one swap fixes two trials
            self._swap(int(to_out.pop()), int(to_cand.pop()))
        for i in sorted(to_out, reverse=True):
            self._swap(int(i), nc - 1)
            nc -= 1
        for k in sorted(to_cand):
            self._swap(int(k), nc)
            nc += 1
        self.nc = nc

    def _compact(self):
        """Drop finished trials from every per-trial array (the slot order is kept)."""
        keep = ~self.done
        for name in _SLOT_ARRAYS:
            arr = getattr(self, name)
            if arr is not None:
                setattr(self, name, arr[keep])
        self.B = int(keep.sum())
        self.nc = int((~self.out_phase).sum())

    def _error_index(self, true_err):
        """Lapedes & Faber's error index: RMS error over the targets' standard deviation."""
        return np.sqrt(true_err / (self.P * self.O)) / self.target_std

    # --------------------------------------------------------- output phase
    def _end_output_phase(self, j, E, win, finite):
        cfg = self.cfg
        t = int(self.tid[j])
        if not finite:
            # back to the last weights that gave a finite error: never return NaNs
            self.W[j, :self.O] = self.W_start[j]
            self._finish(j, "diverged", False)
            return
        if cfg.history == "phase":
            self._log(j, "output")
        if cfg.snapshots:
            self._sync(j)
            self.snapshots[t].append((int(self.n_hidden[j]), self.nets[t].copy()))
        if win:
            self._finish(j, "victory", True)
            return
        if self.val is not None and self._validation_stop(j):
            return
        if self.n_hidden[j] - self.h0 >= cfg.max_hidden_units:
            self._finish(j, "max_units", False)
            return
        self._start_candidates(j, E)

    def _validation_stop(self, j):
        """cascor v1.1's validation epoch: remember the best size, stop after patience."""
        t = int(self.tid[j])
        fan = int(self.fan[j])
        Y = self.out_act.f(self.W[j, :self.O, :fan] @ self.Vv[j, :fan])
        D = Y - self.val
        err = float(np.vdot(D, D))
        hidden = int(self.n_hidden[j])
        best = self.best_val[t]
        improved = best is None or err < best[0]
        self.histories[t].event("validation", epoch=int(self.epochs[j]), error=err,
                                units=hidden, best=improved)
        if improved:
            self.best_val[t] = (err, hidden, self.W[j, :self.O, :fan].copy())
            return False
        if hidden - best[1] <= self.cfg.validation_patience:
            return False
        self._cut_back(j, best[1], best[2])
        self._finish(j, "validation", False)
        return True

    def _cut_back(self, j, hidden, W_best):
        """Remove the units installed after the best validation size."""
        t = int(self.tid[j])
        net = self.nets[t]
        while self.n_hidden[j] > hidden:
            block, unit = self.installs[t].pop()
            net.remove_units(block, [unit])
            self.n_hidden[j] -= 1
            self.fan[j] -= 1
            row = int(self.fan[j])
            self.V[j, row] = 0.0
            self.Vv[j, row] = 0.0
        fan = int(self.fan[j])
        self.W[j, :self.O] = 0.0
        self.W[j, :self.O, :fan] = W_best
        self.hidden_weights[j] = sum(blk.W.size + blk.b.size for blk in net.blocks[:-1])
        bounds, col = [], 1 + self.n_in
        for blk in net.blocks[:-1]:
            bounds.append((col, col + blk.width))
            col += blk.width
        self.node_bounds[t] = bounds

    # ------------------------------------------------------ candidate phase
    def _start_candidates(self, j, E):
        cfg = self.cfg
        O, K = self.O, self.K
        t = int(self.tid[j])
        fan = int(self.fan[j])
        mask = np.zeros((self.Fmax, K), cfg.dtype)
        mask[:fan] = 1.0
        if self.layer_start[t] is not None:
            # siblings would join the deepest layer: they do not see it
            mask[self.layer_start[t]:fan, cfg.pool.is_sibling] = 0.0
        w = self.rngs[t].uniform(-cfg.weight_range, cfg.weight_range, (fan, K))
        self.smask[j, O:] = mask.T
        self.W[j, O:] = 0.0
        self.W[j, O:, :fan] = (w * mask[:fan]).T
        self.d[j, O:] = 0.0
        self.p[j, O:] = 0.0
        self.prev_cor[j] = 0.0
        e_aug, e_cen, e_mean, sse = error_stats(E[None])
        self.e_aug[j], self.e_cen[j], self.e_mean[j] = e_aug[0], e_cen[0], e_mean[0]
        self.sse[j] = max(float(sse[0]), float(np.finfo(cfg.dtype).tiny))
        # the code scales epsilon by patterns x units (bias and inputs counted)
        self.eps[j, O:] = cfg.candidate_epsilon / (self.P * fan)
        self.n_conn[j] = int(mask.sum())
        self._new_phase(j, output=False)
        self.corr_only[j] = True      # the first epoch only measures correlations

    def _new_phase(self, j, output):
        cfg = self.cfg
        self.out_phase[j] = output
        self.rows[j, :self.O] = output
        self.rows[j, self.O:] = not output
        if output:
            self.patience[j], self.threshold[j] = cfg.output_patience, cfg.output_change_threshold
            self.max_epochs[j] = cfg.output_epochs
        else:
            self.patience[j] = cfg.candidate_patience
            self.threshold[j] = cfg.candidate_change_threshold
            self.max_epochs[j] = cfg.candidate_epochs
        self.phase_i[j] = 0
        self.last[j] = 0.0
        self.quit_at[j] = 0

    # --------------------------------------------------------------- install
    def _install(self, j):
        """Install trial j's best candidate as a frozen unit; back to the output phase."""
        cfg = self.cfg
        pool = cfg.pool
        O = self.O
        t = int(self.tid[j])
        net = self.nets[t]
        k = int(self.best[j])
        fan = int(self.fan[j])
        act, kind = pool.types[k], pool.kinds[k]
        w = self.W[j, O + k, :fan].astype(np.float64)
        cor = self.prev_cor[j, k].astype(np.float64)
        if cfg.history == "phase":
            self._log_candidate(j)
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(cor))):
            self._finish(j, "diverged", False)
            return
        mult = cfg.weight_multiplier if cfg.error_measure == "bits" else cfg.weight_multiplier / fan
        out_w = -cor * mult
        out = net.output_block
        rng = self.rngs[t]   # nothing is drawn (every weight is given)
        if self.layer_start[t] is None or kind != SIBLING:
            # a new, deeper layer: the unit reads every node
            block = net.add_block(1, tuple(range(out + 1)), act, consumers=[out], W=w[1:, None],
                                  b=w[:1], outgoing=out_w[None, :], trainable=False, rng=rng)
            self.layer_start[t], self.layer_node[t] = fan, block + 1
            self.depth[t] += 1
            self.node_bounds[t].append((fan, fan + 1))
            unit, n_in_w, new_layer = 0, fan - 1, True
        else:
            # a sibling: it joins the deepest layer and does not read it
            ls = self.layer_start[t]
            last = out - 1
            if net.blocks[last].activation == act:
                unit = int(net.add_units(last, 1, incoming=w[1:ls, None], bias=w[:1],
                                         outgoing=out_w[None, :], rng=rng)[0])
                block = last
                lo, _ = self.node_bounds[t][-1]
                self.node_bounds[t][-1] = (lo, fan + 1)
            else:
                # another activation cannot share the block: a parallel block, same depth
                block = net.add_block(1, tuple(range(self.layer_node[t])), act, consumers=[out],
                                      W=w[1:ls, None], b=w[:1], outgoing=out_w[None, :],
                                      trainable=False, rng=rng)
                unit = 0
                self.node_bounds[t].append((fan, fan + 1))
            w = np.where(np.arange(fan) < ls, w, 0.0)
            n_in_w, new_layer = ls - 1, False
        self.installs[t].append((block, unit))
        # cache the new unit's values: its function of the cached values it reads
        f = get_activation(act).f
        self.V[j, fan] = f(w.astype(cfg.dtype) @ self.V[j, :fan])
        if self.Vv is not None:
            self.Vv[j, fan] = f(w.astype(cfg.dtype) @ self.Vv[j, :fan])
        self.cross_fwd[j] += self.P * (n_in_w + 1)
        self.W[j, :O, fan] = out_w
        self.d[j, :O, fan] = 0.0
        self.p[j, :O, fan] = 0.0
        self.fan[j] = fan + 1
        self.n_hidden[j] += 1
        self.hidden_weights[j] += n_in_w + 1
        self.histories[t].event(
            "unit_added", epoch=int(self.epochs[j]), unit_kind=kind, activation=act,
            score=float(self.best_score[j]), block=int(block), new_layer=new_layer,
            units=int(self.n_hidden[j]), depth=self.depth[t])
        if new_layer:
            self.histories[t].event("block_added", epoch=int(self.epochs[j]), block=int(block),
                                    depth=self.depth[t])
        self.W_start[j] = self.W[j, :O]
        self._new_phase(j, output=True)

    # ----------------------------------------------------------- bookkeeping
    def _sync(self, j):
        """Write trial j's output weights into its network."""
        t = int(self.tid[j])
        out = self.nets[t].blocks[-1]
        fan = int(self.fan[j])
        out.b[:] = self.W[j, :self.O, 0]
        out.W[:] = self.W[j, :self.O, 1:fan].T

    def _finish(self, j, reason, success):
        self._sync(j)
        t = int(self.tid[j])
        net = self.nets[t]
        cross = int(self.cross_fwd[j] + self.cross_bwd[j])
        depth = int(net.depth)
        h = self.histories[t]
        h.event("stop", epoch=int(self.epochs[j]), reason=reason, success=bool(success),
                units=int(self.n_hidden[j]), depth=depth)
        h.meta.update(success=bool(success), stop_reason=reason, epochs=int(self.epochs[j]),
                      hidden_units=int(self.n_hidden[j]), depth=depth,
                      crossings=cross, crossings_forward=int(self.cross_fwd[j]))
        self.results[t] = TrialResult(
            network=net, history=h, success=bool(success), stop_reason=reason,
            epochs=int(self.epochs[j]), crossings=cross, crossings_forward=int(self.cross_fwd[j]),
            hidden_units=int(self.n_hidden[j]), depth=depth, snapshots=self.snapshots[t])
        self.done[j] = True

    def _weights(self, j):
        return int(self.O * self.fan[j] + self.hidden_weights[j])

    def _log(self, j, phase):
        t = int(self.tid[j])
        true_err = float(self.last_true_error[j])
        self.histories[t].log(
            epoch=int(self.epochs[j]), phase=phase, loss=0.5 * true_err / self.P,
            units=int(self.n_hidden[j]), weights=self._weights(j),
            seconds=time.perf_counter() - self.t0, true_error=true_err,
            error_bits=int(self.last_bits[j]),
            crossings=int(self.cross_fwd[j] + self.cross_bwd[j]))

    def _log_candidate(self, j):
        t = int(self.tid[j])
        self.histories[t].log(
            epoch=int(self.epochs[j]), phase="candidate",
            loss=0.5 * float(self.last_true_error[j]) / self.P, units=int(self.n_hidden[j]),
            weights=self._weights(j), seconds=time.perf_counter() - self.t0,
            score=float(self.best_score[j]),
            crossings=int(self.cross_fwd[j] + self.cross_bwd[j]))
