"""The training loop shared by every algorithm.

:func:`train` runs minibatch (or full-batch) epochs of any optimizer over a
:class:`~structlearn.network.Network`, with validation data, early stopping
that restores the best weights, callbacks, divergence detection and the one
:class:`~structlearn.history.History` format.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from ._validation import check_array, check_positive_int, check_rng
from .history import History
from .losses import get_loss
from .optim import get_optimizer

__all__ = ["train", "evaluate", "encode_targets", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the network holds its last good weights."""


#: value range (low, high) of each output activation, for encoding class labels
_RANGES = {"sigmoid": (0.0, 1.0), "symmetric_sigmoid": (-0.5, 0.5), "tanh": (-1.0, 1.0),
           "softmax": (0.0, 1.0), "gaussian": (0.0, 1.0)}


def encode_targets(y, network, loss, n_samples=None, name="y"):
    """Turn labels or targets into the target matrix for ``loss``.

    * 2-D ``y`` of shape (n_samples, n_outputs): used as is.
    * 1-D integer (or bool) labels: one-hot over the outputs when there are
      several (``softmax_cross_entropy`` needs that), or a single column for one
      output; both written in the output activation's range, e.g. -0.5/+0.5 for
      Fahlman's symmetric sigmoid.
    * 1-D floating values with one output: a regression target column.
    """
    loss = get_loss(loss)
    y = np.asarray(y)
    n_out = network.n_outputs
    if n_samples is not None and (y.ndim == 0 or len(y) != n_samples):
        raise ValueError(f"{name} must have {n_samples} rows (one per sample of X), "
                         f"got shape {y.shape}")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold integer class labels or float targets, "
                        f"got dtype {y.dtype}")
    low, high = _RANGES.get(network.blocks[-1].activation, (0.0, 1.0))
    if y.ndim == 2:
        if y.shape[1] != n_out:
            raise ValueError(f"{name} has {y.shape[1]} columns but the network has {n_out} outputs")
        T = check_array(y, name, ndim=2, dtype=network.dtype)
        return T
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D labels or a 2-D target matrix, got shape {y.shape}")
    is_labels = y.dtype.kind in "biu" or (loss.name == "softmax_cross_entropy")
    if not is_labels:
        if n_out != 1:
            raise ValueError(f"{name}: 1-D float targets need a one-output network, "
                             f"this one has {n_out} outputs")
        return check_array(y.reshape(-1, 1), name, ndim=2, dtype=network.dtype)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise TypeError(f"{name} must hold integer class labels for loss {loss.name!r}")
    labels = y.astype(np.int64)
    n_classes = n_out if n_out > 1 else 2
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"{name}: class labels must be in [0, {n_classes - 1}] for a network with "
                         f"{n_out} output(s), got values in [{labels.min()}, {labels.max()}]")
    if n_out == 1:
        T = np.where(labels == 1, high, low).reshape(-1, 1)
    else:
        T = np.full((len(labels), n_out), low)
        T[np.arange(len(labels)), labels] = high
    return T.astype(network.dtype)


def _accuracy(network, out, T):
    """Fraction of patterns classified correctly.

    Softmax outputs: the arg-max class.  Element-wise outputs: every output on
    the same side of the activation's midpoint as its target (the "all bits
    right" criterion of the Boolean benchmarks, e.g. binary addition).
    """
    if network.blocks[-1].activation == "softmax":
        return float(np.mean(out.argmax(axis=1) == T.argmax(axis=1)))
    low, high = _RANGES.get(network.blocks[-1].activation, (0.0, 1.0))
    mid = 0.5 * (low + high)
    return float(np.mean(np.all((out > mid) == (T > mid), axis=1)))


def evaluate(network, X, y, loss=None):
    """Loss and accuracy of ``network`` on ``(X, y)``: a dict ``{loss, accuracy}``."""
    loss = get_loss(loss if loss is not None else network.default_loss())
    X = network.check_X(X)
    T = encode_targets(y, network, loss, n_samples=len(X))
    values = network._forward(X)
    z = network._workspaces[len(X)]["z"][-1]
    return {"loss": loss.value(z, values[-1], T), "accuracy": _accuracy(network, values[-1], T)}


