"""One feed-forward network representation shared by every algorithm.

A :class:`Network` is a DAG of *blocks*.  Node 0 is the input vector; node
``k >= 1`` is the output of block ``k - 1``; the last block is the output
block.  Block ``k`` computes::

    y_k = f_k( sum_{s in sources_k} y_s @ W_k[rows of s] + b_k )

so a plain MLP has ``sources_k = (k,)`` and a cascade network has hidden block
``k`` reading ``(0, 1, ..., k)`` and the output block reading every node.

All weights and biases live in one flat buffer, :attr:`Network.params`, and each
block's ``W`` and ``b`` are views into it.  That makes an optimizer step a few
numpy calls on the whole buffer, whatever the topology.  Gradients live in the
parallel buffer :attr:`Network.grads`.

Every weight has a stable *key* (see :meth:`Network.param_keys`) built from the
identities of the two units it connects, so optimizer state survives structural
edits: an edit reorders or extends the buffer, and the state is carried over by
key (:func:`carry_over`).

Structural edits (:meth:`add_units`, :meth:`add_block`, :meth:`remove_units`,
:meth:`set_mask`, :meth:`freeze`) modify the network **in place** and say so;
take a :meth:`copy` first to keep the original.
"""
from __future__ import annotations

import functools
import json
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from .version import __version__
from .activations import get_activation
from .initializers import get_initializer
from .keys import carry_over, weight_keys
from .files import atomic_write, open_regular
from .losses import get_loss
from .targets import for_network
from .validation import check_array, check_positive_int, check_rng

__all__ = ["Block", "Network", "ForwardCache", "carry_over"]

_FORMAT = "structlearn.network"
_FORMAT_VERSION = 1
#: the format version of a network with recurrent blocks (self-weights, ``recurrent{k}``)
_RECURRENT_VERSION = 2


#: unit ids stay below this so that a weight key ((source id + 1) << 32 | unit id) is unique
_MAX_UNIT_ID = 2**31 - 1
#: largest metadata string and decompression ratio Network.load accepts (bounded reads)
_MAX_META_BYTES = 1 << 20
_MAX_EXPANSION = 20
_MIN_BUDGET = 64 << 20


