"""Exact curvature of the training loss: Hessian-vector products, exact diagonal, full Hessian.

Pearlmutter (1994), "Fast exact multiplication by the Hessian", Neural Computation 6(1):147-160.
The R-operator ``R{.} = d/dr (.)(w + r v) at r = 0`` is applied to the network's own forward
pass and to its own backward pass (the same ``source_rows`` wiring of the block DAG as
:meth:`Network._backward <structlearn.network.Network>`; no second network code).  For block ``k``
reading nodes ``s`` (``y_s`` their values, ``V`` the part of ``v`` on block ``k``'s weights)::

    forward   R{z_k}    = sum_s ( R{y_s} W_k[s] + y_s V_k[s] ) + V_b,k      R{y_0} = 0 (inputs)
              R{y_k}    = f'(z_k) R{z_k}
    output    R{g_out}  = (d2l/dz dz) R{z_out}             (the loss's exact Hessian in z)
    backward  g_k       = f'(z_k) dE/dy_k
              R{g_k}    = f'(z_k) R{dE/dy_k} + f''(z_k) R{z_k} dE/dy_k
              dE/dy_s  += g_k W_k[s]^T
              R{dE/dy_s} += R{g_k} W_k[s]^T + g_k V_k[s]^T
    result    (H v)_{W_k[s]} = R{y_s}^T g_k + y_s^T R{g_k},     (H v)_{b_k} = sum_n R{g_k}

``mode="gn"`` gives the Gauss-Newton (Levenberg-Marquardt, outer-product) matrix-vector product
``J^T H_L J v`` instead (Schraudolph 2002): the same forward R-pass gives ``J v = R{z_out}``, the
loss's Gauss-Newton second derivative multiplies it, and the ordinary linear backward pass gives
``J^T``; the ``f''`` terms and the ``R{y}^T g``, ``g V^T`` terms are dropped.  It is the
outer-product approximation Hassibi & Stork (1993) use for Optimal Brain Surgeon, and it is
never indefinite.

Masked (pruned) weights are not variables: their rows and columns of the Hessian are 0.  Frozen
blocks are included (freezing is a training decision, not a change of the function).

Many directions are pushed through at once (an axis of ``m`` directions in front of the pattern
axis), so the exact diagonal and the full Hessian -- one product per weight -- cost ``P``
products done as ``P / m`` batched passes.  That is affordable for small networks only: the
functions that need one product per weight refuse networks with more than ``max_weights``
active weights (default :data:`MAX_WEIGHTS`) with a clear error.  For larger networks use the
``lm``/``full`` diagonal passes of :mod:`structlearn.hessian`.
"""
from __future__ import annotations

import numpy as np

from .activations import get_activation
from .losses import SoftmaxCrossEntropy, get_loss
from .network import Network
from .validation import check_array, check_positive_int

__all__ = ["hessian_vector_product", "hessian_vector_product_pass", "full_hessian",
           "exact_hessian_diagonal", "full_hessian_pass",
           "exact_hessian_diagonal_pass", "active_indices", "check_small",
           "mean_loss_and_gradient", "check_problem", "CURVATURE_MODES", "MAX_WEIGHTS"]

CURVATURE_MODES = ("exact", "gn")
#: largest number of active weights for the one-product-per-weight functions (a 4,096 x 4,096
#: float64 Hessian is 128 MiB)
MAX_WEIGHTS = 4096
#: elements of one R-pass buffer (directions x patterns x units) before the directions are chunked
_BUDGET = 1 << 22


def active_indices(network):
    """Flat indices (into ``network.params``) of every weight and bias that is not masked."""
    keep = np.ones(network.params.size, bool)
    for k, blk in enumerate(network.blocks):
        if blk.mask is not None:
            lo = network.block_slice(k).start
            keep[lo:lo + blk.W.size] = blk.mask.ravel()
    return np.flatnonzero(keep)


