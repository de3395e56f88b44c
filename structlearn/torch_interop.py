"""Bring your own PyTorch model: convert a torch network to a :class:`Network` and back.

* :func:`from_torch` reads a ``torch.nn.Sequential`` of ``Linear`` layers, each followed by at
  most one activation structlearn has, or a module :func:`to_torch` built, into a
  :class:`~structlearn.network.Network`: grow it with cascade-correlation or DNC, prune it with
  Optimal Brain Damage, widen it with Net2Net, as any other network.
* :func:`to_torch` turns **any** network (an MLP or a cascade DAG whose blocks read several
  earlier nodes, with masks and frozen blocks) into a torch module whose forward pass gives the
  same outputs: a chain becomes a :class:`StructlearnSequential` (an ``nn.Sequential``), anything
  else a :class:`StructlearnDAG`.  A mask becomes a buffer multiplied into the weight in forward
  (so a pruned weight gets a zero gradient and stays exactly 0 under any torch optimizer); a frozen
  block's weight and bias have ``requires_grad=False``.  The unit identities ride along as
  buffers, so ``from_torch(to_torch(net))`` gives back the same network (weights, masks, frozen
  flags, sources, activations and unit ids).

PyTorch is optional (``pip install "structlearn[torch]"``): it is imported when one of these
functions is called (or a module class below is first looked up), never when structlearn or this
module is imported.

Layout of the modules :func:`to_torch` builds: a block is a :class:`StructlearnLinear` (an
``nn.Linear``: ``weight`` of shape ``(width, fan_in)`` is ``W.T``, ``bias`` is ``b``, ``mask`` a
bool buffer shaped like ``weight`` when the block is masked, ``unit_ids`` a buffer that
``state_dict`` leaves out) followed by its activation: ``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``,
``nn.Identity`` (linear) or ``nn.Softmax(dim=-1)`` where torch has the very function, else a
:class:`StructlearnActivation` (symmetric sigmoid, Gaussian, softplus).  So the ``state_dict`` of
an unmasked MLP is that of the plain ``nn.Sequential`` with the same layers.
"""
from __future__ import annotations

import numpy as np

from .activations import get_activation
from .network import Network

__all__ = ["from_torch", "to_torch", "UnsupportedLayerError", "TORCH_CLASSES"]

#: the torch module classes of this module, created (importing torch) on first lookup
TORCH_CLASSES = ("StructlearnLinear", "StructlearnActivation", "StructlearnSequential",
                 "StructlearnDAG")

_INSTALL_HINT = ('structlearn.torch_interop needs PyTorch: pip install "structlearn[torch]" '
                 "(the CPU build is enough)")
#: activations torch computes exactly as structlearn does, as their torch module classes
_NATIVE = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "linear": "Identity"}
#: nn.Softplus linearises above ``threshold``; from 20 on that is off by < log1p(e^-20) = 2.1e-9
_SOFTPLUS_MIN_THRESHOLD = 20.0
_CLASSES: dict = {}


class UnsupportedLayerError(TypeError, ValueError):
    """A layer of a torch module that has no structlearn equivalent (or sits where it cannot).

    Both a ``TypeError`` and a ``ValueError``; ``path`` is the layer's name in the module
    (its index in the ``nn.Sequential``, dotted for nested ones) and ``layer`` the layer.
    """

    def __init__(self, path, layer, why):
        self.path, self.layer = path, layer
        super().__init__(f"layer {path} ({type(layer).__name__}): {why}")


def _import_torch():
    try:
        import torch
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return torch


def __getattr__(name):
    # PEP 562: the torch module classes exist once torch is imported (also what lets pickle
    # find them in a fresh process).
    if name in TORCH_CLASSES:
        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(TORCH_CLASSES))


# ----------------------------------------------------------------- torch side
def _torch_activation_functions(torch):
    """The structlearn activations written with torch ops (same formulas, autograd-safe)."""
    def softplus(a):
        return torch.logaddexp(a, a.new_zeros(()))  # exact, as numpy's logaddexp(0, a)

    return {
        "sigmoid": torch.sigmoid,
        # 0.5 - 1/(1 + e^a) == sigmoid(a) - 0.5; this form has no inf/inf in its gradient
        "symmetric_sigmoid": lambda a: torch.sigmoid(a) - 0.5,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "softplus": softplus,
        "gaussian": lambda a: torch.exp(a * a * -0.5),
        "linear": lambda a: a,
        "softmax": lambda a: torch.softmax(a, dim=-1),
    }