def _npy_header(member, version):
    """``(shape, dtype, fortran_order)`` from an ``.npy`` header, through numpy's public readers."""
    read = {(1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if read is None:
        raise ValueError(f"unsupported .npy format version {version}")
    shape, fortran, dtype = read(member)
    return shape, dtype, fortran


def _all_or_nothing(edit):
    """Make a structural edit atomic: on any error the network is exactly as before.

    The edits build new arrays (concatenate, delete) and rebind them, so keeping the old
    references and re-packing from them restores the network bit for bit.
    """
    @functools.wraps(edit)
    def wrapper(self, *args, **kwargs):
        saved = (list(self.blocks), [(blk, blk.W, blk.b, blk.mask, blk.sources, blk.trainable,
                                      blk.recurrent) for blk in self.blocks],
                 list(self.unit_ids), self._next_uid, self.params.copy())
        try:
            return edit(self, *args, **kwargs)
        except BaseException:
            blocks, fields, unit_ids, next_uid, params = saved
            self.blocks = blocks
            for blk, W, b, mask, sources, trainable, recurrent in fields:
                blk.W, blk.b, blk.mask, blk.sources, blk.trainable = W, b, mask, sources, trainable
                blk.recurrent = recurrent
            self.unit_ids, self._next_uid = unit_ids, next_uid
            self._pack()
            self.params[:] = params
            raise
    return wrapper


@dataclass(frozen=True)
class ForwardCache:
    """What the network's last pass computed, for algorithms that act on it.

    Returned by :attr:`Network.last_pass`. The arrays are the network's own
    scratch buffers: read them, copy what you keep, and do not hold them across
    another pass or a structural edit (both overwrite or drop them).

    Attributes
    ----------
    nodes : list of ndarray
        ``[X, y_0, y_1, ...]``: the input and every block's output values.
    pre_activations : list of ndarray
        ``z_k`` of every block (``y_k = f_k(z_k)``).
    deltas : list of ndarray
        ``dL/dz_k`` after :meth:`Network.loss_and_grad` (the blocks the
        backward pass reached; undefined after a forward-only pass).
    has_deltas : bool
        True when the last pass was a forward-and-backward pass.
    """

    nodes: list
    pre_activations: list
    deltas: list
    has_deltas: bool

    @property
    def outputs(self):
        """The output block's values (``nodes[-1]``)."""
        return self.nodes[-1]


@dataclass(eq=False)
class Block:
    """One block of units: ``y = f(sum_s x_s @ W[rows of s] + b)``.

    Attributes
    ----------
    W : ndarray, shape (fan_in, width)
        Incoming weights, rows ordered by ``sources``.  A view into the
        network's flat parameter buffer.
    b : ndarray, shape (width,)
        Biases (a view, like ``W``).
    activation : str
        Name of the activation (see :mod:`structlearn.activations`).
    sources : tuple of int
        The nodes read by this block, in row order.
    mask : ndarray of bool or None
        Same shape as ``W``; False entries are pruned weights, held at 0.
    trainable : bool
        False for a frozen block (its ``W`` and ``b`` never change in training).
    recurrent : ndarray (width,) or None
        Self-weights of a block of recurrent units (Fahlman 1991, Recurrent
        Cascade-Correlation): unit ``j`` computes ``y_j(t) = f(z_j(t) + r_j y_j(t-1))``,
        with ``y_j(-1) = 0`` at the start of every sequence. Only frozen hidden blocks may
        be recurrent; the self-weights are not part of :attr:`Network.params`.
    """

    W: np.ndarray
    b: np.ndarray
    activation: str
    sources: tuple
    mask: np.ndarray | None = None
    trainable: bool = True
    recurrent: np.ndarray | None = None
    dW: np.ndarray | None = field(default=None, repr=False)
    db: np.ndarray | None = field(default=None, repr=False)

    @property
    def width(self) -> int:
        return self.W.shape[1]

    @property
    def fan_in(self) -> int:
        return self.W.shape[0]


class Network:
    """A feed-forward network of blocks with explicit sources.

    Build one with :meth:`mlp` or :meth:`cascade`; the constructor is the
    low-level form.

    Parameters
    ----------
    n_inputs : int
        Width of node 0.
    blocks : list of dict
        Each with keys ``W``, ``b``, ``activation``, ``sources`` and optionally
        ``mask`` and ``trainable``.  The last one is the output block.
    dtype : {numpy.float64, numpy.float32}
        Floating type of every parameter and of the passes.
    unit_ids : list of ndarray, optional
        Stable identities of the units of every node (restored by :meth:`load`).
    """

    def __init__(self, n_inputs, blocks, dtype=np.float64, unit_ids=None):
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype: expected numpy.float32 or numpy.float64, got {dtype!r}") from None
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
        if int(n_inputs) < 1:
            raise ValueError(f"n_inputs must be >= 1, got {n_inputs}")
        if not blocks:
            raise ValueError("blocks must hold at least the output block")
        self.dtype = dtype
        self.n_inputs = int(n_inputs)
        self.blocks: list[Block] = []
        for spec in blocks:
            self.blocks.append(Block(
                W=np.asarray(spec["W"]), b=np.asarray(spec["b"]),
                activation=get_activation(spec["activation"]).name,
                sources=tuple(int(s) for s in spec["sources"]),
                mask=None if spec.get("mask") is None else np.asarray(spec["mask"], bool),
                trainable=bool(spec.get("trainable", True)),
                recurrent=None if spec.get("recurrent") is None
                else np.array(spec["recurrent"], dtype=np.float64).reshape(-1),
            ))
        if unit_ids is None:
            unit_ids = [np.arange(self.n_inputs)]
            next_id = self.n_inputs
            for block in self.blocks:
                unit_ids.append(np.arange(next_id, next_id + block.W.shape[1]))
                next_id += block.W.shape[1]
        self.unit_ids = [np.asarray(u, dtype=np.int64) for u in unit_ids]
        self._next_uid = int(max(u.max(initial=-1) for u in self.unit_ids)) + 1
        self._check_structure()
        self._pack()

    # ------------------------------------------------------------------ build
    @classmethod
    def mlp(cls, sizes, hidden="relu", output=None, rng=None, dtype=np.float64, init="auto"):
        """A plain multi-layer perceptron, block ``k`` reading node ``k``.

        Parameters
        ----------
        sizes : sequence of int
            ``[n_in, h1, ..., n_out]``.
        hidden, output : str
            Activations of the hidden blocks and of the output block; the
            default output is softmax for several outputs, sigmoid for one.
        rng : int, Generator or None
            Source of the initial weights.
        dtype : float32 or float64
        init : str or callable, default "auto"
            Weight initialiser (:mod:`structlearn.initializers`): "auto" is
            Glorot-uniform (He-uniform for ReLU/softplus) with zero biases;
            "ash", "fahlman" or ``uniform(r)`` draw the biases from the same
            range as the weights (as Ash's and Fahlman's codes do).
        """
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be at least [n_in, n_out] with every size >= 1, got {sizes}")
        if sum(sizes) > _MAX_UNIT_ID:
            raise ValueError(f"sizes: at most {_MAX_UNIT_ID} units in all (unit ids are int32), "
                             f"got {sum(sizes)}")
        rng = check_rng(rng)
        initializer = get_initializer(init)
        # fixed-range initialisers (Ash, Fahlman) draw the biases too; fan-scaled ones start them at 0
        bias_too = not (isinstance(init, str) and init in ("auto", "glorot", "he"))
        if output is None:
            output = "softmax" if sizes[-1] > 1 else "sigmoid"
        blocks = []
        for k, (fan_in, width) in enumerate(zip(sizes[:-1], sizes[1:])):
            act = output if k == len(sizes) - 2 else hidden
            W = initializer(rng, fan_in, width, act, (fan_in, width))
            b = initializer(rng, fan_in, width, act, (width,)) if bias_too else np.zeros(width)
            blocks.append(dict(W=W, b=b, activation=act, sources=(k,)))
        return cls(sizes[0], blocks, dtype=dtype)

    @classmethod
    def cascade(cls, n_inputs, n_outputs, output="symmetric_sigmoid", weight_range=1.0,
                rng=None, dtype=np.float64):
        """A cascade network with no hidden units: inputs wired straight to outputs.

        Weights and biases start uniform in ``[-weight_range, weight_range]``
        (1.0 in Fahlman's cascor code).
        """
        rng = check_rng(rng)
        n_inputs, n_outputs = int(n_inputs), int(n_outputs)
        if n_inputs < 1 or n_outputs < 1:
            raise ValueError(f"n_inputs and n_outputs must be >= 1, got {n_inputs}, {n_outputs}")
        if n_inputs + n_outputs > _MAX_UNIT_ID:
            raise ValueError(f"n_inputs + n_outputs: at most {_MAX_UNIT_ID} units (unit ids are "
                             f"int32), got "
                             f"{n_inputs + n_outputs}")
        W = rng.uniform(-weight_range, weight_range, (n_inputs, n_outputs))
        b = rng.uniform(-weight_range, weight_range, n_outputs)
        return cls(n_inputs, [dict(W=W, b=b, activation=output, sources=(0,))], dtype=dtype)

    # ------------------------------------------------------------- structure
    @property
    def n_outputs(self) -> int:
        return self.blocks[-1].width

    @property
    def output_block(self) -> int:
        return len(self.blocks) - 1

    @property
    def node_sizes(self) -> list[int]:
        """Width of every node: ``[n_inputs, width of block 0, ...]``."""
        return [self.n_inputs] + [blk.width for blk in self.blocks]

    @property
    def n_hidden_units(self) -> int:
        return sum(blk.width for blk in self.blocks[:-1])

    @property
    def is_recurrent(self) -> bool:
        """True when a block has self-weights (Recurrent Cascade-Correlation units): the
        network then runs on sequences only (``forward(X, lengths=...)``)."""
        return any(blk.recurrent is not None for blk in self.blocks)

    def _refuse_recurrent(self, what):
        if self.is_recurrent:
            blocks = [k for k, blk in enumerate(self.blocks) if blk.recurrent is not None]
            raise ValueError(f"{what}: this network has recurrent blocks {blocks} (Recurrent "
                             "Cascade-Correlation units with self-weights); it runs on sequences "
                             "only: forward(X, lengths=...) or a structlearn.sequences.Sequences")

    @property
    def depth(self) -> int:
        """Hidden blocks on the longest input-to-output path."""
        longest = [0]  # per node: hidden blocks on the longest path ending there
        for k, blk in enumerate(self.blocks):
            here = max(longest[s] for s in blk.sources) + (k < len(self.blocks) - 1)
            longest.append(here)
        return longest[-1]

    @property
    def n_weights(self) -> int:
        """Number of weights and biases, masked ones included."""
        return self.params.size

    @property
    def n_active_weights(self) -> int:
        """Weights and biases left after masks."""
        return self.params.size - sum(int((~blk.mask).sum()) for blk in self.blocks
                                      if blk.mask is not None)

    def consumers(self, node: int) -> list[int]:
        """Blocks that read ``node``."""
        return [k for k, blk in enumerate(self.blocks) if node in blk.sources]

    def source_rows(self, block: int) -> list[tuple[int, slice]]:
        """``(source node, row slice of W)`` for each source of ``block``."""
        return self._rows[block]

    def _check_structure(self):
        sizes = [self.n_inputs]
        for k, blk in enumerate(self.blocks):
            if not blk.sources:
                raise ValueError(f"block {k} has no sources")
            if len(set(blk.sources)) != len(blk.sources):
                raise ValueError(f"block {k} lists a source twice: {blk.sources}")
            if min(blk.sources) < 0 or max(blk.sources) > k:
                raise ValueError(f"block {k} may read nodes 0..{k} only, got sources {blk.sources}")
            fan_in = sum(sizes[s] for s in blk.sources)
            if blk.W.ndim != 2 or blk.W.shape[0] != fan_in:
                raise ValueError(f"block {k}: W must have shape ({fan_in}, width), got {blk.W.shape}")
            if blk.b.shape != (blk.W.shape[1],):
                raise ValueError(f"block {k}: b must have shape ({blk.W.shape[1]},), got {blk.b.shape}")
            if blk.W.shape[1] < 1:
                raise ValueError(f"block {k} has no units")
            if blk.mask is not None and blk.mask.shape != blk.W.shape:
                raise ValueError(f"block {k}: mask shape {blk.mask.shape} != W shape {blk.W.shape}")
            if not (np.isfinite(blk.W).all() and np.isfinite(blk.b).all()):
                raise ValueError(f"block {k}: weights must be finite")
            if k < len(self.blocks) - 1 and not get_activation(blk.activation).elementwise:
                raise ValueError(f"block {k}: {blk.activation!r} is allowed on the output block only")
            if blk.recurrent is not None:
                if k == len(self.blocks) - 1:
                    raise ValueError(f"block {k}: the output block cannot be recurrent (Recurrent "
                                     "Cascade-Correlation's output units are feed-forward)")
                if blk.recurrent.shape != (blk.W.shape[1],):
                    raise ValueError(f"block {k}: recurrent must have shape ({blk.W.shape[1]},) "
                                     f"(one self-weight per unit), got {blk.recurrent.shape}")
                if not np.isfinite(blk.recurrent).all():
                    raise ValueError(f"block {k}: self-weights must be finite")
                if blk.trainable:
                    raise ValueError(f"block {k}: a recurrent block must be frozen "
                                     "(trainable=False): its self-weights are frozen at "
                                     "installation and no pass here trains through time")
            sizes.append(blk.W.shape[1])
        for node, ids in enumerate(self.unit_ids):
            if len(self.unit_ids) != len(sizes) or ids.shape != (sizes[node],):
                raise ValueError("unit_ids do not match the node widths")
        all_ids = np.concatenate(self.unit_ids)
        if all_ids.min() < 0 or all_ids.max() > _MAX_UNIT_ID:
            raise ValueError(f"unit_ids must be in [0, {_MAX_UNIT_ID}]")
        if len(np.unique(all_ids)) != len(all_ids):
            raise ValueError("unit_ids must be unique (a unit id names one unit)")
        read = set().union(*(blk.sources for blk in self.blocks))
        for k in range(len(self.blocks) - 1):
            if k + 1 not in read:
                raise ValueError(f"block {k} feeds no other block")

    def _pack(self):
        """(Re)build the flat parameter and gradient buffers and the block views."""
        total = sum(blk.W.size + blk.b.size for blk in self.blocks)
        params = np.empty(total, dtype=self.dtype)
        grads = np.zeros(total, dtype=self.dtype)
        self._offsets = []
        pos = 0
        for blk in self.blocks:
            n_w, n_b = blk.W.size, blk.b.size
            shape = blk.W.shape
            params[pos:pos + n_w] = blk.W.ravel()
            params[pos + n_w:pos + n_w + n_b] = blk.b
            blk.W = params[pos:pos + n_w].reshape(shape)
            blk.b = params[pos + n_w:pos + n_w + n_b]
            blk.dW = grads[pos:pos + n_w].reshape(shape)
            blk.db = grads[pos + n_w:pos + n_w + n_b]
            if blk.mask is not None:
                blk.W[~blk.mask] = 0.0
            self._offsets.append((pos, pos + n_w + n_b))
            pos += n_w + n_b
        self.params, self.grads = params, grads
        sizes = self.node_sizes
        self._rows = []
        for blk in self.blocks:
            rows, start = [], 0
            for s in blk.sources:
                rows.append((s, slice(start, start + sizes[s])))
                start += sizes[s]
            self._rows.append(rows)
        # Which blocks need dL/dz: trainable ones, and any block upstream
        # gradients must flow through.  Frozen cascade units are skipped.
        self._needs_delta = []
        for k, blk in enumerate(self.blocks):
            self._needs_delta.append(blk.trainable or any(
                s >= 1 and self._needs_delta[s - 1] for s in blk.sources))
        self._build_update_mask()
        self._keys = None
        self._workspaces = {}
        self._last = None
        self.layout_version = getattr(self, "layout_version", -1) + 1

    def _build_update_mask(self):
        """Flat 0/1 array of parameters an optimizer may change (None: all)."""
        if all(blk.trainable and blk.mask is None for blk in self.blocks):
            self.update_mask = None
            return
        m = np.ones(self.params.size, dtype=self.dtype)
        for blk, (lo, hi) in zip(self.blocks, self._offsets):
            if not blk.trainable:
                m[lo:hi] = 0.0
            elif blk.mask is not None:
                m[lo:lo + blk.W.size] = blk.mask.ravel()
        self.update_mask = m

    def block_slice(self, block: int) -> slice:
        """The slice of :attr:`params` holding ``block``'s ``W`` then ``b``."""
        lo, hi = self._offsets[block]
        return slice(lo, hi)

    def param_keys(self) -> np.ndarray:
        """A stable int64 key for every entry of :attr:`params`.

        The key of weight ``W[i, j]`` of a block encodes (unit id of source row
        ``i``, unit id of unit ``j``); a bias encodes (bias, unit id).  Keys do
        not change when other units or blocks are added or removed.
        """
        if self._keys is None:
            self._keys = np.concatenate([
                weight_keys(np.concatenate([self.unit_ids[s] for s in blk.sources]),
                            self.unit_ids[k + 1]) for k, blk in enumerate(self.blocks)])
        return self._keys

    # ---------------------------------------------------------------- passes
    def _workspace(self, n):
        ws = self._workspaces.get(n)
        if ws is None:
            if len(self._workspaces) > 4:
                self._workspaces.clear()
            ws = {"z": [np.empty((n, blk.width), self.dtype) for blk in self.blocks],
                  "y": [np.empty((n, blk.width), self.dtype) for blk in self.blocks],
                  "g": [np.empty((n, blk.width), self.dtype) for blk in self.blocks]}
            self._workspaces[n] = ws
        return ws

    def _forward(self, X, start=0, nodes=None, layout=None, masks=None):
        """Forward pass into the workspace; returns the list of node values.

        ``nodes`` (values of nodes ``0..start``) lets a caller that cached the
        outputs of frozen blocks recompute only blocks ``start, start+1, ...``.
        ``layout`` (a :class:`~structlearn.sequences.SequenceLayout`): the rows of ``X`` are
        the time steps of sequences in its time-major order, and recurrent blocks loop over
        time (vectorised over sequences), their state zeroed at each sequence's start.
        ``masks`` (per block, None or an array shaped like its outputs) multiplies the
        outputs of the blocks computed on this pass (dropout, see :meth:`loss_and_grad`).
        """
        if layout is None:
            self._refuse_recurrent("forward")
        ws = self._workspace(len(X))
        values = [X] + ws["y"] if nodes is None else list(nodes[:start + 1]) + ws["y"][start:]
        self._last = (len(X), values, False)
        zs = ws["z"]
        for k in range(start, len(self.blocks)):
            blk = self.blocks[k]
            z = zs[k]
            for i, (s, rows) in enumerate(self._rows[k]):
                if i == 0:
                    np.matmul(values[s], blk.W[rows], out=z)
                else:
                    z += values[s] @ blk.W[rows]
            z += blk.b
            if blk.recurrent is None:
                get_activation(blk.activation).f(z, out=values[k + 1])
                if masks is not None and masks[k] is not None:
                    values[k + 1] *= masks[k]
                continue
            # y(t) = f(z(t) + r * y(t-1)): step t's predecessors are the first rows of step
            # t-1 (time-major layout); z ends up holding the whole net input
            f, y, r = get_activation(blk.activation).f, values[k + 1], blk.recurrent.astype(z.dtype)
            for _, cur, prev in layout.steps():
                if prev is not None:
                    z[cur] += y[prev] * r
                f(z[cur], out=y[cur])
        return values

    def forward(self, X, *, return_nodes=False, lengths=None):
        """Output of the network for the rows of ``X``.

        Parameters
        ----------
        X : array-like (n_samples, n_inputs), or sequences
            Sequences (:class:`~structlearn.sequences.Sequences`, a list of
            ``(T_i, n_inputs)`` arrays, or an array with ``lengths``) give one output row
            per time step, in sequence order, with every recurrent unit's state zeroed at
            each sequence's start. A network with recurrent blocks needs sequences.
        return_nodes : bool
            If True return the values of every node (``[X, y_0, y_1, ...]``).
        lengths : array of int, optional
            The sequences' lengths when ``X`` is their concatenated time steps (P rows) or
            a padded (n_sequences, T, n_inputs) array.
        """
        from .sequences import Sequences
        if lengths is not None or isinstance(X, (Sequences, list, tuple)) and \
                not (isinstance(X, (list, tuple)) and np.ndim(X[0] if len(X) else 0) < 2):
            seqs = X if isinstance(X, Sequences) and lengths is None \
                else Sequences(X, lengths, name="X")
            lay = seqs.layout
            Xt = self.check_X(lay.to_time_major(seqs.X))
            values = self._forward(Xt, layout=lay)
            if return_nodes:
                return [lay.to_sequence_major(v) for v in values]
            return lay.to_sequence_major(values[-1])
        X = self.check_X(X)
        values = self._forward(X)
        if return_nodes:
            return [v.copy() for v in values]
        return values[-1].copy()

    def predict(self, X):
        """Network outputs (alias of :meth:`forward`), shape (n_samples, n_outputs)."""
        return self.forward(X)

    def predict_classes(self, X):
        """Class indices: the arg-max output, or for one output the side of the
        output activation's midpoint (0.5 for sigmoid, 0 for the symmetric
        ones; see :attr:`Activation.midpoint <structlearn.activations.Activation.midpoint>`).

        The bare-network convention of :mod:`structlearn.targets`; an estimator's
        ``predict`` gives its own labels.
        """
        out = self.forward(X)
        if out.shape[1] > 1:
            return out.argmax(axis=1)
        return (out[:, 0] > get_activation(self.blocks[-1].activation).midpoint).astype(np.int64)

    def check_X(self, X, name="X"):
        """Validate an input matrix and cast it to this network's dtype."""
        X = check_array(X, name, ndim=2, dtype=self.dtype)
        if X.shape[1] != self.n_inputs:
            raise ValueError(f"{name} must have {self.n_inputs} columns (the network's inputs), "
                             f"got shape {X.shape}")
        return X

    def loss_and_grad(self, X, T, loss, *, nodes=None, start=0, masks=None):
        """Loss of the batch and, into :attr:`grads`, its gradient.

        No input validation: this is the hot path of training.  ``X`` must
        already have this network's dtype and ``T`` the output's shape.

        ``masks`` (dropout; :class:`~structlearn.train.Trainer` draws them): one entry per
        block, None or an array of that block's output shape, ``(len(X), width)``, by which
        the block's outputs are multiplied on this pass (inverted dropout: 0 for a dropped
        unit, ``1 / (1 - rate)`` for a kept one). The loss and gradient are those of the
        network so masked. The output block's entry must be None. Not with ``start > 0``:
        the cached nodes of the blocks below ``start`` were computed without masks.

        Returns
        -------
        float : the mean loss over the batch.
        """
        loss = get_loss(loss)
        if self.is_recurrent:
            self._refuse_recurrent("loss_and_grad")
        if masks is not None and start:
            # the backward pass would apply masks to blocks the forward pass did not compute
            raise ValueError("masks: dropout masks need the whole forward pass (start=0), "
                             f"got start={start}")
        values = self._forward(X, start=start, nodes=nodes, masks=masks)
        ws = self._workspaces[len(X)]
        zs, gs = ws["z"], ws["g"]
        out = len(self.blocks) - 1
        value = loss.value(zs[out], values[-1], T)
        loss.grad(zs[out], values[-1], T, get_activation(self.blocks[out].activation), out=gs[out])
        self._backward(values, gs, masks=masks)
        self._last = (len(X), values, True)
        return value

    @property
    def last_pass(self) -> ForwardCache:
        """The node values (and, after :meth:`loss_and_grad`, the deltas) of the last pass.

        Algorithms read this between epochs instead of running another pass:
        :func:`~structlearn.train.train`'s epoch outputs, DNC's error statistics
        and growth scores. See :class:`ForwardCache` for the lifetime rules.

        Raises
        ------
        RuntimeError
            If no pass has run since the network was built or last edited.
        """
        last = getattr(self, "_last", None)
        if last is None or last[0] not in self._workspaces:
            raise RuntimeError("no forward pass since the network was built or edited: call "
                               "forward() or loss_and_grad() first")
        n, values, has_deltas = last
        ws = self._workspaces[n]
        return ForwardCache(nodes=list(values), pre_activations=list(ws["z"]),
                            deltas=list(ws["g"]), has_deltas=has_deltas)

    def _backward(self, values, deltas, *, weight_grads=True, input_grad=None, masks=None):
        """Back-propagate ``deltas[-1]`` (dL/dz of the output block) through the DAG.

        With ``weight_grads`` every trainable block's ``dW``/``db`` holds its gradient on
        return (masked entries zeroed), and ``deltas[k]`` holds dL/dz_k for the blocks that
        needed it. With ``input_grad`` (zeros shaped like the inputs) the pass goes through
        every block, frozen ones included, down to the inputs and adds dL/dX there
        (:meth:`vjp`): one backward pass for both uses. ``masks``: those of the forward
        pass (dropout).
        """
        to_inputs = input_grad is not None
        needs = [True] * len(self.blocks) if to_inputs else self._needs_delta
        pending = [False] * len(self.blocks)  # deltas[k] holds a partial dL/dy_k
        zs = self._workspaces[len(values[0])]["z"]
        for k in range(len(self.blocks) - 1, -1, -1):
            if not needs[k]:
                continue
            blk = self.blocks[k]
            d = deltas[k]
            if k < len(self.blocks) - 1:
                if not pending[k]:
                    continue  # nothing downstream of this block depends on the loss
                act = get_activation(blk.activation)
                if masks is not None and masks[k] is not None:
                    # y = f(z) * m: dL/dz = dL/dy * m * f'(z), and f'(z) may be written in
                    # terms of the unmasked f(z), so recompute it
                    d *= masks[k]
                    d *= act.df(zs[k], act.f(zs[k]))
                else:
                    d *= act.df(zs[k], values[k + 1])
            if weight_grads and blk.trainable:
                for s, rows in self._rows[k]:
                    np.matmul(values[s].T, d, out=blk.dW[rows])
                d.sum(axis=0, out=blk.db)
                if blk.mask is not None:
                    blk.dW *= blk.mask
            for s, rows in self._rows[k]:
                if s == 0:
                    if to_inputs:
                        input_grad += d @ blk.W[rows].T
                elif needs[s - 1]:
                    if pending[s - 1]:
                        deltas[s - 1] += d @ blk.W[rows].T
                    else:
                        np.matmul(d, blk.W[rows].T, out=deltas[s - 1])
                        pending[s - 1] = True

    def gradient(self, X, y, loss=None):
        """Loss and gradient (a copy of the flat :attr:`grads`) for ``(X, y)``.

        A validating convenience wrapper over :meth:`loss_and_grad`; ``y`` may be
        class indices, encoded as :func:`structlearn.targets.for_network` says.
        """
        loss = get_loss(loss if loss is not None else self.default_loss())
        loss.check_output_activation(self.blocks[-1].activation)
        X = self.check_X(X)
        T = self.encode_targets(y, n_samples=len(X))
        value = self.loss_and_grad(X, T, loss)
        return value, self.grads.copy()

    def vjp(self, X, dY):
        """Vector-Jacobian product with respect to the inputs: ``J(x)^T dy`` for every row.

        For each row ``x`` of ``X`` with outputs ``y = net(x)`` and a given ``dy = dL/dy``
        (the row of ``dY``), returns ``dL/dx``: one forward pass, then the deltas back
        through the DAG to node 0, every block traversed whether trainable or frozen
        (frozen weights are constants here, not skipped). :attr:`grads` is not touched.
        Knowledge-based cascade-correlation uses it for the slope of a frozen source
        network's projection (:mod:`structlearn.cascor.knowledge`).

        Parameters
        ----------
        X : array (n, n_inputs)
        dY : array (n, n_outputs)

        Returns
        -------
        ndarray (n, n_inputs)

        Raises
        ------
        ValueError
            For a softmax output (its Jacobian is not diagonal in ``z``) or mismatched shapes.
        """
        X = self.check_X(X)
        dY = check_array(dY, "dY", ndim=2, dtype=self.dtype)
        if dY.shape != (len(X), self.n_outputs):
            raise ValueError(f"dY must have shape ({len(X)}, {self.n_outputs}) (one row per "
                             f"row of X, one column per output), got {dY.shape}")
        if not get_activation(self.blocks[-1].activation).elementwise:
            raise ValueError(f"vjp: the output activation {self.blocks[-1].activation!r} is "
                             "not element-wise")
        values = self._forward(X)
        zs = self._workspaces[len(X)]["z"]
        out = len(self.blocks) - 1
        deltas = [np.empty_like(z) for z in zs]
        np.multiply(dY, get_activation(self.blocks[out].activation).df(zs[out], values[-1]),
                    out=deltas[out])
        dX = np.zeros_like(X)
        self._backward(values, deltas, weight_grads=False, input_grad=dX)
        return dX

    def encode_targets(self, y, n_samples=None, name="y"):
        """``y`` (class indices, a 0/1 or encoded matrix, or real values) as the output targets.

        The bare-network convention of :func:`structlearn.targets.for_network`.
        """
        if n_samples is not None and (np.ndim(y) == 0 or len(y) != n_samples):
            raise ValueError(f"{name} must have {n_samples} rows (one per sample of X), "
                             f"got shape {np.shape(y)}")
        return for_network(self, y, name=name).encode(y, name, dtype=self.dtype)

    def default_loss(self) -> str:
        from .losses import default_loss_for
        return default_loss_for(self.blocks[-1].activation)

    # ----------------------------------------------------------------- edits
    def check_new_units(self, n, name="n"):
        """Raise ValueError, before anything is allocated, if ``n`` more units cannot get ids.

        Unit ids stay below 2**31 (weight keys pack two of them in an int64), which also
        bounds every width a user can ask for.
        """
        if self._next_uid + int(n) > _MAX_UNIT_ID:
            raise ValueError(f"{name}: {n} new units would pass the {_MAX_UNIT_ID} unit ids a "
                             f"network can hold ({self._next_uid} used)")

    def _new_ids(self, n):
        if self._next_uid + n > _MAX_UNIT_ID:
            raise ValueError(f"unit ids exhausted: {self._next_uid} + {n} new units would pass "
                             f"{_MAX_UNIT_ID} (copy() the network's weights into a new one)")
        ids = np.arange(self._next_uid, self._next_uid + n, dtype=np.int64)
        self._next_uid += n
        return ids

    def _check_block(self, block, name="block", hidden=False):
        if not isinstance(block, (int, np.integer)) or isinstance(block, bool):
            raise TypeError(f"{name} must be an int block index, got {block!r}")
        n = len(self.blocks) - (1 if hidden else 0)
        if not -len(self.blocks) <= block < n:
            what = "hidden block" if hidden else "block"
            raise ValueError(f"{name} must be a {what} index in [0, {n - 1}], got {block}")
        return int(block) % len(self.blocks)

    @_all_or_nothing
    def add_units(self, block, n=1, *, incoming=None, bias=None, outgoing=None,
                  init_range=0.1666, rng=None, self_weight=None):
        """Add ``n`` units to hidden ``block``, **in place**.

        Parameters
        ----------
        block : int
            Index of a hidden block.
        n : int
            Number of units to add.
        incoming : array (fan_in, n), optional
            Incoming weights; default uniform in ``[-init_range, init_range]``.
        bias : array (n,), optional
            Biases; default uniform like ``incoming``.
        outgoing : array (n, width) or dict {consumer block: array}, optional
            Weights from the new units into each block that reads ``block``.
            An array is allowed when there is one consumer.  Default uniform in
            ``[-init_range, init_range]``; pass ``0.0`` for zeros (the network's
            function is then unchanged).
        init_range : float
            Half-width of the default uniform draws (Ash 1989 uses 0.1666).
        rng : int, Generator or None
        self_weight : float or array (n,), optional
            Self-weights of the new units (recurrent units, Fahlman 1991). A block that
            gets a non-zero one becomes recurrent (its other units' self-weights are 0,
            which is the feed-forward unit); a recurrent block's new units default to 0.

        Returns
        -------
        ndarray of int : the new units' indices within the block.
        """
        k = self._check_block(block, hidden=True)
        n = check_positive_int(n, "n")
        self.check_new_units(n)
        rng = check_rng(rng)
        blk = self.blocks[k]
        incoming = self._init_or_check(incoming, (blk.fan_in, n), init_range, rng, "incoming")
        bias = self._init_or_check(bias, (n,), init_range, rng, "bias")
        out_map = self._outgoing_map(k + 1, n, outgoing, init_range, rng)
        old_width = blk.width
        blk.W = np.concatenate([blk.W, incoming], axis=1)
        blk.b = np.concatenate([blk.b, bias])
        if blk.mask is not None:
            blk.mask = np.concatenate([blk.mask, np.ones((blk.fan_in, n), bool)], axis=1)
        if self_weight is not None or blk.recurrent is not None:
            r_new = self._init_or_check(0.0 if self_weight is None else self_weight, (n,), 0.0,
                                        None, "self_weight")
            if blk.recurrent is not None or np.any(r_new != 0):
                old = np.zeros(old_width) if blk.recurrent is None else blk.recurrent
                if blk.trainable:
                    raise ValueError(f"self_weight: block {k} is trainable, and a recurrent "
                                     "block must be frozen (freeze it first)")
                blk.recurrent = np.concatenate([old, r_new])
        for j, rows_new in out_map.items():
            self._insert_rows(j, k + 1, rows_new)
        self.unit_ids[k + 1] = np.concatenate([self.unit_ids[k + 1], self._new_ids(n)])
        self._pack()
        return np.arange(old_width, old_width + n)

    def _init_or_check(self, value, shape, init_range, rng, name):
        if value is None:
            return rng.uniform(-init_range, init_range, shape)
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: expected a number or an array of shape {shape}, "
                            f"got {type(value).__name__}") from None
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name}: expected finite weights, got NaN or infinity")
        if value.ndim == 0:
            return np.full(shape, float(value))
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
        return value

    def _outgoing_map(self, node, n, outgoing, init_range, rng):
        consumers = self.consumers(node)
        if isinstance(outgoing, dict):
            unknown = set(outgoing) - set(consumers)
            if unknown:
                raise ValueError(f"outgoing names blocks {sorted(unknown)} that do not read "
                                 f"node {node}; its consumers are {consumers}")
            return {j: self._init_or_check(outgoing.get(j), (n, self.blocks[j].width),
                                           init_range, rng, f"outgoing[{j}]") for j in consumers}
        if outgoing is not None and np.ndim(outgoing) > 0 and len(consumers) > 1:
            raise ValueError(f"node {node} feeds blocks {consumers}: give outgoing as a dict "
                             "{block: array} or a scalar")
        return {j: self._init_or_check(outgoing, (n, self.blocks[j].width), init_range, rng,
                                       "outgoing") for j in consumers}

    def _insert_rows(self, j, node, new_rows):
        """Append rows for new units of ``node`` at the end of its segment in block j."""
        blk = self.blocks[j]
        rows = dict(self._rows[j])[node]
        blk.W = np.concatenate([blk.W[:rows.stop], new_rows, blk.W[rows.stop:]], axis=0)
        if blk.mask is not None:
            blk.mask = np.concatenate([blk.mask[:rows.stop], np.ones(new_rows.shape, bool),
                                       blk.mask[rows.stop:]], axis=0)

    @_all_or_nothing
    def add_block(self, width, sources, activation, *, position=None, consumers=None,
                  replace=None, W=None, b=None, outgoing=None, init_range=0.1666, rng=None,
                  trainable=True, recurrent=None):
        """Insert a new hidden block, **in place**, and wire it to its consumers.

        Parameters
        ----------
        width : int
            Units in the new block.
        sources : sequence of int
            Nodes the new block reads (node numbers *before* the insertion; all
            must be <= ``position``).
        activation : str
        position : int, optional
            Block index the new block takes; blocks from there on shift by one.
            Default: just before the output block.
        consumers : sequence of int, optional
            Blocks (indices before the insertion) that get the new node as an
            extra, last source, with weights ``outgoing`` (default uniform in
            ``[-init_range, init_range]``; ``0.0`` keeps the function unchanged).
        replace : int, optional
            A node every one of whose readers at or after ``position`` reads the
            new node in its place, keeping the same weights (Net2DeeperNet:
            insert an identity block after ``replace``).  ``W`` must then map
            ``sources`` to the new block's width.
        W, b : arrays, optional
            The new block's incoming weights and biases (default uniform).
        recurrent : float or array (width,), optional
            Self-weights: a block of recurrent units (Fahlman 1991; it must be frozen,
            ``trainable=False``).

        Returns
        -------
        int : the new block's index.
        """
        pos = len(self.blocks) - 1 if position is None else int(position)
        if not 0 <= pos < len(self.blocks):
            raise ValueError(f"position must be in [0, {len(self.blocks) - 1}], got {position}")
        width = check_positive_int(width, "width")
        self.check_new_units(width, "width")
        sources = tuple(int(s) for s in sources)
        if not sources or min(sources) < 0 or max(sources) > pos:
            raise ValueError(f"sources must be nodes 0..{pos} for a block at position {pos}, "
                             f"got {sources}")
        get_activation(activation)
        rng = check_rng(rng)
        sizes = self.node_sizes
        fan_in = sum(sizes[s] for s in sources)
        W = self._init_or_check(W, (fan_in, width), init_range, rng, "W")
        b = self._init_or_check(b, (width,), init_range, rng, "b")
        consumers = [] if consumers is None else [self._check_block(j, "consumers") for j in consumers]
        if any(j < pos for j in consumers):
            raise ValueError(f"consumers must be blocks at or after position {pos}, got {consumers}")
        if replace is not None and not 0 <= int(replace) <= pos:
            raise ValueError(f"replace must be a node in [0, {pos}], got {replace}")
        out_map = {j: self._init_or_check(outgoing.get(j) if isinstance(outgoing, dict) else outgoing,
                                          (width, self.blocks[j].width), init_range, rng,
                                          f"outgoing[{j}]") for j in consumers}
        if replace is not None:
            for j in range(pos, len(self.blocks)):
                if int(replace) in self.blocks[j].sources and sizes[int(replace)] != width:
                    raise ValueError(f"replace: node {replace} has width {sizes[int(replace)]}, "
                                     f"the new block {width}")
        new_node = pos + 1

        def shift(s):
            return s + 1 if s >= new_node else s

        for j in consumers:
            blk = self.blocks[j]
            blk.W = np.concatenate([blk.W, out_map[j]], axis=0)
            if blk.mask is not None:
                blk.mask = np.concatenate([blk.mask, np.ones(out_map[j].shape, bool)], axis=0)
        for j, blk in enumerate(self.blocks):
            srcs = [shift(s) for s in blk.sources]
            if replace is not None and j >= pos:
                srcs = [new_node if s == shift(int(replace)) else s for s in srcs]
            if j in consumers:
                srcs.append(new_node)
            blk.sources = tuple(srcs)
        if recurrent is not None:
            recurrent = self._init_or_check(recurrent, (width,), 0.0, None, "recurrent")
        new = Block(W=W, b=b, activation=get_activation(activation).name, sources=sources,
                    trainable=trainable, recurrent=recurrent)
        self.blocks.insert(pos, new)
        self.unit_ids.insert(new_node, self._new_ids(width))
        self._check_structure()
        self._pack()
        return pos

    @_all_or_nothing
    def remove_units(self, block, units):
        """Remove ``units`` (indices) of hidden ``block`` and their outgoing
        weights, **in place**.  A block left with no units is removed and its
        readers lose that source.
        """
        k = self._check_block(block, hidden=True)
        blk = self.blocks[k]
        units = np.unique(np.asarray(units, dtype=np.int64).ravel())
        if units.size and (units.min() < 0 or units.max() >= blk.width):
            raise ValueError(f"units must be indices in [0, {blk.width - 1}], got {units.tolist()}")
        if units.size == 0:
            return self
        keep = np.setdiff1d(np.arange(blk.width), units)
        node = k + 1
        for j in self.consumers(node):
            cblk = self.blocks[j]
            rows = dict(self._rows[j])[node]
            drop = rows.start + units
            cblk.W = np.delete(cblk.W, drop, axis=0)
            if cblk.mask is not None:
                cblk.mask = np.delete(cblk.mask, drop, axis=0)
        if keep.size:
            blk.W, blk.b = blk.W[:, keep], blk.b[keep]
            if blk.mask is not None:
                blk.mask = blk.mask[:, keep]
            if blk.recurrent is not None:
                blk.recurrent = blk.recurrent[keep]
            self.unit_ids[node] = self.unit_ids[node][keep]
        else:
            for j, cblk in enumerate(self.blocks):
                srcs = [s for s in cblk.sources if s != node]
                if not srcs and j != k:
                    raise ValueError(f"removing block {k} would leave block {j} with no inputs")
                cblk.sources = tuple(s - 1 if s > node else s for s in srcs)
            del self.blocks[k]
            del self.unit_ids[node]
        self._check_structure()
        self._pack()
        return self

    @_all_or_nothing
    def add_sources(self, block, nodes, W=0.0):
        """Make ``block`` read the extra earlier ``nodes`` too, **in place**.

        The new weight rows are ``W`` (default ``0.0``: the network's function is
        unchanged, so this is a function-preserving edit). Cascade-correlation
        uses it to let an output block that reads only some nodes (an MLP's
        output reads the last hidden layer) see every node before new units are
        added.

        Parameters
        ----------
        block : int
            Index of the block that gains sources.
        nodes : sequence of int
            Nodes the block does not read yet, each in ``0..block`` (node ``k``
            is the output of block ``k - 1``, node 0 the input).
        W : float or array (rows, width), default 0.0
            Weights of the new rows: a scalar for all of them, or one row per unit
            of the new nodes, taken in ascending node order.

        Returns
        -------
        self

        Notes
        -----
        Afterwards ``sources`` is in ascending node order: the new rows are
        inserted where their nodes fall, and the existing rows move with their
        sources (so an empty ``nodes`` only sorts the sources). A masked block's
        mask gains True rows (the new weights are trainable); unit identities,
        and so the weights' keys, are unchanged.
        """
        k = self._check_block(block)
        blk = self.blocks[k]
        try:
            new = [int(s) for s in np.asarray(nodes, dtype=np.int64).ravel()]
        except (TypeError, ValueError):
            raise TypeError(f"nodes: expected a sequence of node numbers, got {nodes!r}") from None
        if len(set(new)) != len(new):
            raise ValueError(f"nodes: lists a node twice: {new}")
        bad = [s for s in new if not 0 <= s <= k]
        if bad:
            raise ValueError(f"nodes: block {k} may read nodes 0..{k} only, got {bad}")
        already = [s for s in new if s in blk.sources]
        if already:
            raise ValueError(f"nodes: block {k} already reads {already} (sources {blk.sources})")
        new = sorted(new)
        sizes = self.node_sizes
        if W is None:
            raise TypeError("W: expected a number or an array of weights, got None")
        W = self._init_or_check(W, (sum(sizes[s] for s in new), blk.width), 0.0, None, "W")
        old_rows = dict(self._rows[k])
        new_rows, pos = {}, 0
        for s in new:
            new_rows[s] = W[pos:pos + sizes[s]]
            pos += sizes[s]
        sources = sorted(list(blk.sources) + new)
        blk.W = np.concatenate([blk.W[old_rows[s]] if s in old_rows else new_rows[s]
                                for s in sources], axis=0)
        if blk.mask is not None:
            blk.mask = np.concatenate([blk.mask[old_rows[s]] if s in old_rows
                                       else np.ones((sizes[s], blk.width), bool)
                                       for s in sources], axis=0)
        blk.sources = tuple(sources)
        self._check_structure()
        self._pack()
        return self

    @_all_or_nothing
    def add_subnetwork(self, sub, sources, *, W, b, outgoing, trainable=False):
        """Insert a copy of network ``sub`` before the output block, **in place**.

        The copy is fed through a linear *projection* block of width ``sub.n_inputs`` that
        reads ``sources`` (weights ``W``, biases ``b``); then come copies of ``sub``'s blocks
        (same activations, weights, masks; sub's node 0 is the projection's node), and the
        copy of ``sub``'s output block is read by this network's output block with weights
        ``outgoing``. Only that last node feeds the output block: the projection and
        ``sub``'s hidden nodes feed only each other. Knowledge-based cascade-correlation
        installs a recruited source network this way (:mod:`structlearn.cascor.knowledge`).

        Parameters
        ----------
        sub : Network
            Its output activation must be element-wise (it becomes a hidden block).
        sources : sequence of int
            Nodes the projection reads (in the order of ``W``'s rows).
        W : array (fan-in of sources, sub.n_inputs)
        b : array (sub.n_inputs,)
        outgoing : array (sub.n_outputs, n_outputs) or float
        trainable : bool, default False
            Flag of every new block (False: the projection and the copy are frozen).

        Returns
        -------
        int : the index of the block holding ``sub``'s outputs.
        """
        if not isinstance(sub, Network):
            raise TypeError(f"sub: expected a structlearn Network, got {type(sub).__name__}")
        if not get_activation(sub.blocks[-1].activation).elementwise:
            raise ValueError(f"sub: its output activation {sub.blocks[-1].activation!r} is not "
                             "element-wise, so it cannot be a hidden block")
        out = len(self.blocks) - 1
        sources = tuple(int(s) for s in sources)
        if not sources or min(sources) < 0 or max(sources) > out:
            raise ValueError(f"sources must be nodes 0..{out}, got {sources}")
        sizes = self.node_sizes
        n_s, m = sub.n_inputs, sub.n_outputs
        W = self._init_or_check(W, (sum(sizes[s] for s in sources), n_s), 0.0, None, "W")
        b = self._init_or_check(b, (n_s,), 0.0, None, "b")
        outgoing = self._init_or_check(outgoing, (m, self.blocks[out].width), 0.0, None,
                                       "outgoing")
        self.check_new_units(sum(sub.node_sizes), "sub")
        proj = out + 1                          # the projection's node; sub node s -> proj + s
        c = (lambda a: None if a is None else np.array(a, dtype=np.float64))
        new = [Block(W=W, b=b, activation="linear", sources=sources, trainable=trainable)]
        new += [Block(W=c(blk.W), b=c(blk.b), activation=blk.activation, mask=c(blk.mask),
                      sources=tuple(proj + s for s in blk.sources), trainable=trainable)
                for blk in sub.blocks]
        last = out + len(new)                   # the node of sub's outputs
        oblk = self.blocks[out]
        oblk.W = np.concatenate([oblk.W, outgoing], axis=0)
        if oblk.mask is not None:
            oblk.mask = np.concatenate([oblk.mask, np.ones(outgoing.shape, bool)], axis=0)
        oblk.sources = oblk.sources + (last,)
        self.blocks[out:out] = new
        ids = [self._new_ids(blk.width) for blk in new]
        self.unit_ids[proj:proj] = ids
        self._check_structure()
        self._pack()
        return last - 1

    @_all_or_nothing
    def set_mask(self, block, mask):
        """Set the weight mask of ``block`` **in place** (False = pruned, held at 0).

        ``mask=None`` removes the mask (pruned weights stay 0 until trained).
        """
        k = self._check_block(block)
        blk = self.blocks[k]
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != blk.W.shape:
                raise ValueError(f"mask must have shape {blk.W.shape} (block {k}'s W), got {mask.shape}")
            if mask.dtype != bool:
                if not np.all((mask == 0) | (mask == 1)):
                    raise ValueError("mask must be boolean (or 0/1)")
                mask = mask.astype(bool)
            blk.mask = mask.copy()
            blk.W[~blk.mask] = 0.0
        else:
            blk.mask = None
        self._build_update_mask()
        return self

    def freeze(self, block, frozen=True):
        """Freeze (or unfreeze) ``block``'s weights and biases, **in place**."""
        k = self._check_block(block)
        if not frozen and self.blocks[k].recurrent is not None:
            raise ValueError(f"block: block {k} is recurrent and stays frozen (its self-weights "
                             "are frozen at installation; no pass here trains through time)")
        self.blocks[k].trainable = not frozen
        self._pack()
        return self

    def __getstate__(self):
        # Workspaces are scratch buffers: not pickled (size; and a pickle loaded
        # from a read-only memmap, as joblib does, would make them unwritable).
        state = self.__dict__.copy()
        state["_workspaces"] = {}
        return state

    def __setstate__(self, state):
        # Pickle stores each block's W/b as its own array, not as views into
        # the flat buffer; rebuild the buffer so training updates what forward reads.
        self.__dict__.update(state)
        self._pack()

    def copy(self):
        """A deep copy: new buffers, same unit identities."""
        return Network(self.n_inputs, self._block_specs(copy=True), dtype=self.dtype,
                       unit_ids=[u.copy() for u in self.unit_ids])._with_next_uid(self._next_uid)

    @property
    def next_unit_id(self) -> int:
        """The id the next new unit will get (ids are never reused, so keys stay unique)."""
        return self._next_uid

    def reserve_unit_ids(self, next_unit_id):
        """Make new units start at ``next_unit_id`` or later (never lowers it); returns ``self``.

        For converters that rebuild a network and must not reuse the ids of units that
        were removed (weight keys, and the optimizer state keyed by them, stay unambiguous).
        """
        next_unit_id = check_positive_int(next_unit_id, "next_unit_id", minimum=0,
                                          maximum=_MAX_UNIT_ID)
        return self._with_next_uid(next_unit_id)

    def _with_next_uid(self, next_uid):
        self._next_uid = max(self._next_uid, int(next_uid))
        return self

    def astype(self, dtype):
        """A copy in another floating dtype."""
        return Network(self.n_inputs, self._block_specs(copy=True), dtype=dtype,
                       unit_ids=[u.copy() for u in self.unit_ids])._with_next_uid(self._next_uid)

    def _block_specs(self, copy=False):
        c = (lambda a: None if a is None else a.copy()) if copy else (lambda a: a)
        return [dict(W=c(blk.W), b=c(blk.b), activation=blk.activation, sources=blk.sources,
                     mask=c(blk.mask), trainable=blk.trainable, recurrent=c(blk.recurrent))
                for blk in self.blocks]

    # ------------------------------------------------------------ save/load
    def save(self, path):
        """Save to ``path`` (``.npz``: arrays plus a JSON metadata string).

        Written to a temporary file then moved into place, so a crash never
        leaves a half-written file.
        """
        arrays = {}
        for k, blk in enumerate(self.blocks):
            arrays[f"W{k}"] = blk.W
            arrays[f"b{k}"] = blk.b
            if blk.mask is not None:
                arrays[f"mask{k}"] = blk.mask
            if blk.recurrent is not None:
                arrays[f"recurrent{k}"] = blk.recurrent
        for node, ids in enumerate(self.unit_ids):
            arrays[f"ids{node}"] = ids
        # a recurrent network is format version 2, so that a reader that does not know
        # self-weights refuses it instead of silently running it feed-forward
        meta = dict(format=_FORMAT, version=_RECURRENT_VERSION if self.is_recurrent
                    else _FORMAT_VERSION, structlearn=__version__,
                    dtype=self.dtype.name, n_inputs=self.n_inputs, next_uid=self._next_uid,
                    blocks=[dict(activation=blk.activation, sources=list(blk.sources),
                                 trainable=blk.trainable, masked=blk.mask is not None,
                                 **({"recurrent": True} if blk.recurrent is not None else {}))
                            for blk in self.blocks])
        arrays["meta"] = np.array(json.dumps(meta))
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        return atomic_write(path, writer=lambda fh: np.savez(fh, **arrays))

    @classmethod
    def load(cls, path):
        """Load a network written by :meth:`save` (never unpickles anything).

        Raises
        ------
        ValueError
            If the file is not a readable structlearn network.
        """
        def bad(why):
            return ValueError(f"{os.fspath(path)!r} is not a valid structlearn network file: {why}")

        try:
            # only a regular file: a FIFO would block, /dev/zero never ends
            with open_regular(path, error=lambda why: bad("not a regular file")) as fh:
                size = os.fstat(fh.fileno()).st_size
                with zipfile.ZipFile(fh) as zf:
                    return cls._from_zip(zf, size, bad)
        except ValueError as exc:
            if str(exc).startswith(repr(os.fspath(path))):
                raise
            raise bad(str(exc)) from None
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise bad(f"missing or malformed entry {exc}") from None
        except (zipfile.BadZipFile, OSError, EOFError, OverflowError, RecursionError,
                UnicodeDecodeError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise bad(f"{type(exc).__name__}: {exc}") from None

    @classmethod
    def _from_zip(cls, zf, file_size, bad):
        """Read only the members the metadata names, each bounded before it is inflated."""
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise bad("a member name appears twice")
        members = {i.filename: i for i in infos}
        budget = [max(_MIN_BUDGET, _MAX_EXPANSION * file_size)]

        def read(name, limit=None):
            info = members.get(name + ".npy")
            if info is None:
                raise bad(f"missing entry {name!r}")
            if (limit is not None and info.file_size > limit) or info.file_size > budget[0]:
                raise bad(f"entry {name!r} inflates to {info.file_size} bytes, more than this "
                          "file can hold")
            budget[0] -= info.file_size
            with zf.open(info) as member:
                version = np.lib.format.read_magic(member)
                shape, dtype, fortran = _npy_header(member, version)
                if dtype.hasobject:
                    raise bad(f"entry {name!r} holds Python objects")
                n_bytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
                if n_bytes > info.file_size:
                    raise bad(f"entry {name!r} claims {n_bytes} bytes in {info.file_size}")
                data = member.read(n_bytes)
                if len(data) != n_bytes:
                    raise bad(f"entry {name!r} is truncated")
                flat = np.frombuffer(data, dtype=dtype)
                return np.array(flat.reshape(shape, order="F" if fortran else "C"), order="C")

        meta = json.loads(str(read("meta", limit=_MAX_META_BYTES)[()]))
        if not isinstance(meta, dict):
            raise bad("the metadata is not a JSON object")
        if meta.get("format") != _FORMAT:
            raise bad(f"unknown format {meta.get('format')!r}")
        if meta.get("version") not in (_FORMAT_VERSION, _RECURRENT_VERSION):
            raise bad(f"unsupported format version {meta.get('version')!r}")
        dtype = np.dtype(meta["dtype"])
        if not isinstance(meta["blocks"], list):
            raise bad("'blocks' must be a list")
        blocks = []
        for k, bm in enumerate(meta["blocks"]):
            W, b = read(f"W{k}"), read(f"b{k}")
            for name, arr in (("W", W), ("b", b)):
                if arr.dtype.kind != "f":
                    raise bad(f"{name}{k} has dtype {arr.dtype}, expected floating point")
            mask = read(f"mask{k}") if bm.get("masked") else None
            if mask is not None and mask.dtype != bool:
                raise bad(f"mask{k} has dtype {mask.dtype}, expected bool")
            rec = None
            if bm.get("recurrent"):
                if meta["version"] != _RECURRENT_VERSION:
                    raise bad(f"block {k} is recurrent in a version {meta['version']} file")
                rec = read(f"recurrent{k}")
                if rec.dtype.kind != "f":
                    raise bad(f"recurrent{k} has dtype {rec.dtype}, expected floating point")
            blocks.append(dict(W=W, b=b, activation=bm["activation"], sources=bm["sources"],
                               mask=mask, trainable=bm["trainable"], recurrent=rec))
        ids = [read(f"ids{node}") for node in range(len(blocks) + 1)]
        if any(u.dtype.kind not in "iu" for u in ids):
            raise bad("unit ids must be integers")
        n_inputs = meta["n_inputs"]
        if not isinstance(n_inputs, int) or isinstance(n_inputs, bool):
            raise bad(f"n_inputs must be an integer, got {n_inputs!r}")
        net = cls(n_inputs, blocks, dtype=dtype, unit_ids=ids)
        next_uid = meta.get("next_uid", 0)
        if not isinstance(next_uid, int) or not 0 <= next_uid <= _MAX_UNIT_ID:
            raise bad(f"next_uid must be an integer in [0, {_MAX_UNIT_ID}], got {next_uid!r}")
        return net._with_next_uid(next_uid)

    # -------------------------------------------------------------- display
    def summary(self) -> str:
        """A readable table of blocks, widths, sources, activations and weights."""
        lines = [f"Network: {self.n_inputs} inputs, {self.n_hidden_units} hidden units in "
                 f"{len(self.blocks) - 1} hidden blocks, depth {self.depth}, "
                 f"{self.n_outputs} outputs, {self.dtype.name}",
                 f"{'block':>7}  {'node':>4}  {'width':>5}  {'activation':<18} {'sources':<20} "
                 f"{'weights':>9}  {'active':>9}  frozen"]
        for k, blk in enumerate(self.blocks):
            n = blk.W.size + blk.b.size
            active = n - (0 if blk.mask is None else int((~blk.mask).sum()))
            srcs = ",".join(map(str, blk.sources))
            if len(srcs) > 20:
                srcs = srcs[:17] + "..."
            name = f"{k}{' (out)' if k == len(self.blocks) - 1 else ''}"
            lines.append(f"{name:>7}  {k + 1:>4}  {blk.width:>5}  {blk.activation:<18} {srcs:<20} "
                         f"{n:>9}  {active:>9}  {'yes' if not blk.trainable else 'no'}"
                         + ("  recurrent" if blk.recurrent is not None else ""))
        lines.append(f"total weights {self.n_weights}, active {self.n_active_weights}")
        return "\n".join(lines)

    def __repr__(self):
        return (f"Network(n_inputs={self.n_inputs}, widths={[b.width for b in self.blocks]}, "
                f"depth={self.depth}, dtype={self.dtype.name})")
