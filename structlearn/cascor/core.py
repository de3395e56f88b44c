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
    bias) and the ``K`` candidates.  Both read the same ``F`` values, so
    **one** product ``W @ V`` gives the output units' net inputs *and* every
    candidate's, and one product ``delta @ V^T`` gives every slope.
    ``f(W[:, :O] @ V)`` is exactly the network's output block,
    ``f(sum_s x_s @ W_block[rows of s] + b)``, transposed.
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

__all__ = ["column_groups", "epoch_terms", "error_stats", "patience_step", "workspace"]


def _T(a):
    """Transpose the last two axes (a view)."""
    return np.swapaxes(a, -1, -2)


def column_groups(output_act, pool, n_out):
    """Activation of every row of ``W @ V``: the output units', then the candidates'.

    Adjacent rows with the same activation form one group ``(slice,
    Activation)``, so the usual case (sigmoid outputs and a sigmoid pool) is a
    single call on the whole array, and a mixed pool costs one call per
    activation, never one per candidate.
    """
    groups = [(0, n_out, output_act)]
    for sl, act in pool.groups:
        lo, hi, last = groups[-1]
        if last.name == act.name:
            groups[-1] = (lo, sl.stop + n_out, act)
        else:
            groups.append((sl.start + n_out, sl.stop + n_out, act))
    return [(slice(lo, hi), act) for lo, hi, act in groups]


def _activate(Z, groups, Y, D):
    """Values and derivatives (no offset) of every row of ``Z``, into ``Y`` and ``D``."""
    for sl, act in groups:
        z, y = Z[:, sl], Y[:, sl]
        act.f(z, out=y)
        act.df(z, y, out=D[:, sl])
    return Y, D


def workspace(B, n_rows, n_cand, P, dtype):
    """Buffers for :func:`epoch_terms` (reused every epoch: no allocation churn)."""
    return {"Z": np.empty((B, n_rows, P), dtype), "Y": np.empty((B, n_rows, P), dtype),
            "D": np.empty((B, n_rows, P), dtype), "G": np.empty((B, n_cand, P), dtype)}


def epoch_terms(V, W, groups, n_out, targets, prime_offset, score_threshold,
                e_aug, e_centred, e_mean, sse, prev_cor, score="c_code", work=None):
    """Everything one epoch needs, for the output units and the candidates at once.

    Parameters
    ----------
    V : ndarray (B, F, P)
        Cached unit values, bias row first.
    W : ndarray (B, O + K, F)
        Output units' then candidates' incoming weights (see the module docstring).
    groups : list of (slice, Activation)
        Activations of the ``O + K`` rows (:func:`column_groups`).
    n_out : int
        ``O``.
    targets : ndarray (B or 1, O, P)
    prime_offset : float
        Added to ``f'`` of the output units in their error derivative.
    score_threshold : float
        An output farther than this from its target is an "error bit".
    e_aug, e_centred, e_mean, sse
        The residual errors the candidates correlate with (:func:`error_stats`).
    prev_cor : ndarray (B, K, O)
        The candidates' correlations of the previous epoch (their signs steer
        the slopes).
    score : {"c_code", "covariance"}
    work : dict, optional
        Buffers from :func:`workspace` (allocated here when not given).  The
        returned ``E`` is a view into them.

    Returns
    -------
    E : ndarray (B, O, P)
        Output error derivatives ``(y - t)(f'(z) + offset)``.
    true_error : ndarray (B,)
        ``sum (y - t)^2`` (the code's TrueError).
    bits : ndarray (B,) of int
    cor : ndarray (B, K, O)
        This epoch's normalised correlations ``C_o``.
    scores : ndarray (B, K)
        ``sum_o |C_o|``.
    slopes : ndarray (B, O + K, F)
        Output rows: ``dE/dW`` summed over patterns (the code's output slopes).
        Candidate rows: ``-dS/dW`` with the previous epoch's signs.  Quickprop
        descends both.
    """
    O = n_out
    B, P = V.shape[0], V.shape[2]
    if work is None:
        work = workspace(B, W.shape[1], W.shape[1] - O, P, V.dtype)
    Z = np.matmul(W, V, out=work["Z"])
    Y, D = _activate(Z, groups, work["Y"], work["D"])
    # output units: error, error bits, error derivative (written into D)
    diff = Y[:, :O] - targets
    true_error = np.einsum("bop,bop->b", diff, diff)
    bits = np.count_nonzero(np.abs(diff) > score_threshold, axis=(1, 2))
    E = D[:, :O]
    if prime_offset:
        E += prime_offset
    E *= diff
    # candidates: correlations with the residual errors, then their slopes
    sums = Y[:, O:] @ e_aug                               # (B, K, O+1): sum v E, sum v
    n_mean = 1.0 / P if score == "c_code" else 1.0
    inv_sse = (1.0 / sse)[:, None, None]
    cor = sums[:, :, :O] - (sums[:, :, O:] * n_mean) * e_mean[:, None, :]
    cor *= inv_sse
    scores = np.abs(cor).sum(axis=2)
    # sigma_o of the previous epoch, with the minus sign (quickprop minimises)
    # and the 1/sum E^2 normaliser folded in: a (B, K, O) matrix
    direction = np.where(prev_cor < 0, inv_sse, -inv_sse).astype(D.dtype, copy=False)
    if O == 1:   # an outer product: broadcasting beats BLAS
        G = np.multiply(direction, e_centred, out=work["G"])
    else:
        G = np.matmul(direction, e_centred, out=work["G"])
    D[:, O:] *= G
    slopes = D @ _T(V)
    return E, true_error, bits, cor, scores, slopes


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
