"""Optimal Brain Damage: prune the weights whose deletion costs least.

LeCun, Denker & Solla (1990), "Optimal Brain Damage", NIPS 2, pp. 598-605.

Near a minimum of the training loss ``E``, deleting weight ``w_k`` (setting it
to 0) changes ``E`` by about its *saliency*: the paper's second-order expansion
of the change of the objective (its eq. 1) under the "diagonal", "extremal" and
"quadratic" approximations, for the single change ``dw_k = -w_k``, which step 4
of the paper's procedure states (unnumbered)::

    s_k = h_kk w_k^2 / 2,        h_kk = d2E/dw_k^2

with ``h_kk`` from the second-order back-propagation of
:mod:`structlearn.hessian`.  The procedure (paper, section 4): train; compute
the saliencies; delete the least salient weights (set to 0 and *freeze* them,
here with the network's mask, which every optimizer honours); retrain; repeat.

:class:`OptimalBrainDamage` runs that loop with four criteria on the same
schedule, so they compare fairly: ``"obd"`` (saliency), ``"obs"`` (Optimal
Brain Surgeon, Hassibi & Stork 1993: saliency ``w_q^2 / (2 [H^-1]_qq)`` and a
compensating update of the other weights, :mod:`structlearn.obs`),
``"magnitude"`` (``|w|``, the usual baseline, e.g. Han et al. 2015) and
``"random"``.

The saliency is not the paper's eq. 5 (that is the weight-sharing sum
``h_kk = sum over the connections sharing u_k of d2E/da_i^2 x_j^2``; without
weight sharing it has one term).  The paper's objective is the squared error;
ours is the network's training loss, by default the cross-entropy for sigmoid
and softmax outputs (pass ``loss="mse"`` for the paper's).

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

from .activations import ACTIVATIONS, get_activation
from .estimator import Estimator
from .hessian import HESSIAN_MODES, block_views, hessian_diagonal, hessian_diagonal_pass
from .history import History
from .losses import LOSSES, Loss, get_loss
from .network import Network
from .curvature import check_small, mean_loss_and_gradient
from .obs import (OBS_BLOCKS, check_obs_size, damped_inverse, obs_hessian_for, obs_parts,
                  obs_select_parts)
from .optim import Optimizer, get_optimizer
from .train import evaluate, train
from .validation import Check, InstanceOf, Interval, Options, check_array, check_each, check_rng

__all__ = ["hessian_diagonal", "block_views", "saliencies", "remove_dead_units",
           "OptimalBrainDamage", "CRITERIA"]

CRITERIA = ("obd", "obs", "magnitude", "random")
_RANKINGS = ("global", "per_block")
_FROZEN = ("keep", "prune", "unfreeze")
_TOLERANCE_METRICS = ("auto", "error", "loss")
_SELECT = ("last", "best", "smallest")
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
    if not isinstance(network, Network):
        raise TypeError(f"network: expected a structlearn Network, got "
                        f"{type(network).__name__}")
    if hessian is None:
        hessian = hessian_diagonal(network, X, y, mode=mode, loss=loss)
    else:
        hessian = check_array(hessian, "hessian", ndim=None)
    if hessian.shape != network.params.shape:
        raise ValueError(f"hessian: expected shape {network.params.shape} (network.params), "
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
    if not isinstance(network, Network):
        raise TypeError(f"network: expected a structlearn Network, got "
                        f"{type(network).__name__}")
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


def _mean_metrics(network, X, T, loss, targets):
    """Loss and score (accuracy of the decoded class, whole patterns for multi-label
    targets, or R^2 for regression) over ``(X, T)``, in chunks of :data:`_CHUNK` rows
    (bounded workspace memory).  ``T`` is encoded; ``targets`` says how to read it."""
    m = evaluate(network, X, T, loss, targets=targets, batch_size=_CHUNK)
    return m["loss"], m["score"]


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


def _sizes(value):
    """``hidden_layer_sizes`` as a tuple (an int is one layer)."""
    return (value,) if isinstance(value, numbers.Integral) else tuple(value)






_SEQUENCE = (tuple, list, np.ndarray)
_HIDDEN = tuple(name for name, act in ACTIVATIONS.items() if act.elementwise)


class OptimalBrainDamage(Estimator):
    """Iterative pruning by OBD saliency (or by magnitude, or at random), with retraining.

    LeCun, Denker & Solla (1990): train, compute saliencies, delete the
    lowest, retrain, repeat.  See the module docstring for what we decide
    where the paper is silent.

    An estimator with the contract of :mod:`structlearn.estimator`:
    ``fit(X, y, *, network=None, validation=None)``, then ``predict``,
    ``decision_function``, ``predict_proba`` (classification), ``score``.
    ``fit`` prunes a copy of ``network`` when one is given (any network: an
    MLP, a cascade grown by cascade-correlation, a Net2Net student, one DNC
    grew), else an MLP it builds from ``hidden_layer_sizes`` and trains for
    ``epochs``.

    Parameters
    ----------
    criterion : {"obd", "obs", "magnitude", "random"}, default "obd"
        Which weights go first: lowest saliency ``h w^2 / 2`` (the paper),
        lowest OBS saliency ``w^2 / (2 [H^-1]_qq)`` one at a time, each
        followed by OBS's compensating update of the other weights and biases of
        the pruned blocks (Hassibi & Stork 1993; small networks only, see
        :mod:`structlearn.obs`), lowest ``|w|``, or a random choice.  The
        schedule is the same for all.
    target_fraction : float in [0, 1), default 0.4
        Stop when this fraction of the prunable weights is left.  Default: the
        paper reports the error barely moving up to about 60% deletions.
    prune_fraction : float in (0, 1], default 0.2
        Fraction of the still-active prunable weights deleted per round (ours).
    retrain_epochs : int, default 20
        Training epochs after each round (0: no retraining, the paper's Fig. 1
        setting).  Ours; problem dependent.
    retrain_patience : int, optional
        Stop each round's retraining after this many epochs without improvement
        of the validation loss (the training loss when no ``validation`` is
        given) and put back the weights of its best epoch; ``retrain_epochs`` is
        then the most a round trains.  Default None: every round trains
        ``retrain_epochs`` (ours).
    final_epochs : int, default 0
        Extra training epochs after the last round.
    hessian : {"lm", "full", "exact"}, optional
        Default ``"lm"`` for ``"obd"``, ``"exact"`` for ``"obs"``.  Hessian
        diagonal: Levenberg-Marquardt (the paper's choice; never
        negative), the full Becker-LeCun recursion, or the exact diagonal
        (:mod:`structlearn.curvature`, small networks only).  With ``"full"``
        or ``"exact"`` a saliency can be negative (a predicted *decrease*);
        those go first.  For ``criterion="obs"`` the whole matrix: ``"lm"`` is
        the Gauss-Newton (outer-product) matrix Hassibi & Stork use, ``"exact"``
        the exact Hessian; ``"full"`` (a diagonal recursion) is an error.
    damping : float >= 0, default 1e-4
        OBS only: the inverse is of ``H + lambda I``, ``lambda = damping *
        mean(diag H)``, raised tenfold until positive definite
        (:func:`structlearn.obs.damped_inverse`); per Hessian block.
    obs_blocks : {"full", "layer", "unit"}, default "full"
        OBS only: invert the whole Hessian of the variables (at most 4,096), or
        its block-diagonal approximation with one block per network block
        (``"layer"``, exact or Gauss-Newton blocks) or per unit (``"unit"``:
        the unit's incoming weights and bias, curvatures from OBD's recursion,
        ``hessian`` "lm" (default) or "full"; the layer-wise OBS of Dong et al.
        2017 weighted by the loss's curvature).  See :mod:`structlearn.obs`.
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
    select : {"last", "best", "smallest"}, default "last"
        Which network of the pruning path to return (ours; the stopping point
        chosen on validation data).  ``"last"``: the last round's (the target
        size, or the round before the ``tolerance`` stop).  ``"best"``: of the
        unpruned network and every round's retrained one, the one with the
        lowest monitored quantity on the validation data (ties: the smaller
        network).  ``"smallest"``: the smallest whose monitored quantity is at
        most the unpruned network's plus ``tolerance`` (0 when None): "as small
        as possible without losing validation accuracy".  Pruning runs to
        ``target_fraction`` (which is then a floor) unless ``tolerance`` stops
        it first with ``"last"`` or ``"best"``.  Without ``validation`` the
        training data are monitored (then ``"best"`` rarely prunes).
        ``final_epochs`` train the chosen network.
    tolerance_metric : {"auto", "error", "loss"}, default "auto"
        The monitored quantity: the error rate (1 - accuracy of the decoded
        class, or of whole patterns for multi-label targets, as
        :func:`~structlearn.train.evaluate` scores them) or the mean loss.
        ``"auto"``: the error rate for classification, the loss for
        regression.  ``"error"`` with regression targets (and a
        ``tolerance``) is an error: there is no error rate to monitor.
    max_rounds : int, optional
    hidden_layer_sizes : int or sequence of int, default (30,)
        Only used when ``fit`` builds the network.
    activation : str, default "tanh"
        Hidden activation of a network built by ``fit``.
    output : str, optional
        Output activation of a network built by ``fit``.  Default, from the
        kind of ``y`` (:mod:`structlearn.targets`): sigmoid with one output
        for two classes, softmax for more, sigmoid outputs for multi-label
        0/1 targets, linear for real-valued targets.
    task : {"auto", "classification", "regression"}, default "auto"
        How to read ``y`` (:func:`structlearn.targets.target_kind`): 1-D
        integers, strings or other objects are class labels, 1-D floats are
        regression targets, a 2-D 0/1 matrix is multi-label.
    epochs : int, optional
        Initial training epochs; default 200 for a network built by ``fit``,
        0 for one passed in (assumed trained).
    loss : str or Loss, optional
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
        the unpruned network, ``accuracy`` / ``accuracy_pruned`` for
        classification or ``r2`` / ``r2_pruned`` for regression, validation
        metrics); a final ``stop`` event.
    classes_ : ndarray
        The class labels (classification only).
    n_features_in_, n_outputs_ : int
    target_info_ : TargetInfo
        How targets are encoded and outputs decoded (:mod:`structlearn.targets`).
    n_epochs_ : int
        Training epochs in all (initial training, retraining, final epochs).
    stop_reason_ : str
        ``"target_reached"``, ``"max_rounds"``, ``"tolerance"`` or ``"callback"``.
    initial_weights_ : int
        Prunable weights before pruning.
    weights_left_ : int
        Prunable weights left in ``network_``.
    damping_used_ : list of float
        OBS only: the damping ``lambda`` of each round's inverse.
    n_rounds_ : int
        Pruning rounds whose result ``network_`` holds (a round undone by
        ``tolerance`` is not counted; its ``weights_pruned`` event stays in the
        history, followed by a ``restored`` event).  With ``select`` "best" or
        "smallest": the round chosen (0: the unpruned network), announced by a
        ``selected`` event when it is not the last.
    """

    _parameter_constraints = {
        "criterion": [Options(*CRITERIA)],
        "target_fraction": [Interval(float, 0, 1, closed="left")],
        "prune_fraction": [Interval(float, 0, 1, closed="right")],
        "retrain_epochs": [Interval(int, 0)],
        "retrain_patience": [None, Interval(int, 1)],
        "final_epochs": [Interval(int, 0)],
        "hessian": [None, Options(*HESSIAN_MODES)],
        "damping": [Interval(float, 0)],
        "obs_blocks": [Options(*OBS_BLOCKS)],
        "ranking": [Options(*_RANKINGS)],
        "prune_units": ["boolean"],
        "frozen": [Options(*_FROZEN)],
        "tolerance": [None, Interval(float, 0)],
        "tolerance_metric": [Options(*_TOLERANCE_METRICS)],
        "select": [Options(*_SELECT)],
        "max_rounds": [None, Interval(int, 0)],
        "hidden_layer_sizes": [Interval(int, 1), InstanceOf(_SEQUENCE, "a sequence of ints >= 1")],
        "activation": [Options(*_HIDDEN)],
        "output": [None, Options(*ACTIVATIONS)],
        "task": [Options("auto", "classification", "regression")],
        "epochs": [None, Interval(int, 0)],
        "loss": [None, Options(*LOSSES), InstanceOf(Loss)],
        "optimizer": [str, InstanceOf(Optimizer)],
        "batch_size": [None, Interval(int, 1)],
        "dtype": [None, "float_dtype"],
        "callbacks": [InstanceOf(_SEQUENCE, "a sequence of callables "
                                            "cb(round, network, info) -> bool")],
        "rng": ["rng"],
    }

    def __init__(self, criterion="obd", target_fraction=0.4, prune_fraction=0.2,
                 retrain_epochs=20, final_epochs=0, hessian=None, damping=1e-4,
                 obs_blocks="full", ranking="global",
                 prune_units=True, frozen="keep", tolerance=None, tolerance_metric="auto",
                 select="last", max_rounds=None, retrain_patience=None,
                 hidden_layer_sizes=(30,), activation="tanh", output=None, task="auto",
                 epochs=None, loss=None, optimizer="adam", batch_size=None, dtype=None,
                 callbacks=(), rng=None):
        self.criterion = criterion
        self.target_fraction = target_fraction
        self.prune_fraction = prune_fraction
        self.retrain_epochs = retrain_epochs
        self.final_epochs = final_epochs
        self.hessian = hessian
        self.damping = damping
        self.obs_blocks = obs_blocks
        self.ranking = ranking
        self.prune_units = prune_units
        self.frozen = frozen
        self.tolerance = tolerance
        self.tolerance_metric = tolerance_metric
        self.select = select
        self.max_rounds = max_rounds
        self.retrain_patience = retrain_patience
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output = output
        self.task = task
        self.epochs = epochs
        self.loss = loss
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.dtype = dtype
        self.callbacks = callbacks
        self.rng = rng

    # ------------------------------------------------------------ checks
    def _validate_params(self):
        super()._validate_params()
        check_each("hidden_layer_sizes", _sizes(self.hidden_layer_sizes), [Interval(int, 1)])
        check_each("callbacks", self.callbacks,
                    [Check(callable, "a callable cb(round, network, info) -> bool")],
                    allow_empty=True)

    _OUTPUTS = {"binary": "sigmoid", "multiclass": "softmax", "multilabel": "sigmoid",
                "regression": "linear"}

    def _build_network(self, X, y, rng, input_dtype):
        """An MLP for ``y`` (its output from the kind of target) and ``y`` encoded for it."""
        dtype = self.dtype
        if dtype is None:
            dtype = np.float32 if input_dtype == np.float32 else np.float64
        output = self.output or self._OUTPUTS[self._target_kind(y)]
        T = self._encode_targets(y, output, dtype=dtype)
        net = Network.mlp([X.shape[1], *_sizes(self.hidden_layer_sizes), self.n_outputs_],
                          hidden=self.activation, output=output, rng=rng, dtype=dtype)
        return net, T

    # --------------------------------------------------------------- fit
    def fit(self, X, y, *, network=None, validation=None):
        """Train (when asked), then prune round by round.

        Parameters
        ----------
        X : array (n_samples, n_features)
        y : array
            Class labels (any hashable values of one type), a 0/1 target matrix
            (multi-label) or real-valued targets (see ``task``).
        network : Network, optional
            The network to prune: a copy is pruned, the caller's is never
            changed.  Its output block must match ``y`` (one output for two
            classes, or two; one per class; one per target column).  Trained
            for ``epochs`` first (default 0: it is taken as trained).
            Default: an MLP built from ``hidden_layer_sizes`` and trained for
            ``epochs`` (default 200).
        validation : (X_val, y_val), optional
            Monitored every round; used by ``tolerance``.

        Returns
        -------
        self
        """
        return super().fit(X, y, network=network, validation=validation,
                           input_dtype=getattr(X, "dtype", None))

    def _fit(self, X, y, *, network, validation, input_dtype=None):
        rng = check_rng(self.rng)
        if network is None:
            net, T = self._build_network(X, y, rng, input_dtype)
            epochs = 200 if self.epochs is None else self.epochs
        else:
            net = network
            T = self._encode_targets(y, None, network=net, dtype=net.dtype)
            epochs = 0 if self.epochs is None else self.epochs
        info = self.target_info_
        loss = get_loss(self.loss if self.loss is not None else net.default_loss())
        loss.check_output_activation(net.blocks[-1].activation)
        metric = self.tolerance_metric
        if metric == "auto":
            metric = "error" if info.is_classification else "loss"
        elif (metric == "error" and not info.is_classification
              and (self.tolerance is not None or self.select != "last")):
            raise ValueError("tolerance_metric: 'error' needs class labels (an error rate to "
                             "monitor), but y holds real-valued (regression) targets; use "
                             "'loss' or 'auto'")
        score_name = "accuracy" if info.is_classification else "r2"
        X = net.check_X(X)
        val = self._encode_validation(validation, dtype=net.dtype)
        if val is not None:
            Xv, Tv = val[0].astype(net.dtype, copy=False), val[1]
        optimizer = (copy.deepcopy(self.optimizer) if isinstance(self.optimizer, Optimizer)
                     else get_optimizer(self.optimizer))
        if self.criterion == "obs":
            hessian = obs_hessian_for(self.obs_blocks, self.hessian)
        else:
            hessian = self.hessian or "lm"
        history = History(meta=dict(algorithm="optimal_brain_damage", criterion=self.criterion,
                                    hessian=hessian, ranking=self.ranking, loss=loss.name,
                                    target_kind=info.kind))
        start = time.perf_counter()

        def retrain(epochs, phase):
            if epochs > 0:
                stop = dict(early_stopping=self.retrain_patience, restore_best=True,
                            validation=None if val is None else (Xv, Tv))
                train(net, X, T, loss=loss, optimizer=optimizer, epochs=epochs,
                      batch_size=self.batch_size, rng=rng, history=history, phase=phase,
                      epoch_offset=history.epochs, progress=False, targets=info,
                      **(stop if phase == "retrain" and self.retrain_patience else {}))

        retrain(epochs, "train")
        if self.frozen == "unfreeze":
            for k, blk in enumerate(net.blocks):
                if not blk.trainable:
                    net.freeze(k, frozen=False)

        def eligible():
            return [k for k, blk in enumerate(net.blocks)
                    if blk.trainable or self.frozen != "keep"]

        def metrics(X_, T_):
            return _mean_metrics(net, X_, T_, loss, info)

        def val_metrics():
            if val is None:
                return {}
            vl, vs = metrics(Xv, Tv)
            return {"val_loss": vl, f"val_{score_name}": vs}

        def monitored(train_loss, train_score, val_):
            if metric == "loss":
                return val_.get("val_loss", train_loss)
            return 1.0 - val_.get("val_accuracy", train_score)

        base_loss, base_score = metrics(X, T)
        base_val = val_metrics()
        base_error = monitored(base_loss, base_score, base_val)
        n0 = _active_count(net, eligible())
        keep = int(math.ceil(self.target_fraction * n0))
        history.meta.update(initial_weights=n0, target_weights=keep, loss_unpruned=base_loss,
                            **{f"{score_name}_unpruned": base_score},
                            **{f"{k}_unpruned": v for k, v in base_val.items()})
        self.initial_weights_ = n0
        if self.criterion == "obs":
            check_obs_size(net, eligible(), self.obs_blocks)
        elif self.criterion == "obd" and hessian == "exact":
            check_small(net, "exact Hessian diagonal")
        self.damping_used_ = []
        # the pruning path, for select="best"/"smallest": (monitored, weights, round, network)
        path = [] if self.select == "last" else [(base_error, n0, 0, net.copy())]
        smallest_limit = base_error + (self.tolerance or 0.0)
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
            snapshot = net.copy() if self.tolerance is not None else None
            if self.criterion == "obs":
                deleted, predicted, grad_term, loss_before = self._obs_round(
                    net, X, T, loss, blocks, n_del, hessian)
            else:
                if H.size != net.params.size:
                    H = np.empty(net.params.size, net.dtype)
                H, loss_before = hessian_diagonal_pass(net, X, T, loss, hessian,
                                                       gradient=True, batch_size=_CHUNK, out=H)
                params = net.params.astype(np.float64)
                sal = 0.5 * H.astype(np.float64) * params * params
                deleted = self._choose(net, blocks, sal, n_del, rng)
                predicted = float(sal[deleted].sum())
                grad_term = float(-(net.grads[deleted].astype(np.float64) * params[deleted]).sum())
            self._delete(net, deleted)
            units_removed = remove_dead_units(net) if self.prune_units else 0
            loss_pruned, score_pruned = metrics(X, T)
            val_pruned = {f"{k}_pruned": v for k, v in val_metrics().items()}
            retrain(self.retrain_epochs, "retrain")
            loss_after, score_after = ((loss_pruned, score_pruned) if self.retrain_epochs == 0
                                       else metrics(X, T))
            val_after = val_metrics()
            rnd += 1
            details = dict(round=rnd, criterion=self.criterion, deleted=int(len(deleted)),
                           weights_left=_active_count(net, eligible()),
                           units_removed=units_removed, predicted_increase=predicted,
                           gradient_term=grad_term, loss_before=loss_before,
                           loss_pruned=loss_pruned, actual_increase=loss_pruned - loss_before,
                           loss_retrained=loss_after, retrained_increase=loss_after - loss_before,
                           total_increase=loss_after - base_loss,
                           **{f"{score_name}_pruned": score_pruned, score_name: score_after},
                           **val_pruned, **val_after)
            history.log(epoch=history.epochs, phase="prune", loss=loss_after,
                        units=net.n_hidden_units, weights=net.n_active_weights,
                        seconds=time.perf_counter() - start,
                        **{k: v for k, v in details.items() if k not in ("criterion",)})
            history.event("weights_pruned", epoch=history.epochs, **details)
            error = monitored(loss_after, score_after, val_after)
            if path:
                path.append((error, details["weights_left"], rnd, net.copy()))
            if self.tolerance is not None and self.select != "smallest":
                if error > base_error + self.tolerance:
                    net = snapshot
                    reason = "tolerance"
                    rnd -= 1  # this round is undone
                    history.event("restored", epoch=history.epochs, round=rnd,
                                  error=error, limit=base_error + self.tolerance)
                    path = path[:-1]
                    break
            if any(cb(rnd, net, details) for cb in self.callbacks):
                reason = "callback"
                break
        if path:
            if self.select == "best":
                chosen = min(path, key=lambda p: (p[0], p[1]))
            else:
                chosen = min((p for p in path if p[0] <= smallest_limit + 1e-12),
                             key=lambda p: p[1])
            if chosen[2] != rnd:
                history.event("selected", epoch=history.epochs, round=chosen[2],
                              monitored=chosen[0], select=self.select, last_round=rnd)
            net, rnd = chosen[3], chosen[2]
        retrain(self.final_epochs, "final")
        self.weights_left_ = _active_count(net, eligible())
        history.event("stop", epoch=history.epochs, reason=reason, rounds=rnd,
                      weights_left=self.weights_left_, initial_weights=n0)
        self.network_ = net
        self.history_ = history
        self.n_rounds_ = rnd
        self.n_epochs_ = sum(1 for r in history.rows if r["phase"] != "prune")
        self.stop_reason_ = reason
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

    def _scores(self, net, idx, sal, rng):  # obd, magnitude, random (obs: _obs_round)
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

    def _obs_round(self, net, X, T, loss, blocks, n_del, hessian):
        """One OBS round: ``n_del`` deletions from one (damped) Hessian of the variables of
        ``blocks`` (or its block-diagonal approximation, ``obs_blocks``), each with its
        compensating update (:func:`structlearn.obs.obs_select_parts`).

        Returns the deleted flat indices, the predicted increase (sum of the sequential
        saliencies), the first-order term ``g . dw`` the model neglects, and the loss before."""
        loss_before = mean_loss_and_gradient(net, X, T, loss, _CHUNK)
        grads = net.grads.astype(np.float64)
        per_block = self._candidates(net, blocks)
        prunable = np.zeros(net.params.size, bool)
        prunable[np.concatenate(per_block)] = True
        group_of = np.full(net.params.size, -1, np.int64)
        for g, idx in enumerate(per_block):
            group_of[idx] = g
        quotas = None
        if self.ranking == "per_block":
            quotas = _apportion(n_del, [len(i) for i in per_block])
        parts, lams = [], []
        for S, Hs in obs_parts(net, X, T, loss, blocks, self.obs_blocks, hessian,
                               batch_size=_CHUNK):
            Hinv, lam = damped_inverse(Hs, self.damping)
            lams.append(lam)
            cand = np.flatnonzero(prunable[S])
            parts.append((S, Hinv, net.params[S].astype(np.float64), cand, group_of[S[cand]]))
        self.damping_used_.append(max(lams) if lams else 0.0)
        w0 = [w.copy() for _, _, w, _, _ in parts]
        which, pos, costs = obs_select_parts([(Hi, w, c, g) for _, Hi, w, c, g in parts], n_del,
                                             quotas=quotas)
        grad_term = 0.0
        for (S, _, w, _, _), start in zip(parts, w0):
            if np.any(w != start):
                net.params[S] = w.astype(net.dtype)
                grad_term += float(grads[S] @ (w - start))
        gone = np.array([parts[p][0][q] for p, q in zip(which, pos)], dtype=np.int64)
        return np.sort(gone), float(costs.sum()), grad_term, loss_before

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
