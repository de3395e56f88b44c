"""Cascade-Correlation as one policy: output phase, candidate phase, install, stop.

Fahlman, S. E. & Lebiere, C. (1990). *The Cascade-Correlation Learning Architecture*,
CMU-CS-90-100; the details as in Fahlman's C code (cascor v1.1, M. White 1994). This module is
the whole algorithm for one trial, top to bottom. The arithmetic it relies on is in pure step
functions (:mod:`.steps`: the output units' errors and slopes, the candidates' score and its
slope, quickprop, the patience test), the candidates' kinds in :mod:`.kinds`, and the loop
that runs the epochs of many trials at once in :mod:`.executor`.

The policy is a generator: it *yields* the phase it wants next, ``OUTPUT`` or
``CANDIDATES``; the executor runs that phase's epochs (for this trial alone, or stacked with
other trials: the same step functions either way) until the phase ends, and sends back a
:class:`PhaseEnd`. So one code path decides what a trial does, whether it runs alone or in a
batch. ``t`` is the trial (:class:`~structlearn.cascor.executor.Trial`): its network, random
generator and history, and its rows of the executor's arrays (``t.V``: the cached values of
every node on every pattern, bias row first; ``t.W_out``: the output weights, one row per
output, column 0 the bias; ``t.W_cand``: the candidates' weights).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kinds import SIBLING
from .steps import (candidate_scores, error_stats, holdout_split, padded_fan,
                    subset_error_stats)

__all__ = ["cascade_correlation", "select_on_holdout", "PhaseEnd", "OUTPUT", "CANDIDATES"]

OUTPUT, CANDIDATES = "output", "candidates"


@dataclass
class PhaseEnd:
    """How a phase ended (sent to the policy by the executor)."""

    victory: bool = False     # output phase: every output within the score threshold
    finite: bool = True       # the error (output phase) stayed finite
    errors: np.ndarray = None  # output phase: the error derivatives E (O, P) of its last epoch


def cascade_correlation(t):
    """One trial of Cascade-Correlation, as a generator the executor drives.

    1. **Output phase.** Only the output weights learn, by quickprop on the summed squared
       error ``sum_po (y_po - t_po)^2``, with error derivative ``E_po = (y - t)(f'(z) + 0.1)``
       (Fahlman's sigmoid-prime offset, output units only), until every output is within the
       score threshold of its target (*victory*), or the error has changed by less than
       ``output_change_threshold`` of its value for ``output_patience`` epochs, or
       ``output_epochs`` pass.
    2. **Stop** on victory, when validation data says so (:func:`validation_stop`), or after
       ``max_hidden_units`` new units.
    3. **Candidate phase.** A pool of candidates, each reading every node
       (:func:`start_candidates`), learns by quickprop *ascent* on the score (the paper's
       eq. 1, normalised as in the code; ``candidate_objective="cascade2"``: Cascade-2's)

           S = sum_o | sum_p (V_p - Vbar)(E_po - Ebar_o) | / sum_po E_po^2

       with slope (eq. 2) ``dS/dw_i = sum_o sigma_o sum_p (E_po - Ebar_o) f'_p I_pi / sum E^2``,
       ``sigma_o`` the sign of the correlation with output ``o``, until the best score stops
       changing (``candidate_patience``, ``candidate_change_threshold``) or
       ``candidate_epochs`` pass.
    4. **Install** the best candidate, its incoming weights frozen (:func:`install`), and go
       back to 1. With ``candidate_holdout`` (a structlearn option, not the paper's), the
       candidates of step 3 train on part of the patterns and the best is the best on the
       others (:func:`select_on_holdout`).
    """
    cfg = t.cfg
    while True:
        end = yield OUTPUT
        if not end.finite:
            t.W_out[:] = t.W_start            # back to the last weights with a finite error
            return t.finish("diverged", False)
        if cfg.history == "phase":
            t.log("output")
        if cfg.snapshots:
            t.snapshot()
        if end.victory:
            return t.finish("victory", True)
        if t.Vv is not None and validation_stop(t):
            return t.finish("validation", False)
        if t.n_hidden - t.h0 >= cfg.max_hidden_units:
            return t.finish("max_units", False)
        start_candidates(t, end.errors)
        yield CANDIDATES
        if cfg.candidate_holdout:
            select_on_holdout(t)
        if cfg.history == "phase":
            t.log("candidate")
        if not install(t):
            return t.finish("diverged", False)


def start_candidates(t, E):
    """A fresh pool: weights uniform in +-``weight_range`` over the fan-in (each kind may
    adjust its own), the residual errors ``E`` the candidates correlate with, and the step
    size ``candidate_epsilon / (P x fan-in)`` (the code's scaling).

    With the sibling/descendant pool (Baluja & Fahlman 1994), siblings would join the
    deepest layer, so their weights from that layer are held at zero (a mask).
    """
    cfg, pool = t.cfg, t.cfg.pool
    fan, R = int(t.fan), pool.n_rows
    mask = np.zeros((t.V.shape[0], R), cfg.dtype)
    mask[:fan] = 1.0
    if t.layer_start is not None:
        mask[t.layer_start:fan, pool.row_is_sibling] = 0.0
    w = t.rng.uniform(-cfg.weight_range, cfg.weight_range, (fan, R))
    extra = t.rng.uniform(-cfg.weight_range, cfg.weight_range, pool.n_extra) \
        if pool.n_extra else None
    for sl, kind, rows, _, exts in pool.groups:
        n = sl.stop - sl.start
        kind.initialise(w.T[rows].reshape(n, kind.n_rows, fan), t.rng,
                        extra=extra[exts].reshape(n, kind.n_extra) if kind.n_extra else None)
    if pool.n_extra:
        t.X_cand, t.dx_cand, t.px_cand = extra, 0.0, 0.0
    t.mask_cand = mask.T
    t.W_cand = 0.0
    t.W_cand[:, :fan] = (w * mask[:fan]).T
    t.d_cand = t.p_cand = t.prev_cor = 0.0
    e_aug, e_cen, e_mean, sse = error_stats(E[None])
    t.e_aug, t.e_cen, t.e_mean = e_aug[0], e_cen[0], e_mean[0]
    t.sse = max(float(sse[0]), float(np.finfo(cfg.dtype).tiny))
    t.eps_cand = cfg.candidate_epsilon / (t.P * fan)
    t.n_conn = int(mask.sum())
    if cfg.candidate_holdout:
        # drawn after the weights, so the pool starts as it would without a holdout
        t.held_out = holdout_split(t.rng, t.P, cfg.candidate_holdout)
        t.errors = np.array(E, copy=True)          # E is the executor's buffer
        e_aug, e_cen, e_mean, sse = subset_error_stats(E[None], ~t.held_out, cfg.score)
        t.e_aug, t.e_cen, t.e_mean = e_aug[0], e_cen[0], e_mean[0]
        t.sse = max(float(sse[0]), float(np.finfo(cfg.dtype).tiny))
        # the code's step is that of the mean slope: here, over the training part
        t.eps_cand = cfg.candidate_epsilon / (int((~t.held_out).sum()) * fan)


def select_on_holdout(t):
    """``candidate_holdout``: choose the winner by its score on the held-out patterns.

    :func:`start_candidates` split the patterns once for this phase (``holdout_split``,
    from the trial's generator) and gave the candidates the residual errors of the training
    part only (and the step size ``candidate_epsilon / (training patterns x fan-in)``), so
    their weights, slopes and patience saw nothing of the held-out part. Here
    one pass of the pool's final weights over every pattern gives each candidate's score on
    the held-out patterns (:func:`~structlearn.cascor.steps.subset_error_stats`, the same
    covariance score, times the pool's penalty) and its correlations on all patterns; the
    winner is the best held-out score, and it is installed as usual, its output weights
    starting from its correlations on all patterns. The pass counts as one candidate epoch.
    """
    cfg, pool = t.cfg, t.cfg.pool
    head = t.ex.head
    F = padded_fan(int(t.fan), head)
    E = t.errors[None]
    held = subset_error_stats(E, t.held_out, cfg.score)
    every = error_stats(E)
    extra = t.X_cand[None] if pool.n_extra else None
    (_, s_held), (cor_all, _) = candidate_scores(
        t.V[None, :F], t.W_cand[None, :, :F], pool, [held, every], cfg.score, head, extra,
        t.layout)
    sel = s_held[0] * pool.penalty
    sel = np.where(np.isfinite(sel), sel, -np.inf)
    k = int(sel.argmax())
    t.best, t.best_score = k, float(sel[k])
    t.prev_cor = cor_all[0]
    t.epochs += 1
    t.cross_fwd += t.P * int(t.n_conn)
    t.history.event("holdout", epoch=int(t.epochs), held_out=int(t.held_out.sum()),
                    winner=k, score=float(sel[k]))


def install(t):
    """Install the best candidate (its weights after the last update, as in the code) as a
    frozen unit; its output weights start at ``-C_o x weight_multiplier`` (minus its
    correlation with each output's error: at least the sign is right), divided by the fan-in
    for regression as in the code (Cascade-2: at the candidate's own output weights). A
    sibling joins the deepest layer (which it does not read); any other winner starts a new
    layer reading every node. Its values on the
    patterns are computed once, from the cached values it reads, and appended to the cache:
    nothing ever recomputes the frozen network. Returns False if the winner is not finite.
    """
    cfg, pool = t.cfg, t.cfg.pool
    k, fan = int(t.best), int(t.fan)
    kind, placement = pool.members[k], pool.kinds[k]
    w = t.W_cand[pool.row_of[k], :fan].astype(np.float64)
    cor = t.prev_cor[pool.value_of[k]].astype(np.float64)
    more = {"extra": t.X_cand[pool.extra_of[k]].astype(np.float64)} if kind.n_extra else {}
    if not all(np.all(np.isfinite(a)) for a in (w, cor, *more.values())):
        return False
    if cfg.objective == "cascade2":
        outgoing = cor                           # Cascade-2: the candidate's own output weights
    else:
        mult = cfg.weight_multiplier if cfg.error_measure == "bits" \
            else cfg.weight_multiplier / fan
        outgoing = -cor * mult                   # (values, outputs)
    net = t.network
    out = net.output_block
    # the nodes the candidates read are the output block's (every node, except the inner
    # nodes of an installed source network: knowledge.SourceKind)
    fan_nodes = net.blocks[out].sources
    if t.layer_start is None or placement != SIBLING:
        sources, join, reads = tuple(fan_nodes), None, fan
    else:
        sources = tuple(s for s in fan_nodes if s < t.layer_node)
        join, reads = out - 1, t.layer_start
        w = np.where(np.arange(fan) < reads, w, 0.0)
    block, unit, new_layer = kind.install(net, w[:, :reads], sources=sources, outgoing=outgoing,
                                          join=join, rng=t.rng, **more)  # nothing is drawn
    m = kind.n_outputs
    if new_layer:
        t.layer_start, t.layer_node = fan, block + 1
        t.depth += 1
        t.node_bounds.append((fan, fan + m))
    elif block == join:
        t.node_bounds[-1] = (t.node_bounds[-1][0], fan + m)
    else:                                        # a parallel block at the same depth
        t.node_bounds.append((fan, fan + m))
    t.installs.append((block, list(range(unit, unit + m))))
    w = w.astype(cfg.dtype)
    seq = getattr(kind, "sequential", False)      # recurrent units: the sequences' layout
    t.V[fan:fan + m] = kind.cached_values(w, t.V[:fan], **more,
                                          **({"layout": t.layout} if seq else {}))
    if t.Vv is not None:
        t.Vv[fan:fan + m] = kind.cached_values(w, t.Vv[:fan], **more,
                                               **({"layout": t.layout_val} if seq else {}))
    t.cross_fwd += t.P * kind.crossings(reads)
    t.W_out[:, fan:fan + m] = outgoing.T
    t.d_out[:, fan:fan + m] = 0.0
    t.p_out[:, fan:fan + m] = 0.0
    t.fan = fan + m
    t.n_hidden += m
    t.hidden_weights = hidden_weights(net)         # a source network's inner weights too
    t.history.event("unit_added", epoch=int(t.epochs), unit_kind=placement,
                    activation=getattr(kind, "activation", kind.name), score=float(t.best_score),
                    block=int(block), new_layer=new_layer, units=int(t.n_hidden), depth=t.depth)
    if new_layer:
        t.history.event("block_added", epoch=int(t.epochs), block=int(block), depth=t.depth)
    return True


def hidden_weights(net):
    """Weights and biases of every block but the output block (the history's count)."""
    return sum(blk.W.size + blk.b.size for blk in net.blocks[:-1])


def validation_stop(t):
    """cascor v1.1's ``validation_epoch``: after every output phase, measure the validation
    error ``sum (y - t)^2``; remember the best size; when ``validation_patience`` units have
    not improved it, cut the network back to the best size and stop."""
    O, fan = t.O, int(t.fan)
    D = t.out_act.f(t.W_out[:, :fan] @ t.Vv[:fan]) - t.val
    err = float(np.vdot(D, D))
    hidden, best = int(t.n_hidden), t.best_val
    improved = best is None or err < best[0]
    t.history.event("validation", epoch=int(t.epochs), error=err, units=hidden, best=improved)
    if improved:
        t.best_val = (err, hidden, t.W_out[:, :fan].copy())
        return False
    if hidden - best[1] <= t.cfg.validation_patience:
        return False
    cut_back(t, best[1], best[2])
    return True


def cut_back(t, hidden, W_best):
    """Remove the units installed after the best validation size; restore its output weights."""
    net = t.network
    while t.n_hidden > hidden:
        block, units = t.installs.pop()
        net.remove_units(block, units)
        for _ in units:
            t.n_hidden -= 1
            t.fan -= 1
            t.V[int(t.fan)] = 0.0
            t.Vv[int(t.fan)] = 0.0
    fan = int(t.fan)
    t.W_out = 0.0
    t.W_out[:, :fan] = W_best
    t.hidden_weights = hidden_weights(net)
    bounds, col = [], 1 + t.n_in
    for blk in net.blocks[:-1]:
        bounds.append((col, col + blk.width))
        col += blk.width
    t.node_bounds = bounds
