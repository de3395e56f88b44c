"""Candidate kinds: what a cascade-correlation candidate is, as a small registry.

A *kind* says everything the algorithm needs to know about one sort of candidate:

===============================  ==================================================================
``n_rows``                        rows of trainable fan-in weights a candidate has (a unit: 1)
``n_outputs``                     values a candidate adds to the network when installed (a unit: 1)
``n_extra``                       trainable parameters a candidate has besides its fan-in rows
                                  (a unit: 0; a recurrent unit: its self-weight)
``initialise(w, rng, extra)``     adjust the candidate's rows ``w`` (n, n_rows, fan-in) and extra
                                  parameters (n, n_extra), drawn uniformly in +-``weight_range``
                                  as in Fahlman's code (prior knowledge overwrites them here)
``values(Z, Y, D)``               write the values ``Y`` (B, n * n_outputs, P) from the net inputs
                                  ``Z = W @ V`` (B, n * n_rows, P); return what ``backward``
                                  needs (``D``, shaped like ``Z``, is there to keep it in: a
                                  unit keeps ``f'(Z)``)
``backward(cache, G)``            ``dS/dZ`` from ``G = dS/dY``: the slope of the score for the net
                                  inputs, from which one product gives every weight's slope
                                  (``dS/dW = dS/dZ @ V^T``); with extra parameters,
                                  ``backward(cache, G, extra)`` returns ``(dS/dZ, dS/dextra)``
``crossings(fan_in)``             connection crossings of one candidate, per pattern, forward
``install(net, w, ...)``          put a winner into the network: a frozen block, or frozen units
                                  joining a block (a sibling), wired to the output block
``cached_values(w, V)``           the installed candidate's values on the cached node values
``sequential``                    True for kinds whose values run along time (recurrent units):
                                  ``values`` and ``cached_values`` then get ``layout=``, the
                                  sequences' :class:`~structlearn.sequences.SequenceLayout`
                                  (:mod:`.recurrent`)
===============================  ==================================================================

The net inputs of every candidate of every kind come from one product over the shared value
cache (:func:`~structlearn.cascor.steps.fan_product`), and every slope from one product back
(:func:`~structlearn.cascor.steps.fan_slopes`); a kind only maps net inputs to values and
score slopes to net-input slopes, element-wise or within a candidate. A pool may mix kinds
(:class:`CandidatePool` groups the candidates of each kind into contiguous rows, so a mixed
pool costs one call per kind, not per candidate), and the sibling/descendant placement
(Baluja & Fahlman 1994) applies to every kind: it only decides which part of the fan-in a
candidate reads and where the winner goes.

Today's kinds are the hidden units of Fahlman's code: :class:`UnitKind` over an activation
(``"symmetric_sigmoid"``, ``"sigmoid"``, ``"tanh"``, ``"gaussian"``, and every other
element-wise activation of :mod:`structlearn.activations`). ``register_kind`` adds one
(``docs/cascor.md`` has a worked example).
"""
from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS, get_activation

__all__ = ["CandidateKind", "UnitKind", "KINDS", "register_kind", "get_kind", "CandidatePool",
           "CASCADE", "SIBLING", "DESCENDANT"]

#: placements of a candidate
CASCADE, SIBLING, DESCENDANT = "cascade", "sibling", "descendant"


