"""Optimal Brain Damage: prune the weights whose deletion costs least.

LeCun, Denker & Solla (1990), "Optimal Brain Damage", NIPS 2, pp. 598-605.

Near a minimum of the training loss ``E``, deleting weight ``w_k`` (setting it
to 0) changes ``E`` by about its *saliency* (paper, eq. 5 with the diagonal and
extremal approximations)::

    s_k = h_kk w_k^2 / 2,        h_kk = d2E/dw_k^2

with ``h_kk`` from the second-order back-propagation of
:mod:`structlearn.hessian`.  The procedure (paper, section 4): train; compute
the saliencies; delete the least salient weights (set to 0 and *freeze* them,
here with the network's mask, which every optimizer honours); retrain; repeat.

:class:`OptimalBrainDamage` runs that loop with three criteria on the same
schedule, so they compare fairly: ``"obd"`` (saliency), ``"magnitude"``
(``|w|``, the usual baseline, e.g. Han et al. 2015) and ``"random"``.

Choices of ours, where the paper says nothing or differently:

* **Biases are never pruned.**  The network masks weights only (a block's
  mask has ``W``'s shape); biases are about 0.15% of LeNet-300-100 and most
  pruning work (Han et al. 2015) keeps them.  Their Hessian diagonal and
  saliency are still computed and returned.
* **Frozen blocks** (cascade-correlation freezes every installed unit's input
  weights) are left alone by default (``frozen="keep"``); ``"prune"`` deletes
  frozen weights too without retraining them, ``"unfreeze"`` makes every
  block trainable before pruning.
* **Units.**  A hidden unit with every incoming weight deleted outputs the
  constant ``f(b)``: that constant times its outgoing weights is folded into
  the consumers' biases and the unit is removed.  A unit with every outgoing
  weight deleted has no effect and is removed.  Both edits leave the
  network's function unchanged (they may change a frozen block's bias).
* **Schedule.**  Each round deletes ``prune_fraction`` of the prunable
  weights still active (a geometric schedule), until ``target_fraction`` of
  them is left.  The paper deletes "some" weights per round.
"""
from __future__ import annotations

import copy
import math
import numbers
import time

import numpy as np

from .validation import check_positive_int, check_rng
from .activations import get_activation
from .hessian import HESSIAN_MODES, block_views, hessian_diagonal, hessian_diagonal_pass
from .history import History
from .losses import get_loss
from .network import Network
from .optim import Optimizer, get_optimizer
from .train import encode_targets, evaluate, train

__all__ = ["hessian_diagonal", "block_views", "saliencies", "remove_dead_units",
           "OptimalBrainDamage", "CRITERIA"]

CRITERIA = ("obd", "magnitude", "random")
_RANKINGS = ("global", "per_block")
_FROZEN = ("keep", "prune", "unfreeze")
_TOLERANCE_METRICS = ("error", "loss")
#: rows per chunk for the Hessian and loss passes over the training set (memory bound)
_CHUNK = 10000


def saliencies(network, X, y, mode="lm", loss=None, *, hessian=None):
    """OBD saliencies ``s_k = h_kk w_k^2 / 2`` of every weight and bias.

    Parameters
    ----------
    network : Network
    X, y : training data (``y`` labels or targets, see :func:`structlearn.train.train`)
    mode : {"lm", "full"}
        Hessian diagonal used (see :func:`hessian_diagonal`).
    loss : str or Loss, optional
    hessian : ndarray, optional
        A Hessian diagonal already computed for ``network`` (then ``X``, ``y``,
        ``mode`` and ``loss`` are not used).

    Returns
    -------
    ndarray aligned with ``network.params``; masked weights get 0.
    """
    if hessian is None:
        hessian = hessian_diagonal(network, X, y, mode=mode, loss=loss)
    hessian = np.asarray(hessian)
    if hessian.shape != network.params.shape:
        raise ValueError(f"hessian must have shape {network.params.shape} (network.params), "
                         f"got {hessian.shape}")
    return 0.5 * hessian * network.params * network.params