def _output_curvature(loss, z, y, T, act, Rz, gauss_newton):
    """``(d2 l / dz dz) R{z}`` per pattern (already divided by the patterns, as ``loss.grad``)."""
    if isinstance(loss, SoftmaxCrossEntropy):
        # d2/dz2 of -t.log softmax(z) (rows of t summing to 1) = diag(p) - p p^T: the same
        # matrix for the exact Hessian and the Gauss-Newton one (the softmax is the loss's link)
        pR = y * Rz
        return (pR - y * pR.sum(axis=-1, keepdims=True)) / len(z)
    # element-wise outputs with a loss that is a sum over outputs: a diagonal in z
    return loss.hess_diag(z, y, T, act, exact=not gauss_newton) * Rz


def _chunk_products(net, X, T, loss, V, gauss_newton, scale):
    """``scale * H V^T`` for the patterns ``X`` and the directions ``V`` (m, P); returns (m, P).

    ``V`` must already be zero on masked weights.
    """
    values = net._forward(X)
    zs = net._workspace(len(X))["z"]
    blocks = net.blocks
    out = len(blocks) - 1
    m, n = V.shape[0], len(X)
    dtype = net.dtype
    # each block's share of V, and whether it is non-zero (unit-vector chunks touch few blocks)
    VW, Vb, live = [], [], []
    for k, blk in enumerate(blocks):
        lo = net.block_slice(k).start
        n_w = blk.W.size
        VW.append(V[:, lo:lo + n_w].reshape(m, *blk.W.shape))
        Vb.append(V[:, lo + n_w:lo + n_w + blk.width])
        live.append(bool(np.any(V[:, lo:lo + n_w + blk.width])))
    # ---- forward R-pass: R{z_k}, R{y_k} (None where identically zero)
    Rz = [None] * len(blocks)
    Ry = [None] * (len(blocks) + 1)  # per node; node 0 (the inputs) has R{y} = 0
    fps = [None] * len(blocks)
    for k, blk in enumerate(blocks):
        acc = None
        for s, rows in net.source_rows(k):
            if Ry[s] is not None:
                term = Ry[s] @ blk.W[rows]
                acc = term if acc is None else acc + term
            if live[k]:
                term = np.matmul(values[s], VW[k][:, rows])
                acc = term if acc is None else acc + term
        if live[k]:
            acc = acc + Vb[k][:, None, :]
        Rz[k] = acc
        if k < out:
            act = get_activation(blk.activation)
            fps[k] = act.df(zs[k], values[k + 1])
            if acc is not None:
                Ry[k + 1] = fps[k] * acc
    # ---- output boundary
    HV = np.zeros((m, net.params.size), dtype)
    out_act = get_activation(blocks[out].activation)
    if Rz[out] is None:  # v is zero on everything the output depends on
        return HV
    g = [None] * len(blocks)       # dE/dz_k (exact mode only: needed for the f'' and V terms)
    dy = [None] * len(blocks)      # dE/dy_k being accumulated
    Rg = [None] * len(blocks)
    Rdy = [None] * len(blocks)
    Rg[out] = _output_curvature(loss, zs[out], values[-1], T, out_act, Rz[out], gauss_newton)
    if scale != 1.0:
        Rg[out] *= scale
    if not gauss_newton:
        g[out] = loss.grad(zs[out], values[-1], T, out_act) * scale
    # ---- backward R-pass
    for k in range(out, -1, -1):
        blk = blocks[k]
        if k < out:
            if Rdy[k] is None and (gauss_newton or dy[k] is None):
                continue
            fp = fps[k]
            Rg[k] = None if Rdy[k] is None else fp * Rdy[k]
            if not gauss_newton:
                g[k] = fp * dy[k]
                if Rz[k] is not None:
                    act = get_activation(blk.activation)
                    term = act.d2f(zs[k], values[k + 1]) * Rz[k] * dy[k]
                    Rg[k] = term if Rg[k] is None else Rg[k] + term
            if Rg[k] is None:
                Rg[k] = np.zeros((m, n, blk.width), dtype)
        lo = net.block_slice(k).start
        n_w = blk.W.size
        HW = HV[:, lo:lo + n_w].reshape(m, *blk.W.shape)
        for s, rows in net.source_rows(k):
            HW[:, rows] = np.matmul(values[s].T, Rg[k])
            if not gauss_newton and Ry[s] is not None:
                HW[:, rows] += np.matmul(Ry[s].transpose(0, 2, 1), g[k])
        HV[:, lo + n_w:lo + n_w + blk.width] = Rg[k].sum(axis=1)
        for s, rows in net.source_rows(k):
            if s == 0:
                continue
            W = blk.W[rows]
            r = Rg[k] @ W.T
            if not gauss_newton:
                if live[k]:
                    r += np.matmul(g[k], VW[k][:, rows].transpose(0, 2, 1))
                d = g[k] @ W.T
                dy[s - 1] = d if dy[s - 1] is None else dy[s - 1] + d
            Rdy[s - 1] = r if Rdy[s - 1] is None else Rdy[s - 1] + r
    return HV