def _classes():
    """Create the torch module classes once (this is where torch is imported)."""
    if _CLASSES:
        return _CLASSES
    torch = _import_torch()
    nn, F = torch.nn, torch.nn.functional
    functions = _torch_activation_functions(torch)

    class StructlearnLinear(nn.Linear):
        """An ``nn.Linear`` with an optional fixed 0/1 weight mask and the units' identities.

        Forward computes ``x @ (weight * mask).T + bias``: a masked weight contributes nothing
        and gets a zero gradient, so it stays exactly 0 under any optimizer (weight decay
        included). ``mask`` (bool, shape of ``weight``) is a buffer saved in ``state_dict``;
        ``unit_ids`` (int64, one per output unit) is a buffer ``state_dict`` leaves out.
        """

        def __init__(self, in_features, out_features, bias=True, *, mask=None, unit_ids=None,
                     device=None, dtype=None):
            super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)
            if mask is not None:
                mask = torch.as_tensor(np.asarray(mask, dtype=bool), device=device)
                if tuple(mask.shape) != (out_features, in_features):
                    raise ValueError(f"mask must have shape ({out_features}, {in_features}) "
                                     f"(the weight's), got {tuple(mask.shape)}")
                with torch.no_grad():
                    self.weight[~mask] = 0.0
            self.register_buffer("mask", mask)
            if unit_ids is not None:
                unit_ids = torch.as_tensor(np.asarray(unit_ids, dtype=np.int64), device=device)
            self.register_buffer("unit_ids", unit_ids, persistent=False)

        def masked_weight(self):
            """``weight * mask`` (the weight itself when unmasked): what forward uses."""
            return self.weight if self.mask is None else self.weight * self.mask

        def forward(self, x):
            return F.linear(x, self.masked_weight(), self.bias)

        def extra_repr(self):
            return super().extra_repr() + (", masked" if self.mask is not None else "")

    class StructlearnActivation(nn.Module):
        """A structlearn activation (:mod:`structlearn.activations`) as a torch module.

        Used where torch has no module computing the same function: the symmetric sigmoid
        ``0.5 - 1/(1 + e^a)`` of Fahlman's cascor code, the Gaussian ``exp(-a^2/2)``, and the
        exact softplus ``log(1 + e^a)`` (``nn.Softplus`` switches to ``a`` above its
        threshold).  Any registered name works.
        """

        def __init__(self, name):
            super().__init__()
            self.name = get_activation(name).name
            if self.name not in functions:  # a new activation needs its torch form written
                raise NotImplementedError(f"activation {self.name!r} has no torch form yet "
                                          "(structlearn.torch_interop)")
            self._f = functions[self.name]

        def forward(self, a):
            return self._f(a)

        def extra_repr(self):
            return repr(self.name)

        def __getstate__(self):
            state = self.__dict__.copy()
            state.pop("_f", None)  # a lambda; rebuilt from the name
            return state

        def __setstate__(self, state):
            self.__dict__.update(state)
            self._f = functions[self.name]

    class StructlearnSequential(nn.Sequential):
        """An ``nn.Sequential`` of :class:`StructlearnLinear` and activation modules, built by
        :func:`to_torch` from a chain network (block ``k`` reads node ``k`` only).

        ``input_ids`` (a buffer left out of ``state_dict``) and ``next_uid`` carry the unit
        identities of the inputs and the next free id, so :func:`from_torch` gives the network
        back exactly.
        """

        def __init__(self, *layers, input_ids=None, next_uid=None):
            super().__init__(*layers)
            if input_ids is not None:
                input_ids = torch.as_tensor(np.asarray(input_ids, dtype=np.int64))
            self.register_buffer("input_ids", input_ids, persistent=False)
            self.next_uid = None if next_uid is None else int(next_uid)

    class StructlearnDAG(nn.Module):
        """A network of blocks with explicit sources, as a torch module (:func:`to_torch`).

        Node 0 is the input, node ``k >= 1`` the output of block ``k - 1``; block ``k``
        computes ``act_k(sum_{s in sources[k]} x_s @ W_k[rows of s].T + b_k)`` with
        ``W_k = layers[k].masked_weight()`` (torch layout: one row per unit), exactly as
        :class:`~structlearn.network.Network` does.

        Attributes
        ----------
        layers : nn.ModuleList of StructlearnLinear
        activations : nn.ModuleList
        sources : list of tuple of int
        input_ids : tensor or None
            Unit ids of the inputs (a buffer left out of ``state_dict``).
        next_uid : int or None
        """

        def __init__(self, layers, activations, sources, *, n_inputs, input_ids=None,
                     next_uid=None):
            super().__init__()
            if not len(layers) == len(activations) == len(sources):
                raise ValueError("layers, activations and sources must have one entry per block")
            self.n_inputs = int(n_inputs)
            self.layers = nn.ModuleList(layers)
            self.activations = nn.ModuleList(activations)
            self.sources = [tuple(int(s) for s in srcs) for srcs in sources]
            sizes = [self.n_inputs] + [layer.out_features for layer in layers]
            self._segments = []
            for k, (layer, srcs) in enumerate(zip(layers, self.sources)):
                if not srcs or min(srcs) < 0 or max(srcs) > k:
                    raise ValueError(f"block {k} may read nodes 0..{k} only, got {srcs}")
                if sum(sizes[s] for s in srcs) != layer.in_features:
                    raise ValueError(f"block {k}: its sources {srcs} give "
                                     f"{sum(sizes[s] for s in srcs)} inputs, its layer takes "
                                     f"{layer.in_features}")
                segs, start = [], 0
                for s in srcs:
                    segs.append((s, start, start + sizes[s]))
                    start += sizes[s]
                self._segments.append(segs)
            if input_ids is not None:
                input_ids = torch.as_tensor(np.asarray(input_ids, dtype=np.int64))
            self.register_buffer("input_ids", input_ids, persistent=False)
            self.next_uid = None if next_uid is None else int(next_uid)

        def forward(self, x, return_nodes=False):
            """The outputs (with ``return_nodes``, the list ``[x, y_0, y_1, ...]``)."""
            nodes = [x]
            for layer, act, segs in zip(self.layers, self.activations, self._segments):
                w = layer.masked_weight()
                z = None
                for s, lo, hi in segs:  # per source, as Network does: no concatenated copy
                    part = F.linear(nodes[s], w[:, lo:hi])
                    z = part if z is None else z + part
                if layer.bias is not None:
                    z = z + layer.bias
                nodes.append(act(z))
            return nodes if return_nodes else nodes[-1]

        def extra_repr(self):
            return f"n_inputs={self.n_inputs}, sources={self.sources}"

    for cls in (StructlearnLinear, StructlearnActivation, StructlearnSequential, StructlearnDAG):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
        _CLASSES[cls.__name__] = cls
    return _CLASSES


