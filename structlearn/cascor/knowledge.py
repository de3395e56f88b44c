"""Knowledge-based cascade-correlation: whole trained networks as candidates (KBCC).

Shultz, T. R. & Rivest, F. (2001). *Knowledge-based cascade-correlation: using knowledge to
speed learning.* Connection Science 13(1), 43-72. What the abstract and the authors' tutorial
notes verifiably say (``reference/cascor_extensions.md`` section 2.1): the candidate pool holds
previously learned *source networks* next to single hidden units, "several versions of each
candidate, each with a different set of initially randomized connection weights from the input
units"; the best-correlating candidate, unit or network, is installed with its input weights
frozen, and the output phase resumes; a recruited network "may have multiple inputs and
multiple outputs", and later recruits sit downstream of it.

A source candidate here (:class:`SourceKind`) is a frozen network ``f_s`` (``n_s`` inputs,
``m`` outputs) behind a trainable linear *projection* ``W_c`` (``n_s`` rows over the fan-in:
bias, inputs, installed units' outputs), with values ``V_c(p) = f_s(W_c z_p)``. The executor
forms every candidate's net inputs ``W_c z_p`` in its one product, so the kind only runs the
source: its values are one forward pass per trial over all copies and patterns, and its
slope one vector-Jacobian product back through the source (:meth:`Network.vjp`, the shared
network's own pass), ``dS/dW_c = sum_p [J_s(W_c z_p)^T delta_p] z_p^T`` with the last product
done by the executor. The details below are structlearn's choices where the paper body was
not available (marked UNVERIFIED in the reference):

* **Score.** A candidate with ``m`` values scores the mean over its values of the unit score
  ``sum_o |C_ko|`` (``structlearn.cascor.steps.candidate_terms``), so it is on a unit's scale
  and does not win by having more terms (UNVERIFIED that KBCC normalised so).
* **Output ranges.** The covariance is scale-sensitive: a value in -1..1 scores twice one in
  -0.5..0.5 of the same shape. So a source whose output activation has a bounded range is
  mapped affinely onto ``output_range`` (default -0.5..0.5, the range of Fahlman's symmetric
  sigmoid units, the default candidates); the map is a frozen linear block appended to the
  source, so the installed network computes exactly the values that were scored. A source
  trained by :class:`~structlearn.cascor.CascadeCorrelation` (symmetric-sigmoid outputs)
  needs no map. An unbounded output (linear, relu) is used as it is. (Whether KBCC
  standardised is UNVERIFIED.)
* **Copies.** :func:`knowledge_pool` puts ``copies`` versions of each source in the pool:
  projections that start as the identity map of matching inputs plus the pool's uniform
  draws times 0.25 (``init="near_identity"``, the default; the tutorial notes' "initially
  randomized connection weights", kept near the source's own input domain: see
  ``docs/kbcc.md`` for why), or the pool's draws alone (``init="random"``), and optionally
  one whose projection starts as the identity map (``init="identity"``: exact knowledge
  usable at once; UNVERIFIED that KBCC had either).
* **Install.** :meth:`Network.add_subnetwork`: a frozen linear projection block, then frozen
  copies of the source's blocks; the source's outputs become hidden nodes that feed the
  output block and every later candidate (the projection and the source's inner nodes feed
  nothing else). Its output weights start CC-style, ``-C_ko x weight_multiplier`` per value and
  output (Fahlman's rule, per output of the source).
* **Pruning** (``prune``; for rule networks, Thivierge, Dandurand & Shultz 2004 introduce a
  pruning technique whose criterion is UNVERIFIED): at installation, the projection weights
  (bias excluded) smaller in magnitude than ``prune`` times the largest of their row are
  removed (masked to zero); the installed values are those of the pruned projection.

Limitations: ``pool_type="sibling_descendant"`` is not supported with source kinds (a winner
placed as a sibling raises), and neither is the validation stop's cut-back of a recruited
source network.
"""
from __future__ import annotations

import numpy as np

from ..activations import get_activation
from ..network import Network
from .kinds import CandidateKind

__all__ = ["SourceKind", "knowledge_pool", "source_step_scale", "source_of", "recruits"]