class _Progress:
    """A progress line on a terminal; silent otherwise.  Uses tqdm when installed."""

    def __init__(self, total, enabled):
        self.bar = None
        self.enabled = enabled if enabled is not None else sys.stderr.isatty()
        if not self.enabled:
            return
        try:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, unit="epoch", leave=False)
        except ImportError:
            self.total = total

    def update(self, epoch, loss):
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4g}")
        else:
            sys.stderr.write(f"\repoch {epoch}/{self.total}  loss {loss:.4g}   ")
            sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            sys.stderr.write("\n")


def train(network, X, y, *, loss=None, optimizer="adam", epochs=100, batch_size=None,
          shuffle=True, validation=None, early_stopping=None, restore_best=True,
          min_delta=0.0, target_loss=None, callbacks=(), rng=None, history=None,
          phase="train", epoch_offset=0, progress=None, on_divergence="raise"):
    """Train ``network`` **in place**; return its :class:`History`.

    Parameters
    ----------
    network : Network
    X : array (n_samples, n_inputs)
    y : labels (n_samples,) or targets (n_samples, n_outputs); see :func:`encode_targets`.
    loss : str or Loss, optional
        Default: softmax cross-entropy for a softmax output, sigmoid
        cross-entropy for a sigmoid output, else mean squared error.
    optimizer : str or Optimizer, default "adam"
        An instance keeps its state across calls (and across structural edits).
    epochs : int, default 100
    batch_size : int or None
        None (default) for full batch.
    shuffle : bool, default True
        Reshuffle the minibatches every epoch (from ``rng``).
    validation : (X_val, y_val), optional
    early_stopping : int, optional
        Stop after this many epochs without improvement of the monitored loss
        (validation loss when given, else training loss) by more than ``min_delta``.
    restore_best : bool, default True
        With early stopping, put back the weights of the best epoch.
    target_loss : float, optional
        Stop as soon as the training loss is at or below it.
    callbacks : sequence of callables
        ``callback(epoch, network, history) -> bool``, called after each epoch;
        returning True stops training.
    rng : int, Generator or None
        For shuffling.
    history : History, optional
        Append to this history instead of a new one.
    phase : str
        The ``phase`` written in the history rows.
    epoch_offset : int
        Added to the epoch numbers written (to continue an earlier run).
    progress : bool or None
        Progress bar; None shows one only on a terminal.
    on_divergence : {"raise", "rollback"}
        On a NaN/inf loss, restore the weights from the start of the epoch and
        raise :class:`TrainingDiverged` ("raise") or stop and record it ("rollback").

    Returns
    -------
    History
    """
    from .network import Network

    if not isinstance(network, Network):
        raise TypeError(f"network must be a structlearn Network, got {type(network).__name__}")
    loss = get_loss(loss if loss is not None else network.default_loss())
    loss.check_output_activation(network.blocks[-1].activation)
    X = network.check_X(X)
    T = encode_targets(y, network, loss, n_samples=len(X))
    epochs = check_positive_int(epochs, "epochs", minimum=0)
    n = len(X)
    batch_size = n if batch_size is None else min(check_positive_int(batch_size, "batch_size"), n)
    if on_divergence not in ("raise", "rollback"):
        raise ValueError(f"on_divergence must be 'raise' or 'rollback', got {on_divergence!r}")
    if early_stopping is not None:
        early_stopping = check_positive_int(early_stopping, "early_stopping")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise ValueError("validation must be a pair (X_val, y_val)")
        Xv = network.check_X(validation[0], "validation X")
        Tv = encode_targets(validation[1], network, loss, n_samples=len(Xv), name="validation y")
    optimizer = get_optimizer(optimizer)
    rng = check_rng(rng)
    history = History() if history is None else history

    start_time = time.perf_counter()
    best = (np.inf, None, 0)  # (monitored loss, params copy, epoch)
    since_best = 0
    bar = _Progress(epochs, progress)
    stop_reason = "max_epochs"

    def record(epoch, train_loss, train_acc):
        row = dict(accuracy=train_acc)
        if validation is not None:
            row.update({f"val_{k}": v for k, v in evaluate(network, Xv, Tv, loss).items()})
        history.log(epoch=epoch_offset + epoch, phase=phase, loss=train_loss,
                    units=network.n_hidden_units, weights=network.n_active_weights,
                    seconds=time.perf_counter() - start_time, **row)
        bar.update(epoch, train_loss)
        return row.get("val_loss", train_loss)

    # Overflow on the way to a NaN loss is expected and handled below
    # (rollback or TrainingDiverged); numpy's warnings would only add noise.
    errstate = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    errstate.__enter__()
    try:
        if optimizer.full_batch_solver:
            stop_reason = _run_solver(network, X, T, loss, optimizer, epochs, record, callbacks,
                                      history, target_loss)
            return history
        for epoch in range(1, epochs + 1):
            snapshot = network.params.copy()
            order = rng.permutation(n) if shuffle and batch_size < n else None
            Xe, Te = (X, T) if order is None else (X[order], T[order])
            total, correct = 0.0, 0.0
            for lo in range(0, n, batch_size):
                xb, tb = Xe[lo:lo + batch_size], Te[lo:lo + batch_size]
                value = network.loss_and_grad(xb, tb, loss)
                if not np.isfinite(value):
                    network.params[:] = snapshot
                    msg = (f"loss became {value} in epoch {epoch_offset + epoch}; weights restored "
                           "to the start of that epoch (lower the learning rate?)")
                    history.event("stop", epoch=epoch_offset + epoch, reason="diverged")
                    if on_divergence == "raise":
                        raise TrainingDiverged(msg)
                    return history
                out = network._workspaces[len(xb)]["y"][-1]
                correct += _accuracy(network, out, tb) * len(xb)
                total += value * len(xb)
                optimizer.step(network)
            if not np.all(np.isfinite(network.params)):
                network.params[:] = snapshot
                history.event("stop", epoch=epoch_offset + epoch, reason="diverged")
                if on_divergence == "raise":
                    raise TrainingDiverged(f"weights became non-finite in epoch {epoch_offset + epoch}; "
                                           "restored to the start of that epoch")
                return history
            monitored = record(epoch, total / n, correct / n)
            if monitored < best[0] - min_delta:
                best = (monitored, network.params.copy() if restore_best else None, epoch)
                since_best = 0
            else:
                since_best += 1
            if target_loss is not None and total / n <= target_loss:
                stop_reason = "target_loss"
                break
            if early_stopping is not None and since_best >= early_stopping:
                stop_reason = "early_stopping"
                if restore_best and best[1] is not None:
                    network.params[:] = best[1]
                break
            if any(cb(epoch_offset + epoch, network, history) for cb in callbacks):
                stop_reason = "callback"
                break
        history.event("stop", epoch=history.epochs, reason=stop_reason,
                      best_epoch=epoch_offset + best[2])
        return history
    finally:
        errstate.__exit__(None, None, None)
        bar.close()


def _run_solver(network, X, T, loss, optimizer, epochs, record, callbacks, history, target_loss):
    """Full-batch minimisation (L-BFGS): one solver iteration is one epoch."""
    last = {}

    def objective():
        value = network.loss_and_grad(X, T, loss)
        last["loss"] = value
        return value if np.isfinite(value) else np.inf

    reason = ["max_epochs"]

    def on_iteration(it):
        value = network.loss_and_grad(X, T, loss)  # loss at the accepted point
        acc = _accuracy(network, network._workspaces[len(X)]["y"][-1], T)
        record(it, value, acc)
        if target_loss is not None and value <= target_loss:
            reason[0] = "target_loss"
            return True
        if any(cb(it, network, history) for cb in callbacks):
            reason[0] = "callback"
            return True
        return False

    result = optimizer.run(network, objective, epochs, on_iteration)
    if result is not None and reason[0] == "max_epochs" and result.nit < epochs:
        reason[0] = "converged"
    if not np.all(np.isfinite(network.params)):
        raise TrainingDiverged("L-BFGS produced non-finite weights")
    history.event("stop", epoch=history.epochs, reason=reason[0])
    return reason[0]