def _torch_dtype(torch, dtype, default, name="dtype"):
    """``dtype`` (None, numpy or torch float32/float64) as a torch dtype."""
    if dtype is None:
        dtype = default
    if isinstance(dtype, torch.dtype):
        if dtype in (torch.float32, torch.float64):
            return dtype
    else:
        try:
            np_dtype = np.dtype(dtype)
        except TypeError:
            np_dtype = None
        if np_dtype == np.float32:
            return torch.float32
        if np_dtype == np.float64:
            return torch.float64
    raise ValueError(f"{name}: expected float32 or float64 (numpy or torch), got {dtype!r}")


def _activation_module(nn, cls, name):
    if name in _NATIVE:
        return getattr(nn, _NATIVE[name])()
    if name == "softmax":
        return nn.Softmax(dim=-1)
    return cls["StructlearnActivation"](name)


# ---------------------------------------------------------------- to torch
def to_torch(network, *, dtype=None):
    """A torch module computing the same function as ``network``.

    Parameters
    ----------
    network : Network
        Any network: an MLP, a cascade network, any DAG of blocks, with masks and frozen
        blocks.  It is not changed (the module holds copies of its weights).
    dtype : float32 or float64 (numpy or torch), optional
        Floating type of the module's parameters; default the network's.

    Returns
    -------
    torch.nn.Module
        A :class:`StructlearnSequential` (an ``nn.Sequential``: ``Linear``, activation,
        ``Linear``, activation, ...) when every block ``k`` reads node ``k`` only, else a
        :class:`StructlearnDAG`.  In both, block ``k`` is a :class:`StructlearnLinear` with
        ``weight = W.T`` and ``bias = b``; a masked block has a ``mask`` buffer (pruned weights
        are 0 and stay 0 in training: forward uses ``weight * mask``); a frozen block's
        ``weight`` and ``bias`` have ``requires_grad=False``.  The module is on the CPU and in
        training mode; :func:`from_torch` gives the network back.

    Notes
    -----
    Outputs agree with ``network.forward`` to rounding: about 1e-15 in float64 and 1e-7 in
    float32 for moderate weights (the tests check 1e-12 and 1e-6).
    """
    if not isinstance(network, Network):
        raise TypeError(f"network: expected a structlearn Network, got {type(network).__name__}")
    torch = _import_torch()
    cls = _classes()
    nn = torch.nn
    tdtype = _torch_dtype(torch, dtype, network.dtype)
    layers, acts = [], []
    for k, blk in enumerate(network.blocks):
        layer = cls["StructlearnLinear"](
            blk.fan_in, blk.width, mask=None if blk.mask is None else blk.mask.T,
            unit_ids=network.unit_ids[k + 1], dtype=tdtype)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(blk.W.T)))
            layer.bias.copy_(torch.from_numpy(np.array(blk.b)))
            if layer.mask is not None:
                layer.weight[~layer.mask] = 0.0
        layer.weight.requires_grad_(blk.trainable)
        layer.bias.requires_grad_(blk.trainable)
        layers.append(layer)
        acts.append(_activation_module(nn, cls, blk.activation))
    next_uid = int(max(int(u.max(initial=-1)) for u in network.unit_ids)) + 1
    next_uid = max(next_uid, network.next_unit_id)
    if all(blk.sources == (k,) for k, blk in enumerate(network.blocks)):
        modules = [m for pair in zip(layers, acts) for m in pair]
        return cls["StructlearnSequential"](*modules, input_ids=network.unit_ids[0],
                                            next_uid=next_uid)
    return cls["StructlearnDAG"](layers, acts, [blk.sources for blk in network.blocks],
                                 n_inputs=network.n_inputs, input_ids=network.unit_ids[0],
                                 next_uid=next_uid)


