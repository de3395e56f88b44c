"""Diagonal of the Hessian of the training loss, by back-propagating second derivatives.

This is the second-order pass of the shared :class:`~structlearn.network.Network`:
it runs the network's own forward pass (:meth:`Network._forward`, into the
network's workspace) and then walks the block DAG backwards with the same
``source_rows`` wiring as the gradient pass, carrying for every unit ``i``

* ``g_i = dE/da_i``, the ordinary back-propagated error (needed for the
  ``f''`` term and, optionally, for the gradient itself), and
* ``h_i = d2E/da_i^2``, its diagonal second derivative.

Equations (LeCun, Denker & Solla 1990, "Optimal Brain Damage", NIPS 2; the
recursion is Becker & LeCun 1989)::

    d2E/dw_ij^2 = sum_n h_i(n) x_j(n)^2            (batched: (x**2).T @ h)
    d2E/db_i^2  = sum_n h_i(n)
    h_i = f'(a_i)^2 sum_l w_li^2 h_l  +  f''(a_i) dE/dx_i      (mode="full")
    h_i = f'(a_i)^2 sum_l w_li^2 h_l                            (mode="lm")

where ``l`` runs over every unit that reads unit ``i`` -- in a cascade network
a unit feeds several blocks, and the contributions of all of them are summed.
The sign of the ``f''`` term is a *plus*: the paper prints a minus, which
contradicts its own output boundary condition ``2 f'^2 - 2 (d - x) f''``
(``-2(d - x)`` *is* ``dE/dx``).  At the output block the boundary condition is
the loss's exact diagonal second derivative with respect to the
pre-activations (:meth:`Loss.hess_diag` with ``exact=True``), or its
Gauss-Newton part (``exact=False``) in ``lm`` mode.

The ``lm`` (Levenberg-Marquardt / Gauss-Newton) diagonal is never negative.
Both modes drop the off-diagonal terms ``d2E/da_l da_m`` (``l != m``) of the
downstream units, which is the approximation of the paper; the result is the
exact Hessian diagonal (``full``) or the exact Gauss-Newton diagonal (``lm``)
whenever no two units downstream of a weight interact through the loss: for
the output block always, and for one hidden layer under an output-separable
loss (``mse``, ``sigmoid_cross_entropy``).  For the softmax cross-entropy the
output Hessian has off-diagonal terms ``-p_j p_k`` that the recursion drops.

``mode="exact"`` is not this recursion: it is the exact diagonal, one Hessian-vector product
(Pearlmutter's R-operator, :mod:`structlearn.curvature`) per weight, for small networks only
(at most :data:`structlearn.curvature.MAX_WEIGHTS` active weights).  ``docs/obd.md`` has a
measured table of how far ``lm`` and ``full`` are from it on each kind of network.

Cost: one forward pass plus one backward sweep whose matrix products have the
shapes of the gradient pass's (``(x**2).T @ h`` instead of ``x.T @ delta``,
``h @ (W**2).T`` instead of ``delta @ W.T``).  With ``gradient=True`` the
same sweep also produces the gradient, sharing the forward pass.
"""
from __future__ import annotations

import numpy as np

from .validation import check_positive_int
from .activations import get_activation
from .losses import get_loss

__all__ = ["hessian_diagonal", "hessian_diagonal_pass", "unit_curvature_pass", "block_views",
           "HESSIAN_MODES"]

HESSIAN_MODES = ("lm", "full", "exact")


def _buffers(net, n):
    """Second-order workspace for a batch of ``n`` rows, kept next to the
    network's forward workspace (it is dropped with it on every structural edit)."""
    ws = net._workspace(n)
    if "h" not in ws:
        ws["h"] = [np.empty((n, blk.width), net.dtype) for blk in net.blocks]
        # squares of every node's values (x**2), input node included
        ws["sq"] = [np.empty((n, size), net.dtype) for size in net.node_sizes]
    return ws


def _curved(activation):
    """False for activations whose f'' is identically zero (ReLU, linear)."""
    return get_activation(activation).d2f is not _ZERO_D2F


_ZERO_D2F = get_activation("relu").d2f


