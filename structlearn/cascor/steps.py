"""The arithmetic of cascade-correlation: pure step functions over a batch of trials.

Every function here works on arrays with a leading *trial* axis ``B`` (a single run is the
batch of one) and has no state of its own: the policy (:mod:`.policy`) decides what a trial
does, the executor (:mod:`.executor`) stacks the trials and calls these. The notation follows
the paper (Fahlman & Lebiere 1990) and Fahlman's C code (cascor v1.1, White 1994). Arrays are
laid out *units x patterns*, so every big element-wise operation runs over contiguous rows:

``V``  (B, F, P)
    Cached values of every node that feeds the output, one row per unit: row 0 is the bias
    unit (always 1), then the inputs, then the hidden units in the order of the output block's
    weight rows in the :class:`~structlearn.network.Network`. Rows past a trial's own fan-in
    are zero.
``W``  (B, R, F)
    One row of incoming weights per output unit (output phase; column 0 the bias) or per
    candidate weight row (candidate phase); all read the same ``F`` values. ``f(W_out @ V)``
    is exactly the network's output block, ``f(sum_s x_s @ W_block[rows of s] + b)``,
    transposed.
``E``  (B, O, P)
    Error derivatives of the output units, ``(y - t)(f'(z) + offset)``, with the
    sigmoid-prime offset (0.1 in the code) on output units only.

Candidate score (the paper's eq. 1, normalised as in the code)::

    S = sum_o |C_o|,   C_o = (sum_p V_p E_po - c * Vbar Ebar_o) / sum_po E_po^2

with ``c = 1`` in Fahlman's C code (``score="c_code"``: it subtracts the product of the two
*means*) and ``c = P`` for the true covariance of the paper and the Lisp code
(``score="covariance"``). Its slope (the paper's eq. 2, same normalisation), for a candidate
weight ``w_i`` with input ``I_pi``::

    dS/dw_i = sum_o sigma_o sum_p (E_po - Ebar_o) f'_p I_pi / sum E^2

with ``sigma_o`` the sign of ``C_o`` *of the previous epoch* (the code's trick that merges
the correlation pass and the slope pass into one epoch). With the errors centred, no ``Vbar``
term is needed. A candidate *kind* (:mod:`.kinds`) supplies ``V_p`` from the net inputs and
``dS/dnet`` from ``dS/dV_p``; one product gives every net input and one every slope.
"""
from __future__ import annotations

import numpy as np

from ..optim import quickprop_step

__all__ = ["output_terms", "candidate_terms", "cascade2_terms", "error_stats", "patience_step",
           "candidate_values", "candidate_scores", "subset_error_stats", "holdout_split",
           "workspace",
           "fan_product", "fan_slopes", "padded_fan", "quickprop_step", "quickprop_update",
           "FAN_BLOCK"]

#: The fan-in is cut into a *head* (bias, inputs and a given network's hidden nodes: the
#: same for every trial of a run) and blocks of this many installed units.
FAN_BLOCK = 8