# -------------------------------------------------------------- from torch
def _flatten(nn, module, prefix=""):
    """``(path, layer)`` of a Sequential's layers, nested Sequentials opened."""
    for name, child in module.named_children():
        path = f"{prefix}{name}"
        if isinstance(child, nn.Sequential):
            yield from _flatten(nn, child, path + ".")
        else:
            yield path, child


def _activation_name(nn, cls, path, layer, last):
    """The structlearn activation a torch module computes, or None if it is not one."""
    if isinstance(layer, cls["StructlearnActivation"]):
        name = layer.name
    elif isinstance(layer, nn.Sigmoid):
        name = "sigmoid"
    elif isinstance(layer, nn.Tanh):
        name = "tanh"
    elif isinstance(layer, nn.ReLU):
        name = "relu"
    elif isinstance(layer, nn.Softplus):
        if layer.beta != 1:
            raise UnsupportedLayerError(path, layer, f"beta={layer.beta}: structlearn's softplus "
                                        "is log(1 + e^a), beta=1 only")
        if layer.threshold < _SOFTPLUS_MIN_THRESHOLD:
            raise UnsupportedLayerError(
                path, layer, f"threshold={layer.threshold}: below {_SOFTPLUS_MIN_THRESHOLD:g} "
                "its linear part differs from log(1 + e^a) by more than 2e-9; structlearn "
                "computes the exact softplus")
        name = "softplus"
    elif isinstance(layer, nn.Softmax):
        if layer.dim not in (-1, 1):
            raise UnsupportedLayerError(path, layer, f"dim={layer.dim}: only a softmax over the "
                                        "features (dim=-1) is supported")
        name = "softmax"
    else:
        return None
    if not last and not get_activation(name).elementwise:
        raise UnsupportedLayerError(path, layer, f"{name} is allowed as the last layer only "
                                    "(it couples the units of a block: the output block)")
    return name


