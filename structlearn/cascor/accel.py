"""An optional compiled accelerator for a single cascade-correlation run (needs numba).

A single ``fit`` spends most of its time in numpy's per-call cost: an epoch makes about 70
numpy calls on arrays of a few hundred numbers. Here every epoch of a whole output or candidate
phase of *one* trial runs in one compiled call: the same arithmetic as the step functions of
:mod:`.steps` (errors and output slopes; candidate values, the score of eq. 1 and its slope;
quickprop; Fahlman's patience test), written as loops. The policy is unchanged: the executor
calls a kernel where it would have stepped epoch by epoch, and the policy gets the same
:class:`~structlearn.cascor.policy.PhaseEnd`.

The numpy path stays the reference: it is exact (a trial's bits do not depend on its batch);
the kernels sum in another order and compute the symmetric sigmoid's ``exp`` with their own
vectorisable series (:func:`_exp_row`, within one unit in the last place of the C library's),
so their numbers agree with it to rounding, not bit for bit,
and a long run (two-spirals) may then grow a different network of the same quality
(``tests/test_cascor_accel.py`` checks one phase against the numpy executor to 1e-9 and whole
runs on small tasks). Used by ``CascadeCorrelation(accelerate=True)`` for a batch of one, with
per-phase history, the covariance objective, and units and outputs of the code's types
(symmetric sigmoid, sigmoid, tanh, Gaussian; linear outputs); anything else runs the numpy path.
``fit_trials(accelerate=True)`` runs its trials one at a time through the kernels. Every
kernel's arithmetic is plain IEEE arithmetic in an order written here (no ``fastmath``: the
compiler may not reorder it); the other units' ``exp`` and ``tanh`` are the C library's.
"""
from __future__ import annotations

import functools
import importlib.util

import numpy as np

#: numba is imported, and the kernels compiled (or read from numba's cache), at the first
#: kernel call: importing numba adds about 0.2 s to a process that never runs one
HAVE_NUMBA = importlib.util.find_spec("numba") is not None

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


_KERNELS = []


def _njit(fn):
    """Mark ``fn`` as a kernel: compiled with numba at the first call of any kernel (the
    plain Python function where numba is missing)."""
    if not HAVE_NUMBA:  # pragma: no cover - depends on the environment
        return fn
    _KERNELS.append(fn.__name__)

    @functools.wraps(fn)
    def first_call(*args):
        _compile()
        return globals()[fn.__name__](*args)
    return first_call


def _compile():
    """Replace every kernel of this module by its numba dispatcher (callers look kernels up
    by name, so later calls, and kernels calling kernels, reach the compiled code)."""
    import numba

    g = globals()
    for name in _KERNELS:
        if not isinstance(g[name], numba.core.dispatcher.Dispatcher):
            g[name] = numba.njit(cache=True, fastmath=False)(g[name].__wrapped__)


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


#: exp(x) = 2^k e^r with k = round(x / ln 2), r = x - k ln 2 (Cody & Waite's two-part ln 2,
#: so r is exact to about 1e-20), |r| <= ln(2) / 2, and e^r by its Taylor series to r^13
#: (the first term left out is below 2e-16 of e^r)
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_C = tuple(1.0 / float(np.prod(np.arange(1, n + 1))) for n in range(14))


@_njit
def _exp_row(Z, out, scale_bits):
    """``out = exp(Z)`` for ``Z`` clamped to [-40, 40], within one unit in the last place of
    the C library's ``exp`` (``tests/test_cascor_accel.py``).

    Why our own: the library's ``exp`` is one call per number, which the compiler cannot
    vectorise, and it was a third of a candidate epoch; this is plain arithmetic, in an order
    fixed here (so the same bits on every machine), that runs several numbers at a time.
    Clamping changes no value of the units that use it: beyond +-40 the symmetric sigmoid and
    the sigmoid are already at their float64 limits. ``scale_bits`` (int64, >= len(Z)) is
    scratch space for 2^k, built from its bits.
    """
    c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13 = _C
    n = Z.shape[0]
    for i in range(n):
        x = Z[i]
        x = 40.0 if x > 40.0 else (-40.0 if x < -40.0 else x)
        k = np.floor(x * _LOG2E + 0.5)
        r = (x - k * _LN2_HI) - k * _LN2_LO
        out[i] = (((((((((((((c13 * r + c12) * r + c11) * r + c10) * r + c9) * r + c8) * r
                             + c7) * r + c6) * r + c5) * r + c4) * r + c3) * r + c2) * r + c1)
                  * r + c0)
        scale_bits[i] = (np.int64(k) + 1023) << 52
    scale = scale_bits[:n].view(np.float64)
    for i in range(n):
        out[i] *= scale[i]


