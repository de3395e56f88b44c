"""Optimal Brain Surgeon: delete the weight whose loss increase, after the best correction of all
the others, is smallest, and apply that correction.

Hassibi & Stork (1993), "Second order derivatives for network pruning: Optimal Brain Surgeon",
NIPS 5, pp. 164-171.  With the loss modelled to second order around a minimum (gradient 0),
deleting weight ``q`` (``e_q^T dw + w_q = 0``) and moving the other variables to minimise
``dw^T H dw / 2`` costs (their eq. 5) ::

    L_q = w_q^2 / (2 [H^-1]_qq)                 the saliency
    dw  = -w_q / [H^-1]_qq  H^-1 e_q            the compensating update of every variable

OBD's ``h_qq w_q^2 / 2`` is the special case of a diagonal ``H`` (no compensation).  Deleting
several weights one after the other, the inverse Hessian of the remaining variables is the
Schur-complement downdate ``H^-1 - H^-1 e_q e_q^T H^-1 / [H^-1]_qq`` (exact: it is the inverse
of ``H`` with row and column ``q`` removed), so a round deletes ``n`` weights greedily from one
Hessian, each with its exact compensation under the quadratic model.

Choices of ours:

* **The variables** are the active (unmasked) weights *and the biases* of the blocks being
  pruned: the biases are never deleted, but they take part in the compensation.  Masked weights
  and the blocks left alone (frozen blocks, by default) stay fixed.
* **The Hessian** is the exact one (``hessian="exact"``, from Pearlmutter's R-operator,
  :mod:`structlearn.curvature`) or the Gauss-Newton matrix (``"lm"``): the outer-product
  approximation Hassibi & Stork use (their eq. 7; exact at a zero-residual minimum).  Both are
  computed in full, so OBS is for small networks: more than
  :data:`structlearn.curvature.MAX_WEIGHTS` variables is a ``ValueError``.
* **Damping.**  ``H + lambda I`` with ``lambda = damping * mean(diag H)`` (default
  ``damping=1e-4``; Hassibi & Stork start their recursion at ``alpha I`` with alpha 1e-8..1e-4).
  The exact Hessian is indefinite away from a minimum: ``lambda`` is then multiplied by 10 until
  the Cholesky factorisation succeeds; the ``lambda`` used is returned.
"""
from __future__ import annotations

import numpy as np

from .curvature import active_indices, check_problem, check_small, full_hessian_pass
from .validation import check_number

__all__ = ["obs_variables", "damped_inverse", "obs_select", "obs_saliencies", "OBS_HESSIANS"]

#: OBS's Hessian options: the Gauss-Newton matrix ("lm", Hassibi & Stork's eq. 7) or the exact one
OBS_HESSIANS = {"lm": "gn", "exact": "exact"}


def obs_variables(network, blocks):
    """Flat indices (into ``params``) of the active weights and the biases of ``blocks``, sorted."""
    keep = np.zeros(network.params.size, bool)
    keep[active_indices(network)] = True
    chosen = np.zeros(network.params.size, bool)
    for k in blocks:
        sl = network.block_slice(k)
        chosen[sl] = True
    return np.flatnonzero(keep & chosen)


def damped_inverse(H, damping=1e-4):
    """``(H + lambda I)^-1`` and ``lambda``, with ``lambda = damping * mean(diag H)`` raised
    tenfold until ``H + lambda I`` is positive definite (Cholesky)."""
    H = np.asarray(H, dtype=np.float64)
    n = len(H)
    scale = float(np.mean(np.abs(np.diag(H)))) if n else 1.0
    if not np.isfinite(scale) or scale <= 0.0:
        scale = 1.0
    lam = damping * scale
    eye = np.eye(n)
    for _ in range(30):
        try:
            L = np.linalg.cholesky(H + lam * eye)
            break
        except np.linalg.LinAlgError:
            lam = max(lam * 10.0, 1e-12 * scale)
    else:  # pragma: no cover - only for a non-finite H
        raise ValueError("hessian: no damping makes it positive definite (non-finite entries?)")
    Linv = np.linalg.solve(L, eye)  # triangular: (H + lam I)^-1 = L^-T L^-1
    return Linv.T @ Linv, lam