def _linear_arrays(torch, path, layer):
    """``(W, b, mask, trainable)`` of a Linear layer, in structlearn's layout (numpy)."""
    def numpy(t):
        return t.detach().to("cpu").numpy()

    mask = getattr(layer, "mask", None)
    if mask is None and hasattr(layer, "weight_orig") and hasattr(layer, "weight_mask"):
        # torch.nn.utils.prune: weight = weight_orig * weight_mask (recomputed before forward)
        weight_param, mask = layer.weight_orig, layer.weight_mask
    else:
        weight_param = layer.weight
    bias_param = getattr(layer, "bias_orig", layer.bias)
    if hasattr(layer, "bias_mask") and not bool(torch.all(layer.bias_mask != 0)):
        raise UnsupportedLayerError(path, layer, "has pruned biases (bias_mask): structlearn "
                                    "masks weights only")
    if mask is not None:
        mask_np = numpy(mask) != 0
        if mask_np.shape != tuple(weight_param.shape):
            raise UnsupportedLayerError(path, layer, f"mask shape {mask_np.shape} != weight "
                                        f"shape {tuple(weight_param.shape)}")
        W = np.where(mask_np, numpy(weight_param), 0).T
        mask_np = mask_np.T
    else:
        W, mask_np = numpy(weight_param).T, None
    params = [weight_param] + ([] if bias_param is None else [bias_param])
    grads = {bool(p.requires_grad) for p in params}
    if len(grads) > 1:
        raise UnsupportedLayerError(path, layer, "weight and bias differ in requires_grad: a "
                                    "structlearn block is frozen or trainable as a whole")
    b = np.zeros(W.shape[1], W.dtype) if bias_param is None else numpy(bias_param)
    return W, b, mask_np, grads.pop()


def _network_dtype(torch, dtype, tensors):
    if dtype is not None:
        return np.float64 if _torch_dtype(torch, dtype, None) == torch.float64 else np.float32
    kinds = {t.dtype for t in tensors}
    if kinds <= {torch.float32, torch.float64}:
        return np.float64 if torch.float64 in kinds else np.float32
    raise ValueError(f"the module's parameters are {sorted(map(str, kinds))}: structlearn "
                     "networks are float32 or float64; pass dtype=np.float32 (or float64)")


def _unit_ids(torch, input_ids, layers, widths):
    """The unit ids carried by a module built by to_torch, or None when they do not fit."""
    ids = [input_ids] + [getattr(layer, "unit_ids", None) for layer in layers]
    if any(not isinstance(u, torch.Tensor) for u in ids):
        return None
    ids = [u.detach().to("cpu").numpy().astype(np.int64) for u in ids]
    if [u.shape for u in ids] != [(w,) for w in widths]:
        return None  # layers were replaced or resized in torch: fresh ids
    every = np.concatenate(ids)
    if len(np.unique(every)) != len(every) or every.min() < 0:
        return None
    return ids


def _build(torch, dtype, n_inputs, specs, ids, next_uid):
    net_dtype = _network_dtype(torch, dtype, [t for spec in specs for t in spec.pop("tensors")])
    for spec in specs:
        spec["W"] = spec["W"].astype(net_dtype)
        spec["b"] = spec["b"].astype(net_dtype)
    net = Network(n_inputs, specs, dtype=net_dtype, unit_ids=ids)
    if ids is not None and next_uid is not None and 0 <= int(next_uid) <= 2**31 - 1:
        # restore the next free id, so later edits name new units as the original would
        net.reserve_unit_ids(int(next_uid))
    return net