class CandidateKind:
    """The interface of a candidate kind (see the module docstring); subclass it."""

    name = "kind"
    n_rows = 1
    n_outputs = 1
    n_extra = 0

    def initialise(self, w, rng, extra=None):
        """Adjust the candidates' initial rows ``w`` (n, n_rows, fan-in) and extra parameters
        ``extra`` (n, n_extra) in place (default: keep the uniform draws)."""

    def values(self, Z, Y, D):  # pragma: no cover - interface
        """Write the values into ``Y``; return the cache ``backward`` gets (``extra=`` too
        for kinds with extra parameters, shaped (B, n, n_extra))."""
        raise NotImplementedError

    def backward(self, cache, G):  # pragma: no cover - interface
        """``dS/dZ`` (shaped like ``Z``) from ``G = dS/dY`` (it may be written in place);
        kinds with extra parameters get ``extra=`` and return ``(dS/dZ, dS/dextra)``."""
        raise NotImplementedError

    def crossings(self, fan_in):
        """Forward connection crossings of one candidate per pattern (its fan-in weights)."""
        return self.n_rows * int(fan_in)

    def install(self, net, w, *, sources, outgoing, join, rng):  # pragma: no cover - interface
        """Put the winner into ``net``; returns ``(block, first unit, new_layer)``.

        ``w`` (n_rows, len(fan-in read)): bias column first; ``sources``: the nodes it
        reads; ``outgoing`` (n_outputs, outputs): its output weights; ``join``: the block a
        sibling may join (None: start a new layer). Kinds with extra parameters also get
        ``extra`` (n_extra,)."""
        raise NotImplementedError

    def cached_values(self, w, V):  # pragma: no cover - interface
        """The installed candidate's values (n_outputs, P) on the cached values ``V``
        (``extra=`` too for kinds with extra parameters)."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"


class UnitKind(CandidateKind):
    """One unit ``V_p = f(sum_i w_i I_pi)`` with an element-wise activation ``f`` (the paper's
    and the code's candidates: eq. 1-2 with ``dV_p/dw_i = f'_p I_pi``).

    Installed as a one-unit frozen block (a new layer), or as a frozen unit joining the
    deepest block when it is a sibling of the same activation (a block has one activation:
    a sibling of another activation starts a parallel block at the same depth).
    """

    def __init__(self, activation, name=None):
        self.act = get_activation(activation)
        if not self.act.elementwise:
            raise ValueError(f"activation: a unit kind needs an element-wise activation, "
                             f"got {activation!r}")
        self.activation = self.act.name
        self.name = name or self.act.name

    def values(self, Z, Y, D):
        self.act.f(Z, out=Y)
        return self.act.df(Z, Y, out=D)

    def backward(self, D, G):
        D *= G
        return D

    def install(self, net, w, *, sources, outgoing, join, rng):
        """``w`` (1, fan-in): bias first, then one weight per row of ``sources``' nodes."""
        out = net.output_block
        if join is not None and net.blocks[join].activation == self.activation:
            unit = int(net.add_units(join, 1, incoming=w[0, 1:, None], bias=w[0, :1],
                                     outgoing=outgoing, rng=rng)[0])
            return join, unit, False
        block = net.add_block(1, sources, self.activation, consumers=[out], W=w[0, 1:, None],
                              b=w[0, :1], outgoing=outgoing, trainable=False, rng=rng)
        return block, 0, join is None

    def cached_values(self, w, V):
        return self.act.f(w @ V)


#: the registry: kind name -> kind
KINDS: dict[str, CandidateKind] = {}


def register_kind(kind, name=None):
    """Add ``kind`` (a :class:`CandidateKind`) to the registry under ``name`` (its own)."""
    if not isinstance(kind, CandidateKind):
        raise TypeError(f"kind: expected a CandidateKind, got {type(kind).__name__}")
    KINDS[name or kind.name] = kind
    return kind


def get_kind(name):
    """The kind registered as ``name``; an element-wise activation's name gives its unit kind."""
    if isinstance(name, CandidateKind):
        return name
    if name not in KINDS and name in ACTIVATIONS and ACTIVATIONS[name].elementwise:
        register_kind(UnitKind(name))
    if name not in KINDS:
        raise ValueError(f"unit_type: unknown candidate kind {name!r}; known: "
                         f"{', '.join(sorted(KINDS))} (or any element-wise activation)")
    return KINDS[name]


for _name in ("symmetric_sigmoid", "sigmoid", "tanh", "gaussian"):
    register_kind(UnitKind(_name))


