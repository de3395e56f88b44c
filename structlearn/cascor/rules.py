"""Rules as candidates: a small rule language compiled into frozen networks (RBCC).

Thivierge, J.-P., Dandurand, F. & Shultz, T. R. (2004). *Transferring domain rules in a
constructive network: introducing RBCC.* Proc. IJCNN 2004. What the abstract verifiably says
(``reference/cascor_extensions.md`` section 3.1): "symbolic rules are converted into
networks. RBCC then grows its architecture by a competitive process where these rule-based
networks strive at capturing as much of the error as possible. A pruning technique for RBCC
is also introduced." The compilation here is KBANN's (Towell & Shavlik 1994; RBCC's own
mapping is UNVERIFIED); a compiled rule network competes in the pool as a source network
(:class:`~structlearn.cascor.knowledge.SourceKind`), so incomplete or partly wrong rules are
usable: the output phase weighs them and ordinary units learn what they miss.

The language
------------
One rule per line (or separated by ``;``), ``head :- body``::

    c1 :- x0, x1, not x2        # AND of literals
    c2 :- 2 of (x3, x4, not x5) # m-of-n: at least m of the literals
    y  :- c1                    # several rules for one head: their OR
    y  :- c2                    # (rule chaining: a head is a literal of another rule)

Names are identifiers; a literal is a name or ``not name``; ``#`` starts a comment.

KBANN compilation
-----------------
Each rule body is one unit (a head with one rule: that unit; with several: one unit per body
and an OR unit over them), with weight ``+-omega`` on each (positive/negated) antecedent and
the bias that puts exactly the rule's truth table on the right side of 0. For inputs coded
0/1 this is KBANN's: AND of ``P`` positive antecedents, bias ``-(P - 1/2) omega``; OR, bias
``-omega / 2``; m-of-n, bias ``-(m - 1/2) omega`` (with a negated antecedent counted as
``1 - x``). A chained antecedent is a unit whose values are not exactly 0/1, so the weights
and bias are derived from the intervals its true and false values lie in: with ``d`` the gap
between them, each antecedent's weight is ``+-1/d``, the bias is midway between the smallest
net input of a row that satisfies the rule and the largest of one that does not, and the whole
unit is scaled so that this half-gap is ``omega / 2`` (KBANN's margin; with 0/1 inputs it is
exactly KBANN's weights). ``omega`` defaults to 4 (Towell & Shavlik). Units are Fahlman's
symmetric sigmoid (-0.5..0.5, true > 0), the range of the default candidate units, so a rule
network's score is comparable with a unit's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..activations import get_activation
from ..network import Network

__all__ = ["Rule", "parse_rules", "compile_rules", "truth_table", "rule_source"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


@dataclass(frozen=True)
class Rule:
    """``head :- body``: ``literals`` (names, or ``"not name"``) all true (``m=None``), or at
    least ``m`` of them (m-of-n)."""

    head: str
    literals: tuple
    m: int | None = None

    def __post_init__(self):
        if not re.fullmatch(_NAME, str(self.head)):
            raise ValueError(f"rules: bad head name {self.head!r}")
        lits = tuple(str(x).strip() for x in self.literals)
        if not lits:
            raise ValueError(f"rules: the rule for {self.head!r} has an empty body")
        for lit in lits:
            if not re.fullmatch(rf"(not\s+)?{_NAME}", lit):
                raise ValueError(f"rules: bad literal {lit!r} in the rule for {self.head!r}")
        object.__setattr__(self, "literals", lits)
        if self.m is not None and not 1 <= int(self.m) <= len(lits):
            raise ValueError(f"rules: m-of-n needs 1 <= m <= {len(lits)}, got m={self.m} in "
                             f"the rule for {self.head!r}")

    @property
    def threshold(self):
        """How many literals must be true (n for AND)."""
        return len(self.literals) if self.m is None else int(self.m)

    def parts(self):
        """``[(name, negated), ...]``."""
        return [(lit.split()[-1], lit.startswith("not")) for lit in self.literals]

    def __str__(self):
        body = ", ".join(self.literals)
        return f"{self.head} :- " + (f"{self.m} of ({body})" if self.m is not None else body)


def parse_rules(text):
    """Rules from the text of the rule language (module docstring); returns a list of
    :class:`Rule`. A malformed rule raises ``ValueError`` naming it."""
    if not isinstance(text, str):
        raise TypeError(f"rules: expected the text of the rules, got {type(text).__name__}")
    rules = []
    for raw in re.split(r"[;\n]", text):
        line = raw.split("#")[0].strip().rstrip(".")
        if not line:
            continue
        if ":-" not in line:
            raise ValueError(f"rules: expected 'head :- body', got {line!r}")
        head, body = (s.strip() for s in line.split(":-", 1))
        mofn = re.fullmatch(r"(\d+)\s+of\s*\((.*)\)", body)
        if mofn:
            rules.append(Rule(head, tuple(mofn.group(2).split(",")), int(mofn.group(1))))
        else:
            rules.append(Rule(head, tuple(body.split(","))))
    if not rules:
        raise ValueError("rules: no rule found")
    return rules


def _as_rules(rules):
    if isinstance(rules, str):
        return parse_rules(rules)
    rules = list(rules)
    if not rules or not all(isinstance(r, Rule) for r in rules):
        raise TypeError("rules: expected rule text or a non-empty list of Rule")
    return rules


def _unit(parts, k, intervals, omega):
    """Weights (per antecedent), bias and output intervals of one threshold unit.

    ``parts``: (antecedent, negated); ``k``: literals that must be true; ``intervals``:
    antecedent -> ((true lo, true hi), (false lo, false hi)). See the module docstring."""
    w, lt_min, lt_max, lf_min, lf_max = [], [], [], [], []
    for name, neg in parts:
        (t_lo, t_hi), (f_lo, f_hi) = intervals[name]
        d = t_lo - f_hi
        if not d > 0:
            raise ValueError(f"rules: the true and false values of {name!r} overlap")
        s = -1.0 if neg else 1.0
        w.append(s / d)
        true_x, false_x = ((f_lo, f_hi), (t_lo, t_hi)) if neg else ((t_lo, t_hi), (f_lo, f_hi))
        ct = sorted((s * true_x[0] / d, s * true_x[1] / d))
        cf = sorted((s * false_x[0] / d, s * false_x[1] / d))
        lt_min.append(ct[0]); lt_max.append(ct[1])
        lf_min.append(cf[0]); lf_max.append(cf[1])
    lt_min, lt_max, lf_min, lf_max = map(np.array, (lt_min, lt_max, lf_min, lf_max))
    z_pos = lf_min.sum() + np.sort(lt_min - lf_min)[:k].sum()       # least z of a true row
    z_neg = lf_max.sum() + (np.sort(lt_max - lf_max)[::-1][:k - 1].sum() if k > 1 else 0.0)
    margin = (z_pos - z_neg) / 2
    if not margin > 0:                                                 # pragma: no cover
        raise ValueError("rules: a rule's true and false rows cannot be separated")
    scale = omega / (2 * margin)
    w = np.array(w) * scale
    b = -(z_pos + z_neg) / 2 * scale
    z_max = np.maximum(lt_max, lf_max).sum() * scale + b
    z_min = np.minimum(lt_min, lf_min).sum() * scale + b
    v = get_activation("symmetric_sigmoid").f(np.array([omega / 2, z_max, z_min, -omega / 2]))
    out = ((float(v[0]), float(v[1])), (float(v[2]), float(v[3])))
    return w, b, out


def compile_rules(rules, inputs=None, outputs=None, *, omega=4.0, input_values=(0.0, 1.0)):
    """Compile rules into a small network (KBANN, see the module docstring).

    Parameters
    ----------
    rules : str or list of Rule
    inputs : list of str, optional
        The network's inputs, in order (default: every name that is no rule's head, in
        order of first appearance).
    outputs : list of str, optional
        The heads that are the network's outputs (default: the heads no other rule reads).
        An output may not be an antecedent of another rule.
    omega : float, default 4.0
        KBANN's weight (Towell & Shavlik).
    input_values : (false, true), default (0.0, 1.0)
        How the inputs code false and true.

    Returns
    -------
    Network
        Blocks by chaining depth, each reading the inputs and every earlier block (weights
        zero where a unit does not read a node); the last block holds the outputs. Units
        are symmetric sigmoids: an output > 0 means true.
    """
    rules = _as_rules(rules)
    omega = float(omega)
    if not omega > 0:
        raise ValueError(f"omega: expected a positive weight, got {omega!r}")
    lo, hi = (float(v) for v in input_values)
    if not hi > lo:
        raise ValueError(f"input_values: expected (false, true) with true > false, got "
                         f"{input_values!r}")
    heads = {}
    for r in rules:
        heads.setdefault(r.head, []).append(r)
    read = [n for r in rules for n, _ in r.parts()]
    if inputs is None:
        inputs = list(dict.fromkeys(n for n in read if n not in heads))
    inputs = [str(n) for n in inputs]
    if len(set(inputs)) != len(inputs):
        raise ValueError(f"inputs: lists a name twice: {inputs}")
    clash = [n for n in inputs if n in heads]
    if clash:
        raise ValueError(f"inputs: {clash} are rule heads")
    unknown = sorted({n for n in read if n not in heads and n not in inputs})
    if unknown:
        raise ValueError(f"rules: {unknown} are neither inputs nor rule heads")
    if outputs is None:
        outputs = [h for h in heads if h not in read]
    outputs = [str(o) for o in outputs]
    bad = [o for o in outputs if o not in heads]
    if bad or not outputs:
        raise ValueError(f"outputs: expected rule heads, got {outputs}")
    used = [o for o in outputs if o in read]
    if used:
        raise ValueError(f"outputs: {used} are antecedents of other rules (an output must "
                         "be a conclusion)")

    # units: (name, parts, threshold); a head with several rules gets body units + an OR
    units, level = {}, {n: 0 for n in inputs}
    visiting = set()

    def build(head):
        if head in level:
            return level[head]
        if head in visiting:
            raise ValueError(f"rules: the rules for {head!r} are circular")
        visiting.add(head)
        bodies = heads[head]
        if len(bodies) == 1:
            r = bodies[0]
            lv = 1 + max(build(n) for n, _ in r.parts())
            units[head] = (r.parts(), r.threshold)
        else:
            names = []
            for i, r in enumerate(bodies):
                name = f"{head}#{i}"
                level[name] = 1 + max(build(n) for n, _ in r.parts())
                units[name] = (r.parts(), r.threshold)
                names.append(name)
            lv = 1 + max(level[n] for n in names)
            units[head] = ([(n, False) for n in names], 1)
        visiting.discard(head)
        level[head] = lv
        return lv

    for o in outputs:
        build(o)
    depth = max(level[o] for o in outputs)
    hidden = [[u for u in units if u not in outputs and level[u] == lv]
              for lv in range(1, depth)]
    hidden = [h for h in hidden if h]
    layers = hidden + [outputs]
    intervals = {n: ((hi, hi), (lo, lo)) for n in inputs}
    node_of = {n: (0, i) for i, n in enumerate(inputs)}   # name -> (node, column)
    sizes = [len(inputs)]
    blocks = []
    for k, layer in enumerate(layers):
        sources = tuple(range(k + 1))
        offsets = np.cumsum([0] + sizes)
        W = np.zeros((offsets[-1], len(layer)))
        b = np.zeros(len(layer))
        for j, name in enumerate(layer):
            parts, thr = units[name]
            w, bias, out = _unit(parts, thr, intervals, omega)
            for (ante, _), wi in zip(parts, w):
                node, col = node_of[ante]
                W[offsets[node] + col, j] += wi
            b[j] = bias
            intervals[name] = out
            node_of[name] = (k + 1, j)
        blocks.append(dict(W=W, b=b, activation="symmetric_sigmoid", sources=sources,
                           trainable=False))
        sizes.append(len(layer))
    net = Network(len(inputs), blocks)
    net.rule_inputs, net.rule_outputs = list(inputs), list(outputs)
    return net


def truth_table(rules, inputs, outputs=None, input_values=(0.0, 1.0)):
    """The rules' own truth table by direct evaluation (no network): every input
    combination ``X`` (2^n rows, coded as ``input_values``) and the outputs' truth (bool)."""
    rules = _as_rules(rules)
    heads = {}
    for r in rules:
        heads.setdefault(r.head, []).append(r)
    read = {n for r in rules for n, _ in r.parts()}
    outputs = outputs or [h for h in heads if h not in read]
    n = len(inputs)
    bits = ((np.arange(2 ** n)[:, None] >> np.arange(n)[::-1]) & 1).astype(bool)
    memo = {name: bits[:, i] for i, name in enumerate(inputs)}

    def value(name):
        if name not in memo:
            memo[name] = np.zeros(len(bits), bool)
            for r in heads[name]:
                lits = [value(a) != neg for a, neg in r.parts()]
                memo[name] = memo[name] | (np.sum(lits, axis=0) >= r.threshold)
        return memo[name]

    lo, hi = input_values
    X = np.where(bits, hi, lo).astype(np.float64)
    return X, np.column_stack([value(o) for o in outputs])


def rule_source(rules, task_inputs, outputs=None, *, omega=4.0, input_values=(0.0, 1.0)):
    """A compiled rule network over just the inputs its rules name, and the ``input_map``
    (their columns among ``task_inputs``) for an identity-initialised source copy.

    Returns
    -------
    network : Network
    input_map : list of int
    """
    rules = _as_rules(rules)
    heads = {r.head for r in rules}
    task_inputs = [str(n) for n in task_inputs]
    names = list(dict.fromkeys(n for r in rules for n, _ in r.parts() if n not in heads))
    missing = [n for n in names if n not in task_inputs]
    if missing:
        raise ValueError(f"task_inputs: the rules read {missing}, which are not task inputs")
    net = compile_rules(rules, names, outputs, omega=omega, input_values=input_values)
    return net, [task_inputs.index(n) for n in names]
