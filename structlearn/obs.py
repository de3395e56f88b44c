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

**Where the full matrix does not fit** (``obs_blocks``): OBS on a block-diagonal
approximation of ``H``.  The variables are split into parts, each part gets its own Hessian
block, inverse and damping, and a deletion's compensating update moves only the variables of
its own part; the saliencies stay in units of the loss, so the cheapest deletion over all parts
goes first (one global ranking).  With a single part this *is* the full version.

* ``"full"``: one part, the whole matrix (at most :data:`~structlearn.curvature.MAX_WEIGHTS`
  variables).
* ``"layer"``: one part per network block (its active weights and biases), the exact Hessian
  or the Gauss-Newton matrix restricted to the block -- the block-diagonal Hessian over the
  network's blocks.  Memory is the sum of the squared block sizes (each block at most
  ``MAX_WEIGHTS``), but it still needs one Hessian-vector product per variable.
* ``"unit"``: one part per unit: its active incoming weights and its bias, with the Hessian
  ``H_i = sum_n h_i(n) x~(n) x~(n)^T`` (``x~`` the unit's inputs and a 1 for the bias, ``h_i(n)
  = d2E/da_i^2`` from OBD's own second-derivative recursion, ``"lm"`` or ``"full"``,
  :func:`structlearn.hessian.unit_curvature_pass`).  Its diagonal is exactly OBD's
  ``h_kk``, so unit-wise OBS is OBD plus the correlations between the inputs of one unit and the
  compensation within the unit.  This is the layer-wise OBS of Dong, Chen & Pan (2017),
  "Learning to prune deep neural networks via layer-wise Optimal Brain Surgeon" (NIPS 30; their
  per-layer Hessian ``sum_n x x^T`` is the same for every unit of a layer), weighted by each
  unit's curvature so that saliencies of different units and blocks compare; it costs one
  recursion pass plus ``sum over units of n (fan_in + 1)^2``, no Hessian-vector products.  On
  the output block under an output-separable loss (``mse``, sigmoid cross-entropy) the ``"full"``
  unit blocks are the exact Hessian's and the ``"lm"`` ones the Gauss-Newton matrix's (the
  Hessian has no terms between different output units there), so for a network with no hidden
  block unit-wise OBS equals full OBS (tested).  The sum of the squared unit sizes must stay
  within ``MAX_WEIGHTS ** 2`` (128 MiB): LeNet-300-100's first layer (300 units of 785) does
  not, and is refused.