def remove_dead_units(network):
    """Remove, **in place**, hidden units with no incoming or no outgoing weights left.

    A unit whose incoming weights are all masked outputs the constant
    ``f(b)``; that constant times its outgoing weights is added to the
    biases of the blocks that read it before it goes, so the network's
    function is unchanged.  A unit whose outgoing weights are all masked
    influences nothing.  Repeats until no such unit is left (removing a unit
    can leave the units feeding it with no outgoing weights).  A block is never
    emptied if a reader has no other input: one unit then stays.

    Returns
    -------
    int : the number of units removed.
    """
    removed = 0
    while True:
        for k in range(len(network.blocks) - 1):
            blk = network.blocks[k]
            node = k + 1
            readers = network.consumers(node)
            dead_in = (np.zeros(blk.width, bool) if blk.mask is None
                       else ~blk.mask.any(axis=0))
            alive_out = np.zeros(blk.width, bool)
            for j in readers:
                mask = network.blocks[j].mask
                rows = dict(network.source_rows(j))[node]
                alive_out |= True if mask is None else mask[rows].any(axis=1)
            units = np.flatnonzero(dead_in | ~alive_out)
            if units.size == blk.width and any(network.blocks[j].sources == (node,)
                                               for j in readers):
                units = units[1:]
            if units.size == 0:
                continue
            folded = units[dead_in[units] & alive_out[units]]
            if folded.size:
                act = get_activation(blk.activation)
                const = act.f(blk.b[folded].astype(np.float64)[None, :])[0]
                for j in readers:
                    rows = dict(network.source_rows(j))[node]
                    cblk = network.blocks[j]
                    cblk.b += (const @ cblk.W[rows][folded].astype(np.float64)).astype(cblk.b.dtype)
            network.remove_units(k, units)
            removed += units.size
            break  # indices may have shifted: rescan
        else:
            return removed


def _active_count(network, blocks):
    return int(sum(network.blocks[k].W.size if network.blocks[k].mask is None
                   else network.blocks[k].mask.sum() for k in blocks))


def _mean_metrics(network, X, T, loss):
    """Loss and accuracy over ``(X, T)`` in chunks (bounded workspace memory)."""
    n = len(X)
    total_loss = total_acc = 0.0
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        m = evaluate(network, X[lo:hi], T[lo:hi], loss)
        total_loss += m["loss"] * (hi - lo) / n
        total_acc += m.get("accuracy", np.nan) * (hi - lo) / n
    return total_loss, total_acc


def _lowest(scores, n):
    """Indices of the ``n`` lowest scores (deterministic)."""
    if n >= scores.size:
        return np.arange(scores.size)
    idx = np.argpartition(scores, n - 1, kind="introselect")[:n]
    return np.sort(idx)


def _apportion(n, counts):
    """Split ``n`` deletions over blocks in proportion to their active weights
    (largest remainder), never more than a block has."""
    counts = np.asarray(counts, dtype=np.int64)
    total = counts.sum()
    exact = n * counts / total
    quota = np.minimum(np.floor(exact).astype(np.int64), counts)
    rest = n - quota.sum()
    order = np.argsort(-(exact - quota), kind="stable")
    for i in order:
        if rest <= 0:
            break
        if quota[i] < counts[i]:
            quota[i] += 1
            rest -= 1
    return quota