def obs_select(Hinv, w, candidates, n, quotas=None, groups=None):
    """Delete ``n`` weights one at a time by OBS saliency, each with its compensating update.

    Parameters
    ----------
    Hinv : ndarray (s, s)
        Inverse (damped) Hessian over the variables; **overwritten** (downdated).
    w : ndarray (s,)
        The variables' values; **overwritten** with the compensated values (deleted ones 0).
    candidates : ndarray of int
        Positions (into the variables) that may be deleted.
    n : int
        How many to delete.
    quotas, groups : optional
        ``groups[i]`` is the group of ``candidates[i]``; at most ``quotas[g]`` deletions per group
        (OBD's ``ranking="per_block"``).

    Returns
    -------
    deleted : ndarray of int, positions in deletion order
    saliencies : ndarray, the quadratic model's increase of each deletion (its eq. 5, in sequence)
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    alive = np.ones(len(candidates), bool)
    if quotas is not None:
        left = np.asarray(quotas, dtype=np.int64).copy()
    deleted, costs = [], []
    for _ in range(min(n, len(candidates))):
        d = np.diag(Hinv)[candidates]
        with np.errstate(divide="ignore", invalid="ignore"):
            sal = np.where(d > 0, w[candidates] ** 2 / (2.0 * d), np.inf)
        sal[~alive] = np.inf
        if quotas is not None:
            sal[left[groups] <= 0] = np.inf
        i = int(np.argmin(sal))
        if not np.isfinite(sal[i]):
            break
        q = candidates[i]
        col = Hinv[:, q].copy()
        w -= (w[q] / col[q]) * col
        w[q] = 0.0
        Hinv -= np.outer(col, col) / col[q]
        Hinv[q, :] = 0.0
        Hinv[:, q] = 0.0
        alive[i] = False
        if quotas is not None:
            left[groups[i]] -= 1
        deleted.append(q)
        costs.append(sal[i])
    return np.asarray(deleted, dtype=np.int64), np.asarray(costs, dtype=np.float64)


def obs_saliencies(network, X, y, *, loss=None, hessian="exact", damping=1e-4, blocks=None,
                   max_weights=None):
    """OBS saliencies ``w_q^2 / (2 [H^-1]_qq)`` of every active weight, each deleted alone.

    Parameters
    ----------
    network : Network
    X, y : training data (as for :func:`structlearn.hessian.hessian_diagonal`)
    loss : str or Loss, optional
    hessian : {"exact", "lm"}
        The exact Hessian or the Gauss-Newton matrix (Hassibi & Stork's approximation).
    damping : float
        Relative damping (see the module docstring).
    blocks : sequence of int, optional
        The blocks whose weights and biases are the variables (default: every block).
    max_weights : int, optional

    Returns
    -------
    ndarray aligned with ``network.params``: the saliency of each active weight of ``blocks``;
    ``inf`` for biases (never deleted), 0 elsewhere.
    """
    if hessian not in OBS_HESSIANS:
        raise ValueError(f"hessian: expected one of {list(OBS_HESSIANS)}, got {hessian!r}")
    loss, X, T = check_problem(network, X, y, loss, OBS_HESSIANS[hessian])
    damping = check_number(damping, "damping", low=0.0)
    blocks = range(len(network.blocks)) if blocks is None else blocks
    S = obs_variables(network, blocks)
    check_small(network, "OBS Hessian", max_weights, n=len(S))
    H = full_hessian_pass(network, X, T, loss, S, mode=OBS_HESSIANS[hessian])
    Hinv, _ = damped_inverse(H, damping)
    w = network.params[S].astype(np.float64)
    out = np.zeros(network.params.size)
    out[S] = w * w / (2.0 * np.diag(Hinv))
    for k in blocks:
        sl = network.block_slice(k)
        out[sl.start + network.blocks[k].W.size:sl.stop] = np.inf
    return out
