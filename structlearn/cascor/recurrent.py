"""Recurrent Cascade-Correlation: the self-recurrent candidate kind and the estimator on sequences.

Fahlman, S. E. (1991). *The Recurrent Cascade-Correlation Architecture.* In Advances in Neural
Information Processing Systems 3 (NIPS 1990), pp. 190-196.

The algorithm is plain cascade-correlation (:mod:`.policy`) on sequences whose every time step
is a pattern; the only change is the candidate: **one extra weighted input, its own value at
the previous time step**::

    V(t) = f( sum_i w_i I_i(t) + w_s V(t-1) ),      V(-1) = 0 at the start of every sequence

where ``I_i(t)`` are the bias, the network inputs at ``t`` and the values at ``t`` of the units
installed before it. The self-weight ``w_s`` is trained with the other input weights in the
candidate phase and frozen with them at installation. Output units are not recurrent: they see
every node at the same ``t``, so the output phase is the ordinary one over all time steps.
(Fahlman reads the installed units as the state variables of a finite-state machine: ``w_s``
strongly positive, a flip-flop; negative, an oscillator; near 0, a gate.)

**The slope, exactly.** The score ``S = sum_o |C_o|`` with ``C_o = sum_p V_p (E_po - Ebar_o) /
sum E^2`` (``p`` over every (sequence, t)) has slope ``dS/dw = sum_p G_p dV_p/dw`` with
``G_p = sum_o sigma_o (E_po - Ebar_o) / sum E^2``: it is *linear* in ``dV_p/dw``. The paper
computes ``dV/dw`` with the forward recursion (RTRL for one unit)::

    dV(t)/dw_i = f'(t) (I_i(t) + w_s dV(t-1)/dw_i),   dV(t)/dw_s = f'(t) (V(t-1) + w_s dV(t-1)/dw_s)

which stores one derivative per weight per sequence. This module uses the equivalent
*reverse* recursion (back-propagation through time for one unit): with
``delta(t) = f'(t) (G(t) + w_s delta(t+1))``, ``delta = 0`` past a sequence's end,

    dS/dw_i = sum_p delta_p I_pi,      dS/dw_s = sum_p delta_p V_p(t-1).

Both are exact (the candidate feeds nothing back into the network, so ``I(t)`` does not
depend on its weights) and give the same numbers to rounding: ``tests/test_rcc_kind.py`` checks
both against finite differences and against each other. The reverse form was chosen because
its cost is one pass back over time of ``O(candidates x patterns)``, with no per-weight state
(the forward form carries ``O(candidates x fan-in x sequences)`` derivatives through every
step), and because the weights' slopes are then one product ``delta @ I^T``, the one every
other kind uses (:func:`~structlearn.cascor.steps.fan_slopes`). The sequence boundaries are
where the forward form's known pitfall lies (CNNS and the ``ianjchiu/Cascor`` port do not
reset ``dV/dw_s`` at a new sequence): here ``V(-1) = 0`` gives ``w_s`` no term at a
sequence's first step and ``delta`` is cut at its last, so nothing leaks between sequences.

Only the time loop is a Python loop: every step is vectorised over trials, candidates and
sequences, on the time-major pattern order of :class:`~structlearn.sequences.SequenceLayout`
(step ``t``'s patterns are one contiguous slice). Installed units' values are computed once
per (sequence, t) at installation (:meth:`RecurrentKind.cached_values`) and cached like every
other unit's.
"""
from __future__ import annotations

import numpy as np

from ..activations import get_activation
from ..sequences import SequenceLayout, as_sequences, sequence_targets
from ..validation import Interval, check_rng, validate_params
from .estimator import CascadeCorrelation, run_trials
from .executor import Executor
from .kinds import CandidateKind, register_kind

__all__ = ["RecurrentKind", "RecurrentCascadeCorrelation", "candidate_values"]


def candidate_values(Z, w_s, layout, act, A=None, Y=None):
    """Run self-recurrent units along time: ``Y(t) = f(Z(t) + w_s Y(t-1))``, ``Y(-1) = 0``.

    Parameters
    ----------
    Z : ndarray (..., P)
        Feed-forward net inputs (bias included) on the time-major patterns of ``layout``.
    w_s : ndarray (..., 1) or float
        Self-weights, broadcasting against ``Z[..., :1]``.
    layout : SequenceLayout
    act : Activation
    A, Y : ndarray like ``Z``, optional
        Where to write the whole net inputs and the values.

    Returns
    -------
    A, Y : ndarray (..., P)
    """
    A = np.empty_like(Z) if A is None else A
    Y = np.empty_like(Z) if Y is None else Y
    f = act.f
    for _, cur, prev in layout.steps():
        if prev is None:
            A[..., cur] = Z[..., cur]
        else:
            np.multiply(Y[..., prev], w_s, out=A[..., cur])
            A[..., cur] += Z[..., cur]
        f(A[..., cur], out=Y[..., cur])
    return A, Y


