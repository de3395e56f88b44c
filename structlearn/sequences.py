"""Sequence data in the shared representation: many sequences, one pattern axis.

Recurrent Cascade-Correlation (Fahlman 1991, "The Recurrent Cascade-Correlation Architecture",
NIPS 3) trains on a set of sequences (strings of the Reber grammar, Morse letters) whose
*every time step is a pattern*: the output units are feed-forward on the time steps, and
only a recurrent unit's value depends on the step before. So the representation is

* the time steps of every sequence, concatenated in sequence order: ``X`` (P, n_features),
  ``P = sum_i T_i`` (what :class:`Sequences` holds, and what a network's outputs on
  sequences are, one row per step);
* the sequences' lengths ``T_i``, and the state zeroed at the start of each sequence.

Internally the recurrent passes use a *time-major* order of the same patterns
(:class:`SequenceLayout`): the sequences sorted by length (longest first, stable), then the
first steps of all of them, the second steps of those that have one, and so on. Step ``t``
is then one contiguous slice of the pattern axis, and its predecessors (step ``t - 1`` of
the same sequences) are the first ``n_t`` patterns of the previous slice: a loop over time
reads and writes contiguous slices, vectorised over sequences, with no gather or scatter.
Every sum over patterns (scores, slopes, errors) is order-free, so the cascade engine works
on time-major patterns throughout and only the boundary converts.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Sequences", "SequenceLayout", "as_sequences", "sequence_targets"]


class SequenceLayout:
    """The time-major order of the time steps of a set of sequences.

    Parameters
    ----------
    lengths : array of int (n_sequences,)
        Length of each sequence (all >= 1), in the user's (sequence-major) order.

    Attributes
    ----------
    order : ndarray of int (P,)
        Time-major pattern ``j`` is row ``order[j]`` of the sequence-major concatenation.
    inverse : ndarray of int (P,)
        The inverse permutation (sequence-major row ``i`` is time-major ``inverse[i]``).
    counts : ndarray of int (T,)
        ``n_t``: sequences that have a step ``t`` (non-increasing).
    offsets : ndarray of int (T,)
        Where step ``t`` starts on the time-major axis; its patterns are
        ``offsets[t] : offsets[t] + counts[t]``, and the first ``counts[t]`` patterns of step
        ``t - 1`` are their predecessors, in the same order.
    prev : ndarray of int (P - n_sequences,)
        For time-major patterns ``n_sequences .. P-1`` (every step but the first), the
        time-major index of the step before.
    """

    def __init__(self, lengths):
        lengths = np.asarray(lengths, dtype=np.int64)
        self.lengths = lengths
        self.n_sequences = len(lengths)
        self.n_steps = int(lengths.sum())
        rank = np.argsort(-lengths, kind="stable")          # longest first, ties in order
        T = int(lengths.max())
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        sorted_len = lengths[rank]
        self.counts = np.array([int(np.count_nonzero(sorted_len > t)) for t in range(T)],
                               dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)
        order = np.empty(self.n_steps, np.int64)
        for t in range(T):
            n, o = self.counts[t], self.offsets[t]
            order[o:o + n] = starts[rank[:n]] + t
        self.order = order
        self.inverse = np.empty_like(order)
        self.inverse[order] = np.arange(self.n_steps)
        self.prev = np.concatenate(
            [self.offsets[t - 1] + np.arange(self.counts[t]) for t in range(1, T)]
            or [np.zeros(0, np.int64)]).astype(np.int64)

    @property
    def max_length(self) -> int:
        return len(self.counts)

    def steps(self):
        """``(t, current slice, previous slice or None)`` for every time step."""
        for t, (o, n) in enumerate(zip(self.offsets.tolist(), self.counts.tolist())):
            prev = None if t == 0 else slice(int(self.offsets[t - 1]), int(self.offsets[t - 1]) + n)
            yield t, slice(o, o + n), prev

    def to_time_major(self, a, axis=0):
        """``a`` (sequence-major along ``axis``) in time-major order."""
        return np.take(a, self.order, axis=axis)

    def to_sequence_major(self, a, axis=0):
        """``a`` (time-major along ``axis``) back in sequence-major order."""
        return np.take(a, self.inverse, axis=axis)

    def __repr__(self):
        return (f"SequenceLayout(n_sequences={self.n_sequences}, n_steps={self.n_steps}, "
                f"max_length={self.max_length})")


def _check_lengths(lengths, name, total=None, max_len=None):
    try:
        arr = np.asarray(lengths)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a 1-D array of sequence lengths") from None
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu" and not (
            arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
        raise ValueError(f"{name}: expected a non-empty 1-D array of integer sequence lengths, "
                         f"got {np.asarray(lengths).dtype} of shape {arr.shape}")
    arr = arr.astype(np.int64)
    if arr.min() < 1:
        bad = int(np.flatnonzero(arr < 1)[0])
        raise ValueError(f"{name}: every sequence needs at least one time step; sequence {bad} "
                         f"has length {int(arr[bad])}")
    if max_len is not None and arr.max() > max_len:
        bad = int(np.flatnonzero(arr > max_len)[0])
        raise ValueError(f"{name}: sequence {bad} has length {int(arr[bad])}, more than the "
                         f"{max_len} padded time steps")
    if total is not None and int(arr.sum()) != total:
        raise ValueError(f"{name}: the lengths sum to {int(arr.sum())}, but there are {total} "
                         "time steps (rows)")
    return arr


def _finite(a, name):
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected numbers, got {np.asarray(a, dtype=object).dtype}"
                        ) from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: holds NaN or infinity")
    return arr


class Sequences:
    """A set of sequences: every time step of every sequence, concatenated, and the lengths.

    Parameters
    ----------
    data : list of arrays (T_i, n_features), array (n_sequences, T, n_features) or array (P, n_features)
        A list of sequences (ragged: each its own length), a padded 3-D array (give
        ``lengths``; steps past a sequence's length are ignored), or the steps already
        concatenated (give ``lengths`` summing to ``P``).
    lengths : array of int, optional
        The sequences' lengths (needed with a padded or concatenated array).
    name : str, default "X"
        The argument's name in messages.

    Attributes
    ----------
    X : ndarray (P, n_features), float64
        The time steps, in sequence order.
    lengths : ndarray of int (n_sequences,)
    starts : ndarray of int (n_sequences,)
        Row of ``X`` where each sequence starts.
    layout : SequenceLayout
        The time-major order the recurrent passes use.

    Notes
    -----
    The state of a recurrent network is zeroed at the start of every sequence (Fahlman 1991:
    "The internal state of the network is zeroed at the start of each string").
    """

    def __init__(self, data, lengths=None, name="X"):
        if isinstance(data, Sequences):
            if lengths is not None:
                raise ValueError(f"{name}: lengths given twice (the Sequences has its own)")
            self.X, self.lengths = data.X, data.lengths
        elif isinstance(data, (list, tuple)):
            if lengths is not None:
                raise ValueError(f"{name}: a list of sequences carries its own lengths; "
                                 "do not pass lengths")
            if len(data) == 0:
                raise ValueError(f"{name}: expected at least one sequence, got none")
            seqs = []
            for i, s in enumerate(data):
                a = _finite(s, f"{name}[{i}]")
                if a.ndim != 2:
                    hint = " (one feature per step: reshape(-1, 1))" if a.ndim == 1 else ""
                    raise ValueError(f"{name}[{i}]: expected a 2-D array (time steps, features), "
                                     f"got shape {a.shape}{hint}")
                if a.shape[0] == 0:
                    raise ValueError(f"{name}[{i}]: an empty sequence (no time steps)")
                if seqs and a.shape[1] != seqs[0].shape[1]:
                    raise ValueError(f"{name}[{i}]: has {a.shape[1]} features, {name}[0] has "
                                     f"{seqs[0].shape[1]}")
                seqs.append(a)
            self.X = np.concatenate(seqs, axis=0)
            self.lengths = np.array([len(s) for s in seqs], np.int64)
        else:
            a = _finite(data, name)
            if a.ndim == 3:
                if lengths is None:
                    raise ValueError(f"{name}: a padded (sequences, time, features) array needs "
                                     "lengths")
                n, T, _ = a.shape
                lengths = _check_lengths(lengths, "lengths", max_len=T)
                if len(lengths) != n:
                    raise ValueError(f"lengths: expected {n} lengths (one per sequence of "
                                     f"{name}), got {len(lengths)}")
                keep = np.arange(T)[None, :] < lengths[:, None]
                self.X, self.lengths = a[keep], lengths
            elif a.ndim == 2:
                if lengths is None:
                    raise ValueError(f"{name}: a 2-D array is one row per time step; give the "
                                     "sequences' lengths, or a list of (time steps, features) "
                                     "arrays")
                self.lengths = _check_lengths(lengths, "lengths", total=a.shape[0])
                self.X = a
            else:
                raise ValueError(f"{name}: expected a list of 2-D sequences, a padded 3-D array "
                                 f"or a 2-D array of time steps, got shape {a.shape}")
        if self.X.shape[1] == 0:
            raise ValueError(f"{name}: sequences with no features")
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self._layout = None

    @property
    def layout(self) -> SequenceLayout:
        if self._layout is None:
            self._layout = SequenceLayout(self.lengths)
        return self._layout

    @property
    def n_sequences(self) -> int:
        return len(self.lengths)

    @property
    def n_steps(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def __len__(self):
        return self.n_sequences

    def split(self, a):
        """Rows of ``a`` (one per time step, in sequence order) as one array per sequence."""
        a = np.asarray(a)
        if a.shape[0] != self.n_steps:
            raise ValueError(f"a: expected {self.n_steps} rows (one per time step), got "
                             f"{a.shape[0]}")
        return np.split(a, self.starts[1:])

    def __getitem__(self, index):
        """A subset of the sequences (an int, slice or index array): a new :class:`Sequences`."""
        idx = np.arange(self.n_sequences)[index]
        idx = np.atleast_1d(idx)
        return Sequences([self.X[self.starts[i]:self.starts[i] + self.lengths[i]] for i in idx])

    def __repr__(self):
        return (f"Sequences(n_sequences={self.n_sequences}, n_steps={self.n_steps}, "
                f"n_features={self.n_features})")


def as_sequences(X, lengths=None, name="X"):
    """``X`` as :class:`Sequences` (a :class:`Sequences` is returned as is)."""
    if isinstance(X, Sequences) and lengths is None:
        return X
    return Sequences(X, lengths, name=name)


def sequence_targets(y, seqs, name="y"):
    """Per-time-step targets ``y`` for the sequences ``seqs``, one row per step.

    ``y``: a list with one array per sequence (``(T_i,)`` labels or ``(T_i, k)`` targets),
    a :class:`Sequences`, a padded ``(n_sequences, T, ...)`` array, or an array with one
    row per time step (``P`` rows). The lengths must match ``seqs``'.
    """
    if isinstance(y, Sequences):
        if not np.array_equal(y.lengths, seqs.lengths):
            raise ValueError(f"{name}: its sequence lengths differ from X's")
        return y.X
    if isinstance(y, (list, tuple)):
        if len(y) != seqs.n_sequences:
            raise ValueError(f"{name}: expected {seqs.n_sequences} target sequences (one per "
                             f"sequence of X), got {len(y)}")
        parts = [np.asarray(v) for v in y]
        for i, (v, T) in enumerate(zip(parts, seqs.lengths)):
            if v.ndim == 0 or len(v) != T:
                raise ValueError(f"{name}[{i}]: expected {T} rows (one per time step of "
                                 f"sequence {i}), got shape {v.shape}")
            if v.ndim != parts[0].ndim or v.shape[1:] != parts[0].shape[1:]:
                raise ValueError(f"{name}[{i}]: shape {v.shape} does not match {name}[0]'s "
                                 f"{parts[0].shape}")
        return np.concatenate(parts, axis=0)
    a = np.asarray(y)
    if a.ndim >= 2 and a.shape[0] == seqs.n_sequences and a.shape[0] != seqs.n_steps:
        if a.shape[1] < seqs.lengths.max():
            raise ValueError(f"{name}: padded to {a.shape[1]} steps, but a sequence has "
                             f"{int(seqs.lengths.max())}")
        keep = np.arange(a.shape[1])[None, :] < seqs.lengths[:, None]
        return a[keep]
    if a.ndim == 0 or a.shape[0] != seqs.n_steps:
        raise ValueError(f"{name}: expected one row per time step ({seqs.n_steps}) or one target "
                         f"sequence per sequence ({seqs.n_sequences}), got shape {a.shape}")
    return a
