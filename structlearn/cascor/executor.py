"""The executor: many cascade-correlation trials advanced together, one epoch at a time.

The policy (:func:`~structlearn.cascor.policy.cascade_correlation`) says what a trial does;
this module only runs it. :class:`Executor` holds ``B`` independent trials (the same data,
different seeds) with their numbers stacked along a leading trial axis, and each
:meth:`Executor.step` advances every unfinished trial by one epoch of the phase its policy
asked for, with the pure step functions of :mod:`.steps`: one
:func:`~structlearn.cascor.steps.candidate_terms` for the trials in their candidate phase
(kept in the first slots), one :func:`~structlearn.cascor.steps.output_terms` for the others,
one quickprop step for each, and one patience test for all. When a trial's phase ends, its
policy is resumed (a Python event, about two per installed unit) and says what comes next.
A single :meth:`CascadeCorrelation.fit` is the batch of one: the same code.

A trial's numbers do not depend on the other trials of its batch: every product is cut into
pieces whose shapes the run fixes (:func:`~structlearn.cascor.steps.fan_product`), and
everything else is element-wise or within a trial.
"""
from __future__ import annotations

import time

import numpy as np

from ..activations import get_activation
from ..history import History
from ..network import Network
from . import accel
from .config import TrialResult
from .policy import CANDIDATES, OUTPUT, PhaseEnd, cascade_correlation, hidden_weights
from .steps import (candidate_terms, output_terms, padded_fan, patience_step, quickprop_update,
                    workspace)

__all__ = ["Executor", "Trial"]

#: per-trial arrays, stacked over the slots; they follow a trial when it changes slot
_SLOT_ARRAYS = ("tid", "V", "Vv", "W_out", "d_out", "p_out", "smask_out", "W_start", "W_cand",
                "d_cand", "p_cand", "mask_cand", "X_cand", "dx_cand", "px_cand", "eps_cand",
                "prev_cor", "e_aug", "e_cen",
                "e_mean", "sse", "out_phase", "corr_only", "fan", "n_hidden", "hidden_weights",
                "phase_i", "last", "quit_at", "patience", "threshold", "max_epochs", "best",
                "best_score", "epochs", "cross_fwd", "cross_bwd", "n_conn", "last_true_error",
                "last_bits", "done")
_SLOTTED = frozenset(_SLOT_ARRAYS)


class Trial:
    """One trial: its network, random generator, history and policy.

    Its numbers live in the executor's stacked arrays: ``t.V`` is ``executor.V[t.slot]``
    (a view), ``t.fan`` is ``executor.fan[t.slot]``, and assigning ``t.fan = ...`` writes
    there; the executor sets ``slot`` before it resumes the policy.
    """

    def __init__(self, ex, tid, network, rng, history, depth, node_bounds):
        d = self.__dict__
        d.update(ex=ex, tid=tid, slot=tid, network=network, rng=rng, history=history,
                 cfg=ex.cfg, O=ex.O, P=ex.P, n_in=ex.n_in, h0=ex.h0, out_act=ex.out_act,
                 val=ex.val, layout=ex.layout, layout_val=ex.layout_val,
                 depth=depth, node_bounds=node_bounds, layer_start=None,
                 layer_node=None, installs=[], best_val=None, snapshots=[], result=None)
        d["policy"] = cascade_correlation(self)

    def __getattr__(self, name):
        if name in _SLOTTED:
            arr = getattr(self.ex, name)
            return None if arr is None else arr[self.slot]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in _SLOTTED:
            getattr(self.ex, name)[self.slot] = value
        else:
            self.__dict__[name] = value

    def sync(self):
        """Write the trial's output weights into its network."""
        out = self.network.blocks[-1]
        fan = int(self.fan)
        out.b[:] = self.W_out[:, 0]
        out.W[:] = self.W_out[:, 1:fan].T

    def snapshot(self):
        self.sync()
        self.snapshots.append((int(self.n_hidden), self.network.copy()))

    def finish(self, reason, success):
        """Record the result; the trial leaves the batch."""
        self.sync()
        net, h = self.network, self.history
        cross = int(self.cross_fwd + self.cross_bwd)
        depth = int(net.depth)
        h.event("stop", epoch=int(self.epochs), reason=reason, success=bool(success),
                units=int(self.n_hidden), depth=depth)
        h.meta.update(success=bool(success), stop_reason=reason, epochs=int(self.epochs),
                      hidden_units=int(self.n_hidden), depth=depth,
                      crossings=cross, crossings_forward=int(self.cross_fwd))
        self.result = TrialResult(
            network=net, history=h, success=bool(success), stop_reason=reason,
            epochs=int(self.epochs), crossings=cross, crossings_forward=int(self.cross_fwd),
            hidden_units=int(self.n_hidden), depth=depth, snapshots=self.snapshots)
        self.done = True

    def log(self, phase):
        """One History row (per epoch, or per phase with ``history="phase"``)."""
        true_err = float(self.last_true_error)
        row = dict(epoch=int(self.epochs), phase=phase, loss=0.5 * true_err / self.P,
                   units=int(self.n_hidden), weights=int(self.O * self.fan + self.hidden_weights),
                   seconds=time.perf_counter() - self.ex.t0)
        if phase == "output":
            row.update(true_error=true_err, error_bits=int(self.last_bits))
        else:
            row.update(score=float(self.best_score))
        row["crossings"] = int(self.cross_fwd + self.cross_bwd)
        self.history.log(**row)


