"""The training loop shared by every algorithm, and the way to step through it.

:class:`Trainer` runs epochs of any step-wise optimizer over a
:class:`~structlearn.network.Network` one at a time: iterate over
:meth:`Trainer.epochs` and act between epochs (stop, add a unit, prune),
reading each epoch's :class:`EpochResult`. :func:`train` is that loop with the
usual stopping rules (early stopping that restores the best weights, a target
loss, stop criteria, callbacks). Both write the one
:class:`~structlearn.history.History` format; targets are encoded and scored
by :mod:`structlearn.targets`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .history import History
from .losses import get_loss
from .optim import get_optimizer
from .targets import TargetInfo, for_network
from .validation import (Check, Interval, check_number, check_positive_int, check_rng,
                         validate_params)

__all__ = ["train", "evaluate", "encode_targets", "Trainer", "EpochResult", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the network holds its last good weights."""


def encode_targets(y, network, loss=None, n_samples=None, name="y"):
    """``y`` as the target matrix of ``network`` (the bare-network convention).

    Kept for existing code: the same as ``network.encode_targets(y, n_samples, name)``
    (see :func:`structlearn.targets.for_network`). ``loss`` is not needed any more.
    """
    return network.encode_targets(y, n_samples=n_samples, name=name)


def _target_info(network, y, targets, name):
    if targets is None:
        return for_network(network, y, name=name)
    if not isinstance(targets, TargetInfo):
        raise TypeError(f"targets: expected a structlearn.targets.TargetInfo or None, "
                        f"got {type(targets).__name__}")
    if targets.n_outputs != network.n_outputs:
        raise ValueError(f"targets: encode {targets.n_outputs} outputs but the network has "
                         f"{network.n_outputs}")
    return targets


def _check_rows(X, y, name):
    if np.ndim(y) == 0 or len(y) != len(X):
        raise ValueError(f"{name} must have {len(X)} rows (one per sample of X), "
                         f"got shape {np.shape(y)}")


def evaluate(network, X, y, loss=None, *, targets=None, batch_size=10000):
    """Loss and score of ``network`` on ``(X, y)``.

    Parameters
    ----------
    network : Network
    X : array (n_samples, n_inputs)
    y : class indices, a 0/1 or encoded matrix, or real targets (see
        :func:`structlearn.targets.for_network`), or anything ``targets`` encodes.
    loss : str or Loss, optional
        Default: the network's natural loss.
    targets : TargetInfo, optional
        How ``y`` is encoded and scored (an estimator's ``target_info_``);
        default: the bare-network convention.
    batch_size : int, default 10000
        Rows per forward pass (bounds the memory of large sets).

    Returns
    -------
    dict
        ``loss``; for classification ``accuracy`` (the decoded class, or for
        multi-label targets every output right) and ``accuracy_kind``
        (``"class"`` or ``"pattern"``); for regression ``r2``. ``score`` is
        the accuracy or the R^2: what the estimators' ``score`` returns.
    """
    loss = get_loss(loss if loss is not None else network.default_loss())
    X = network.check_X(X)
    _check_rows(X, y, "y")
    info = _target_info(network, y, targets, "y")
    T = info.encode(y, "y", dtype=network.dtype)
    n = len(X)
    total, outs = 0.0, []
    for lo in range(0, n, batch_size):
        xb, tb = X[lo:lo + batch_size], T[lo:lo + batch_size]
        network.forward(xb)
        cache = network.last_pass
        total += loss.value(cache.pre_activations[-1], cache.outputs, tb) * len(xb)
        outs.append(cache.outputs.copy())
    out = outs[0] if len(outs) == 1 else np.concatenate(outs)
    result = {"loss": total / n}
    if info.is_classification:
        result.update(accuracy=info.accuracy(out, T), accuracy_kind=info.accuracy_kind)
        result["score"] = result["accuracy"]
    else:
        result["r2"] = info.score(out, T)
        result["score"] = result["r2"]
    return result


