"""An optional compiled accelerator for a single cascade-correlation run (needs numba).

A single ``fit`` spends most of its time in numpy's per-call cost: an epoch makes about 70
numpy calls on arrays of a few hundred numbers. Here every epoch of a whole output or candidate
phase of *one* trial runs in one compiled call: the same arithmetic as the step functions of
:mod:`.steps` (errors and output slopes; candidate values, the score of eq. 1 and its slope;
quickprop; Fahlman's patience test), written as loops. The policy is unchanged: the executor
calls a kernel where it would have stepped epoch by epoch, and the policy gets the same
:class:`~structlearn.cascor.policy.PhaseEnd`.

The numpy path stays the reference: it is exact (a trial's bits do not depend on its batch);
the kernels sum in another order, so their numbers agree with it to rounding, not bit for bit,
and a long run (two-spirals) may then grow a different network of the same quality
(``tests/test_cascor_accel.py`` checks one phase against the numpy executor to 1e-9 and whole
runs on small tasks). Used by ``CascadeCorrelation(accelerate=True)`` for a batch of one, with
per-phase history, the covariance objective, and units and outputs of the code's types
(symmetric sigmoid, sigmoid, tanh, Gaussian; linear outputs); anything else runs the numpy path.
"""
from __future__ import annotations

import numpy as np

try:  # pragma: no cover - depends on the environment
    import numba
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    HAVE_NUMBA = False

__all__ = ["HAVE_NUMBA", "ACTIVATION_CODES", "supported", "output_phase", "candidate_phase"]

#: activations the kernels compute, by code
ACTIVATION_CODES = {"symmetric_sigmoid": 0, "sigmoid": 1, "tanh": 2, "gaussian": 3, "linear": 4}


def supported(cfg):
    """Whether the kernels can run a trial with these settings (else: the numpy path)."""
    from .kinds import UnitKind

    pool = cfg.pool
    return (HAVE_NUMBA and cfg.history == "phase" and cfg.objective == "covariance"
            and cfg.output_activation in ACTIVATION_CODES and pool.simple
            and all(isinstance(k, UnitKind) and k.activation in ACTIVATION_CODES
                    and k.activation != "linear" for k in pool.members))


def _njit(fn):
    return numba.njit(cache=True, fastmath=False)(fn) if HAVE_NUMBA else fn


@_njit
def _act(code, z):
    """Value and derivative (no offset) of activation ``code`` at ``z``."""
    if code == 0:
        y = 0.5 - 1.0 / (1.0 + np.exp(z))
        return y, 0.25 - y * y
    if code == 1:
        y = 1.0 / (1.0 + np.exp(-z))
        return y, y * (1.0 - y)
    if code == 2:
        y = np.tanh(z)
        return y, 1.0 - y * y
    if code == 3:
        y = np.exp(-0.5 * z * z)
        return y, -z * y
    return z, 1.0


@_njit
def _masked_slopes(G, V, mask, decay, W, S, R, F, P):
    """``S = (G @ V.T) * mask + decay * W`` for rows ``0..R-1``: the slopes of one phase's
    weights (output or candidate) from their net-input slopes ``G``, summed over patterns in
    the numpy path's order."""
    for r in range(R):
        for f in range(F):
            acc = 0.0
            for q in range(P):
                acc += G[r, q] * V[f, q]
            S[r, f] = acc * mask[r, f] + decay * W[r, f]


@_njit
def _quickprop(W, s, d, p, F, eps, mu):
    """Quickprop on rows ``[:, :F]`` (as :func:`structlearn.cascor.steps.quickprop_update`)."""
    shrink = mu / (1.0 + mu)
    for r in range(W.shape[0]):
        for f in range(F):
            sv, dv, pv = s[r, f], d[r, f], p[r, f]
            step = 0.0
            if dv < 0.0:
                if sv > 0.0:
                    step -= eps * sv
                if sv >= shrink * pv or pv - sv == 0.0:
                    step += mu * dv
                else:
                    step += dv * sv / (pv - sv)
            elif dv > 0.0:
                if sv < 0.0:
                    step -= eps * sv
                if sv <= shrink * pv or pv - sv == 0.0:
                    step += mu * dv
                else:
                    step += dv * sv / (pv - sv)
            else:
                step = -eps * sv
            W[r, f] += step
            d[r, f] = step
            p[r, f] = sv


@_njit
def _patience(e, value, last, quit_at, patience, threshold):
    """Fahlman's stagnation test after the ``e``-th counted epoch (steps.patience_step)."""
    stagnant = False
    if e == 1:
        last = value
    elif abs(value - last) > last * threshold:
        last = value
        quit_at = e + patience
    else:
        stagnant = e == quit_at and patience > 0
    return last, quit_at, stagnant