def from_torch(module, *, dtype=None):
    """A :class:`~structlearn.network.Network` computing what ``module`` computes.

    Parameters
    ----------
    module : torch.nn.Sequential or StructlearnDAG
        A ``nn.Sequential`` (nested ones are opened) of ``nn.Linear`` layers, each followed by
        at most one activation: ``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``, ``nn.Softplus``
        (``beta=1``, ``threshold >= 20``: converted to the exact softplus ``log(1 + e^a)``,
        which differs from torch's linear part above the threshold by < 2.1e-9),
        ``nn.Identity`` (ignored anywhere), ``nn.Softmax(dim=-1)`` (last layer only), or a
        :class:`StructlearnActivation`.  A Linear with no activation after it is linear.  Or
        a module built by :func:`to_torch` (a :class:`StructlearnSequential` or
        :class:`StructlearnDAG`): its unit ids come back too.
    dtype : float32 or float64 (numpy or torch), optional
        The network's dtype; default float64 if the module's parameters are float64, float32
        if they are float32 (half precision needs an explicit dtype).

    Returns
    -------
    Network
        Block ``k`` is the ``k``-th Linear layer (``W = weight.T``, ``b = bias``; a Linear
        without bias gets trainable zero biases).  A :class:`StructlearnLinear`'s ``mask``, or
        the ``weight_mask`` of ``torch.nn.utils.prune``, becomes the block's mask (the weight
        used is ``weight * mask``); a layer whose weight and bias have ``requires_grad=False``
        becomes a frozen block.  The module is not changed.

    Raises
    ------
    UnsupportedLayerError (a TypeError and a ValueError)
        For a layer with no structlearn equivalent, or one where it cannot be (an activation
        first or after another, a softmax before the last layer), naming the layer's index
        and type.
    TypeError
        If ``module`` is not a torch ``nn.Sequential`` or a :class:`StructlearnDAG`.
    ImportError
        If PyTorch is not installed.
    """
    torch = _import_torch()
    cls = _classes()
    nn = torch.nn
    if isinstance(module, cls["StructlearnDAG"]):
        return _from_dag(torch, cls, module, dtype)
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"module: expected a torch.nn.Sequential of Linear layers and activations "
                        f"(or a module built by to_torch), got {type(module).__name__}; wrap the "
                        "layers of a custom module in nn.Sequential")
    layers = [(p, m) for p, m in _flatten(nn, module) if not isinstance(m, nn.Identity)]
    if not layers:
        raise ValueError("module: the nn.Sequential has no Linear layer to convert")
    specs, linears, widths = [], [], []
    for i, (path, layer) in enumerate(layers):
        last = i == len(layers) - 1
        if isinstance(layer, nn.Linear):
            W, b, mask, trainable = _linear_arrays(torch, path, layer)
            if widths and W.shape[0] != widths[-1]:
                raise UnsupportedLayerError(path, layer, f"takes {W.shape[0]} inputs but the "
                                            f"layer before gives {widths[-1]}")
            if not widths:
                widths.append(W.shape[0])
            widths.append(W.shape[1])
            k = len(specs)
            specs.append(dict(W=W, b=b, activation="linear", sources=(k,), mask=mask,
                              trainable=trainable,
                              tensors=[p for p in layer.parameters(recurse=False)]))
            linears.append(layer)
            continue
        name = _activation_name(nn, cls, path, layer, last)
        if name is None:
            raise UnsupportedLayerError(
                path, layer, "is not supported: structlearn converts nn.Linear layers, each "
                "followed by at most one of Sigmoid, Tanh, ReLU, Softplus, Identity, "
                "Softmax(dim=-1) (last only) or StructlearnActivation")
        prev = layers[i - 1][1] if i else None
        if prev is None or not isinstance(prev, nn.Linear):
            where = "comes before any Linear layer" if not specs else "follows another activation"
            raise UnsupportedLayerError(path, layer, f"{where}: a structlearn block is one "
                                        "Linear layer and at most one activation")
        specs[-1]["activation"] = name
    input_ids = getattr(module, "input_ids", None)
    ids = _unit_ids(torch, input_ids, linears, widths)
    return _build(torch, dtype, widths[0], specs, ids, getattr(module, "next_uid", None))


def _from_dag(torch, cls, module, dtype):
    nn = torch.nn
    specs = []
    for k, (layer, act, srcs) in enumerate(zip(module.layers, module.activations,
                                               module.sources)):
        path = f"layers.{k}"
        W, b, mask, trainable = _linear_arrays(torch, path, layer)
        name = ("linear" if isinstance(act, nn.Identity)
                else _activation_name(nn, cls, f"activations.{k}", act,
                                      k == len(module.layers) - 1))
        if name is None:
            raise UnsupportedLayerError(f"activations.{k}", act, "is not a structlearn "
                                        "activation")
        specs.append(dict(W=W, b=b, activation=name, sources=tuple(srcs), mask=mask,
                          trainable=trainable,
                          tensors=[p for p in layer.parameters(recurse=False)]))
    widths = [module.n_inputs] + [spec["W"].shape[1] for spec in specs]
    ids = _unit_ids(torch, getattr(module, "input_ids", None), module.layers, widths)
    return _build(torch, dtype, module.n_inputs, specs, ids, getattr(module, "next_uid", None))