def _masks(net):
    """Flat 0/1 array zeroing masked weights (None when nothing is masked)."""
    if all(blk.mask is None for blk in net.blocks):
        return None
    m = np.ones(net.params.size, net.dtype)
    for k, blk in enumerate(net.blocks):
        if blk.mask is not None:
            lo = net.block_slice(k).start
            m[lo:lo + blk.W.size] = blk.mask.ravel()
    return m


def _pattern_step(net, n, m, batch_size):
    """Rows per pattern chunk so that m directions x rows x units stays within the budget."""
    units = sum(net.node_sizes)
    step = max(1, _BUDGET // max(1, m * units))
    if batch_size is not None:
        step = min(step, batch_size)
    return min(n, step)


def mean_loss_and_gradient(net, X, T, loss, batch_size=None):
    """The mean loss over all of ``(X, T)`` and, into ``net.grads``, its gradient, in chunks of
    ``batch_size`` rows (unvalidated; frozen blocks get no gradient, as in training)."""
    loss = get_loss(loss)
    n = len(X)
    step = n if batch_size is None else max(1, min(int(batch_size), n))
    if step == n:
        return net.loss_and_grad(X, T, loss)
    grads = np.zeros(net.params.size, np.float64)
    total = 0.0
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        total += net.loss_and_grad(X[lo:hi], T[lo:hi], loss) * (hi - lo) / n
        grads += net.grads * ((hi - lo) / n)
    net.grads[:] = grads
    return total


def hessian_vector_product_pass(net, X, T, loss, V, *, mode="exact", batch_size=None):
    """``H v`` for each row ``v`` of ``V``: the unvalidated hot path.

    Parameters
    ----------
    net : Network
    X : ndarray (n_samples, n_inputs) of the network's dtype
    T : ndarray (n_samples, n_outputs), encoded targets
    loss : Loss
    V : ndarray (m, n_weights)
        Directions, aligned with ``net.params``; their masked entries are ignored.
    mode : {"exact", "gn"}
    batch_size : int, optional
        At most this many patterns per pass (memory bound; same result).

    Returns
    -------
    ndarray (m, n_weights) : the products, 0 on masked weights.
    """
    loss = get_loss(loss)
    mask = _masks(net)
    V = np.asarray(V, dtype=net.dtype)
    if mask is not None:
        V = V * mask
    n = len(X)
    step = _pattern_step(net, n, len(V), batch_size)
    HV = None
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        part = _chunk_products(net, X[lo:hi], T[lo:hi], loss, V, mode == "gn", (hi - lo) / n)
        HV = part if HV is None else HV + part
    if mask is not None:
        HV *= mask
    return HV


def check_problem(network, X, y, loss=None, mode="exact", modes=CURVATURE_MODES):
    """Validate the arguments of the public curvature functions (and of
    :func:`structlearn.hessian.hessian_diagonal`, with its ``modes``): ``(loss, X, T)`` with
    ``X`` in the network's dtype and ``T`` the encoded targets."""
    if not isinstance(network, Network):
        raise TypeError(f"network: expected a structlearn Network, got {type(network).__name__}")
    if mode not in modes:
        raise ValueError(f"mode: expected one of {list(modes)}, got {mode!r}")
    loss = get_loss(loss if loss is not None else network.default_loss())
    loss.check_output_activation(network.blocks[-1].activation)
    X = network.check_X(X)
    if len(X) == 0:
        raise ValueError("X: expected at least one sample, got 0")
    T = network.encode_targets(y, n_samples=len(X))
    return loss, X, T


def hessian_vector_product(network, X, y, v, *, loss=None, mode="exact", batch_size=None):
    """The product of the Hessian of the training loss with ``v`` (Pearlmutter's R-operator).

    The loss is the network's training loss, a mean over patterns with the normalisation of
    :meth:`Network.loss_and_grad`.  Exact up to rounding (tested against finite differences of
    the gradient); costs about two gradient passes per direction.

    Parameters
    ----------
    network : Network
    X : array-like (n_samples, n_inputs)
    y : labels or targets (encoded by the network's convention, as in
        :func:`~structlearn.hessian.hessian_diagonal`)
    v : array-like (n_weights,) or (m, n_weights)
        One direction, or ``m`` of them, aligned with ``network.params``.  Entries on masked
        weights are ignored (they are not variables).
    loss : str or Loss, optional
        Default: the network's natural loss.
    mode : {"exact", "gn"}, default "exact"
        The Hessian, or the Gauss-Newton (outer-product) matrix.
    batch_size : int, optional
        At most this many patterns per pass.

    Returns
    -------
    ndarray, the shape of ``v`` : ``H v`` (0 on masked weights).
    """
    loss, X, T = check_problem(network, X, y, loss, mode)
    v = check_array(v, "v", ndim=None, dtype=network.dtype)
    if v.ndim not in (1, 2) or v.shape[-1] != network.params.size:
        raise ValueError(f"v: expected shape ({network.params.size},) or (m, "
                         f"{network.params.size}) (aligned with network.params), got {v.shape}")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    HV = hessian_vector_product_pass(network, X, T, loss, np.atleast_2d(v), mode=mode,
                                     batch_size=batch_size)
    return HV[0] if v.ndim == 1 else HV


def check_small(network, what, max_weights=None, n=None):
    """Raise ``ValueError`` if ``network`` has more active weights (or ``n`` variables) than
    ``max_weights`` (default :data:`MAX_WEIGHTS`): ``what`` needs one product per weight."""
    if n is None:
        n = len(active_indices(network))
    if max_weights is None:
        max_weights = MAX_WEIGHTS
    max_weights = check_positive_int(max_weights, "max_weights")
    if n > max_weights:
        raise ValueError(
            f"network: the {what} needs one Hessian-vector product per weight and is meant for "
            f"small networks; this one has {n} active weights, more than max_weights="
            f"{max_weights}. Raise max_weights if you have the time and memory, or use the "
            f"'lm' or 'full' diagonal (structlearn.hessian.hessian_diagonal)")


def _columns(net, X, T, loss, idx, mode, batch_size, rows_out):
    """Call ``rows_out(chunk, HV)`` for chunks of ``idx`` with ``HV = H[idx_chunk, :]``."""
    n = len(X)
    units = sum(net.node_sizes)
    if batch_size is not None:
        n = min(n, batch_size)
    m = int(max(1, min(len(idx), _BUDGET // max(1, n * units))))
    # idx is sorted, so a chunk of unit vectors touches few blocks (the others' V-terms are skipped)
    for start in range(0, len(idx), m):
        chunk = idx[start:start + m]
        V = np.zeros((len(chunk), net.params.size), net.dtype)
        V[np.arange(len(chunk)), chunk] = 1.0
        rows_out(start, chunk, hessian_vector_product_pass(net, X, T, loss, V, mode=mode,
                                                           batch_size=batch_size))


def full_hessian_pass(net, X, T, loss, idx, *, mode="exact", batch_size=None):
    """``H[idx][:, idx]`` (unvalidated): one product per index, in batched passes."""
    idx = np.asarray(idx, dtype=np.int64)
    H = np.empty((len(idx), len(idx)), np.float64)

    def put(start, chunk, HV):
        H[start:start + len(chunk)] = HV[:, idx]

    _columns(net, X, T, loss, idx, mode, batch_size, put)
    # symmetric in exact arithmetic; average away the rounding (solvers see a symmetric matrix)
    return 0.5 * (H + H.T)


def full_hessian(network, X, y, *, loss=None, mode="exact", indices=None, max_weights=None,
                 batch_size=None):
    """The full Hessian (or Gauss-Newton matrix) of the training loss, for small networks.

    Built column by column from :func:`hessian_vector_product` with unit vectors (``P`` products
    for ``P`` variables, done in batched passes), then symmetrised.

    Parameters
    ----------
    network : Network
    X, y : training data (see :func:`hessian_vector_product`)
    loss : str or Loss, optional
    mode : {"exact", "gn"}, default "exact"
    indices : array of int, optional
        Flat indices into ``network.params`` of the variables; default every active (unmasked)
        weight and bias (:func:`active_indices`).  Masked weights are not variables: asking for
        one gives a zero row and column.
    max_weights : int, optional
        Refuse more variables than this (default :data:`MAX_WEIGHTS`).
    batch_size : int, optional

    Returns
    -------
    ndarray (len(indices), len(indices)), float64.
    """
    loss, X, T = check_problem(network, X, y, loss, mode)
    idx = active_indices(network) if indices is None else _check_indices(network, indices)
    check_small(network, "full Hessian", max_weights, n=len(idx))
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    return full_hessian_pass(network, X, T, loss, idx, mode=mode, batch_size=batch_size)


def _check_indices(network, indices):
    idx = np.asarray(indices)
    if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
        raise TypeError(f"indices: expected a 1-D array of integer indices into network.params, "
                        f"got {idx.dtype} of shape {idx.shape}")
    idx = idx.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= network.params.size):
        raise ValueError(f"indices: expected values in [0, {network.params.size - 1}], got "
                         f"[{idx.min()}, {idx.max()}]")
    if len(np.unique(idx)) != len(idx):
        raise ValueError("indices: an index appears twice")
    return idx


def exact_hessian_diagonal_pass(net, X, T, loss, *, batch_size=None, out=None):
    """The exact Hessian diagonal (unvalidated): ``(H e_i)_i`` for every active weight."""
    H = np.zeros(net.params.size, net.dtype) if out is None else out
    H[...] = 0.0
    idx = active_indices(net)

    def put(start, chunk, HV):
        H[chunk] = HV[np.arange(len(chunk)), chunk]

    _columns(net, X, T, loss, idx, "exact", batch_size, put)
    return H


def exact_hessian_diagonal(network, X, y, *, loss=None, max_weights=None, batch_size=None):
    """The exact diagonal of the Hessian of the training loss, from one product per weight.

    What :func:`~structlearn.hessian.hessian_diagonal` returns with ``mode="exact"``; the
    ``lm`` and ``full`` recursions approximate it (they drop the cross terms between downstream
    units) at the cost of one extra backward pass.

    Returns
    -------
    ndarray aligned with ``network.params`` (0 on masked weights).
    """
    loss, X, T = check_problem(network, X, y, loss, "exact")
    check_small(network, "exact Hessian diagonal", max_weights)
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    return exact_hessian_diagonal_pass(network, X, T, loss, batch_size=batch_size)