@_njit
def _values(code, Z, Y, D, scale_bits):
    """``Y = f(Z)``, ``D = f'(Z)`` (no offset) of a row of net inputs; the code's symmetric
    sigmoid through :func:`_exp_row`, several numbers at a time."""
    if code == 0:
        _exp_row(Z, Y, scale_bits)
        for q in range(Z.shape[0]):
            y = 0.5 - 1.0 / (1.0 + Y[q])
            Y[q] = y
            D[q] = 0.25 - y * y
    else:
        for q in range(Z.shape[0]):
            Y[q], D[q] = _act(code, Z[q])


@_njit
def _masked_slopes(G, VT, mask, decay, W, S, R, F, P):
    """``S = (G @ V.T) * mask + decay * W`` for rows ``0..R-1``: the slopes of one phase's
    weights (output or candidate) from their net-input slopes ``G``, summed over patterns in
    the numpy path's order.

    ``VT`` is ``V.T`` (P, >= F), contiguous: each slope is still a sum over the patterns in
    their order, but the loop runs over the patterns outside and the fan-in inside, so the
    compiler computes a row's ``F`` sums side by side in vector registers (the sums over a
    pattern-inner loop are one chain of dependent additions each, which it may not reorder
    without ``fastmath``); about twice as fast on two-spirals, the same bits.
    """
    acc = np.empty(F)
    for r in range(R):
        acc[:] = 0.0
        for q in range(P):
            g = G[r, q]
            for f in range(F):
                acc[f] += g * VT[q, f]
        for f in range(F):
            S[r, f] = acc[f] * mask[r, f] + decay * W[r, f]


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
    Y = np.empty(P)
    D = np.empty(P)
    scale_bits = np.empty(P, np.int64)
    VT = np.ascontiguousarray(V[:F].T)        # the phase's values do not change
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
            _values(code, Z, Y, D, scale_bits)
            for q in range(P):
                diff = Y[q] - T[o, q]
                true_err += diff * diff
                if abs(diff) > score_threshold:
                    bits += 1
                E[o, q] = (D[q] + offset) * diff
        finite = np.isfinite(true_err)
        if use_bits:
            win = bits == 0
        else:
            win = np.sqrt(true_err * index_scale) <= index_threshold
        updated = (not win) and finite
        if updated:
            _masked_slopes(E, VT, smask, decay, W, S, O, F, P)
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
    YT = np.empty((P, K))                     # values, the candidates side by side
    Z = np.empty(P)
    Y = np.empty(P)
    scale_bits = np.empty(P, np.int64)
    D = np.empty((K, P))
    S = np.zeros((K, F))
    cor = np.empty((K, O))
    sy = np.empty(K)
    acc = np.empty((O, K))
    VT = np.ascontiguousarray(V[:F].T)        # the phase's values do not change
    inv_sse = 1.0 / sse
    last, quit_at, counted = 0.0, 0, 0
    epochs = 0
    corr_only = True
    while True:
        epochs += 1
        best, value = 0, -np.inf
        for k in range(K):
            Z[:] = 0.0                         # the net inputs, one row of V at a time
            for f in range(F):
                w = W[k, f]
                for q in range(P):
                    Z[q] += w * V[f, q]
            _values(codes[k], Z, Y, D[k], scale_bits)
            YT[:, k] = Y
        # sum_p V_p and sum_p V_p E_op: each a sum in pattern order, as in the numpy path;
        # with the candidates in the inner loop the K sums advance side by side
        sy[:] = 0.0
        acc[:, :] = 0.0
        for q in range(P):
            for k in range(K):
                sy[k] += YT[q, k]
            for o in range(O):
                e = E[o, q]
                for k in range(K):
                    acc[o, k] += YT[q, k] * e
        for k in range(K):
            score = 0.0
            for o in range(O):
                c = (acc[o, k] - sy[k] * n_mean * e_mean[o]) * inv_sse
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
            _masked_slopes(D, VT, mask, decay, W, S, K, F, P)
            _quickprop(W, S, d, p, F, eps, mu)
            counted += 1
            last, quit_at, stagnant = _patience(counted, value, last, quit_at, patience,
                                                threshold)
            if stagnant or counted >= max_epochs:
                return best, value, epochs, counted
        corr_only = False
