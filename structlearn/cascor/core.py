"""The arithmetic of cascade-correlation, for a batch of independent trials.

Every function here works on arrays with a leading *trial* axis ``B``; a
single run is the batch of one.  The notation follows Fahlman's C code
(cascor v1.1, White 1994) and the paper (Fahlman & Lebiere 1990).  Arrays are
laid out *units x patterns*, so that every big elementwise operation runs over
contiguous rows of patterns:

``V``  (B, F, P)
    Cached values of every unit that feeds the output, one row per unit: row 0
    is the bias unit (always 1), then the inputs, then the installed hidden
    units in the order they were installed (which is also the order of the
    output block's weight rows in the :class:`~structlearn.network.Network`).
    Rows past a trial's own fan-in are zero.
``W``  (B, O + K, F)
    One row of incoming weights per unit: the ``O`` output units (column 0 the
    bias), then the ``K`` candidates; all read the same ``F`` values.
    ``f(W[:, :O] @ V)`` is exactly the network's output block,
    ``f(sum_s x_s @ W_block[rows of s] + b)``, transposed; ``W[:, O:] @ V`` gives
    every candidate's net input on every pattern at once, and ``delta @ V^T``
    every slope (no loop over candidates or patterns).
``E``  (B, O, P)
    Error derivatives of the output units, ``(y - t)(f'(z) + offset)``, with
    the sigmoid-prime offset (0.1 in the code) on output units only.

Candidate score (the paper's eq. 1, normalised as in the code)::

    S = sum_o |C_o|,   C_o = (sum_p V_p E_po - c * Vbar Ebar_o) / sum_po E_po^2

with ``c = 1`` in Fahlman's C code (``score="c_code"``: it subtracts the
product of the two *means*) and ``c = P`` for the true covariance of the paper
(``score="covariance"``).  The slope quickprop follows (the code's
``compute_slopes``; the paper's eq. 2 with the same normalisation) is, for
candidate weight ``w_i`` with input ``I_pi``::

    dS/dw_i = sum_o sigma_o sum_p (E_po - Ebar_o) f'_p I_pi / sum E^2

with ``sigma_o`` the sign of ``C_o`` *of the previous epoch* (the code's trick
that merges the correlation pass and the slope pass into one epoch).  With the
errors centred, no ``Vbar`` term is needed in the slope.
"""
from __future__ import annotations

import numpy as np

__all__ = ["output_terms", "candidate_terms", "error_stats", "patience_step", "workspace"]


def _T(a):
    """Transpose the last two axes (a view)."""
    return np.swapaxes(a, -1, -2)


def _activate(Z, groups, Y, D):
    """Values and derivatives (no offset) of every row of ``Z``, into ``Y`` and ``D``."""
    for sl, act in groups:
        z, y = Z[:, sl], Y[:, sl]
        act.f(z, out=y)
        act.df(z, y, out=D[:, sl])
    return Y, D


def workspace(B, n_out, n_cand, P, dtype):
    """Buffers for :func:`output_terms` and :func:`candidate_terms`, reused every epoch
    (no allocation churn): take ``[:b]`` views for a batch of ``b`` trials."""
    e = np.empty
    return {"Zo": e((B, n_out, P), dtype), "Yo": e((B, n_out, P), dtype),
            "Do": e((B, n_out, P), dtype), "Zc": e((B, n_cand, P), dtype),
            "Yc": e((B, n_cand, P), dtype), "Dc": e((B, n_cand, P), dtype),
            "G": e((B, n_cand, P), dtype)}


def _view(work, name, B):
    return None if work is None else work[name][:B]


def output_terms(V, W, act, targets, prime_offset, score_threshold, work=None):
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
    Z = np.matmul(W, V, out=_view(work, "Zo", B))
    Y = act.f(Z, out=_view(work, "Yo", B))
    E = act.df(Z, Y, out=_view(work, "Do", B))
    diff = Y - targets
    true_error = np.einsum("bop,bop->b", diff, diff)
    bits = np.count_nonzero(np.abs(diff) > score_threshold, axis=(1, 2))
    if prime_offset:
        E += prime_offset
    E *= diff
    return E, true_error, bits, E @ _T(V)


def candidate_terms(V, W, groups, e_aug, e_centred, e_mean, sse, prev_cor, score="c_code",
                    work=None):
    """One epoch of the candidate pools of a batch of trials.

    Parameters
    ----------
    V : ndarray (B, F, P)
        Cached unit values (the candidates' inputs), bias row first.
    W : ndarray (B, K, F)
        Candidate incoming weights, one row per candidate; entries a candidate
        may not use (siblings: the deepest layer; padding) are zero.
    groups : list of (slice, Activation)
        The pool's activations (:attr:`CandidatePool.groups`).
    e_aug, e_centred, e_mean, sse
        The residual errors the candidates correlate with (:func:`error_stats`).
    prev_cor : ndarray (B, K, O)
        The correlations of the previous epoch (their signs steer the slopes).
    score : {"c_code", "covariance"}
    work : dict, optional
        Buffers from :func:`workspace`.

    Returns
    -------
    cor : ndarray (B, K, O)
        This epoch's normalised correlations ``C_o``.
    scores : ndarray (B, K)
        ``sum_o |C_o|``.
    slopes : ndarray (B, K, F)
        ``-dS/dW`` with the previous epoch's signs: quickprop *descends* it.
    """
    B, P = V.shape[0], V.shape[2]
    O = e_mean.shape[1]
    Z = np.matmul(W, V, out=_view(work, "Zc", B))
    Y = np.empty_like(Z) if work is None else work["Yc"][:B]
    D = np.empty_like(Z) if work is None else work["Dc"][:B]
    _activate(Z, groups, Y, D)
    sums = Y @ e_aug                                      # (B, K, O+1): sum v E, sum v
    n_mean = 1.0 / P if score == "c_code" else 1.0
    inv_sse = (1.0 / sse)[:, None, None]
    cor = sums[:, :, :O] - (sums[:, :, O:] * n_mean) * e_mean[:, None, :]
    cor *= inv_sse
    scores = np.abs(cor).sum(axis=2)
    # sigma_o of the previous epoch, with the minus sign (quickprop minimises)
    # and the 1/sum E^2 normaliser folded in: a (B, K, O) matrix
    direction = np.where(prev_cor < 0, inv_sse, -inv_sse).astype(D.dtype, copy=False)
    G = _view(work, "G", B)
    if O == 1:   # an outer product: broadcasting beats BLAS
        G = np.multiply(direction, e_centred, out=G)
    else:
        G = np.matmul(direction, e_centred, out=G)
    D *= G
    return cor, scores, D @ _T(V)


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