def _chunk(net, X, T, loss, full, want_grad, H, scale, first):
    """Add one batch's share of the diagonal (and gradient) into ``H`` (and ``net.grads``).

    ``scale = len(X) / N_total`` turns the batch-mean loss into its share of
    the mean over all patterns.  Returns the batch's loss value (mean).
    """
    values = net._forward(X)
    ws = _buffers(net, len(X))
    zs, ds, hs, sq = ws["z"], ws["g"], ws["h"], ws["sq"]
    blocks = net.blocks
    out = len(blocks) - 1
    out_act = get_activation(blocks[out].activation)
    # dE/da is needed below block k only for the gradient, or for the f'' term
    # of a curved hidden block upstream of k (ReLU and linear units have f'' = 0,
    # so in a ReLU MLP mode "full" costs no more than "lm").
    curved = [full and k < out and _curved(blk.activation) for k, blk in enumerate(blocks)]
    need_d = [want_grad or any(curved[:k]) for k in range(len(blocks))]
    value = loss.value(zs[out], values[-1], T) if want_grad else None
    hs[out][...] = loss.hess_diag(zs[out], values[-1], T, out_act, exact=full)
    if scale != 1.0:
        hs[out] *= scale
    if need_d[out]:
        loss.grad(zs[out], values[-1], T, out_act, out=ds[out])
        if scale != 1.0:
            ds[out] *= scale
    squared = [False] * len(values)
    pending = [False] * len(blocks)  # hs[k] (and ds[k]) hold partial sums over consumers
    for k in range(out, -1, -1):
        blk = blocks[k]
        h, d = hs[k], ds[k]
        if k < out:
            if not pending[k]:  # cannot happen in a valid network: every hidden block feeds one
                h[...] = 0.0
                d[...] = 0.0
            act = get_activation(blk.activation)
            z, y = zs[k], values[k + 1]
            fp = act.df(z, y)
            h *= fp
            h *= fp
            if curved[k]:
                # + f''(a) dE/dx: d still holds dE/dx (dE/dy of this block) here
                h += act.d2f(z, y) * d
            if need_d[k]:
                d *= fp
        lo = net.block_slice(k).start
        n_w = blk.W.size
        HW = H[lo:lo + n_w].reshape(blk.W.shape)
        for s, rows in net.source_rows(k):
            if not squared[s]:
                np.multiply(values[s], values[s], out=sq[s])
                squared[s] = True
            if first:
                np.matmul(sq[s].T, h, out=HW[rows])
            else:
                HW[rows] += sq[s].T @ h
            if want_grad and blk.trainable:
                if first:
                    np.matmul(values[s].T, d, out=blk.dW[rows])
                else:
                    blk.dW[rows] += values[s].T @ d
        if first:
            h.sum(axis=0, out=H[lo + n_w:lo + n_w + blk.width])
        else:
            H[lo + n_w:lo + n_w + blk.width] += h.sum(axis=0)
        if want_grad and blk.trainable:
            if first:
                d.sum(axis=0, out=blk.db)
            else:
                blk.db += d.sum(axis=0)
        for s, rows in net.source_rows(k):
            if s == 0:
                continue
            W = blk.W[rows]
            W2 = W * W
            if pending[s - 1]:
                hs[s - 1] += h @ W2.T
                if need_d[k]:
                    ds[s - 1] += d @ W.T
            else:
                np.matmul(h, W2.T, out=hs[s - 1])
                if need_d[k]:
                    np.matmul(d, W.T, out=ds[s - 1])
                pending[s - 1] = True
    return value


def hessian_diagonal_pass(net, X, T, loss, mode="lm", *, gradient=False, batch_size=None,
                          out=None):
    """The Hessian diagonal of ``loss`` at ``(X, T)``: the unvalidated hot path.

    Parameters
    ----------
    net : Network
    X : ndarray (n_samples, n_inputs) of the network's dtype
    T : ndarray (n_samples, n_outputs), encoded targets
    loss : Loss or str
    mode : {"lm", "full", "exact"}
        ``"exact"`` does not check the network's size (see :func:`hessian_diagonal`).
    gradient : bool
        Also fill ``net.grads`` with the gradient (as :meth:`Network.loss_and_grad`
        does: trainable blocks only, masked entries 0) from the same forward pass.
    batch_size : int or None
        Process the patterns in chunks of this many rows (bounds the memory of
        the workspace); the result is the same mean over all patterns.
    out : ndarray, optional
        Flat array of ``net.params``' size and dtype to write into.

    Returns
    -------
    H : ndarray, aligned with ``net.params``
        Masked weights have 0.
    value : float
        The mean loss (only when ``gradient=True``; else None).
    """
    loss = get_loss(loss)
    if mode == "exact":
        return _exact_pass(net, X, T, loss, gradient, batch_size, out)
    full = mode == "full"
    n = len(X)
    H = np.empty(net.params.size, net.dtype) if out is None else out
    step = n if batch_size is None else max(1, min(int(batch_size), n))
    total = 0.0
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        value = _chunk(net, X[lo:hi], T[lo:hi], loss, full, gradient, H, (hi - lo) / n,
                       first=lo == 0)
        if gradient:
            total += value * (hi - lo) / n
    for k, blk in enumerate(net.blocks):
        if blk.mask is not None:
            lo = net.block_slice(k).start
            H[lo:lo + blk.W.size].reshape(blk.W.shape)[~blk.mask] = 0.0
            if gradient and blk.trainable:
                blk.dW *= blk.mask
    return H, (total if gradient else None)