class RecurrentKind(CandidateKind):
    """A self-recurrent unit ``V(t) = f(sum_i w_i I_i(t) + w_s V(t-1))`` (Fahlman 1991).

    One fan-in row and one extra parameter, the self-weight ``w_s`` (drawn uniformly in
    +-``weight_range`` like the other weights, and trained with them by quickprop in the
    candidate phase). Installed as a frozen recurrent block (``Block.recurrent``), or, as a
    sibling, joining the deepest block of its activation (whose other units then have
    self-weight 0, the feed-forward unit).

    Parameters
    ----------
    activation : str, default "symmetric_sigmoid"
        An element-wise activation (the cascor code's unit, -0.5..+0.5; ``"tanh"`` is the
        -1..+1 symmetric sigmoid of the paper's text).
    nonnegative : bool, default False
        Hold the self-weight at ``max(w_s, 0)`` (its slope passes straight through): the
        monotone, positive-recurrence units that cannot count modulo 2 (Giles et al. 1995;
        Knorozova & Ronca 2024), for the negative test.
    name : str, optional
    """

    n_extra = 1
    #: the kind needs the sequences' layout (``values(..., layout=)``, ``cached_values``)
    sequential = True

    def __init__(self, activation="symmetric_sigmoid", nonnegative=False, name=None):
        self.act = get_activation(activation)
        if not self.act.elementwise:
            raise ValueError(f"activation: a recurrent unit needs an element-wise activation, "
                             f"got {activation!r}")
        self.activation = self.act.name
        self.nonnegative = bool(nonnegative)
        self.name = name or ("recurrent_" + self.act.name + ("_nonneg" if nonnegative else ""))

    def _w_s(self, extra):
        return np.maximum(extra, 0.0) if self.nonnegative else extra

    def initialise(self, w, rng, extra=None):
        if self.nonnegative and extra is not None:
            np.abs(extra, out=extra)

    def values(self, Z, Y, D, extra=None, layout=None):
        if not isinstance(layout, SequenceLayout):
            raise ValueError("unit_type: recurrent candidates need sequence data (use "
                             "RecurrentCascadeCorrelation, whose fit takes sequences)")
        w_s = self._w_s(extra).astype(Z.dtype, copy=False)        # (B, n, 1)
        A, _ = candidate_values(Z, w_s, layout, self.act, A=D, Y=Y)
        fp = self.act.df(A, Y)
        return fp, Y, w_s, layout

    def backward(self, cache, G, extra=None):
        """``(dS/dZ, dS/dw_s)`` from ``G = dS/dV`` by the reverse recursion (module docstring)."""
        fp, Y, w_s, lay = cache
        dA = np.empty_like(G)
        steps = list(lay.steps())
        counts = lay.counts
        for t in range(len(steps) - 1, -1, -1):
            cur = steps[t][1]
            dA[..., cur] = G[..., cur]
            if t + 1 < len(steps):
                n = int(counts[t + 1])
                head = slice(cur.start, cur.start + n)
                dA[..., head] += w_s * dA[..., steps[t + 1][1]]
            dA[..., cur] *= fp[..., cur]
        n0 = int(counts[0])
        d_ws = np.einsum("...p,...p->...", dA[..., n0:], Y[..., lay.prev])[..., None]
        return dA, d_ws

    def crossings(self, fan_in):
        return int(fan_in) + 1

    def install(self, net, w, *, sources, outgoing, join, rng, extra=None):
        """``w`` (1, fan-in): bias first; ``extra`` (1,): the self-weight."""
        w_s = float(self._w_s(np.asarray(extra, np.float64))[0])
        out = net.output_block
        if join is not None and net.blocks[join].activation == self.activation:
            unit = int(net.add_units(join, 1, incoming=w[0, 1:, None], bias=w[0, :1],
                                     outgoing=outgoing, rng=rng, self_weight=[w_s])[0])
            return join, unit, False
        block = net.add_block(1, sources, self.activation, consumers=[out], W=w[0, 1:, None],
                              b=w[0, :1], outgoing=outgoing, trainable=False, rng=rng,
                              recurrent=[w_s])
        return block, 0, join is None

    def cached_values(self, w, V, extra=None, layout=None):
        Z = w @ V
        w_s = self._w_s(np.asarray(extra, Z.dtype)).reshape(1, 1)
        return candidate_values(Z, w_s, layout, self.act)[1]


for _act in ("symmetric_sigmoid", "tanh", "sigmoid"):
    register_kind(RecurrentKind(_act))
register_kind(RecurrentKind("symmetric_sigmoid"), "recurrent")
register_kind(RecurrentKind("symmetric_sigmoid", nonnegative=True))
register_kind(RecurrentKind("tanh", nonnegative=True))