def _copy_with_range(network, output_range, factor=1.0):
    """``network`` in float64, with a frozen linear block appended that maps its bounded
    output range onto ``output_range`` and multiplies by ``factor`` (none when that is the
    identity)."""
    specs = [dict(W=blk.W, b=blk.b, activation=blk.activation, sources=blk.sources,
                  mask=blk.mask, trainable=False) for blk in network.blocks]
    lo, hi = get_activation(network.blocks[-1].activation).range
    scale, shift = 1.0, 0.0
    if output_range is not None and np.isfinite(lo) and np.isfinite(hi):
        a, b = (float(v) for v in output_range)
        scale = (b - a) / (hi - lo)
        shift = a - scale * lo
    scale, shift = scale * factor, shift * factor
    m = network.n_outputs
    if scale != 1.0 or shift != 0.0:
        specs.append(dict(W=np.eye(m) * scale, b=np.full(m, shift), activation="linear",
                          sources=(len(specs),), trainable=False))
    return Network(network.n_inputs, specs, dtype=np.float64), scale, shift


class SourceKind(CandidateKind):
    """A trained network as a cascade-correlation candidate (KBCC, Shultz & Rivest 2001).

    Parameters
    ----------
    network : Network
        The source: any structlearn network with an element-wise output activation (an MLP,
        a cascade network, a KBCC network, a compiled rule network). It is copied; its
        weights are never trained.
    name : str, optional
        The kind's name (it is what ``unit_added`` events record as ``activation``; default
        ``"source"``, with ``":identity"`` or ``":near_identity"`` appended for those
        ``init``). Two kinds in one pool need different names.
    init : {"random", "identity", "near_identity"}, default "random"
        How the projection starts: uniform draws in +-``weight_range`` (the pool's), or the
        identity map ``source input j <- host input input_map[j]`` (all other weights 0),
        or that identity map plus the pool's uniform draws times ``jitter`` (a random
        transformation of the source's own input domain; structlearn's choice).
    input_map : sequence of int, optional
        For ``init="identity"`` and ``"near_identity"``: the host input feeding each source
        input (default ``0, 1, ..., n_s - 1``).
    jitter : float, default 0.25
        For ``init="near_identity"``: the factor on the pool's draws.
    output_range : (float, float) or None, default (-0.5, 0.5)
        The range a bounded source output is mapped onto (see the module docstring; None:
        no map). The default is that of the default candidate units (Fahlman's symmetric
        sigmoid); give the range of the pool's unit kind when it differs.
    prune : float, default 0.0
        At installation, remove projection weights below ``prune`` times the largest of
        their row (0: keep all).
    score_factor : float, default 1.0
        A prior on recruiting this source (a structlearn extension, not from the paper, like
        the 0.8 descendant factor of Baluja & Fahlman's pools): the values are multiplied by
        it (one more factor in the appended linear block), so its score, which is linear in
        the values, is multiplied by it too. The installed network computes the scaled
        values, so the outgoing weights' CC-style start stays right.
    step_scale : float, default 1.0
        The fraction of the pool's quickprop step size this kind's projection takes. A
        trained source is much steeper than a fresh unit (a cascade net that learned a
        rectangle has weights of 30-80 and input slopes of 3-30 where a unit's are at most
        0.25), so the pool's step would throw an identity copy off its knowledge in one
        epoch. The projection is trained as ``W_c = sqrt(step_scale) * U`` (``U`` the
        kind's trainable rows: its slopes are exact for ``U``), which is quickprop on
        ``W_c`` with the step size times ``step_scale``. :func:`source_step_scale` gives
        ``(0.075 / mean gradient norm of the source on the task's inputs)^2``; the papers'
        step sizes are not known (UNVERIFIED).
    """

    def __init__(self, network, *, name=None, init="random", input_map=None,
                 output_range=(-0.5, 0.5), prune=0.0, step_scale=1.0, score_factor=1.0,
                 jitter=0.25):
        if not isinstance(network, Network):
            raise TypeError(f"network: expected a structlearn Network, got "
                            f"{type(network).__name__}")
        if not get_activation(network.blocks[-1].activation).elementwise:
            raise ValueError(f"network: its output activation "
                             f"{network.blocks[-1].activation!r} is not element-wise (a "
                             "recruited source's outputs become hidden units)")
        if init not in ("random", "identity", "near_identity"):
            raise ValueError(f"init: expected 'random', 'identity' or 'near_identity', got "
                             f"{init!r}")
        if not (np.isfinite(jitter) and float(jitter) >= 0.0):
            raise ValueError(f"jitter: expected a number >= 0, got {jitter!r}")
        self.jitter = float(jitter)
        if output_range is not None:
            if len(output_range) != 2 or not float(output_range[0]) < float(output_range[1]):
                raise ValueError(f"output_range: expected (low, high) with low < high, got "
                                 f"{output_range!r}")
        if not 0.0 <= float(prune) < 1.0:
            raise ValueError(f"prune: expected a fraction in [0, 1), got {prune!r}")
        self.source = network.copy()
        if not (np.isfinite(score_factor) and float(score_factor) > 0.0):
            raise ValueError(f"score_factor: expected a positive number, got {score_factor!r}")
        self.score_factor = float(score_factor)
        self.net, self.scale, self.shift = _copy_with_range(network, output_range,
                                                            self.score_factor)
        self.n_rows = network.n_inputs
        self.n_outputs = network.n_outputs
        self.init = init
        if input_map is None:
            input_map = range(self.n_rows)
        self.input_map = np.asarray(list(input_map), dtype=np.int64)
        if self.input_map.shape != (self.n_rows,) or (self.input_map < 0).any():
            raise ValueError(f"input_map: expected {self.n_rows} non-negative input indices "
                             f"(one per source input), got {list(input_map)!r}")
        self.prune = float(prune)
        if not (np.isfinite(step_scale) and 0.0 < float(step_scale) <= 1e6):
            raise ValueError(f"step_scale: expected a positive number, got {step_scale!r}")
        self.step_scale = float(step_scale)
        self.gain = float(np.sqrt(self.step_scale))
        self.name = name or ("source" if init == "random" else f"source:{init}")
        self._inner = sum(blk.W.size + blk.b.size for blk in self.net.blocks)

    # -------------------------------------------------------------- candidate phase
    def initialise(self, w, rng, extra=None):
        """Identity copies: projection ``W_c[j, 1 + input_map[j]] = 1``, every other weight 0
        (column 0 is the bias, then the inputs); random copies: the pool's uniform draws as
        the projection; near-identity copies: the identity plus ``jitter`` times the draws.
        (The rows ``U = W_c / sqrt(step_scale)``.)"""
        if self.init == "random":
            w /= self.gain
            return
        fan = w.shape[2]
        if 1 + self.input_map.max() >= fan:
            raise ValueError(f"input_map: refers to input {int(self.input_map.max())}, but the "
                             f"candidates read only {fan - 1} inputs and units")
        w *= self.jitter if self.init == "near_identity" else 0.0
        w[:, np.arange(self.n_rows), 1 + self.input_map] += 1.0
        w /= self.gain

    def _patterns(self, Z):
        """(n * n_s, P) net inputs of one trial -> (n * P, n_s) input rows of the source, in
        C order (see :meth:`values`)."""
        R, P = Z.shape
        n = R // self.n_rows
        rows = Z.reshape(n, self.n_rows, P).transpose(0, 2, 1).reshape(-1, self.n_rows)
        return np.ascontiguousarray(rows)

    def values(self, Z, Y, D):
        """One forward pass of the source per trial, over its copies and patterns.

        Why per trial, and why the rows are made C-ordered: BLAS rounds a row of a
        matrix-vector product differently with the operand's memory order (the reshape
        above is a column-major view for one copy, a row-major copy for several) and, for
        some fan-ins, with the number of rows (OpenBLAS 0.3.31). Run over the whole batch's
        ``B * n * P`` rows, a trial got other bits in a batch than alone, and ``fit_trials``
        must give ``fit``'s bits. Here every call has a trial's ``n * P`` rows in C order,
        whatever the batch.
        """
        B, R, P = Z.shape
        n = R // self.n_rows
        m = self.n_outputs
        X = []
        for b in range(B):
            X.append(self._patterns(Z[b]) * self.gain)
            out = self.net.forward(X[b])                        # (n P, m), the workspace
            Y[b] = out.reshape(n, P, m).transpose(0, 2, 1).reshape(n * m, P)
        return X, (B, n, P)

    def backward(self, cache, G):
        """``dS/dZ`` by one vector-Jacobian product per trial through the frozen source
        (per trial for the reason given in :meth:`values`)."""
        X, (B, n, P) = cache
        m = self.n_outputs
        dZ = np.empty((B, n * self.n_rows, P), G.dtype)
        for b in range(B):
            dY = G[b].reshape(n, m, P).transpose(0, 2, 1).reshape(-1, m)
            dX = self.net.vjp(X[b], dY) * self.gain              # (n P, n_s)
            dZ[b] = dX.reshape(n, P, self.n_rows).transpose(0, 2, 1) \
                .reshape(n * self.n_rows, P)
        return dZ

    def crossings(self, fan_in):
        """The projection's weights plus the source's own, per pattern."""
        return self.n_rows * int(fan_in) + self._inner

    # ------------------------------------------------------------------- install
    def _pruned(self, w):
        """The projection ``sqrt(step_scale) * w`` after pruning (bias column 0 never
        pruned)."""
        w = np.asarray(w, np.float64) * self.gain
        if not self.prune:
            return w
        mag = np.abs(w[:, 1:])
        keep = mag >= self.prune * mag.max(axis=1, keepdims=True)
        out = w.copy()
        out[:, 1:] = np.where(keep, w[:, 1:], 0.0)
        return out

    def install(self, net, w, *, sources, outgoing, join, rng):
        """The projection (a frozen linear block over ``sources``) and frozen copies of the
        source's blocks (:meth:`Network.add_subnetwork`); pruned weights are masked."""
        if join is not None:
            raise ValueError("pool_type: a source-network candidate won as a sibling; source "
                             "kinds support pool_type='cascade' only")
        w = self._pruned(w)
        block = net.add_subnetwork(self.net, sources, W=w[:, 1:].T, b=w[:, 0],
                                   outgoing=outgoing, trainable=False)
        if self.prune:
            proj = block - len(self.net.blocks)
            net.set_mask(proj, w[:, 1:].T != 0.0)
        return block, 0, True

    def cached_values(self, w, V):
        w = self._pruned(w)
        X = (w @ np.asarray(V, np.float64)).T
        return self.net.forward(X).T.astype(V.dtype, copy=False)