@_njit
def output_phase(V, F, W, d, p, smask, T, code, offset, score_threshold, use_bits, index_scale,
                 index_threshold, eps, mu, decay, patience, threshold, max_epochs, E):
    """Every epoch of one output phase of one trial, until it ends.

    ``V`` (>= F, P) cached values; ``W``, ``d``, ``p``, ``smask`` (O, >= F) output weights,
    quickprop state and mask (updated in place); ``T`` (O, P) targets; ``E`` (O, P) receives
    the error derivatives of the last epoch. Returns ``(victory, finite, epochs, updates,
    true_error, bits)``.
    """
    O, P = T.shape
    S = np.zeros((O, F))
    Z = np.empty(P)
    last, quit_at, e = 0.0, 0, 0
    while True:
        e += 1
        true_err = 0.0
        bits = 0
        for o in range(O):
            Z[:] = 0.0                         # the net inputs, one row of V at a time
            for f in range(F):
                w = W[o, f]
                for q in range(P):
                    Z[q] += w * V[f, q]
            for q in range(P):
                y, dy = _act(code, Z[q])
                diff = y - T[o, q]
                true_err += diff * diff
                if abs(diff) > score_threshold:
                    bits += 1
                E[o, q] = (dy + offset) * diff
        finite = np.isfinite(true_err)
        if use_bits:
            win = bits == 0
        else:
            win = np.sqrt(true_err * index_scale) <= index_threshold
        updated = (not win) and finite
        if updated:
            _masked_slopes(E, V, smask, decay, W, S, O, F, P)
            _quickprop(W, S, d, p, F, eps, mu)
        last, quit_at, stagnant = _patience(e, true_err, last, quit_at, patience, threshold)
        timeout = e >= max_epochs
        if win or stagnant or timeout or not finite:
            return win, finite, e, e - (0 if updated else 1), true_err, bits


@_njit
def candidate_phase(V, F, W, d, p, mask, codes, E, e_cen, e_mean, sse, prev_cor, penalty,
                    n_mean, eps, mu, decay, patience, threshold, max_epochs):
    """Every epoch of one candidate phase of one trial (its first epoch only measures the
    correlations), until it ends.

    ``W``, ``d``, ``p``, ``mask`` (K, >= F) candidate weights, quickprop state and mask
    (updated in place); ``codes`` (K,) activation codes; ``E`` (O, P) residual errors,
    ``e_cen`` (O, P) centred, ``e_mean`` (O,), ``sse``; ``prev_cor`` (K, O) the correlations
    (updated in place). Returns ``(best, best_score, epochs, updates)``.
    """
    K = W.shape[0]
    O, P = E.shape
    Y = np.empty(P)
    Z = np.empty(P)
    D = np.empty((K, P))
    S = np.zeros((K, F))
    cor = np.empty((K, O))
    inv_sse = 1.0 / sse
    last, quit_at, counted = 0.0, 0, 0
    epochs = 0
    corr_only = True
    while True:
        epochs += 1
        best, value = 0, -np.inf
        for k in range(K):
            sy = 0.0
            Z[:] = 0.0                         # the net inputs, one row of V at a time
            for f in range(F):
                w = W[k, f]
                for q in range(P):
                    Z[q] += w * V[f, q]
            for q in range(P):
                y, dy = _act(codes[k], Z[q])
                Y[q] = y
                D[k, q] = dy
                sy += y
            score = 0.0
            for o in range(O):
                acc = 0.0
                for q in range(P):
                    acc += Y[q] * E[o, q]
                c = (acc - sy * n_mean * e_mean[o]) * inv_sse
                cor[k, o] = c
                score += abs(c)
            sel = score * penalty[k]
            if not np.isfinite(sel):
                sel = -np.inf
            if k == 0 or sel > value:             # the first maximum, as argmax
                best, value = k, sel
            # the slope, with the previous epoch's signs: D * sum_o sigma_o (E_o - Ebar_o)
            for q in range(P):
                g = 0.0
                for o in range(O):
                    g += (inv_sse if prev_cor[k, o] < 0 else -inv_sse) * e_cen[o, q]
                D[k, q] *= g
        for k in range(K):
            for o in range(O):
                prev_cor[k, o] = cor[k, o]
        updated = not corr_only
        if updated:
            _masked_slopes(D, V, mask, decay, W, S, K, F, P)
            _quickprop(W, S, d, p, F, eps, mu)
            counted += 1
            last, quit_at, stagnant = _patience(counted, value, last, quit_at, patience,
                                                threshold)
            if stagnant or counted >= max_epochs:
                return best, value, epochs, counted
        corr_only = False
