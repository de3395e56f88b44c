"""Targets: the one place that turns labels into output targets and outputs back into labels.

Every algorithm, :func:`~structlearn.train.train`, :func:`~structlearn.train.evaluate` and the
benchmark harness go through this module, so they agree on what a target means and on how a
prediction is scored.

Four kinds of target
--------------------
``"binary"``
    Two classes (any two hashable labels). One output by default (``on`` for the second class,
    ``off`` for the first); two outputs for a softmax (or when the algorithm asks for two).
``"multiclass"``
    Three or more classes: one output per class, one-hot in the output's label values.
``"multilabel"``
    A 2-D 0/1 matrix: one independent yes/no output per column. A pattern counts as right only
    when *every* output is on the right side of the midpoint ("all bits right", the criterion of
    the Boolean benchmarks: parity, encoder, binary addition).
``"regression"``
    Real-valued targets, used as given.

Which kind ``y`` is (``task="auto"``): 1-D integers, booleans, strings or other objects are class
labels; 1-D floats are regression targets; a 2-D matrix of only 0 and 1 is multi-label; any other
2-D float matrix is regression. ``task="classification"`` or ``"regression"`` overrides it.

Output ranges
-------------
Each activation knows the values that stand for "off" and "on"
(:attr:`structlearn.activations.Activation.label_values`): 0/1 for sigmoid and softmax, -0.5/+0.5
for Fahlman's symmetric sigmoid, -1/+1 for tanh, 0/1 for unbounded outputs. A single output's
decision flips at their midpoint.

A bare network
--------------
:func:`for_network` gives the convention for a :class:`~structlearn.network.Network` used without
an estimator (``train``, ``evaluate``): class labels are the output indices ``0..K-1`` (``0, 1``
for one output), checked to be in range. Any other labels (strings, ``{3, 7}``) need an estimator,
which keeps them in ``classes_``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import get_activation

__all__ = ["TargetInfo", "KINDS", "target_kind", "encode", "decode", "for_network",
           "r2_score"]

KINDS = ("binary", "multiclass", "multilabel", "regression")
_TASKS = ("auto", "classification", "regression")


def _as_array(y, name):
    try:
        arr = np.asarray(y)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: could not be converted to an array ({exc})") from None
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name}: expected 1-D labels or a 2-D target matrix, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected at least one target, got shape {arr.shape}")
    if arr.dtype.kind == "c":
        raise TypeError(f"{name}: complex targets are not supported, got dtype {arr.dtype}")
    return arr


def _is_label_dtype(arr):
    return arr.dtype.kind in "biuUSO"


def _check_finite(arr, name):
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        n_bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name}: expected finite values, got {n_bad} NaN or infinite entries")


def _is_01(arr):
    return arr.dtype.kind in "biuf" and bool(np.all((arr == 0) | (arr == 1)))


def target_kind(y, task="auto", name="y"):
    """The kind of target ``y`` is: ``"binary"``, ``"multiclass"``, ``"multilabel"`` or ``"regression"``.

    Parameters
    ----------
    y : array-like, 1-D or 2-D
    task : {"auto", "classification", "regression"}
        See the module docstring for what ``"auto"`` decides.
    name : str
        The argument's name in error messages.
    """
    if task not in _TASKS:
        raise ValueError(f"task: expected one of {list(_TASKS)}, got {task!r}")
    arr = _as_array(y, name)
    if task == "regression":
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}: regression needs numeric targets, got dtype {arr.dtype}")
        _check_finite(arr, name)
        return "regression"
    if arr.ndim == 2:
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}: a 2-D target matrix must be numeric, got dtype {arr.dtype}")
        _check_finite(arr, name)
        if _is_01(arr):
            return "multilabel"
        if task == "classification":
            raise ValueError(f"{name}: a 2-D classification target must hold only 0 and 1 "
                             "(one column per label)")
        return "regression"
    if arr.dtype.kind == "f":
        _check_finite(arr, name)
        if task == "auto":
            return "regression"
    elif not _is_label_dtype(arr):
        raise TypeError(f"{name}: expected class labels or numeric targets, got dtype {arr.dtype}")
    try:
        n_classes = len(np.unique(arr))
    except TypeError:  # objects that cannot be ordered (mixed types)
        raise TypeError(f"{name}: class labels must be mutually comparable (one type), "
                        f"got {sorted({type(v).__name__ for v in arr.tolist()})}") from None
    return "binary" if n_classes <= 2 else "multiclass"


@dataclass(frozen=True, eq=False)
class TargetInfo:
    """How targets were encoded for a network's outputs, and how to read outputs back.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    output_activation : str
        The output block's activation (it fixes the values that stand for off and on).
    n_outputs : int
    classes : ndarray or None
        The class labels in output order (classification); None for multi-label and regression.
    y_ndim : int
        1 when the targets were given as a 1-D array (regression predictions come back 1-D).
    """

    kind: str
    output_activation: str
    n_outputs: int
    classes: np.ndarray | None = None
    y_ndim: int = 1

    # ------------------------------------------------------------ properties
    @property
    def is_classification(self) -> bool:
        return self.kind != "regression"

    @property
    def label_values(self) -> tuple:
        return get_activation(self.output_activation).label_values

    @property
    def accuracy_kind(self) -> str | None:
        """``"class"`` (the decoded class), ``"pattern"`` (every output right) or None (regression)."""
        return {"binary": "class", "multiclass": "class", "multilabel": "pattern"}.get(self.kind)

    def __repr__(self):
        classes = "" if self.classes is None else f", classes={self.classes.tolist()!r}"
        return (f"TargetInfo(kind={self.kind!r}, output_activation={self.output_activation!r}, "
                f"n_outputs={self.n_outputs}{classes})")

    # -------------------------------------------------------------- encoding
    def codes(self, y, name="y"):
        """Class labels -> indices into :attr:`classes` (error on labels not seen in fit)."""
        arr = _as_array(y, name)
        if arr.ndim != 1:
            raise ValueError(f"{name}: expected 1-D class labels, got shape {arr.shape}")
        if arr.dtype.kind == "f":
            _check_finite(arr, name)
        try:
            pos = np.searchsorted(self.classes, arr)
        except TypeError:
            raise TypeError(f"{name}: labels of type {arr.dtype} cannot be compared with the "
                            f"training classes {self.classes.tolist()!r}") from None
        pos = np.minimum(pos, len(self.classes) - 1)
        unseen = self.classes[pos] != arr
        if np.any(unseen):
            bad = np.unique(arr[unseen])[:5].tolist()
            raise ValueError(f"{name}: holds labels not among the classes {self.classes.tolist()!r}"
                             f" (for example {bad!r})")
        return pos.astype(np.int64)

    def encode(self, y, name="y", dtype=np.float64):
        """Targets for the outputs, shape (n_samples, n_outputs).

        Accepts what the targets were fitted from (labels, a 0/1 matrix, real values) and,
        for classification, a matrix already encoded in the output's label values (so encoding
        is idempotent: an algorithm may hand its encoded targets to ``train``).
        """
        arr = _as_array(y, name)
        off, on = self.label_values
        if self.kind == "regression":
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"{name}: regression needs numeric targets, got dtype {arr.dtype}")
            T = arr.reshape(len(arr), -1) if arr.ndim == 1 else arr
            if T.shape[1] != self.n_outputs:
                raise ValueError(f"{name}: expected {self.n_outputs} target column(s), "
                                 f"got shape {arr.shape}")
            _check_finite(T, name)
            return T.astype(dtype)
        if arr.ndim == 2:
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"{name}: a 2-D target matrix must be numeric, got dtype {arr.dtype}")
            _check_finite(arr, name)
            if arr.shape[1] != self.n_outputs:
                raise ValueError(f"{name}: expected {self.n_outputs} column(s) (one per output), "
                                 f"got shape {arr.shape}")
            if self.kind == "multilabel" and _is_01(arr):
                return np.where(arr > 0.5, on, off).astype(dtype)
            if np.all((arr == off) | (arr == on)):
                return arr.astype(dtype)  # already encoded
            if self.output_activation == "softmax" and np.all(arr >= 0) and \
                    np.allclose(arr.sum(axis=1), 1.0):
                return arr.astype(dtype)  # soft targets for a softmax (label smoothing)
            what = "0/1 columns" if self.kind == "multilabel" else "1-D class labels"
            raise ValueError(f"{name}: expected {what} or a matrix of the output's label values "
                             f"{off:g}/{on:g}")
        if self.kind == "multilabel":
            raise ValueError(f"{name}: expected a 2-D 0/1 matrix with {self.n_outputs} columns "
                             f"like the training targets, got 1-D labels")
        codes = self.codes(arr, name)
        if self.n_outputs == 1:
            return np.where(codes == 1, on, off).astype(dtype).reshape(-1, 1)
        T = np.full((len(codes), self.n_outputs), off, dtype=dtype)
        T[np.arange(len(codes)), codes] = on
        return T

    # -------------------------------------------------------------- decoding
    def decode(self, outputs):
        """Outputs -> labels (classification), 0/1 rows (multi-label) or values (regression)."""
        out = np.asarray(outputs)
        if self.kind == "regression":
            return out[:, 0].copy() if self.y_ndim == 1 and out.shape[1] == 1 else out.copy()
        mid = get_activation(self.output_activation).midpoint
        if self.kind == "multilabel":
            return (out > mid).astype(np.int64)
        idx = (out[:, 0] > mid).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)
        return self.classes[idx]

    def proba(self, outputs):
        """Class scores in [0, 1], shape (n_samples, n_classes), rows summing to 1.

        A softmax gives probabilities. Other outputs are mapped through their label values
        (e.g. -0.5..0.5 -> 0..1) and, with several outputs, normalised: scores in probability
        form, not calibrated probabilities. Multi-label: each column's own score, not normalised.
        Regression has none (``ValueError``).
        """
        if self.kind == "regression":
            raise ValueError("predict_proba: regression outputs are not probabilities")
        out = np.asarray(outputs, dtype=np.float64)
        if self.output_activation == "softmax":
            return out.copy()
        off, on = self.label_values
        P = np.clip((out - off) / (on - off), 0.0, 1.0)
        if self.kind == "multilabel":
            return P
        if P.shape[1] == 1:
            return np.hstack([1.0 - P, P])
        s = P.sum(axis=1, keepdims=True)
        # every output at its "off" end: no preference, uniform scores
        return np.where(s > 0, P / np.where(s > 0, s, 1.0), 1.0 / P.shape[1])

    # --------------------------------------------------------------- scoring
    def score(self, outputs, y, name="y"):
        """Accuracy (classification: decoded class; multi-label: whole patterns) or R^2."""
        if self.kind == "regression":
            return r2_score(self.encode(y, name), np.asarray(outputs, dtype=np.float64))
        return self.accuracy(outputs, self.encode(y, name))

    def accuracy(self, outputs, T):
        """Accuracy of outputs against *encoded* targets ``T`` (None for regression).

        Classes: the decoded class against the target's class (arg-max, or the side of the
        midpoint for one output). Multi-label: every output on its target's side.
        """
        if self.kind == "regression":
            return None
        out = np.asarray(outputs)
        if self.kind == "multiclass" or (self.kind == "binary" and self.n_outputs > 1):
            return float(np.mean(out.argmax(axis=1) == np.asarray(T).argmax(axis=1)))
        mid = get_activation(self.output_activation).midpoint
        return float(np.mean(np.all((out > mid) == (np.asarray(T) > mid), axis=1)))


def r2_score(T, P):
    """Coefficient of determination, the mean over output columns (scikit-learn's definition).

    A column with constant targets scores 1 if predicted exactly, else 0.
    """
    T = np.asarray(T, dtype=np.float64).reshape(len(T), -1)
    P = np.asarray(P, dtype=np.float64).reshape(len(P), -1)
    ss_res = ((T - P) ** 2).sum(axis=0)
    ss_tot = ((T - T.mean(axis=0)) ** 2).sum(axis=0)
    safe = np.where(ss_tot > 0, ss_tot, 1.0)
    per = np.where(ss_tot > 0, 1.0 - ss_res / safe, np.where(ss_res == 0, 1.0, 0.0))
    return float(per.mean())


def encode(y, output_activation, *, task="auto", classes=None, n_outputs=None, name="y",
           dtype=np.float64):
    """Encode ``y`` for a new network's outputs: ``(T, info)``.

    Parameters
    ----------
    y : array-like
        Class labels (any hashable values of one type), a 0/1 matrix, or real targets.
    output_activation : str
        The output block's activation.
    task : {"auto", "classification", "regression"}
    classes : array-like, optional
        The class labels in output order (default: the sorted distinct labels of ``y``).
    n_outputs : int, optional
        Outputs for two classes: 1 (default) or 2 (always 2 for a softmax).
    name : str
        The argument's name in error messages.
    dtype : numpy dtype
        Of ``T``.

    Returns
    -------
    T : ndarray (n_samples, n_outputs)
    info : TargetInfo
    """
    act = get_activation(output_activation)
    kind = target_kind(y, task, name)
    arr = np.asarray(y)
    if kind == "regression":
        if act.name == "softmax":
            raise ValueError(f"{name}: a softmax output needs class labels, got real-valued targets")
        info = TargetInfo("regression", act.name, 1 if arr.ndim == 1 else arr.shape[1],
                          y_ndim=arr.ndim)
        return info.encode(arr, name, dtype), info
    if kind == "multilabel":
        if act.name == "softmax":
            raise ValueError(f"{name}: a 0/1 target matrix (multi-label) needs independent "
                             "outputs, not a softmax; give 1-D class labels instead")
        info = TargetInfo("multilabel", act.name, arr.shape[1], y_ndim=2)
        return info.encode(arr, name, dtype), info
    if classes is None:
        classes = np.unique(arr)
    else:
        classes = np.asarray(classes)
        if classes.ndim != 1 or len(np.unique(classes)) != len(classes):
            raise ValueError(f"classes: expected distinct labels in a 1-D array, got {classes!r}")
        classes = np.sort(classes)
    if len(classes) < 2:
        raise ValueError(f"{name}: classification needs at least 2 classes, got "
                         f"{len(classes)} ({classes.tolist()!r})")
    if len(classes) == 2:
        n_out = 2 if act.name == "softmax" else (1 if n_outputs is None else int(n_outputs))
        if n_out not in (1, 2):
            raise ValueError(f"n_outputs: two classes take 1 or 2 outputs, got {n_outputs!r}")
        kind = "binary"
    else:
        n_out, kind = len(classes), "multiclass"
    info = TargetInfo(kind, act.name, n_out, classes=classes, y_ndim=1)
    return info.encode(arr, name, dtype), info


def decode(outputs, info):
    """Outputs -> labels or values: ``info.decode(outputs)`` (see :class:`TargetInfo`)."""
    return info.decode(outputs)


def for_network(network, y, *, name="y"):
    """The :class:`TargetInfo` a bare network implies for targets ``y`` (module docstring).

    Class labels are output indices: ``0..K-1`` for ``K`` outputs, ``0, 1`` for one output.
    A 2-D ``y`` must have one column per output: a 0/1 (or already encoded) matrix is multi-label
    (class one-hot rows for a softmax), anything else regression.
    """
    act = get_activation(network.blocks[-1].activation)
    n_out = network.n_outputs
    arr = _as_array(y, name)
    off, on = act.label_values
    if arr.ndim == 2:
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}: a 2-D target matrix must be numeric, got dtype {arr.dtype}")
        if arr.shape[1] != n_out:
            raise ValueError(f"{name} has {arr.shape[1]} columns but the network has {n_out} "
                             "outputs")
        _check_finite(arr, name)
        if act.name == "softmax":
            kind = "binary" if n_out == 2 else "multiclass"
            return TargetInfo(kind, act.name, n_out, classes=np.arange(n_out), y_ndim=1)
        if _is_01(arr) or np.all((arr == off) | (arr == on)):
            return TargetInfo("multilabel", act.name, n_out, y_ndim=2)
        return TargetInfo("regression", act.name, n_out, y_ndim=2)
    if arr.dtype.kind in "USO":
        raise TypeError(f"{name}: a bare network takes class indices 0..{max(n_out, 2) - 1} "
                        f"(got {arr.dtype} labels); fit an estimator for other labels, or map "
                        "them to indices first")
    if arr.dtype.kind == "f":
        _check_finite(arr, name)
        integral = bool(np.all(arr == np.round(arr)))
        if act.name != "softmax" and n_out == 1:
            return TargetInfo("regression", act.name, 1, y_ndim=1)
        if not integral:
            raise ValueError(f"{name}: 1-D real targets need a one-output network (this one has "
                             f"{n_out} outputs); for class labels give integers")
    elif arr.dtype.kind not in "biu":
        raise TypeError(f"{name}: expected class labels or numeric targets, got dtype {arr.dtype}")
    n_classes = max(n_out, 2)
    lo, hi = arr.min(), arr.max()
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"{name}: class labels must be output indices in [0, {n_classes - 1}] "
                         f"for a network with {n_out} output(s), got values in [{lo}, {hi}]")
    if n_out == 1 and act.name == "softmax":
        raise ValueError("a one-output softmax is constant; use a sigmoid output for two classes")
    kind = "binary" if n_classes == 2 else "multiclass"
    return TargetInfo(kind, act.name, n_out, classes=np.arange(n_classes), y_ndim=1)