@dataclass
class EpochResult:
    """What one epoch of a :class:`Trainer` did.

    Attributes
    ----------
    epoch : int
        The epoch number as written in the history (offset included).
    loss : float
        Mean training loss over the epoch's minibatches (each measured before
        its own update; for full batch, the loss of the weights the epoch
        started from).
    accuracy : float or None
        Training accuracy measured the same way (None for regression).
    row : dict
        The history row written for the epoch (validation metrics included).
    full_batch_outputs : ndarray or None
        For full-batch training, the outputs of the epoch's forward pass over
        all training patterns (before the update): valid until the next epoch.
    """

    epoch: int
    loss: float
    accuracy: float | None
    row: dict
    full_batch_outputs: np.ndarray | None = None
    trainer: "Trainer" = field(default=None, repr=False)

    def outputs(self):
        """Outputs over all training patterns: this epoch's pass when full batch,
        else a forward pass with the current weights."""
        if self.full_batch_outputs is not None:
            return self.full_batch_outputs
        return self.trainer.outputs()


class Trainer:
    """The one training loop, one epoch at a time.

    ``for result in trainer.epochs(n): ...`` trains epoch after epoch; between
    two epochs the caller may read the results, edit the network in place
    (the optimizer carries its state across the edit by weight key), replace
    it (``trainer.network = grown``) or stop (``break``). :meth:`finish`
    writes the final ``stop`` event. :func:`train` and Dynamic Node Creation
    are written this way.

    Parameters are those of :func:`train` (``epochs`` and the stopping rules
    apart). ``targets`` (a :class:`~structlearn.targets.TargetInfo`) says how
    ``y`` is encoded and scored; by default the bare-network convention of
    :func:`structlearn.targets.for_network`.

    Attributes
    ----------
    network : Network
    X, T : ndarray
        The training inputs and encoded targets (the network's dtype).
    targets : TargetInfo
    loss : Loss
    optimizer : Optimizer
    history : History
    epoch : int
        The last epoch finished (offset included).
    stop_reason : str or None
        ``"diverged"`` after a rollback; set by :meth:`finish`.
    """

    def __init__(self, network, X, y, *, loss=None, optimizer="adam", batch_size=None,
                 shuffle=True, validation=None, targets=None, rng=None, history=None,
                 phase="train", epoch_offset=0, progress=None, on_divergence="raise",
                 dropout=None):
        from .network import Network

        if not isinstance(network, Network):
            raise TypeError(f"network must be a structlearn Network, got {type(network).__name__}")
        self.loss = get_loss(loss if loss is not None else network.default_loss())
        self.loss.check_output_activation(network.blocks[-1].activation)
        self.X = network.check_X(X)
        _check_rows(self.X, y, "y")
        self.targets = _target_info(network, y, targets, "y")
        self.T = self.targets.encode(y, "y", dtype=network.dtype)
        self.loss.check_targets(self.T, "y")
        n = len(self.X)
        self.batch_size = n if batch_size is None else min(check_positive_int(batch_size,
                                                                              "batch_size"), n)
        if on_divergence not in ("raise", "rollback"):
            raise ValueError(f"on_divergence must be 'raise' or 'rollback', got {on_divergence!r}")
        self.on_divergence = on_divergence
        self.validation = None
        if validation is not None:
            if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
                raise ValueError("validation must be a pair (X_val, y_val)")
            Xv = network.check_X(validation[0], "validation X")
            _check_rows(Xv, validation[1], "validation y")
            self.validation = (Xv, self.targets.encode(validation[1], "validation y",
                                                       dtype=network.dtype))
            self.loss.check_targets(self.validation[1], "validation y")
        self.optimizer = get_optimizer(optimizer)
        validate_params({"shuffle": shuffle}, {"shuffle": ["boolean"]})
        self.shuffle = bool(shuffle)
        self.rng = check_rng(rng)
        self.dropout = check_number(dropout, "dropout", 0.0, 1.0, closed="left",
                                    allow_none=True)
        if not self.dropout:
            self.dropout = None
        # the masks' own generator, spawned without advancing self.rng: with and without
        # dropout the minibatches are the same
        self._dropout_rng = None if self.dropout is None else self.rng.spawn(1)[0]
        self.history = History() if history is None else history
        self.phase = phase
        self.epoch = int(epoch_offset)
        self.progress = progress
        self.stop_reason = None
        self._network = network
        self._outputs = None
        self._good = (None, None)  # (weights with a finite loss, the layout they belong to)
        self._start = time.perf_counter()

    @property
    def network(self):
        return self._network

    @network.setter
    def network(self, network):
        """Train another network from the next epoch on (one an edit returned)."""
        if network.n_inputs != self._network.n_inputs or \
                network.n_outputs != self._network.n_outputs:
            raise ValueError("network: the replacement must have the same inputs and outputs")
        if network.dtype != self._network.dtype:
            raise ValueError(f"network: the replacement must have dtype {self._network.dtype}")
        self._network = network

    def outputs(self):
        """The network's outputs over all training patterns, with the current weights (a copy)."""
        return self._network.forward(self.X)

    def _record(self, train_loss, train_acc):
        net = self._network
        row = {} if train_acc is None else {"accuracy": train_acc}
        if self.validation is not None:
            m = evaluate(net, *self.validation, self.loss, targets=self.targets)
            row["val_loss"] = m["loss"]
            row.update({"val_accuracy": m["accuracy"]} if "accuracy" in m else {"val_r2": m["r2"]})
        return self.history.log(epoch=self.epoch, phase=self.phase, loss=train_loss,
                                units=net.n_hidden_units, weights=net.n_active_weights,
                                seconds=time.perf_counter() - self._start, **row)

    def _last_good(self, snapshot, verified):
        """The latest weights known to give a finite loss.

        The start-of-epoch ``snapshot`` is known good once the epoch's first
        batch (computed with exactly those weights) had a finite loss. If that
        first loss was already infinite (the previous epoch's last step blew the
        weights up), the previous epoch's start is the last good point.
        """
        if verified:
            return snapshot
        good, layout = self._good
        if good is not None and layout == (id(self._network), self._network.layout_version):
            return good
        return snapshot  # the first epoch: the weights training started from

    def _diverged(self, snapshot, message):
        self._network.params[:] = snapshot
        self.history.event("stop", epoch=self.epoch, reason="diverged")
        self.stop_reason = "diverged"
        if self.on_divergence == "raise":
            raise TrainingDiverged(message)

    def epochs(self, n):
        """Train up to ``n`` epochs, yielding an :class:`EpochResult` after each.

        On a NaN/inf loss (or non-finite weights) the weights of the start of
        that epoch are restored, a ``stop`` event with reason ``"diverged"`` is
        written, and :class:`TrainingDiverged` is raised (``on_divergence=
        "raise"``) or the iteration ends with ``stop_reason == "diverged"``.
        """
        n = check_positive_int(n, "epochs", minimum=0)
        if self.optimizer.full_batch_solver:
            raise ValueError(f"{type(self.optimizer).__name__} runs a whole minimisation; use "
                             "train(), not Trainer.epochs()")
        bar = _Progress(n, self.progress)
        # Overflow on the way to a NaN loss is expected and handled (rollback or
        # TrainingDiverged); numpy's warnings would only add noise.
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for _ in range(n):
                    result = self._one_epoch()
                    if result is None:
                        return
                    bar.update(result.epoch, result.loss)
                    yield result
        finally:
            bar.close()

    def _one_epoch(self):
        net, X, T, info = self._network, self.X, self.T, self.targets
        n, batch = len(X), self.batch_size
        self.epoch += 1
        snapshot = net.params.copy()
        verified = False  # does the snapshot itself give a finite loss?
        order = self.rng.permutation(n) if self.shuffle and batch < n else None
        Xe, Te = (X, T) if order is None else (X[order], T[order])
        total, correct = 0.0, 0.0
        full_batch = batch >= n
        for lo in range(0, n, batch):
            xb, tb = Xe[lo:lo + batch], Te[lo:lo + batch]
            value = net.loss_and_grad(xb, tb, self.loss, masks=self._dropout_masks(len(xb)))
            if not np.isfinite(value):
                restored = self._last_good(snapshot, verified)
                when = "that epoch" if restored is snapshot else "the epoch before"
                self._diverged(restored, f"loss became {value} in epoch {self.epoch}; weights "
                               f"restored to the start of {when}, the last weights with a finite "
                               "loss (lower the learning rate?)")
                return None
            verified = True
            out = net.last_pass.outputs
            if full_batch:
                if self._outputs is None or self._outputs.shape != out.shape:
                    self._outputs = np.empty_like(out)
                np.copyto(self._outputs, out)
            if info.is_classification:
                correct += info.accuracy(out, tb) * len(xb)
            total += value * len(xb)
            self.optimizer.step(net)
        if not np.all(np.isfinite(net.params)):
            self._diverged(snapshot, f"weights became non-finite in epoch {self.epoch}; "
                           "restored to the start of that epoch")
            return None
        self._good = (snapshot, (id(net), net.layout_version))
        acc = correct / n if info.is_classification else None
        row = self._record(total / n, acc)
        return EpochResult(epoch=self.epoch, loss=total / n, accuracy=acc, row=row,
                           full_batch_outputs=self._outputs if full_batch else None, trainer=self)

    def _dropout_masks(self, n):
        """Fresh inverted-dropout masks for a minibatch of ``n`` rows: every hidden block's
        outputs kept with probability ``1 - dropout`` and scaled by ``1 / (1 - dropout)``
        (so a pass without masks, as at prediction, has the same expected unit values);
        None without dropout."""
        if self.dropout is None:
            return None
        net, keep = self._network, 1.0 - self.dropout
        masks = []
        for blk in net.blocks[:-1]:
            u = self._dropout_rng.random((n, blk.width), dtype=net.dtype)
            masks.append(np.multiply(u < keep, 1.0 / keep, dtype=net.dtype))
        return masks + [None]

    def finish(self, reason, **details):
        """Write the final ``stop`` event (``reason`` and any details); return the history."""
        self.stop_reason = reason
        self.history.event("stop", epoch=self.history.epochs, reason=reason, **details)
        return self.history


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