"""
from __future__ import annotations

import numpy as np

from .curvature import MAX_WEIGHTS, active_indices, check_problem, check_small, full_hessian_pass
from .hessian import unit_curvature_pass
from .validation import check_number

__all__ = ["obs_variables", "damped_inverse", "obs_select", "obs_select_parts", "obs_parts",
           "check_obs_size", "obs_hessian_for", "obs_saliencies", "OBS_HESSIANS", "OBS_BLOCKS"]

#: OBS's Hessian options: the Gauss-Newton matrix ("lm", Hassibi & Stork's eq. 7) or the exact one
OBS_HESSIANS = {"lm": "gn", "exact": "exact"}
#: how the variables are split into independent Hessian blocks (see the module docstring)
OBS_BLOCKS = ("full", "layer", "unit")
#: the Hessians each split allows, the default first
_BLOCK_HESSIANS = {"full": ("exact", "lm"), "layer": ("exact", "lm"), "unit": ("lm", "full")}


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
    parts, deleted, costs = obs_select_parts([(Hinv, w, candidates, groups)], n, quotas)
    return deleted, costs


def obs_select_parts(parts, n, quotas=None):
    """OBS deletions over a block-diagonal Hessian: one global ranking, updates per part.

    Each step deletes the candidate with the smallest saliency ``w_q^2 / (2 [H_p^-1]_qq)`` over
    all parts ``p`` (Hassibi & Stork 1993, eq. 5, with ``H`` block-diagonal), applies the
    compensating update ``dw_p = -w_q / [H_p^-1]_qq H_p^-1 e_q`` to that part's variables only and
    downdates that part's inverse (``H_p^-1 - H_p^-1 e_q e_q^T H_p^-1 / [H_p^-1]_qq``).

    Parameters
    ----------
    parts : sequence of (Hinv, w, candidates, groups)
        Per part: the inverse (damped) Hessian of its variables and their values (both
        **overwritten**), the positions that may be deleted, and their groups (or None; needed
        with ``quotas``).
    n : int
        How many to delete in all.
    quotas : ndarray of int, optional
        At most ``quotas[g]`` deletions per group ``g``.

    Returns
    -------
    parts_of : ndarray of int, the part of each deletion, in order
    positions : ndarray of int, its position within that part's variables
    saliencies : ndarray, the quadratic model's increase of each deletion, in sequence
    """
    n_parts = len(parts)
    cands = [np.asarray(c, dtype=np.int64) for _, _, c, _ in parts]
    alive = [np.ones(len(c), bool) for c in cands]
    left = None if quotas is None else np.asarray(quotas, dtype=np.int64).copy()
    best = np.full(n_parts, np.inf)
    arg = np.zeros(n_parts, np.int64)

    def refresh(p):
        Hinv, w, _, groups = parts[p]
        cand = cands[p]
        if cand.size == 0:
            best[p] = np.inf
            return
        d = np.diag(Hinv)[cand]
        with np.errstate(divide="ignore", invalid="ignore"):
            sal = np.where(d > 0, w[cand] ** 2 / (2.0 * d), np.inf)
        sal[~alive[p]] = np.inf
        if left is not None:
            sal[left[groups] <= 0] = np.inf
        i = int(np.argmin(sal))
        best[p], arg[p] = sal[i], i

    for p in range(n_parts):
        refresh(p)
    which, deleted, costs = [], [], []
    for _ in range(min(n, sum(len(c) for c in cands))):
        p = int(np.argmin(best))
        if not np.isfinite(best[p]):
            break
        Hinv, w, _, groups = parts[p]
        i = int(arg[p])
        q = cands[p][i]
        costs.append(float(best[p]))
        col = Hinv[:, q].copy()
        w -= (w[q] / col[q]) * col
        w[q] = 0.0
        Hinv -= np.outer(col, col) / col[q]
        Hinv[q, :] = 0.0
        Hinv[:, q] = 0.0
        alive[p][i] = False
        which.append(p)
        deleted.append(q)
        if left is not None:
            left[groups[i]] -= 1
            if left[groups[i]] <= 0:  # that group is closed in every part
                for r in range(n_parts):
                    refresh(r)
                continue
        refresh(p)
    return (np.asarray(which, dtype=np.int64), np.asarray(deleted, dtype=np.int64),
            np.asarray(costs, dtype=np.float64))


def obs_hessian_for(obs_blocks, hessian):
    """Check ``obs_blocks`` and ``hessian`` together; returns the Hessian (default filled in)."""
    if obs_blocks not in OBS_BLOCKS:
        raise ValueError(f"obs_blocks: expected one of {list(OBS_BLOCKS)}, got {obs_blocks!r}")
    allowed = _BLOCK_HESSIANS[obs_blocks]
    if hessian is None:
        return allowed[0]
    if hessian not in allowed:
        why = ("a whole matrix from Hessian-vector products ('exact': the Hessian, 'lm': the "
               "Gauss-Newton matrix)" if obs_blocks != "unit" else
               "the per-pattern curvatures of the second-derivative recursion ('lm' or 'full')")
        raise ValueError(f"hessian: OBS with obs_blocks={obs_blocks!r} needs {why}, one of "
                         f"{list(allowed)}; got {hessian!r}")
    return hessian


def _unit_variables(network, k):
    """Per unit of block ``k``: flat indices of its active incoming weights, then its bias."""
    blk = network.blocks[k]
    lo = network.block_slice(k).start
    fan_in, width = blk.W.shape
    out = []
    for j in range(width):
        rows = (np.arange(fan_in) if blk.mask is None else np.flatnonzero(blk.mask[:, j]))
        out.append((rows, np.concatenate([lo + rows * width + j, [lo + blk.W.size + j]])))
    return out


def check_obs_size(network, blocks, obs_blocks, max_weights=None):
    """Refuse (``ValueError``) an OBS Hessian that does not fit, naming the limit."""
    cap = MAX_WEIGHTS if max_weights is None else max_weights
    if obs_blocks == "full":
        check_small(network, "OBS Hessian", max_weights, n=len(obs_variables(network, blocks)))
    elif obs_blocks == "layer":
        sizes = {k: len(obs_variables(network, [k])) for k in blocks}
        k = max(sizes, key=sizes.get) if sizes else None
        if k is not None:
            check_small(network, f"layer-wise OBS Hessian of block {k}", max_weights,
                        n=sizes[k])
    else:
        entries = sum(len(idx) ** 2 for k in blocks for _, idx in _unit_variables(network, k))
        if entries > cap * cap:
            raise ValueError(
                f"network: the unit-wise OBS Hessians (one matrix per unit over its incoming "
                f"weights and bias) need {entries:,} entries, more than max_weights**2 = "
                f"{cap * cap:,} ({cap}**2); units with that many inputs are too wide for any "
                f"OBS here: use criterion 'obd' or 'magnitude'")


def obs_parts(network, X, T, loss, blocks, obs_blocks="full", hessian="exact", *,
              batch_size=None):
    """The variables and Hessian blocks OBS inverts (unvalidated).

    Parameters
    ----------
    network : Network
    X, T : the network's dtype; encoded targets
    loss : Loss
    blocks : sequence of int
        The network blocks whose weights and biases are variables.
    obs_blocks : {"full", "layer", "unit"}
    hessian : str
        ``"exact"`` or ``"lm"`` (Gauss-Newton) for ``"full"`` and ``"layer"``; ``"lm"`` or
        ``"full"`` (the recursion's curvatures) for ``"unit"``.

    Returns
    -------
    list of (S, H): ``S`` flat indices into ``network.params`` (sorted for ``"full"`` and
    ``"layer"``; the weights then the bias for ``"unit"``), ``H`` the float64 Hessian block.
    """
    if obs_blocks == "full":
        S = obs_variables(network, blocks)
        return [(S, full_hessian_pass(network, X, T, loss, S, mode=OBS_HESSIANS[hessian],
                                      batch_size=batch_size))]
    if obs_blocks == "layer":
        out = []
        for k in blocks:
            S = obs_variables(network, [k])
            out.append((S, full_hessian_pass(network, X, T, loss, S, mode=OBS_HESSIANS[hessian],
                                             batch_size=batch_size)))
        return out
    units = {k: _unit_variables(network, k) for k in blocks}
    mats = {k: [np.zeros((len(idx), len(idx))) for _, idx in units[k]] for k in blocks}
    wanted = set(blocks)

    def visit(values, h):
        for k in wanted:
            blk = network.blocks[k]
            xin = np.empty((len(values[0]), blk.W.shape[0] + 1), np.float64)
            for s, rows in network.source_rows(k):
                xin[:, rows] = values[s]
            xin[:, -1] = 1.0
            hk = h[k].astype(np.float64)
            for j, (rows, _) in enumerate(units[k]):
                A = xin[:, np.append(rows, blk.W.shape[0])]
                mats[k][j] += (A * hk[:, j:j + 1]).T @ A

    unit_curvature_pass(network, X, T, loss, hessian, visit, batch_size=batch_size)
    return [(idx, 0.5 * (M + M.T)) for k in blocks for (_, idx), M in zip(units[k], mats[k])]


def obs_saliencies(network, X, y, *, loss=None, hessian=None, damping=1e-4, blocks=None,
                   obs_blocks="full", max_weights=None):
    """OBS saliencies ``w_q^2 / (2 [H^-1]_qq)`` of every active weight, each deleted alone.

    Parameters
    ----------
    network : Network
    X, y : training data (as for :func:`structlearn.hessian.hessian_diagonal`)
    loss : str or Loss, optional
    hessian : str, optional
        For ``obs_blocks`` "full" and "layer": ``"exact"`` (default) or ``"lm"`` (the
        Gauss-Newton matrix, Hassibi & Stork's approximation).  For "unit": ``"lm"`` (default)
        or ``"full"``, the curvatures of OBD's recursion.
    damping : float
        Relative damping (see the module docstring), per Hessian block.
    blocks : sequence of int, optional
        The blocks whose weights and biases are the variables (default: every block).
    obs_blocks : {"full", "layer", "unit"}, default "full"
        The whole matrix, or its block-diagonal approximation (module docstring).
    max_weights : int, optional

    Returns
    -------
    ndarray aligned with ``network.params``: the saliency of each active weight of ``blocks``;
    ``inf`` for biases (never deleted), 0 elsewhere.
    """
    hessian = obs_hessian_for(obs_blocks, hessian)
    mode = OBS_HESSIANS.get(hessian, "exact")
    loss, X, T = check_problem(network, X, y, loss, mode)
    damping = check_number(damping, "damping", low=0.0)
    blocks = range(len(network.blocks)) if blocks is None else blocks
    check_obs_size(network, blocks, obs_blocks, max_weights)
    out = np.zeros(network.params.size)
    for S, H in obs_parts(network, X, T, loss, blocks, obs_blocks, hessian):
        Hinv, _ = damped_inverse(H, damping)
        w = network.params[S].astype(np.float64)
        out[S] = w * w / (2.0 * np.diag(Hinv))
    for k in blocks:
        sl = network.block_slice(k)
        out[sl.start + network.blocks[k].W.size:sl.stop] = np.inf
    return out
