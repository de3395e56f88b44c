"""Function-preserving transformations of Chen, Goodfellow & Shlens (2016).

*Net2Net: Accelerating Learning via Knowledge Transfer*, ICLR 2016
(arXiv:1511.05641), section 2.

* :func:`wider` is Net2WiderNet (section 2.2, eq. 1-2): a random mapping ``g``
  keeps every old unit ``j = g(j)`` and sends each new unit to a uniformly
  drawn old one; a new unit copies its origin's incoming weights and bias, and
  every unit's outgoing weights are divided by ``|{x : g(x) = g(j)}|``, the
  number of replicas of its origin.  For any element-wise activation the
  widened network computes the same function.
* :func:`deeper` is Net2DeeperNet (section 2.3): an identity block
  ``f(I h + 0)`` inserted after a hidden block, exact when ``f(f(x)) = f(x)``
  (ReLU, linear), plus two exact alternatives for the other activations.

Both return a **new** network and never modify their input; both are built on
the shared structural edits of :class:`~structlearn.network.Network`
(``add_units`` and ``add_block``), so optimizer state keyed by unit identity
carries over to the student.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..validation import check_array, check_rng
from ..activations import get_activation
from ..network import Network

__all__ = ["wider", "deeper", "widen_to", "NotFunctionPreservingError"]


class NotFunctionPreservingError(ValueError):
    """Net2DeeperNet's identity block would change the network's function."""


def _check_network(network):
    if not isinstance(network, Network):
        raise TypeError(f"network must be a structlearn Network, got {type(network).__name__}")
    if network.is_recurrent:
        raise ValueError("network: it has recurrent blocks (Recurrent Cascade-Correlation "
                         "units); Net2Net's function-preserving edits are defined for "
                         "feed-forward networks only")


def _check_hidden_block(network, block, name):
    if not isinstance(block, numbers.Integral) or isinstance(block, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int block index, got {block!r}")
    n_hidden = len(network.blocks) - 1
    if n_hidden == 0:
        raise ValueError(f"{name}: the network has no hidden block (only the output block)")
    k = int(block)
    if k == n_hidden or k == -1:
        raise ValueError(f"{name}={block} is the output block; Net2Net grows hidden blocks only "
                         f"(valid: 0..{n_hidden - 1})")
    if not -len(network.blocks) <= k < n_hidden:
        raise ValueError(f"{name} must be a hidden block index in [0, {n_hidden - 1}], got {block}")
    return k % len(network.blocks)


def _check_noise(noise):
    if noise is None:
        return 0.0
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a non-negative number or None, got {noise!r}")
    noise = float(noise)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise}")
    return noise


# ------------------------------------------------------------------- mapping
def _random_mapping(width, new_width, rng):
    """Paper's g: identity on the old units, uniform draws for the new ones.

    Returns (origin, share): ``origin[j]`` the old unit unit ``j`` copies and
    ``share[j]`` the fraction of the origin's outgoing weights it carries.
    """
    origin = np.concatenate([np.arange(width), rng.integers(0, width, new_width - width)])
    counts = np.bincount(origin, minlength=width)
    return origin, 1.0 / counts[origin]


def _largest_mapping(W, b, new_width):
    """The choice of DanielSlater/Net2Net (``split_max_weight_else_random=True``).

    That code grows the layer one unit at a time; each time it splits the unit
    with the largest ``sum_i W[i, j] + b[j]`` (the pre-activation for an
    all-ones input; ties go to the lowest index, as ``np.argmax``): the split
    unit and its new copy each keep half of the split unit's current outgoing
    weights.  A copy has its origin's score, so without noise the same unit is
    split again and again: after m splits the original carries 2^-m of its
    outgoing weights and the copies 1/2, 1/4, ..., 2^-m.  (With its noise the
    scores move a little between steps, but the winner tends to stay put.)
    """
    width = W.shape[1]
    score = W.sum(axis=0) + b
    origin = list(range(width))
    share = [1.0] * width
    scores = list(score)
    for _ in range(new_width - width):
        j = int(np.argmax(scores))
        share[j] *= 0.5
        origin.append(origin[j])
        share.append(share[j])
        scores.append(scores[j])
    return np.asarray(origin), np.asarray(share)


# --------------------------------------------------------------------- wider
def wider(network, block, new_width, noise=None, rng=None, *, mode="random",
          noise_scale="relative", return_mapping=False):
    """Net2WiderNet: a copy of ``network`` with hidden ``block`` widened to ``new_width``.

    The network's function is preserved exactly (up to floating-point
    rounding: ~1e-15 in float64) for any element-wise activation when
    ``noise`` is None or 0.  The input network is never modified.

    Parameters
    ----------
    network : Network
    block : int
        Index of a hidden block (not the output block).  It may feed several
        later blocks (cascade networks): the outgoing rows are split in every
        consumer.
    new_width : int
        Units after widening, ``>= block's width`` (equal: an unchanged copy).
    noise : float or None
        None or 0 (default): exact copies.  ``s > 0``: add Gaussian noise to
        the new units' incoming weights and biases with standard deviation
        ``s`` times the RMS of the copied unit's (unmasked) incoming weights,
        so that replicas differ and learn different features (the paper,
        section 2.2, adds noise to break symmetry).  The outputs then change
        by an amount proportional to ``s``; the original units are untouched.
    rng : int, Generator or None
        Source of the mapping and of the noise.
    mode : {"random", "largest"}
        "random" (default): the paper's mapping, every new unit a copy of a
        uniformly drawn old unit, outgoing weights divided by each origin's
        replication count (eq. 1-2).  "largest": the choice of the numpy
        implementation DanielSlater/Net2Net, for comparison: repeatedly split
        in half the unit with the largest ``sum_i W[i, j] + b[j]`` (see
        :func:`_largest_mapping`); it keeps the function too, but keeps
        splitting the same unit.
    noise_scale : {"relative", "absolute"}
        "relative" (default) as described under ``noise``; "absolute" uses
        ``noise`` itself as the standard deviation (DanielSlater/Net2Net uses
        an absolute 0.01), which can be large against small weights.
    return_mapping : bool
        Also return ``(origin, share)``: for every unit of the widened block,
        the old unit it copies and the fraction of that unit's outgoing
        weights it carries (shares of one origin sum to 1).

    Returns
    -------
    Network, or (Network, (origin, share)) with ``return_mapping``.

    Notes
    -----
    Masks stay consistent: a replica inherits its origin's incoming mask
    column and outgoing mask rows, so a pruned weight's copies stay pruned.
    A frozen block stays frozen (its replicas too).  New units get new unit
    identities; optimizer state of old weights carries over by key.
    """
    _check_network(network)
    k = _check_hidden_block(network, block, "block")
    blk = network.blocks[k]
    width = blk.width
    if not isinstance(new_width, numbers.Integral) or isinstance(new_width, (bool, np.bool_)):
        raise TypeError(f"new_width: expected an int, got {new_width!r}")
    new_width = int(new_width)
    if new_width < width:
        raise ValueError(f"new_width: expected at least the block's width {width} (Net2WiderNet "
                         f"only adds units; remove units with Network.remove_units), got {new_width}")
    network.check_new_units(new_width - width, "new_width")
    noise = _check_noise(noise)
    if mode not in ("random", "largest"):
        raise ValueError(f"mode must be 'random' or 'largest', got {mode!r}")
    if noise_scale not in ("relative", "absolute"):
        raise ValueError(f"noise_scale must be 'relative' or 'absolute', got {noise_scale!r}")
    rng = check_rng(rng)

    W = blk.W.astype(np.float64)
    b = blk.b.astype(np.float64)
    if mode == "random":
        origin, share = _random_mapping(width, new_width, rng)
    else:
        origin, share = _largest_mapping(W, b, new_width)
    net = network.copy()
    n_new = new_width - width
    if n_new == 0:
        return (net, (origin, share)) if return_mapping else net

    src = origin[width:]
    incoming = W[:, src].copy()
    bias = b[src].copy()
    if noise > 0:
        if noise_scale == "relative":
            active = np.ones_like(W, bool) if blk.mask is None else blk.mask
            n_active = active.sum(axis=0)
            rms = np.sqrt((W * W).sum(axis=0) / np.maximum(n_active, 1))
            # A unit with all-zero incoming weights (dead or fully pruned)
            # borrows the block's scale.
            block_rms = np.sqrt((W * W).sum() / max(int(active.sum()), 1))
            rms = np.where(rms > 0, rms, block_rms)
            scale = noise * rms[src]
        else:
            scale = np.full(n_new, noise)
        incoming += rng.standard_normal(incoming.shape) * scale
        bias += rng.standard_normal(n_new) * scale
        if blk.mask is not None:
            incoming[~blk.mask[:, src]] = 0.0

    node = k + 1
    consumers = network.consumers(node)
    outgoing = {}
    for j in consumers:
        rows = dict(network.source_rows(j))[node]
        R = network.blocks[j].W[rows].astype(np.float64)
        outgoing[j] = R[src] * share[width:, None]
    net.add_units(k, n_new, incoming=incoming, bias=bias, outgoing=outgoing)
    # Now scale the old units' rows, and copy masks (add_units leaves new entries unmasked).
    for j in consumers:
        cblk = net.blocks[j]
        rows = dict(net.source_rows(j))[node]
        old = slice(rows.start, rows.start + width)
        cblk.W[old] *= share[:width, None].astype(net.dtype)
        if cblk.mask is not None:
            mask = cblk.mask.copy()
            mask[rows.start + width:rows.stop] = mask[rows.start + src]
            net.set_mask(j, mask)
    if blk.mask is not None:
        mask = net.blocks[k].mask.copy()
        mask[:, width:] = blk.mask[:, src]
        net.set_mask(k, mask)
    return (net, (origin, share)) if return_mapping else net


def widen_to(network, widths, noise=None, rng=None, **options):
    """Widen several hidden blocks in turn: ``widths`` maps block -> new width.

    A convenience over :func:`wider` (e.g. ``{0: 150, 1: 150}`` for a
    784-100-100-10 teacher); blocks already at their width are left alone.
    """
    _check_network(network)
    rng = check_rng(rng)
    if not isinstance(widths, dict):
        raise TypeError(f"widths must be a dict {{block: new width}}, got {type(widths).__name__}")
    net = network
    for k in sorted(widths):
        net = wider(net, k, widths[k], noise=noise, rng=rng, **options)
    return net if net is not network else network.copy()


# -------------------------------------------------------------------- deeper
DEEPER_METHODS = ("identity", "linear", "shortcut")


def deeper(network, after, *, method="identity", approximate=False, X=None, return_info=False):
    """Net2DeeperNet: a copy of ``network`` with a new block after hidden block ``after``.

    Parameters
    ----------
    network : Network
    after : int
        Hidden block after which the new block goes; the new block has its
        width and takes index ``after + 1``.
    method : {"identity", "linear", "shortcut"}
        "identity" (default, the paper's section 2.3): the new block computes
        ``f(I h + 0)`` with ``f`` the activation of block ``after``, and every
        later block reading ``h`` reads the new block instead (same weights).
        Exact when ``f(f(x)) = f(x)`` (ReLU, linear); for other activations it
        is refused unless ``approximate=True``.

        "linear" (exact for every activation): the same identity block but
        with a *linear* activation.  Honest caveat: a linear block followed by
        the next block's weights is still one linear map, so this adds
        parameters and depth on paper but no representational power; it only
        re-parameterises (and changes how gradient descent moves).

        "shortcut" (exact for every activation, and adds real non-linear
        capacity): the new block computes ``f(I h + 0)`` with ``f`` the
        activation of block ``after``, and is wired into every consumer of
        ``h`` as an extra source with zero outgoing weights, while those
        consumers keep reading ``h`` (a skip connection).  The zero outgoing
        weights make it exact; they receive gradient at once
        (dL/dV = f(h)^T delta), and the new block's incoming weights start
        learning once V moves off zero.  The network becomes one block deeper
        on its longest path but is no longer a plain chain (this is how
        cascade descendant units are wired).
    approximate : bool
        With ``method="identity"`` and a non-idempotent activation, insert the
        identity block anyway.  A ``UserWarning`` says how far off the
        function is: the max |output change| on ``X`` when given.
    X : array (n_samples, n_inputs), optional
        Data on which to measure the output change (always measured when given).
    return_info : bool
        Also return a dict ``{"block": new block index, "exact": bool,
        "max_abs_output_change": float or None}``.

    Returns
    -------
    Network, or (Network, info) with ``return_info``.

    Raises
    ------
    NotFunctionPreservingError (a ValueError)
        ``method="identity"`` on a non-idempotent activation without
        ``approximate=True``.
    """
    _check_network(network)
    k = _check_hidden_block(network, after, "after")
    if method not in DEEPER_METHODS:
        raise ValueError(f"method: expected one of {DEEPER_METHODS}, got {method!r}")
    if X is not None:
        X = network.check_X(check_array(X, "X", ndim=2), "X")
    blk = network.blocks[k]
    act = get_activation(blk.activation)
    width, node, pos = blk.width, k + 1, k + 1
    exact = method != "identity" or act.idempotent
    if not exact and not approximate:
        raise NotFunctionPreservingError(
            f"Net2DeeperNet's identity block is exact only for activations with f(f(x)) = f(x) "
            f"(relu, linear); block {k} uses {act.name!r}, for which f(I f(a)) != f(a).  Use "
            f"method='shortcut' (exact, zero-initialised extra block) or method='linear' (exact, "
            f"linear identity block), or approximate=True to insert it anyway")
    net = network.copy()
    identity = np.eye(width)
    zeros = np.zeros(width)
    if method == "shortcut":
        consumers = network.consumers(node)
        new = net.add_block(width, (node,), act.name, position=pos, consumers=consumers,
                            W=identity, b=zeros, outgoing=0.0)
    else:
        new = net.add_block(width, (node,), act.name if method == "identity" else "linear",
                            position=pos, replace=node, W=identity, b=zeros)
        # The readers keep the old node's weights and masks (add_block's
        # replace), so masks stay consistent.
    change = None
    if X is not None:
        change = float(np.max(np.abs(net.forward(X).astype(np.float64)
                                     - network.forward(X).astype(np.float64)), initial=0.0))
    if not exact:
        where = ("pass X to measure the output change" if change is None
                 else f"max |output change| {change:.3g} on the {len(X)} given rows")
        warnings.warn(f"deeper(): identity block under {act.name!r} is not function-preserving "
                      f"({where})", UserWarning, stacklevel=2)
    if return_info:
        return net, dict(block=new, exact=bool(exact), max_abs_output_change=change)
    return net