def _callables(value):
    try:
        return all(callable(c) for c in value)
    except TypeError:
        return False


_TRAIN_CONSTRAINTS = {
    "epochs": [Interval(int, 0)],
    "early_stopping": [Interval(int, 1), None],
    "min_delta": [Interval(float, 0)],
    "target_loss": [Interval(float), None],
    "restore_best": ["boolean"],
    "stop_when": [Check(_callables, "a sequence of callables criterion(result) -> bool")],
    "callbacks": [Check(_callables, "a sequence of callables callback(epoch, network, "
                                    "history) -> bool")],
}


def train(network, X, y, *, loss=None, optimizer="adam", epochs=100, batch_size=None,
          shuffle=True, validation=None, early_stopping=None, restore_best=True,
          min_delta=0.0, target_loss=None, stop_when=(), callbacks=(), rng=None, history=None,
          phase="train", epoch_offset=0, progress=None, on_divergence="raise", targets=None,
          dropout=None):
    """Train ``network`` **in place**; return its :class:`History`.

    Parameters
    ----------
    network : Network
    X : array (n_samples, n_inputs)
    y : class indices (n_samples,), a 0/1 or encoded matrix, or real targets;
        see :func:`structlearn.targets.for_network`.
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
    stop_when : sequence of callables
        Stop criteria ``criterion(result) -> bool`` called with each epoch's
        :class:`EpochResult` (for example :class:`structlearn.dnc.AshCriterion`);
        the stop reason is the criterion's ``name`` attribute (default ``"criterion"``).
    callbacks : sequence of callables
        ``callback(epoch, network, history) -> bool``, called after each epoch;
        returning True stops training. To act between epochs with more than
        that (edit the network, read the epoch's outputs), iterate over a
        :class:`Trainer` instead.
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
    targets : TargetInfo, optional
        How ``y`` is encoded and scored (an estimator passes its ``target_info_``).
    dropout : float in [0, 1), optional
        Dropout (Srivastava et al., JMLR 15, 2014) of every hidden block's outputs: in each
        minibatch each hidden unit's value is zeroed with this probability, independently per
        pattern, and the kept ones are scaled by ``1 / (1 - dropout)`` (inverted dropout), so
        validation, :meth:`Network.forward` and prediction use the whole network unscaled.
        The recorded training loss and accuracy are those of the masked passes. The masks
        come from a generator spawned from ``rng`` without advancing it, so the minibatches
        are those of the same run without dropout. None or 0: no dropout.

    Returns
    -------
    History
    """
    trainer = Trainer(network, X, y, loss=loss, optimizer=optimizer, batch_size=batch_size,
                      shuffle=shuffle, validation=validation, targets=targets, rng=rng,
                      history=history, phase=phase, epoch_offset=epoch_offset,
                      progress=progress, on_divergence=on_divergence, dropout=dropout)
    validate_params(dict(epochs=epochs, early_stopping=early_stopping, min_delta=min_delta,
                         target_loss=target_loss, restore_best=restore_best,
                         stop_when=stop_when, callbacks=callbacks), _TRAIN_CONSTRAINTS)
    if trainer.optimizer.full_batch_solver:
        if trainer.dropout is not None:
            raise ValueError(f"dropout: {type(trainer.optimizer).__name__} minimises one fixed "
                             "loss; dropout needs a minibatch optimizer (sgd, adam, ...)")
        return _run_solver(trainer, epochs, callbacks, target_loss)

    best = (np.inf, None, epoch_offset, None)  # (monitored loss, params copy, epoch, layout)
    since_best = 0
    reason = "max_epochs"
    for result in trainer.epochs(epochs):
        net = trainer.network
        monitored = result.row.get("val_loss", result.loss)
        layout = (id(net), net.layout_version)
        if monitored < best[0] - min_delta or best[3] != layout:
            # a structural edit (by a callback) makes older weights unusable
            best = (monitored, net.params.copy() if restore_best else None, result.epoch, layout)
            since_best = 0
        else:
            since_best += 1
        if target_loss is not None and result.loss <= target_loss:
            reason = "target_loss"
            break
        if early_stopping is not None and since_best >= early_stopping:
            reason = "early_stopping"
            if restore_best and best[1] is not None:
                net.params[:] = best[1]
            break
        hit = next((c for c in stop_when if c(result)), None)
        if hit is not None:
            reason = getattr(hit, "name", "criterion")
            break
        if any(cb(result.epoch, net, trainer.history) for cb in callbacks):
            reason = "callback"
            break
    if trainer.stop_reason == "diverged":
        return trainer.history
    return trainer.finish(reason, best_epoch=best[2])


def _run_solver(trainer, epochs, callbacks, target_loss):
    """Full-batch minimisation (L-BFGS): one solver iteration is one epoch."""
    network, X, T, loss, info = trainer.network, trainer.X, trainer.T, trainer.loss, \
        trainer.targets

    def objective():
        value = network.loss_and_grad(X, T, loss)
        return value if np.isfinite(value) else np.inf

    reason = ["max_epochs"]

    def on_iteration(it):
        value = network.loss_and_grad(X, T, loss)  # loss at the accepted point
        trainer.epoch += 1
        trainer._record(value, info.accuracy(network.last_pass.outputs, T))
        if target_loss is not None and value <= target_loss:
            reason[0] = "target_loss"
            return True
        if any(cb(trainer.epoch, network, trainer.history) for cb in callbacks):
            reason[0] = "callback"
            return True
        return False

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = trainer.optimizer.run(network, objective, epochs, on_iteration)
    if result is not None and reason[0] == "max_epochs" and result.nit < epochs:
        reason[0] = "converged"
    if not np.all(np.isfinite(network.params)):
        raise TrainingDiverged("L-BFGS produced non-finite weights")
    return trainer.finish(reason[0])