def unit_curvature_pass(net, X, T, loss, mode, visit, *, batch_size=None):
    """Run the recursion and hand each chunk's per-pattern curvatures to ``visit``.

    For every chunk of rows, ``visit(values, h)`` is called with the node values of the
    forward pass (``values[0]`` the inputs, ``values[k + 1]`` block ``k``'s outputs) and
    ``h[k]`` of shape (rows, width): ``d2E/da_i^2`` of every unit of block ``k`` and pattern,
    already divided by the total number of patterns (so sums over chunks give the mean loss's
    curvature).  ``sum_n h_i(n) x_j(n)^2`` is OBD's diagonal entry; the whole matrix
    ``sum_n h_i(n) x(n) x(n)^T`` of a unit's inputs is what the unit-wise Optimal Brain Surgeon
    of :mod:`structlearn.obs` inverts.  The arrays are the network's workspace: use them before
    the next pass.

    Parameters
    ----------
    net, X, T, loss : as in :func:`hessian_diagonal_pass`
    mode : {"lm", "full"}
    visit : callable ``visit(values, h)``
    batch_size : int or None
    """
    if mode not in ("lm", "full"):
        raise ValueError(f"mode: expected 'lm' or 'full' (the recursion), got {mode!r}")
    loss = get_loss(loss)
    n = len(X)
    scratch = np.empty(net.params.size, net.dtype)
    step = n if batch_size is None else max(1, min(int(batch_size), n))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        _chunk(net, X[lo:hi], T[lo:hi], loss, mode == "full", False, scratch, (hi - lo) / n,
               first=True)
        ws = net._workspace(hi - lo)
        visit([X[lo:hi]] + ws["y"], ws["h"])


def _exact_pass(net, X, T, loss, gradient, batch_size, out):
    """``mode="exact"``: the R-operator diagonal, and the gradient from ordinary passes."""
    from .curvature import exact_hessian_diagonal_pass, mean_loss_and_gradient

    total = mean_loss_and_gradient(net, X, T, loss, batch_size) if gradient else None
    if gradient:
        grads = net.grads.copy()
    H = exact_hessian_diagonal_pass(net, X, T, loss, batch_size=batch_size, out=out)
    if gradient:
        net.grads[:] = grads
    return H, total


def hessian_diagonal(network, X, y, mode="lm", loss=None, *, batch_size=None,
                     return_gradient=False):
    """Diagonal of the Hessian of the training loss for every weight and bias.

    The loss is the network's training loss, a mean over patterns with the
    normalisation of :meth:`Network.loss_and_grad`.  See the module docstring
    for the recursion and when it is exact.

    Parameters
    ----------
    network : Network
    X : array-like (n_samples, n_inputs)
    y : labels (n_samples,) or targets (n_samples, n_outputs)
        Encoded by the network's own convention (:meth:`Network.encode_targets
        <structlearn.network.Network.encode_targets>`: class indices, a 0/1 or
        already encoded matrix, or real targets).
    mode : {"lm", "full", "exact"}, default "lm"
        ``"lm"``: Levenberg-Marquardt (Gauss-Newton) diagonal, no ``f''`` terms,
        never negative (what LeCun et al. 1990 used for OBD).  ``"full"``: the
        Becker-LeCun recursion with the ``f''`` terms and the exact output
        second derivatives.  ``"exact"``: the exact diagonal from one
        Hessian-vector product per weight (:mod:`structlearn.curvature`; small
        networks only, a ``ValueError`` above
        :data:`~structlearn.curvature.MAX_WEIGHTS` active weights).
    loss : str or Loss, optional
        Default: the network's natural loss (see :meth:`Network.default_loss`).
    batch_size : int, optional
        Chunk the patterns (memory bound); same result.
    return_gradient : bool, default False
        Also return the loss and its gradient, computed in the same pass.

    Returns
    -------
    H : ndarray, shape (network.n_weights,)
        Aligned with ``network.params`` (use :func:`block_views` for per-block
        ``(W, b)`` views).  Masked weights get 0; frozen blocks are included.
    (value, grad) : float, ndarray
        Only with ``return_gradient=True``.
    """
    from .curvature import check_problem

    loss, X, T = check_problem(network, X, y, loss, mode, modes=HESSIAN_MODES)
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    if mode == "exact":
        from .curvature import check_small
        check_small(network, "exact Hessian diagonal")
    H, value = hessian_diagonal_pass(network, X, T, loss, mode, gradient=return_gradient,
                                     batch_size=batch_size)
    if return_gradient:
        return H, value, network.grads.copy()
    return H


def block_views(network, flat):
    """Per-block ``(W, b)`` views of a flat array aligned with ``network.params``.

    Parameters
    ----------
    network : Network
    flat : ndarray of size ``network.n_weights``
        For example the output of :func:`hessian_diagonal` or saliencies.

    Returns
    -------
    list of (ndarray (fan_in, width), ndarray (width,)), one per block.
    """
    flat = np.asarray(flat)
    if flat.shape != (network.params.size,):
        raise ValueError(f"flat must have shape ({network.params.size},) (network.params), "
                         f"got {flat.shape}")
    views = []
    for k, blk in enumerate(network.blocks):
        sl = network.block_slice(k)
        lo, hi = sl.start, sl.stop
        views.append((flat[lo:lo + blk.W.size].reshape(blk.W.shape), flat[lo + blk.W.size:hi]))
    return views
