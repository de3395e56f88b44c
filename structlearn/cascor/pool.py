"""The candidate pool: which activation and which kind each candidate has.

A pool of ``K`` candidates is trained as one computation: the candidates'
incoming weights are the rows of one matrix (K x fan-in), so the values of
every candidate on every pattern come from one matrix product.  Candidates of
the same activation sit in one contiguous block of rows, so a mixed pool
(Fahlman's ``VARIED`` candidate type, which cycles through unit types) costs
one activation call per type, not one per candidate.

With the sibling/descendant pool of Baluja & Fahlman (1994), the first
``n_siblings`` candidates (before the grouping by type) are *siblings*: they
would join the deepest hidden layer, so they do not see its outputs (those
entries of their weight rows are held at zero).  The others are
*descendants*: they see every unit and would start a new, deeper layer.  A
descendant's score is multiplied by ``descendant_penalty`` when the winner is
picked.
"""
from __future__ import annotations

import numpy as np

from ..activations import get_activation

__all__ = ["CandidatePool", "CASCADE", "SIBLING", "DESCENDANT"]

#: kinds of candidates
CASCADE, SIBLING, DESCENDANT = "cascade", "sibling", "descendant"


class CandidatePool:
    """A static description of the candidate pool.

    Parameters
    ----------
    size : int
        Number of candidates ``K``.
    unit_types : str or sequence of str
        Activation of the candidates.  A sequence is assigned cyclically to the
        candidates (Fahlman's ``VARIED`` pool: candidate ``i`` gets
        ``unit_types[i % len(unit_types)]``).
    sibling_descendant : bool
        Split the pool into siblings and descendants (Baluja & Fahlman 1994).
    n_siblings : int
        Candidates ``0 .. n_siblings-1`` are siblings (only with
        ``sibling_descendant``).
    descendant_penalty : float
        Multiplier of the descendants' scores when picking the winner.

    Attributes
    ----------
    types : list of str
        Activation of each candidate (grouped by activation).
    kinds : list of str
        ``"cascade"``, ``"sibling"`` or ``"descendant"`` for each candidate.
    groups : list of (slice, Activation)
        Contiguous ranges of candidates sharing one activation.
    is_sibling : ndarray of bool, shape (K,)
    penalty : ndarray, shape (K,)
        Score multipliers (1 for cascade and sibling candidates).
    """

    def __init__(self, size, unit_types, sibling_descendant=False, n_siblings=0,
                 descendant_penalty=1.0):
        names = [unit_types] if isinstance(unit_types, str) else list(unit_types)
        acts = [get_activation(n) for n in names]
        member_act = [acts[i % len(acts)] for i in range(size)]
        if sibling_descendant:
            member_kind = [SIBLING if i < n_siblings else DESCENDANT for i in range(size)]
        else:
            member_kind = [CASCADE] * size
        rank = {a.name: r for r, a in enumerate(acts)}
        order = sorted(range(size), key=lambda i: rank[member_act[i].name])  # stable
        self.size = size
        self.types = [member_act[i].name for i in order]
        self.kinds = [member_kind[i] for i in order]
        self.groups = []
        start = 0
        for k in range(1, size + 1):
            if k == size or self.types[k] != self.types[start]:
                self.groups.append((slice(start, k), member_act[order[start]]))
                start = k
        self.is_sibling = np.array([k == SIBLING for k in self.kinds])
        self.penalty = np.where(np.array([k == DESCENDANT for k in self.kinds]),
                                float(descendant_penalty), 1.0)

    def __repr__(self):
        return f"CandidatePool(types={self.types}, kinds={self.kinds})"