class CandidatePool:
    """Which kind and which placement each candidate of a pool has.

    Parameters
    ----------
    size : int
        Number of candidates ``K``.
    unit_types : str, CandidateKind or sequence of them
        Kind of the candidates. A sequence is assigned cyclically (Fahlman's ``VARIED`` pool:
        candidate ``i`` gets ``unit_types[i % len(unit_types)]``).
    sibling_descendant : bool
        Split the pool into siblings and descendants (Baluja & Fahlman 1994).
    n_siblings : int
        Candidates ``0 .. n_siblings-1`` (before the grouping by kind) are siblings.
    descendant_penalty : float
        Multiplier of the descendants' scores when the winner is picked.

    Attributes
    ----------
    types : list of str
        Kind name of each candidate (grouped by kind, in order of first appearance).
    kinds : list of str
        Placement of each candidate: ``"cascade"``, ``"sibling"`` or ``"descendant"``.
    groups : list of (slice, CandidateKind, slice, slice, slice)
        For each kind: its candidates, the kind, its rows of fan-in weights, its rows of
        values and its extra parameters.
    n_rows, n_values, n_extra : int
        Rows of fan-in weights, rows of values and extra parameters of the whole pool.
    row_of, value_of, extra_of : list of slice
        Each candidate's rows of weights, rows of values and extra parameters.
    is_sibling : ndarray of bool (K,)
    penalty : ndarray (K,)
        Score multipliers (1 for cascade and sibling candidates).
    """

    def __init__(self, size, unit_types, sibling_descendant=False, n_siblings=0,
                 descendant_penalty=1.0):
        names = [unit_types] if isinstance(unit_types, (str, CandidateKind)) else list(unit_types)
        kinds = [get_kind(n) for n in names]
        member = [kinds[i % len(kinds)] for i in range(size)]
        if sibling_descendant:
            placement = [SIBLING if i < n_siblings else DESCENDANT for i in range(size)]
        else:
            placement = [CASCADE] * size
        rank = {}
        for k in kinds:
            rank.setdefault(k.name, len(rank))
        order = sorted(range(size), key=lambda i: rank[member[i].name])  # stable
        self.size = size
        self.members = [member[i] for i in order]
        self.types = [k.name for k in self.members]
        self.kinds = [placement[i] for i in order]
        self.groups, self.row_of, self.value_of, self.extra_of = [], [], [], []
        start = row = val = ext = 0
        for i in range(1, size + 1):
            if i == size or self.types[i] != self.types[start]:
                kind, n = self.members[start], i - start
                rows = slice(row, row + n * kind.n_rows)
                vals = slice(val, val + n * kind.n_outputs)
                exts = slice(ext, ext + n * kind.n_extra)
                self.groups.append((slice(start, i), kind, rows, vals, exts))
                for c in range(n):
                    self.row_of.append(slice(row + c * kind.n_rows, row + (c + 1) * kind.n_rows))
                    self.value_of.append(slice(val + c * kind.n_outputs,
                                               val + (c + 1) * kind.n_outputs))
                    self.extra_of.append(slice(ext + c * kind.n_extra,
                                               ext + (c + 1) * kind.n_extra))
                row, val, ext, start = rows.stop, vals.stop, exts.stop, i
        self.n_rows, self.n_values, self.n_extra = row, val, ext
        self.simple = all(k.n_rows == 1 and k.n_outputs == 1 and k.n_extra == 0
                          for k in self.members)
        self.is_sibling = np.array([p == SIBLING for p in self.kinds])
        self.penalty = np.where(np.array([p == DESCENDANT for p in self.kinds]),
                                float(descendant_penalty), 1.0)
        #: rows of each candidate's weights that are siblings' (per weight row)
        self.row_is_sibling = np.repeat(self.is_sibling, [k.n_rows for k in self.members])

    def __repr__(self):
        return f"CandidatePool(types={self.types}, kinds={self.kinds})"