def source_step_scale(network, X, input_map=None, reference=None, norm="mean_abs"):
    """``(reference / g)^2``, at most 1, with ``g`` the size of the slope of the source's
    outputs for its inputs on the task's inputs ``X`` (fed through the identity map
    ``input_map``): the ``step_scale`` that gives a source's projection about the step of a
    unit whose slope is ``reference``.

    ``norm="mean_abs"`` (default): ``g`` is the mean over patterns of the norm of the
    gradient. For a sharp boundary it measures the boundary's length, not its steepness, so
    two sources of the same figure but different sharpness get about the same step
    (``docs/kbcc.md``: with the RMS slope, the near-translated source's steeper network got a
    7 times smaller step than the far one and learned more slowly). Its ``reference``
    (default 0.075) is set so that the exact rectangle source of the experiments keeps the
    step it had with ``norm="rms"``: an empirical calibration. ``norm="rms"``: the
    root-mean-square slope, with ``reference`` default 0.25 (the largest slope of Fahlman's
    sigmoid units; the first version). structlearn's choices (UNVERIFIED that KBCC scaled
    its steps)."""
    if norm not in ("rms", "mean_abs"):
        raise ValueError(f"norm: expected 'rms' or 'mean_abs', got {norm!r}")
    if reference is None:
        reference = 0.075 if norm == "mean_abs" else 0.25
    X = np.asarray(X, np.float64)
    cols = np.arange(network.n_inputs) if input_map is None else np.asarray(input_map)
    Xs = X[:, cols]
    m = network.n_outputs
    J = [network.vjp(Xs, np.eye(m)[np.full(len(Xs), o)]) for o in range(m)]
    if norm == "rms":
        g = float(np.sqrt(sum(np.mean(j ** 2) for j in J) / m))
    else:
        g = float(np.mean([np.mean(np.sqrt(np.sum(j ** 2, axis=1))) for j in J]))
    return 1.0 if g <= reference else (reference / g) ** 2