class Executor:
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
        Validation patterns (the policy's validation stop).
    network : Network, optional
        Start every trial from a copy of this network instead of :meth:`Network.cascade`
        (it is never changed). Its hidden blocks stay as they are: their values on the
        patterns are computed once into the cache, like installed units, and nothing trains
        them. Its output block is what the output phase trains; where it does not read every
        node, the missing sources are added first with zero weights
        (:meth:`Network.add_sources`, function-preserving). Masked output weights stay zero
        (``smask_out``). ``max_hidden_units`` counts the new units; the first new unit always
        starts a new layer.
    layout, validation_layout : SequenceLayout, optional
        The patterns (of ``X``; of the validation data) are the time steps of sequences, in
        this time-major order (:mod:`structlearn.sequences`; Recurrent Cascade-Correlation,
        Fahlman 1991): recurrent candidates and a recurrent start network's units run along
        time on them, the output units are feed-forward on every step.
    """

    def __init__(self, X, T, rngs, cfg, validation=None, network=None, accelerate=False,
                 layout=None, validation_layout=None):
        self.cfg = cfg
        self.layout, self.layout_val = layout, validation_layout
        if layout is None and any(getattr(k, "sequential", False) for k in cfg.pool.members):
            raise ValueError("unit_type: recurrent candidates need sequence data (use "
                             "structlearn.RecurrentCascadeCorrelation, whose fit takes sequences)")
        if layout is None and network is not None and network.is_recurrent:
            raise ValueError("network: it has recurrent blocks, which run on sequences only "
                             "(use structlearn.RecurrentCascadeCorrelation)")
        if layout is not None and layout.n_steps != len(X):
            raise ValueError(f"layout: it has {layout.n_steps} time steps, X {len(X)} rows")
        dt = cfg.dtype
        P, n_in = X.shape
        O = T.shape[1]
        B = len(rngs)
        pool = cfg.pool
        R, Kv = pool.n_rows, pool.n_values
        start = None if network is None else self._start_network(network, n_in, O)
        H0 = 0 if start is None else start.n_hidden_units
        fan0 = 1 + n_in + H0
        self.head = fan0                            # the fan-in every trial shares
        Fmax = padded_fan(fan0 + cfg.max_hidden_units * max(k.n_outputs for k in pool.members),
                          fan0)
        self.B, self.P, self.O, self.n_in, self.Fmax, self.h0 = B, P, O, n_in, Fmax, H0
        self.X = X
        self.targets = np.ascontiguousarray(T.T[None], dtype=dt)
        self.out_act = get_activation(cfg.output_activation)
        self.prime_offset = 0.0 if cfg.output_activation == "linear" else cfg.sigmoid_prime_offset
        if cfg.error_measure == "index":
            t = T.ravel().astype(np.float64)
            n = t.size
            var = (n * np.dot(t, t) - t.sum() ** 2) / (n * (n - 1.0)) if n > 1 else 0.0
            self.target_std = float(np.sqrt(max(var, 0.0))) or 1.0
        self.eps_out = np.asarray(cfg.output_epsilon / P, dt)   # the code: epsilon / patterns

        # the cache of node values, one row per unit: bias, inputs, hidden units
        self.V = np.zeros((B, Fmax, P), dt)
        self.V[:, 0] = 1.0
        self.V[:, 1:1 + n_in] = X.T
        if H0:      # a given network's hidden nodes: computed once, like installed units
            self.V[:, 1 + n_in:fan0] = self._hidden_values(start, X, layout)
        self.Vv = self.val = None
        if validation is not None:
            Xv, Tv = validation
            self.Vv = np.zeros((B, Fmax, len(Xv)), dt)
            self.Vv[:, 0] = 1.0
            self.Vv[:, 1:1 + n_in] = Xv.T
            if H0:
                self.Vv[:, 1 + n_in:fan0] = self._hidden_values(start, Xv, validation_layout)
            self.val = np.ascontiguousarray(Tv.T, dtype=dt)

        if start is None:
            nets = [Network.cascade(n_in, O, output=cfg.output_activation,
                                    weight_range=cfg.weight_range, rng=rng, dtype=dt)
                    for rng in rngs]
        else:
            nets = [start.copy() for _ in rngs]
        # output units: weights (column 0 the bias), quickprop state, the weights they may use
        self.W_out = np.zeros((B, O, Fmax), dt)
        for t, net in enumerate(nets):
            self.W_out[t, :, 0] = net.blocks[-1].b
            self.W_out[t, :, 1:fan0] = net.blocks[-1].W.T
        self.d_out = np.zeros_like(self.W_out)     # quickprop: previous steps
        self.p_out = np.zeros_like(self.W_out)     # quickprop: previous slopes
        self.smask_out = np.ones_like(self.W_out)
        self.out_masked = 0                        # masked output weights (held at zero)
        if start is not None and start.blocks[-1].mask is not None:
            self.smask_out[:, :, 1:fan0] = start.blocks[-1].mask.T
            self.out_masked = int((~start.blocks[-1].mask).sum())
        self.W_start = self.W_out.copy()           # output weights at the phase start
        # candidates: weights, quickprop state, the weights each may use, step size
        self.W_cand = np.zeros((B, R, Fmax), dt)
        self.d_cand = np.zeros_like(self.W_cand)
        self.p_cand = np.zeros_like(self.W_cand)
        self.mask_cand = np.zeros_like(self.W_cand)
        self.X_cand = np.zeros((B, pool.n_extra), dt)     # extra parameters of the kinds
        self.dx_cand = np.zeros_like(self.X_cand)
        self.px_cand = np.zeros_like(self.X_cand)
        self.eps_cand = np.zeros((B, 1, 1), dt)
        # the residual errors the candidates correlate with, and their correlations
        self.prev_cor = np.zeros((B, Kv, O), dt)
        self.e_aug = np.zeros((B, P, O + 1), dt)
        self.e_cen = np.zeros((B, O, P), dt)
        self.e_mean = np.zeros((B, O), dt)
        self.sse = np.ones(B, dt)

        # per-trial counters and flags
        self.tid = np.arange(B)
        self.out_phase = np.ones(B, bool)
        self.patience = np.zeros(B, np.int64)      # of the current phase
        self.threshold = np.zeros(B)
        self.max_epochs = np.zeros(B, np.int64)
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
            self.hidden_weights[:] = hidden_weights(start)
            # computing the start network's hidden values: one forward pass over its
            # active connections
            self.cross_fwd[:] = P * (start.n_active_weights - start.blocks[-1].W.size
                                     - start.blocks[-1].b.size + self.out_masked)
        self.cross_bwd = np.zeros(B, np.int64)
        self.n_conn = np.zeros(B, np.int64)       # connections into the pool
        self.last_true_error = np.full(B, np.nan)
        self.last_bits = np.zeros(B, np.int64)

        depth0 = 0 if start is None else start.depth
        bounds, row = [], 1 + n_in
        for w in ([] if start is None else start.node_sizes[1:-1]):
            bounds.append((row, row + w))
            row += w
        meta = dict(algorithm="cascor", pool=pool.types, kinds=pool.kinds)
        if start is not None:
            meta["start_network"] = dict(hidden_units=H0, depth=depth0,
                                         blocks=len(start.blocks))
        self.trials = [Trial(self, t, nets[t], rngs[t], History(meta=dict(meta)), depth0,
                             list(bounds)) for t in range(B)]
        self.work = workspace(B, O, R, P, dt, Kv)
        # slopes, the width of the whole cache: quickprop runs over contiguous rows (numpy's
        # per-call cost is three times lower than on a view); past the batch's fan-in they
        # stay zero, and so do the weights there
        self.work["Sc"] = np.zeros((B, R, Fmax), dt)
        self.work["So"] = np.zeros((B, O, Fmax), dt)
        self.F = 0
        self.nc = 0                               # trials in their candidate phase
        # a batch of one may run whole phases in compiled kernels (optional, needs numba)
        self.accel = bool(accelerate) and B == 1 and accel.supported(cfg)
        self.t0 = time.perf_counter()
        self.iterations = 0
        for j, trial in enumerate(self.trials):
            self._enter(j, next(trial.policy))

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
    def _hidden_values(net, X, layout=None):
        """The values of every hidden node of ``net`` on ``X``, rows in node order (H, P)
        (``layout``: ``X`` holds time steps of sequences, time-major)."""
        if layout is None:
            nodes = net.forward(X, return_nodes=True)
        else:
            nodes = net._forward(net.check_X(X), layout=layout)
        return np.concatenate(nodes[1:-1], axis=1).T

    # ------------------------------------------------------------------ loop
    def run(self):
        """Advance every trial until it stops; return a list of :class:`TrialResult`."""
        while self.step():
            pass
        return [t.result for t in self.trials]

    def step(self):
        """One epoch for every unfinished trial.  Returns False once all are done.

        Slots ``[0, nc)`` hold the trials in their candidate phase, ``[nc, B)`` those in
        their output phase, so each part computes only what its phase needs.
        """
        B = self.B
        if B == 0:
            return False
        if self.accel:
            return self._accel_phase()
        cfg = self.cfg
        P, nc = self.P, self.nc
        self.iterations += 1
        F = padded_fan(self.fan[0] if B == 1 else self.fan.max(), self.head)
        if F < self.F:                      # the widest trial left: clear its slopes
            self.work["Sc"][:, :, F:] = 0.0
            self.work["So"][:, :, F:] = 0.0
        self.F = F
        V = self.V[:, :F]
        win = np.zeros(B, bool)
        finite = np.ones(B, bool)
        value = np.empty(B)
        updated = np.empty(B, bool)
        if nc:
            self._candidate_epoch(V[:nc], F, value, updated)
        E = None
        if nc < B:
            E = self._output_epoch(V[nc:], F, win, finite, value, updated)

        out_m = self.out_phase
        if B == 1:
            ended = [0] if self._bookkeep_one(win, finite, value, updated) else []
        else:
            ended = self._bookkeep(win, finite, value, updated)
        if cfg.history == "epoch":
            for j in range(B):
                self._trial(j).log("output" if out_m[j] else "candidate")
        changed = False
        for j in ended:
            j = int(j)
            trial = self._trial(j)
            end = PhaseEnd(bool(win[j]), bool(finite[j]), E[j - nc] if out_m[j] else None)
            try:
                self._enter(j, trial.policy.send(end))
            except StopIteration:
                pass
            changed = True
        if changed:
            self._repartition()
        if self.done.any():
            self._compact()
        return True

    def _accel_phase(self):
        """A batch of one: every epoch of its current phase in one compiled call
        (:mod:`.accel`), then its policy, as :meth:`step` would after the last epoch."""
        cfg, P, O = self.cfg, self.P, self.O
        trial = self._trial(0)
        F = int(self.fan[0])
        mode = accel.ACTIVATION_CODES
        if self.out_phase[0]:
            E = self.work["Do"][0]
            thr = cfg.error_index_threshold * getattr(self, "target_std", 1.0)
            win, finite, n, upd, true_err, bits = accel.output_phase(
                self.V[0], F, self.W_out[0], self.d_out[0], self.p_out[0], self.smask_out[0],
                self.targets[0], mode[cfg.output_activation], self.prime_offset,
                cfg.score_threshold, cfg.error_measure == "bits", 1.0 / (P * O), thr,
                float(self.eps_out), cfg.output_mu, cfg.output_decay, cfg.output_patience,
                cfg.output_change_threshold, cfg.output_epochs, E)
            fwd = P * (O * F - self.out_masked)
            self.epochs[0] += upd
            self.last_true_error[0], self.last_bits[0] = true_err, bits
            end = PhaseEnd(bool(win), bool(finite), E)
        else:
            pool = cfg.pool
            codes = np.array([mode[k.activation] for k in pool.members], np.int64)
            best, value, n, upd = accel.candidate_phase(
                self.V[0], F, self.W_cand[0], self.d_cand[0], self.p_cand[0],
                self.mask_cand[0], codes, np.ascontiguousarray(self.e_aug[0, :, :O].T),
                self.e_cen[0], self.e_mean[0], float(self.sse[0]), self.prev_cor[0],
                pool.penalty, 1.0 / P if cfg.score == "c_code" else 1.0,
                float(self.eps_cand[0, 0, 0]), cfg.candidate_mu, cfg.candidate_decay,
                cfg.candidate_patience, cfg.candidate_change_threshold, cfg.candidate_epochs)
            fwd = P * int(self.n_conn[0])
            self.epochs[0] += n
            self.best[0], self.best_score[0] = best, value
            end = PhaseEnd()
        self.cross_fwd[0] += n * fwd
        self.cross_bwd[0] += upd * fwd
        self.iterations += n
        try:
            self._enter(0, trial.policy.send(end))
        except StopIteration:
            pass
        if self.done.any():
            self._compact()
        return True

    def _bookkeep(self, win, finite, value, updated):
        """Counters and the stagnation tests of every trial; the slots whose phase ended."""
        P, nc, out_m = self.P, self.nc, self.out_phase
        # counters: the code counts output epochs with an update and every candidate epoch
        fwd = np.where(out_m, P * (self.O * self.fan - self.out_masked), P * self.n_conn)
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
        ended = np.where(out_m, win | stagnant | timeout | ~finite, updated & (stagnant | timeout))
        return np.flatnonzero(ended)

    def _bookkeep_one(self, win, finite, value, updated):
        """:meth:`_bookkeep` for a batch of one, in Python scalars (a single ``fit`` spends
        most of an epoch in per-call overhead); the same decisions, bit for bit (tested:
        ``fit`` equals ``fit_trials``). Returns whether the trial's phase ended."""
        out, upd, v = bool(self.out_phase[0]), bool(updated[0]), float(value[0])
        fwd = self.P * (self.O * int(self.fan[0]) - self.out_masked) if out \
            else self.P * int(self.n_conn[0])
        self.cross_fwd[0] += fwd
        if upd:
            self.cross_bwd[0] += fwd
        if upd or not out:
            self.epochs[0] += 1
        stagnant = timeout = False
        if out or upd:                        # the patience test (steps.patience_step)
            e = int(self.phase_i[0]) + 1
            last = float(self.last[0])
            if e == 1:
                self.last[0] = v
            elif abs(v - last) > last * float(self.threshold[0]):
                self.last[0] = v
                self.quit_at[0] = e + int(self.patience[0])
            else:
                stagnant = e == int(self.quit_at[0]) and int(self.patience[0]) > 0
            timeout = e >= int(self.max_epochs[0])
            self.phase_i[0] = e
        self.corr_only[0] = False
        if out:
            return bool(win[0]) or stagnant or timeout or not bool(finite[0])
        return upd and (stagnant or timeout)

    def _candidate_epoch(self, V, F, value, updated):
        """Trials ``[0, nc)``: score and slopes of every candidate, one quickprop step."""
        cfg, pool, nc = self.cfg, self.cfg.pool, V.shape[0]
        W = self.W_cand[:nc, :, :F]
        out = candidate_terms(
            V, W, pool, self.e_aug[:nc], self.e_cen[:nc], self.e_mean[:nc], self.sse[:nc],
            self.prev_cor[:nc], cfg.score, self.work, self.head,
            self.X_cand[:nc] if pool.n_extra else None, cfg.objective, layout=self.layout)
        cor, scores = out[:2]
        slopes = self.work["Sc"][:nc]           # out[2], the whole width
        self.prev_cor[:nc] = cor
        sel = scores * pool.penalty
        sel = np.where(np.isfinite(sel), sel, -np.inf)
        self.best[:nc] = sel.argmax(axis=1)
        value[:nc] = self.best_score[:nc] = sel.max(axis=1)
        if cfg.candidate_stagnation == "each_kind":
            # the patience test watches every kind's best score (their sum), not the pool's
            value[:nc] = sum(np.where(np.isfinite(b), b, 0.0) for b in
                             (sel[:, g[0]].max(axis=1) for g in pool.groups))
        W = self.W_cand[:nc]
        slopes *= self.mask_cand[:nc]
        if cfg.candidate_decay:
            slopes += cfg.candidate_decay * W
        # the first epoch of a phase only measures correlations (the code's bootstrap)
        commit = ~self.corr_only[:nc]
        quickprop_update(W, slopes, self.d_cand[:nc], self.p_cand[:nc], self.eps_cand[:nc],
                         cfg.candidate_mu, commit)
        if pool.n_extra:
            X, xs = self.X_cand[:nc], out[3]
            if cfg.candidate_decay:
                xs += cfg.candidate_decay * X
            quickprop_update(X, xs, self.dx_cand[:nc], self.px_cand[:nc], self.eps_cand[:nc, 0],
                             cfg.candidate_mu, commit)
        updated[:nc] = commit

    def _output_epoch(self, V, F, win, finite, value, updated):
        """Trials ``[nc, B)``: errors and slopes of the output units, one quickprop step."""
        cfg, nc = self.cfg, self.nc
        W = self.W_out[nc:, :, :F]
        E, true_err, bits, _ = output_terms(
            V, W, self.out_act, self.targets, self.prime_offset, cfg.score_threshold,
            self.work, self.head)
        W = self.W_out[nc:]
        slopes = self.work["So"][:self.B - nc]   # the whole width
        if cfg.error_measure == "bits":
            win[nc:] = bits == 0
        else:
            win[nc:] = self._error_index(true_err) <= cfg.error_index_threshold
        finite[nc:] = np.isfinite(true_err)
        value[nc:] = true_err
        self.last_true_error[nc:] = true_err
        self.last_bits[nc:] = bits
        slopes *= self.smask_out[nc:]
        if cfg.output_decay:
            slopes += cfg.output_decay * W
        # no update on a winning epoch (the code stops before updating) or a non-finite one
        commit = ~win[nc:] & finite[nc:]
        quickprop_update(W, slopes, self.d_out[nc:], self.p_out[nc:], self.eps_out,
                         cfg.output_mu, commit)
        updated[nc:] = commit
        return E

    def _enter(self, j, phase):
        """Trial j starts the phase its policy asked for."""
        cfg = self.cfg
        output = phase == OUTPUT
        if not output and phase != CANDIDATES:
            raise ValueError(f"policy: unknown phase {phase!r}")
        self.out_phase[j] = output
        if output:
            self.patience[j], self.threshold[j] = cfg.output_patience, cfg.output_change_threshold
            self.max_epochs[j] = cfg.output_epochs
            self.W_start[j] = self.W_out[j]
        else:
            self.patience[j] = cfg.candidate_patience
            self.threshold[j] = cfg.candidate_change_threshold
            self.max_epochs[j] = cfg.candidate_epochs
            self.corr_only[j] = True      # the first epoch only measures correlations
        self.phase_i[j] = 0
        self.last[j] = 0.0
        self.quit_at[j] = 0

    def _trial(self, j):
        trial = self.trials[int(self.tid[j])]
        trial.__dict__["slot"] = j
        return trial

    def _error_index(self, true_err):
        """Lapedes & Faber's error index: RMS error over the targets' standard deviation."""
        return np.sqrt(true_err / (self.P * self.O)) / self.target_std

    # ---------------------------------------------------------------- slots
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