class OptimalBrainDamage:
    """Iterative pruning by OBD saliency (or by magnitude, or at random), with retraining.

    LeCun, Denker & Solla (1990): train, compute saliencies, delete the
    lowest, retrain, repeat.  See the module docstring for what we decide
    where the paper is silent.

    Parameters
    ----------
    criterion : {"obd", "magnitude", "random"}, default "obd"
        Which weights go first: lowest saliency ``h w^2 / 2`` (the paper),
        lowest ``|w|``, or a random choice.  The schedule is the same for all.
    target_fraction : float in [0, 1), default 0.4
        Stop when this fraction of the prunable weights is left.  Default: the
        paper reports the error barely moving up to about 60% deletions.
    prune_fraction : float in (0, 1], default 0.2
        Fraction of the still-active prunable weights deleted per round (ours).
    retrain_epochs : int, default 20
        Training epochs after each round (0: no retraining, the paper's Fig. 1
        setting).  Ours; problem dependent.
    final_epochs : int, default 0
        Extra training epochs after the last round.
    hessian : {"lm", "full"}, default "lm"
        Hessian diagonal: Levenberg-Marquardt (the paper's choice; never
        negative) or the full Becker-LeCun recursion.  With ``"full"`` a
        saliency can be negative (a predicted *decrease*); those go first.
    ranking : {"global", "per_block"}, default "global"
        Rank all prunable weights together (the paper), or delete the same
        fraction of every block.
    prune_units : bool, default True
        Remove hidden units left with no incoming or no outgoing weights
        (function-preserving; see :func:`remove_dead_units`).
    frozen : {"keep", "prune", "unfreeze"}, default "keep"
        Frozen blocks' weights are not pruned ("keep"); are pruned but stay
        frozen ("prune"); or every block is made trainable first ("unfreeze").
    tolerance : float, optional
        Stop when the monitored quantity on the validation data (the training
        data when none is given) exceeds the unpruned network's by more than
        this, and return the network of the round before.
    tolerance_metric : {"error", "loss"}, default "error"
        The monitored quantity: error rate (1 - accuracy; classification) or
        mean loss (use it for regression).
    max_rounds : int, optional
    hidden_layer_sizes : sequence of int, default (30,)
        Only used when ``fit`` builds the network.
    activation : str, default "tanh"
        Hidden activation of a network built by ``fit``.
    output : str, optional
        Output activation of a network built by ``fit``: default softmax for
        more than two classes, sigmoid for two, linear for real targets.
    epochs : int, optional
        Initial training epochs; default 200 for a network built by ``fit``,
        0 for one passed in (assumed trained).
    loss : str, optional
        Default: the network's natural loss.
    optimizer : str or Optimizer, default "adam"
        An instance is copied, never modified.
    batch_size : int, optional
        Minibatch size for training (default full batch).
    dtype : float32 or float64, optional
        For a network built by ``fit``: default float32 if ``X`` is float32.
    callbacks : sequence of callables
        ``cb(round, network, info) -> bool`` after each round (``info`` is the
        round's history details); True stops.
    rng : int, Generator or None
        Initial weights, minibatch order and the random criterion.

    Attributes
    ----------
    network_ : Network
        The pruned (and retrained) network.
    history_ : History
        Rows of phases ``"train"``, ``"retrain"``, ``"final"`` and one ``"prune"``
        row per round; a ``weights_pruned`` event per round with the same
        details (``round``, ``deleted``, ``weights_left``, ``units_removed``,
        ``predicted_increase`` = sum of deleted saliencies, ``gradient_term`` =
        first-order term the saliency neglects, ``loss_before``,
        ``loss_pruned``, ``actual_increase`` = before retraining,
        ``loss_retrained``, ``retrained_increase``, ``total_increase`` against
        the unpruned network, validation metrics); a final ``stop`` event.
    initial_weights_ : int
        Prunable weights before pruning.
    weights_left_ : int
        Prunable weights left in ``network_``.
    n_rounds_ : int
        Pruning rounds whose result ``network_`` holds (a round undone by
        ``tolerance`` is not counted; its ``weights_pruned`` event stays in the
        history, followed by a ``restored`` event).
    """

    def __init__(self, criterion="obd", target_fraction=0.4, prune_fraction=0.2,
                 retrain_epochs=20, final_epochs=0, hessian="lm", ranking="global",
                 prune_units=True, frozen="keep", tolerance=None, tolerance_metric="error",
                 max_rounds=None,
                 hidden_layer_sizes=(30,), activation="tanh", output=None, epochs=None,
                 loss=None, optimizer="adam", batch_size=None, dtype=None, callbacks=(),
                 rng=None):
        self.criterion = criterion
        self.target_fraction = target_fraction
        self.prune_fraction = prune_fraction
        self.retrain_epochs = retrain_epochs
        self.final_epochs = final_epochs
        self.hessian = hessian
        self.ranking = ranking
        self.prune_units = prune_units
        self.frozen = frozen
        self.tolerance = tolerance
        self.tolerance_metric = tolerance_metric
        self.max_rounds = max_rounds
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output = output
        self.epochs = epochs
        self.loss = loss
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.dtype = dtype
        self.callbacks = callbacks
        self.rng = rng

    # ------------------------------------------------------------ checks
    def _check_params(self):
        def choice(value, name, options):
            if not isinstance(value, str) or value not in options:
                raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")

        def fraction(value, name, low_open, high_open):
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
            value = float(value)
            ok = (0.0 < value if low_open else 0.0 <= value) and \
                (value < 1.0 if high_open else value <= 1.0)
            if not ok:
                interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
                raise ValueError(f"{name} must be in {interval}, got {value}")
            return value

        choice(self.criterion, "criterion", CRITERIA)
        choice(self.hessian, "hessian", HESSIAN_MODES)
        choice(self.ranking, "ranking", _RANKINGS)
        choice(self.frozen, "frozen", _FROZEN)
        choice(self.tolerance_metric, "tolerance_metric", _TOLERANCE_METRICS)
        fraction(self.target_fraction, "target_fraction", False, True)
        fraction(self.prune_fraction, "prune_fraction", True, False)
        check_positive_int(self.retrain_epochs, "retrain_epochs", minimum=0)
        check_positive_int(self.final_epochs, "final_epochs", minimum=0)
        if self.epochs is not None:
            check_positive_int(self.epochs, "epochs", minimum=0)
        if self.max_rounds is not None:
            check_positive_int(self.max_rounds, "max_rounds", minimum=0)
        if self.batch_size is not None:
            check_positive_int(self.batch_size, "batch_size")
        if self.tolerance is not None:
            if not isinstance(self.tolerance, numbers.Real) or isinstance(self.tolerance, bool) \
                    or not np.isfinite(self.tolerance) or self.tolerance < 0:
                raise ValueError(f"tolerance must be a finite number >= 0 or None, "
                                 f"got {self.tolerance!r}")
        if not isinstance(self.prune_units, (bool, np.bool_)):
            raise TypeError(f"prune_units must be True or False, got {self.prune_units!r}")
        if not isinstance(self.optimizer, (str, Optimizer)):
            raise TypeError(f"optimizer must be a name or an Optimizer, got "
                            f"{type(self.optimizer).__name__}")
        if any(not callable(cb) for cb in self.callbacks):
            raise TypeError("callbacks must be callables cb(round, network, info) -> bool")

    def _build_network(self, X, y, rng):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = [check_positive_int(s, "hidden_layer_sizes") for s in sizes]
        except TypeError:
            raise TypeError(f"hidden_layer_sizes must be a sequence of positive ints, "
                            f"got {self.hidden_layer_sizes!r}") from None
        y = np.asarray(y)
        if y.ndim == 2:
            n_out, output = y.shape[1], self.output or "linear"
        elif y.ndim == 1 and y.dtype.kind in "biu":
            n_classes = int(y.max()) + 1 if y.size else 2
            n_out = 1 if n_classes <= 2 else n_classes
            output = self.output or ("sigmoid" if n_out == 1 else "softmax")
        elif y.ndim == 1:
            n_out, output = 1, self.output or "linear"
        else:
            raise ValueError(f"y must be 1-D labels or a 2-D target matrix, got shape {y.shape}")
        dtype = self.dtype
        if dtype is None:
            dtype = np.float32 if np.asarray(X).dtype == np.float32 else np.float64
        return Network.mlp([np.asarray(X).shape[1], *sizes, n_out], hidden=self.activation,
                           output=output, rng=rng, dtype=dtype)

    # --------------------------------------------------------------- fit
    def fit(self, X, y, network=None, validation=None):
        """Train (when asked), then prune round by round.

        Parameters
        ----------
        X : array (n_samples, n_inputs)
        y : labels (n_samples,) or targets (n_samples, n_outputs)
        network : Network, optional
            The network to prune (copied: the caller's is not modified).
            Default: an MLP built from ``hidden_layer_sizes`` and trained for
            ``epochs``.
        validation : (X_val, y_val), optional
            Monitored every round; used by ``tolerance``.

        Returns
        -------
        self
        """
        self._check_params()
        rng = check_rng(self.rng)
        X_arr = np.asarray(X) if not isinstance(X, np.ndarray) else X
        if X_arr.ndim != 2:
            raise ValueError(f"X must be a 2-D array (n_samples, n_inputs), got shape "
                             f"{np.shape(X)}")
        if network is None:
            net = self._build_network(X_arr, y, rng)
            epochs = 200 if self.epochs is None else self.epochs
        elif isinstance(network, Network):
            net = network.copy()
            epochs = 0 if self.epochs is None else self.epochs
        else:
            raise TypeError(f"network must be a structlearn Network or None, "
                            f"got {type(network).__name__}")
        loss = get_loss(self.loss if self.loss is not None else net.default_loss())
        loss.check_output_activation(net.blocks[-1].activation)
        X = net.check_X(X)
        T = encode_targets(y, net, loss, n_samples=len(X))
        if validation is not None:
            if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
                raise ValueError("validation must be a pair (X_val, y_val)")
            Xv = net.check_X(validation[0], "validation X")
            Tv = encode_targets(validation[1], net, loss, n_samples=len(Xv), name="validation y")
        optimizer = (copy.deepcopy(self.optimizer) if isinstance(self.optimizer, Optimizer)
                     else get_optimizer(self.optimizer))
        history = History(meta=dict(algorithm="optimal_brain_damage", criterion=self.criterion,
                                    hessian=self.hessian, ranking=self.ranking, loss=loss.name))
        start = time.perf_counter()

        def retrain(epochs, phase):
            if epochs > 0:
                train(net, X, T, loss=loss, optimizer=optimizer, epochs=epochs,
                      batch_size=self.batch_size, rng=rng, history=history, phase=phase,
                      epoch_offset=history.epochs, progress=False)

        retrain(epochs, "train")
        if self.frozen == "unfreeze":
            for k, blk in enumerate(net.blocks):
                if not blk.trainable:
                    net.freeze(k, frozen=False)

        def eligible():
            return [k for k, blk in enumerate(net.blocks)
                    if blk.trainable or self.frozen != "keep"]

        def val_metrics():
            if validation is None:
                return {}
            vl, va = _mean_metrics(net, Xv, Tv, loss)
            return {"val_loss": vl, "val_accuracy": va}

        def monitored(train_loss, train_acc, val):
            if self.tolerance_metric == "loss":
                return val.get("val_loss", train_loss)
            return 1.0 - val.get("val_accuracy", train_acc)

        base_loss, base_acc = _mean_metrics(net, X, T, loss)
        base_val = val_metrics()
        base_error = monitored(base_loss, base_acc, base_val)
        n0 = _active_count(net, eligible())
        keep = int(math.ceil(self.target_fraction * n0))
        history.meta.update(initial_weights=n0, target_weights=keep, loss_unpruned=base_loss,
                            accuracy_unpruned=base_acc, **{f"{k}_unpruned": v
                                                           for k, v in base_val.items()})
        self.initial_weights_ = n0
        H = np.empty(net.params.size, net.dtype)
        reason, rnd = "target_reached", 0
        while True:
            blocks = eligible()
            left = _active_count(net, blocks)
            if left <= keep:
                break
            if self.max_rounds is not None and rnd >= self.max_rounds:
                reason = "max_rounds"
                break
            n_del = min(max(1, int(math.ceil(self.prune_fraction * left))), left - keep)
            if H.size != net.params.size:
                H = np.empty(net.params.size, net.dtype)
            H, loss_before = hessian_diagonal_pass(net, X, T, loss, self.hessian, gradient=True,
                                                   batch_size=_CHUNK, out=H)
            params = net.params.astype(np.float64)
            sal = 0.5 * H.astype(np.float64) * params * params
            deleted = self._choose(net, blocks, sal, n_del, rng)
            predicted = float(sal[deleted].sum())
            grad_term = float(-(net.grads[deleted].astype(np.float64) * params[deleted]).sum())
            snapshot = net.copy() if self.tolerance is not None else None
            self._delete(net, deleted)
            units_removed = remove_dead_units(net) if self.prune_units else 0
            loss_pruned, acc_pruned = _mean_metrics(net, X, T, loss)
            val_pruned = {f"{k}_pruned": v for k, v in val_metrics().items()}
            retrain(self.retrain_epochs, "retrain")
            loss_after, acc_after = ((loss_pruned, acc_pruned) if self.retrain_epochs == 0
                                     else _mean_metrics(net, X, T, loss))
            val_after = val_metrics()
            rnd += 1
            info = dict(round=rnd, criterion=self.criterion, deleted=int(len(deleted)),
                        weights_left=_active_count(net, eligible()), units_removed=units_removed,
                        predicted_increase=predicted, gradient_term=grad_term,
                        loss_before=loss_before, loss_pruned=loss_pruned,
                        actual_increase=loss_pruned - loss_before, accuracy_pruned=acc_pruned,
                        loss_retrained=loss_after, retrained_increase=loss_after - loss_before,
                        total_increase=loss_after - base_loss, accuracy=acc_after,
                        **val_pruned, **val_after)
            history.log(epoch=history.epochs, phase="prune", loss=loss_after,
                        units=net.n_hidden_units, weights=net.n_active_weights,
                        seconds=time.perf_counter() - start,
                        **{k: v for k, v in info.items() if k not in ("criterion",)})
            history.event("weights_pruned", epoch=history.epochs, **info)
            if self.tolerance is not None:
                error = monitored(loss_after, acc_after, val_after)
                if error > base_error + self.tolerance:
                    net = snapshot
                    reason = "tolerance"
                    rnd -= 1  # this round is undone
                    history.event("restored", epoch=history.epochs, round=rnd,
                                  error=error, limit=base_error + self.tolerance)
                    break
            if any(cb(rnd, net, info) for cb in self.callbacks):
                reason = "callback"
                break
        retrain(self.final_epochs, "final")
        self.weights_left_ = _active_count(net, eligible())
        history.event("stop", epoch=history.epochs, reason=reason, rounds=rnd,
                      weights_left=self.weights_left_, initial_weights=n0)
        self.network_ = net
        self.history_ = history
        self.n_rounds_ = rnd
        return self

    # ------------------------------------------------------------ rounds
    def _candidates(self, net, blocks):
        """Flat indices (into ``params``) of the active weights of ``blocks``, per block."""
        out = []
        for k in blocks:
            blk = net.blocks[k]
            lo = net.block_slice(k).start
            local = (np.arange(blk.W.size) if blk.mask is None
                     else np.flatnonzero(blk.mask.ravel()))
            out.append(lo + local)
        return out

    def _scores(self, net, idx, sal, rng):
        if self.criterion == "obd":
            return sal[idx]
        if self.criterion == "magnitude":
            return np.abs(net.params[idx])
        return rng.random(idx.size)

    def _choose(self, net, blocks, sal, n_del, rng):
        per_block = self._candidates(net, blocks)
        if self.ranking == "global":
            idx = np.concatenate(per_block)
            return idx[_lowest(self._scores(net, idx, sal, rng), n_del)]
        quotas = _apportion(n_del, [len(i) for i in per_block])
        return np.concatenate([idx[_lowest(self._scores(net, idx, sal, rng), q)]
                               for idx, q in zip(per_block, quotas) if q > 0])

    @staticmethod
    def _delete(net, deleted):
        """Mask the weights at flat indices ``deleted`` (they are set to 0 and held there)."""
        for k, blk in enumerate(net.blocks):
            sl = net.block_slice(k)
            local = deleted[(deleted >= sl.start) & (deleted < sl.start + blk.W.size)] - sl.start
            if local.size == 0:
                continue
            mask = np.ones(blk.W.shape, bool) if blk.mask is None else blk.mask.copy()
            mask.reshape(-1)[local] = False
            net.set_mask(k, mask)