def padded_fan(fan, head, block=FAN_BLOCK):
    """The fan-in a product uses for trials of fan-in at most ``fan``: the head, then whole
    blocks (the padding is zero)."""
    return head + block * -(-(int(fan) - head) // block)


def fan_product(W, V, head, block=FAN_BLOCK, out=None):
    """``W @ V`` for ``W`` (B, R, F) and ``V`` (B, F, P) with ``F = head + n * block``, summed
    in a fixed order that does not depend on ``F``.

    Why: a batch's products use its largest fan-in, so a trial's reduction is padded with
    zeros up to the fan-in of its batch-mates, and a BLAS reduction is *not* independent of
    its length: the kernel it picks, and so the rounding, depends on the size (OpenBLAS:
    a (8, 3) @ (3, 194) product differs in the last bits with one or two zero blocks
    appended, float64 and float32 alike). Here every BLAS call has a shape fixed by the
    run: the head's product ``W[:, :, :head] @ V[:, :head]``, then one ``(R, block) @
    (block, P)`` product per block, added in block order. A trial's blocks past its own
    fan-in are zero and add exact zeros, so its numbers are those of the trial alone.
    """
    B, R, F = W.shape
    P = V.shape[2]
    n = (F - head) // block
    Z = np.matmul(W[:, :, :head], V[:, :head], out=out)
    if n:
        Wb = W[:, :, head:].reshape(B, R, n, block).swapaxes(1, 2)
        Zb = np.matmul(Wb, V[:, head:].reshape(B, n, block, P))
        for i in range(n):
            Z += Zb[:, i]
    return Z


def fan_slopes(D, V, head, block=FAN_BLOCK, out=None):
    """``D @ V^T`` for ``D`` (B, R, P) and ``V`` (B, F, P): the slopes of the weights of
    ``R`` units over a fan-in of ``F = head + n * block`` (summed over patterns).

    Each output column is a sum over the patterns, whose length is fixed, but the kernel
    BLAS picks depends on the number of columns too; so, as in :func:`fan_product`, the
    head's columns and each block's are separate products of a fixed shape.
    """
    B, R, P = D.shape
    F = V.shape[1]
    n = (F - head) // block
    if out is None:
        out = np.empty((B, R, F), dtype=np.result_type(D, V))
    np.matmul(D, _T(V[:, :head]), out=out[:, :, :head])
    if n:
        Sb = np.matmul(D[:, None], _T(V[:, head:].reshape(B, n, block, P)))
        out[:, :, head:].reshape(B, R, n, block)[...] = Sb.swapaxes(1, 2)
    return out


def _T(a):
    """Transpose the last two axes (a view)."""
    return a.swapaxes(-1, -2)


def quickprop_update(W, s, d, p, epsilon, mu, commit=None):
    """One quickprop step (Fahlman 1988, the cascor code's ``QUICKPROP_UPDATE``), in place.

    The numbers of :func:`structlearn.optim.quickprop_step` bit for bit (tested), with about
    a third fewer numpy calls: on the small arrays of a single cascade-correlation run the
    step's cost is the calls, not the arithmetic. Per weight, with slope ``s`` (decay already
    added), previous step ``d`` and previous slope ``p``: the secant step ``d s / (p - s)``,
    capped at ``mu d`` when ``s`` has not shrunk below ``mu / (1 + mu)`` of ``p`` (or ``p ==
    s``), plus ``-epsilon s`` while the slope still points the way the last step went; a
    plain ``-epsilon s`` when ``d == 0``.

    Parameters
    ----------
    W, s, d, p : ndarray (same shape, leading trial axis)
        Weights, slopes, previous steps, previous slopes; ``W``, ``d`` and ``p`` are updated.
    epsilon : float or ndarray (broadcasting against ``W``)
    mu : float
    commit : ndarray of bool (trials,), optional
        Update only these trials (the others keep their weights and state).
    """
    if (commit is None or commit.all()) and np.size(epsilon) == 1 and \
            all(a.flags.c_contiguous for a in (W, s, d, p)):
        # one flat run of memory: numpy's per-call cost is lowest on contiguous 1-D arrays
        W, s, d, p = (a.reshape(-1) for a in (W, s, d, p))
        epsilon = np.reshape(epsilon, ())
        commit = None
    shrink = mu / (1.0 + mu)
    neg = d < 0
    pos = d > 0
    sp = shrink * p
    capped = np.where(neg, s >= sp, pos & (s <= sp))
    moving = neg | pos
    denom = p - s
    nonzero = denom != 0
    capped |= moving & ~nonzero            # equal slopes: the division is guarded (mu d)
    quad = d * s
    np.divide(quad, denom, out=quad, where=nonzero)
    t = np.where(capped, mu * d, np.where(moving & ~capped, quad, 0.0))
    use_eps = (neg & (s > 0)) | (pos & (s < 0)) | (d == 0)
    step = np.where(use_eps, -epsilon * s, 0.0)
    step += t
    step = step.astype(W.dtype, copy=False)
    if commit is None or commit.all():
        W += step
        d[...] = step
        p[...] = s
        return
    c = commit.reshape((-1,) + (1,) * (W.ndim - 1))
    step *= c
    W += step
    np.copyto(d, step, where=c)
    np.copyto(p, s, where=c)


def workspace(B, n_out, n_rows, P, dtype, n_values=None):
    """Buffers for :func:`output_terms` and :func:`candidate_terms`, reused every epoch
    (no allocation churn): take ``[:b]`` views for a batch of ``b`` trials. ``n_rows``:
    the pool's rows of fan-in weights, ``n_values`` its values (default ``n_rows``)."""
    e = np.empty
    n_values = n_rows if n_values is None else n_values
    return {"Zo": e((B, n_out, P), dtype), "Yo": e((B, n_out, P), dtype),
            "Do": e((B, n_out, P), dtype), "Zc": e((B, n_rows, P), dtype),
            "Yc": e((B, n_values, P), dtype), "Dc": e((B, n_rows, P), dtype),
            "G": e((B, n_values, P), dtype)}


def _slopes_out(work, name, B, F):
    """The slopes buffer (B, R, F) view of ``work[name]``, or None (a new array)."""
    return None if work is None or name not in work else work[name][:B, :, :F]


def _view(work, name, B):
    return None if work is None else work[name][:B]


def output_terms(V, W, act, targets, prime_offset, score_threshold, work=None, head=None):
    """One epoch of the output units of a batch of trials.

    Parameters
    ----------
    V : ndarray (B, F, P)
        Cached unit values, bias row first.
    W : ndarray (B, O, F)
        Output weights, column 0 the bias: ``f(W @ V)`` is the network's output.
    act : Activation
        The output activation.
    targets : ndarray (B or 1, O, P)
    prime_offset : float
        Added to ``f'`` in the error derivative (Fahlman's flat-spot fix).
    score_threshold : float
        An output farther than this from its target is an "error bit".
    work : dict, optional
        Buffers from :func:`workspace`.
    head : int, optional
        The fan-in's head (:func:`fan_product`); None: one plain product (the whole
        fan-in is the head).

    Returns
    -------
    E : ndarray (B, O, P)
        Error derivatives ``(y - t)(f'(z) + offset)`` (a view into ``work``).
    true_error : ndarray (B,)
        ``sum (y - t)^2`` (the code's TrueError).
    bits : ndarray (B,) of int
    slopes : ndarray (B, O, F)
        ``dE/dW`` summed over patterns (the code's output slopes; quickprop uses
        ``epsilon / P``, so its step is that of the mean gradient).
    """
    B = V.shape[0]
    head = V.shape[1] if head is None else head
    Z = fan_product(W, V, head, out=_view(work, "Zo", B))
    Y = act.f(Z, out=_view(work, "Yo", B))
    E = act.df(Z, Y, out=_view(work, "Do", B))
    diff = Y - targets
    true_error = np.einsum("bop,bop->b", diff, diff)
    bits = np.count_nonzero(np.abs(diff) > score_threshold, axis=(1, 2))
    if prime_offset:
        E += prime_offset
    E *= diff
    return E, true_error, bits, fan_slopes(E, V, head, out=_slopes_out(work, "So", B, V.shape[1]))


def candidate_terms(V, W, pool, e_aug, e_centred, e_mean, sse, prev_cor, score="c_code",
                    work=None, head=None, extra=None, objective="covariance", layout=None):
    """One epoch of the candidate pools of a batch of trials: values, scores and slopes.

    Parameters
    ----------
    V : ndarray (B, F, P)
        Cached unit values (the candidates' inputs), bias row first.
    W : ndarray (B, R, F)
        Candidate incoming weights, one row per weight row of the pool; entries a candidate
        may not use (siblings: the deepest layer; padding) are zero.
    pool : CandidatePool
        The kinds of the candidates (:class:`~structlearn.cascor.kinds.CandidatePool`).
    e_aug, e_centred, e_mean, sse
        The residual errors the candidates correlate with (:func:`error_stats`).
    prev_cor : ndarray (B, n_values, O)
        The correlations of the previous epoch (their signs steer the slopes).
    score : {"c_code", "covariance"}
    work : dict, optional
        Buffers from :func:`workspace`.
    head : int, optional
        As in :func:`output_terms`.
    extra : ndarray (B, n_extra), optional
        The candidates' extra parameters (kinds with ``n_extra > 0``).
    objective : {"covariance", "cascade2"}
        What the candidates maximise: the covariance score (eq. 1), or Cascade-2's
        (:func:`cascade2_terms`).
    layout : SequenceLayout, optional
        The patterns are the time steps of sequences in this time-major order
        (:mod:`structlearn.sequences`); kinds marked ``sequential`` (recurrent units) get it
        as ``layout=``.

    Returns
    -------
    cor : ndarray (B, n_values, O)
        This epoch's normalised correlations ``C_o`` of every candidate value (Cascade-2:
        the candidate's output weights ``u_o``).
    scores : ndarray (B, K)
        ``sum_o |C_o|`` (averaged over a candidate's values when it has several;
        Cascade-2: the fraction of the squared error the candidate removes).
    slopes : ndarray (B, R, F)
        ``-dS/dW`` with the previous epoch's signs: quickprop *descends* it.
    extra_slopes : ndarray (B, n_extra)
        ``-dS/dextra`` (only when the pool has extra parameters: then four values are
        returned).
    """
    B = V.shape[0]
    O = e_mean.shape[1]
    head = V.shape[1] if head is None else head
    Z, Y, D, caches = candidate_values(V, W, pool, work, head, extra, layout)
    sums = Y @ e_aug                                      # (B, K, O+1): sum v E, sum v
    if objective == "cascade2":
        cor, per_value, G = cascade2_terms(Y, e_aug, sse, _view(work, "G", B))
    else:
        cor, per_value, inv_sse = _covariances(sums, e_mean, sse, score, V.shape[2])
        # sigma_o of the previous epoch, with the minus sign (quickprop minimises)
        # and the 1/sum E^2 normaliser folded in: a (B, K, O) matrix
        direction = np.where(prev_cor < 0, inv_sse, -inv_sse).astype(D.dtype, copy=False)
        G = _view(work, "G", B)
        if O == 1:   # an outer product: broadcasting beats BLAS
            G = np.multiply(direction, e_centred, out=G)
        else:
            G = np.matmul(direction, e_centred, out=G)
    scores = _pool_scores(per_value, pool)
    if pool.simple:     # units: backward writes dS/dZ into D, in place
        for cache, (_, kind, rows, vals, _) in zip(caches, pool.groups):
            kind.backward(cache, G[:, vals])
        return cor, scores, fan_slopes(D, V, head, out=_slopes_out(work, "Sc", B, V.shape[1]))
    dZ = np.empty_like(D)
    d_extra = np.zeros((B, pool.n_extra), D.dtype)
    for cache, (sl, kind, rows, vals, exts) in zip(caches, pool.groups):
        g = G[:, vals]
        if kind.n_outputs > 1:
            g = g / kind.n_outputs
        if kind.n_extra:
            ex = extra[:, exts].reshape(B, sl.stop - sl.start, kind.n_extra)
            dZ[:, rows], de = kind.backward(cache, g, extra=ex)
            d_extra[:, exts] = de.reshape(B, -1)
        else:
            dZ[:, rows] = kind.backward(cache, g)
    slopes = fan_slopes(dZ, V, head, out=_slopes_out(work, "Sc", B, V.shape[1]))
    return (cor, scores, slopes, d_extra) if pool.n_extra else (cor, scores, slopes)


def candidate_values(V, W, pool, work=None, head=None, extra=None, layout=None):
    """Every candidate's values on the patterns (the forward half of :func:`candidate_terms`).

    Returns ``(Z, Y, D, caches)``: the net inputs (B, R, P), the values (B, n_values, P),
    the buffer the kinds' ``backward`` writes ``dS/dZ`` into, and each kind group's cache.
    """
    B, P = V.shape[0], V.shape[2]
    head = V.shape[1] if head is None else head
    Z = fan_product(W, V, head, out=_view(work, "Zc", B))
    Y = np.empty((B, pool.n_values, P), Z.dtype) if work is None else work["Yc"][:B]
    D = np.empty_like(Z) if work is None else work["Dc"][:B]
    caches = []
    for sl, kind, rows, vals, exts in pool.groups:
        seq = {"layout": layout} if getattr(kind, "sequential", False) else {}
        if kind.n_extra:
            caches.append(kind.values(Z[:, rows], Y[:, vals], D[:, rows], extra=extra[:, exts]
                                      .reshape(B, sl.stop - sl.start, kind.n_extra), **seq))
        else:
            caches.append(kind.values(Z[:, rows], Y[:, vals], D[:, rows], **seq))
    return Z, Y, D, caches


def _covariances(sums, e_mean, sse, score, P):
    """The normalised correlations ``C_o`` of every value (B, K, O), their per-value score
    ``sum_o |C_o|`` and ``1 / sum E^2``, from ``sums = Y @ e_aug``."""
    O = e_mean.shape[1]
    n_mean = 1.0 / P if score == "c_code" else 1.0
    inv_sse = (1.0 / sse)[:, None, None]
    cor = sums[:, :, :O] - (sums[:, :, O:] * n_mean) * e_mean[:, None, :]
    cor *= inv_sse
    return cor, np.abs(cor).sum(axis=2), inv_sse


def _pool_scores(per_value, pool):
    """A candidate's score: its value's, or the mean over its values (B, K)."""
    if pool.simple:
        return per_value
    B = per_value.shape[0]
    return np.concatenate([per_value[:, g[3]].reshape(B, g[0].stop - g[0].start, -1)
                           .sum(axis=2) / g[1].n_outputs for g in pool.groups], axis=1)


def candidate_scores(V, W, pool, stats, score="c_code", head=None, extra=None, layout=None):
    """The covariance scores of the pool's current weights against several residuals, from
    one pass of values (:func:`candidate_values`): no slopes, nothing updated.

    ``stats`` is a list of ``(e_aug, e_centred, e_mean, sse)`` tuples, from
    :func:`error_stats` or :func:`subset_error_stats` (the candidates' score on a subset of
    the patterns). Returns a list of ``(cor, scores)``, one per entry of ``stats``, as
    :func:`candidate_terms` returns them.
    """
    P = V.shape[2]
    Y = candidate_values(V, W, pool, None, head, extra, layout)[1]
    out = []
    for e_aug, _, e_mean, sse in stats:
        cor, per_value, _ = _covariances(Y @ e_aug, e_mean, sse, score, P)
        out.append((cor, _pool_scores(per_value, pool)))
    return out


def subset_error_stats(E, keep, score="c_code"):
    """:func:`error_stats` of the patterns ``keep`` (bool (P,)) only, laid out over all ``P``
    patterns: with these, :func:`candidate_terms` and :func:`candidate_scores` compute the
    score of the kept patterns and its slope exactly, as if the others were absent.

    The errors, the ones column of ``e_aug`` and the centred errors are zero on the other
    patterns, so they add nothing to any sum; the mean and ``sum E^2`` are the kept
    patterns'. ``score="c_code"`` subtracts ``mean(V) * mean(E)`` with ``mean(V) =
    sum V / P`` (:func:`candidate_terms`), so ``e_mean`` is returned multiplied by
    ``P / n_kept``, which makes that term the kept patterns' ``mean(V) * mean(E)``.
    """
    B, O, P = E.shape
    keep = np.asarray(keep, bool)
    n = int(keep.sum())
    if n == 0:
        raise ValueError("keep: no pattern kept")
    w = keep.astype(E.dtype)
    Ek = E * w
    e_mean = Ek.sum(axis=2) / n
    e_aug = np.empty((B, P, O + 1), dtype=E.dtype)
    e_aug[:, :, :O] = _T(Ek)
    e_aug[:, :, O] = w
    e_centred = (E - e_mean[:, :, None]) * w
    sse = np.einsum("bop,bop->b", Ek, Ek)
    if score == "c_code":
        e_mean = e_mean * (P / n)
    return e_aug, e_centred, e_mean, sse


def holdout_split(rng, P, fraction):
    """Which of ``P`` patterns are held out (bool (P,)): ``round(fraction P)`` of them (at
    least 1, at most ``P - 1``), drawn without replacement from ``rng`` (one permutation)."""
    n = min(max(int(round(fraction * P)), 1), P - 1)
    held = np.zeros(P, bool)
    held[rng.permutation(P)[:n]] = True
    return held


def cascade2_terms(Y, e_aug, sse, G=None):
    """Cascade-2's candidate objective (Fahlman's later variant; the one FANN ships).

    A candidate value ``V_p`` with its own output weights ``u_o`` would change the output
    error signals to ``E_po + u_o V_p``; Cascade-2 trains the candidate to make the remaining
    squared error ``R = sum_po (E_po + u_o V_p)^2`` small, instead of maximising a covariance.
    Here the output weights are not trained by quickprop next to the input weights, as in
    FANN: for given values they have a closed form, the least-squares
    ``u_o = -<E_o, V> / <V, V>``, which gives ``R* = sum E^2 - sum_o <E_o, V>^2 / <V, V>``,
    and the slope of ``R*`` for the values is that of ``R`` at ``u`` (the envelope theorem):
    ``dR*/dV_p = 2 sum_o (E_po + u_o V_p) u_o``. The score is the fraction of the squared
    error the candidate removes, ``S = 1 - R* / sum E^2`` (in [0, 1]); at installation ``u``
    is the new unit's output weights.

    Parameters
    ----------
    Y : ndarray (B, K, P)
        Candidate values.
    e_aug : ndarray (B, P, O + 1)
        ``[E^T, 1]`` (:func:`error_stats`).
    sse : ndarray (B,)
        ``sum E^2``.
    G : ndarray (B, K, P), optional
        Where to write the slope.

    Returns
    -------
    u : ndarray (B, K, O)
        The candidates' output weights.
    scores : ndarray (B, K)
    G : ndarray (B, K, P)
        ``-dS/dV`` (quickprop descends it).
    """
    O = e_aug.shape[2] - 1
    E = e_aug[:, :, :O].swapaxes(1, 2)                    # (B, O, P)
    EV = Y @ e_aug[:, :, :O]                              # (B, K, O): <V, E_o>
    VV = np.einsum("bkp,bkp->bk", Y, Y)
    VV = np.maximum(VV, np.finfo(Y.dtype).tiny)
    u = -EV / VV[:, :, None]
    inv_sse = 1.0 / sse
    scores = (EV * EV).sum(axis=2) / VV * inv_sse[:, None]
    G = np.matmul(u, E, out=G)                            # sum_o u_o E_po
    G += (u * u).sum(axis=2)[:, :, None] * Y              # + sum_o u_o^2 V_p
    G *= (2.0 * inv_sse)[:, None, None]
    return u, scores, G


def error_stats(E):
    """What the candidate phase needs from the residual errors ``E`` (B, O, P).

    Returns
    -------
    e_aug : (B, P, O+1)
        ``[E^T, 1]``: one product ``values @ e_aug`` gives both ``sum_p v E`` and
        ``sum_p v``.
    e_centred : (B, O, P)
        ``E - Ebar`` (the errors minus their mean over patterns).
    e_mean : (B, O)
    sse : (B,)
        ``sum E^2``, the score's normaliser.
    """
    B, O, P = E.shape
    e_mean = E.mean(axis=2)
    e_aug = np.empty((B, P, O + 1), dtype=E.dtype)
    e_aug[:, :, :O] = _T(E)
    e_aug[:, :, O] = 1.0
    sse = np.einsum("bop,bop->b", E, E)
    return e_aug, E - e_mean[:, :, None], e_mean, sse


def patience_step(i, value, last, quit_at, patience, threshold, max_epochs):
    """Fahlman's stagnation test after the ``i+1``-th update of a phase.

    As in the code (``train_outputs`` / ``train_cand``): the first epoch sets
    the reference value; an epoch whose value moves by more than
    ``threshold * reference`` resets the reference and schedules a stop
    ``patience`` epochs later; reaching that epoch without another real change
    means *stagnation*.  Before the first real change no stop is scheduled
    (the code's ``quitEpoch`` starts at 0).  ``patience == 0`` never
    stagnates.  Reaching ``max_epochs`` is a *timeout*.

    All arguments are arrays over the trials (or scalars).

    Returns
    -------
    last, quit_at : ndarray
        Updated reference value and scheduled stop.
    stagnant, timeout : ndarray of bool
    """
    e = i + 1
    first = i == 0
    changed = ~first & (np.abs(value - last) > last * threshold)
    last = np.where(first | changed, value, last)
    quit_at = np.where(changed, e + patience, quit_at)
    stagnant = ~first & ~changed & (e == quit_at) & (patience > 0)
    timeout = e >= max_epochs
    return last, quit_at, stagnant, timeout