def knowledge_pool(sources, *, units="symmetric_sigmoid", n_units=8, copies=4, identity=True,
                   input_maps=None, output_range=(-0.5, 0.5), prune=0.0, X=None,
                   step_scale=None, score_factor=1.0, step_reference=None, step_norm="mean_abs",
                   random_init="near_identity", jitter=0.25):
    """The ``unit_type`` list and ``pool_size`` of a KBCC pool.

    Parameters
    ----------
    sources : dict {name: Network} or sequence of (name, Network)
        The source networks (names become the kinds' names, ``"src:<name>"``).
    units : str or CandidateKind, default "symmetric_sigmoid"
        The kind of the ordinary units.
    n_units : int, default 8
        Ordinary units in the pool (Fahlman's pool of 8).
    copies : int, default 4
        Versions of each source: ``copies - 1`` with random projections (``random_init``)
        and one starting at the identity (``identity=True``), else ``copies`` random ones.
        The paper's "several versions of each candidate"; the number is structlearn's choice
        (UNVERIFIED).
    identity : bool, default True
    input_maps : dict {name: sequence of int}, optional
        ``input_map`` of each source's identity copy (default the first inputs in order).
    output_range, prune, score_factor
        As in :class:`SourceKind`.
    X : array (n, n_features), optional
        The task's inputs: with ``step_scale=None``, each source's step scale is
        :func:`source_step_scale` on them (without ``X``: 1).
    step_scale : float, optional
        One step scale for every source (overrides ``X``).
    step_reference, step_norm
        :func:`source_step_scale`'s ``reference`` and ``norm``.
    random_init : {"near_identity", "random"}, default "near_identity"
        The ``init`` of the copies that are not the identity copy (``jitter``: as in
        :class:`SourceKind`). ``"near_identity"`` (the identity plus 0.25 times the pool's
        draws) is the default since the study of ``docs/kbcc.md``: with ``"random"`` (the
        first version) the copies map the task's inputs mostly outside the source's own input
        domain, where a steep source is a random hard feature that out-scores fresh units by
        its saturation (an irrelevant checkerboard source was the first recruit in 70% of
        seeds); near-identity copies explore transformations of the source's knowledge.

    Returns
    -------
    unit_type : list
        One entry per candidate (``CascadeCorrelation(unit_type=..., pool_size=...)`` cycles
        it once: each entry is one candidate).
    pool_size : int
    """
    items = list(sources.items()) if isinstance(sources, dict) else list(sources)
    if not items:
        raise ValueError("sources: expected at least one source network")
    n_units, copies = int(n_units), int(copies)
    if n_units < 0 or copies < 1:
        raise ValueError(f"n_units, copies: expected n_units >= 0 and copies >= 1, got "
                         f"{n_units}, {copies}")
    input_maps = input_maps or {}
    types = [units] * n_units
    for name, net in items:
        scale = step_scale
        if scale is None:
            scale = 1.0 if X is None else source_step_scale(
                net, X, input_maps.get(name), reference=step_reference, norm=step_norm)
        common = dict(output_range=output_range, prune=prune, step_scale=scale,
                      score_factor=score_factor)
        n_random = copies - 1 if identity else copies
        if n_random:
            types += [SourceKind(net, name=f"src:{name}", init=random_init, jitter=jitter,
                                 input_map=input_maps.get(name), **common)] * n_random
        if identity:
            types.append(SourceKind(net, name=f"src:{name}:identity", init="identity",
                                    input_map=input_maps.get(name), **common))
    return types, len(types)


def source_of(kind_name):
    """The source name of a recorded winner (``"src:rect:identity"`` -> ``"rect"``; a unit's
    kind -> None)."""
    if not kind_name.startswith("src:"):
        return None
    return kind_name[4:].split(":")[0]


def recruits(history):
    """The kind names of the installed candidates, in order (from ``unit_added`` events)."""
    return [e["activation"] for e in history.events_of("unit_added")]