class RecurrentCascadeCorrelation(CascadeCorrelation):
    """Recurrent Cascade-Correlation (Fahlman 1991): cascade-correlation on sequences.

    The parameters are :class:`~structlearn.cascor.CascadeCorrelation`'s, with one default
    changed: ``unit_type`` defaults to ``"recurrent_tanh"``, :class:`RecurrentKind` over the
    hyperbolic tangent, the paper's unit ("In the studies described here, sigma is always the
    hyperbolic tangent or 'symmetric sigmoid' function, with a range from -1 to +1");
    ``"recurrent"`` is the cascor code's -0.5..+0.5 symmetric sigmoid. Pools may mix recurrent
    and feed-forward kinds (``unit_type=["recurrent", "symmetric_sigmoid"]``) and use the
    sibling/descendant placement. The paper's Reber runs used a pool of 8 (the default).

    Data: ``X`` is a set of sequences (:class:`~structlearn.sequences.Sequences`, a list of
    ``(T_i, n_features)`` arrays, or a padded array with ``lengths=``); ``y`` gives one target
    per time step (a list of per-sequence label or target arrays, or one row per step). Every
    recurrent unit's state is zeroed at the start of each sequence. ``predict``,
    ``decision_function``, ``predict_proba`` return one row per time step, in sequence order
    (``Sequences.split`` cuts them per sequence); ``score`` is the accuracy over time steps.
    Epochs are counted as in cascor: output plus candidate epochs, each one pass over every
    time step of every sequence.
    """

    accepts_recurrent = True

    def _resolved(self):
        p = super()._resolved()
        if self.unit_type is None:
            p["unit_type"] = "recurrent_tanh"
        return p

    def _sequences(self, X, lengths, name="X", reset=False):
        seqs = as_sequences(X, lengths, name=name)
        if reset:
            self.n_features_in_ = seqs.n_features
        elif seqs.n_features != self.n_features_in_:
            raise ValueError(f"{name}: expected {self.n_features_in_} features per step (as in "
                             f"fit), got {seqs.n_features}")
        return seqs

    def _prepare_sequences(self, X, y, network, validation, lengths):
        self._validate_params()
        seqs = self._sequences(X, lengths, reset=True)
        yflat = sequence_targets(y, seqs)
        if network is not None:
            network = self._start_network(network, seqs.X)
        val = lay_val = None
        if validation is not None:
            if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
                raise TypeError("validation: expected a pair (validation X, validation y)")
            vs = self._sequences(validation[0], None, name="validation X")
            val = (vs.X, sequence_targets(validation[1], vs, name="validation y"))
            lay_val = vs.layout
        cfg, Xf, T, val, start = self._prepare(seqs.X, yflat, network, val)
        lay = seqs.layout
        X_tm, T_tm = lay.to_time_major(Xf), lay.to_time_major(T)
        if val is not None:
            val = (lay_val.to_time_major(val[0]), lay_val.to_time_major(val[1]))
        return cfg, X_tm, T_tm, val, start, lay, lay_val

    def fit(self, X, y, *, network=None, validation=None, lengths=None):
        """Grow a recurrent cascade network on the sequences ``X`` with per-step targets ``y``.

        Parameters
        ----------
        X : Sequences, list of arrays (T_i, n_features), or array with ``lengths``
        y : list of per-sequence arrays (labels (T_i,) or targets (T_i, k)), or one row per step
        network : Network, optional
            Start from a copy of this network (recurrent or not; see
            :meth:`CascadeCorrelation.fit`).
        validation : (X_val, y_val), optional
            Validation sequences and their per-step targets (the validation-patience stop).
        lengths : array of int, optional
            The sequences' lengths when ``X`` is a padded or concatenated array.

        Returns
        -------
        self
        """
        cfg, X, T, val, start, lay, lay_val = self._prepare_sequences(X, y, network, validation,
                                                                      lengths)
        result = Executor(X, T, [check_rng(self.rng)], cfg, val, network=start,
                          layout=lay, validation_layout=lay_val).run()[0]
        self._set_result(result)
        return self

    def fit_trials(self, X, y, seeds, *, network=None, validation=None, n_jobs=1, lengths=None):
        """Independent trials (one per seed) as one batch; as :meth:`CascadeCorrelation.fit_trials`
        (each trial's result is ``fit``'s with its seed), on sequences."""
        validate_params({"n_jobs": n_jobs}, {"n_jobs": [Interval(int, 1, None)]})
        seeds = list(seeds)
        if not seeds:
            raise ValueError("seeds: expected at least one seed")
        cfg, X, T, val, start, lay, lay_val = self._prepare_sequences(X, y, network, validation,
                                                                      lengths)
        rngs = [check_rng(s) for s in seeds]
        return run_trials(X, T, rngs, cfg, val, start, n_jobs, layout=lay,
                          validation_layout=lay_val)

    def decision_function(self, X, lengths=None):
        """The raw outputs, one row per time step of every sequence, in sequence order."""
        self._check_fitted()
        seqs = self._sequences(X, lengths)
        return np.asarray(self.network_.forward(seqs), dtype=np.float64)

    def predict(self, X, lengths=None):
        """Labels (or values) per time step, in sequence order."""
        self._check_fitted()
        return self.target_info_.decode(self.decision_function(X, lengths))

    def score(self, X, y, lengths=None):
        """Accuracy over the time steps (multi-label: every output right), or R^2."""
        self._check_fitted()
        seqs = self._sequences(X, lengths)
        return self.target_info_.score(self.decision_function(seqs), sequence_targets(y, seqs))

