"""Dynamic Node Creation (Ash 1989): grow the hidden layer until the net fits.

T. Ash, "Dynamic node creation in backpropagation networks", *Connection
Science* 1(4):365-375, 1989 (summary: Proc. IJCNN 1989,
doi:10.1109/IJCNN.1989.118509).  Rule and settings as in the project's
reference notes; what the paper does not give us is marked "ours".

The network starts with one hidden unit (or a network you give to ``fit``) and
the *whole* network trains by back-propagation; nothing is ever frozen (unlike
cascade-correlation).  With ``a_t`` the average squared error per output at
epoch ``t`` and ``t0`` the epoch of the last addition, a unit is added when

    (a_{t-w} - a_t) / a_{t0} < Delta_T   and   t - w >= t0,          (1)

so additions are at least ``w`` epochs apart and happen only when the error
curve has flattened *relative to the error the current size started from*.
Growth (and training) stops when

    a_t <= C_a   and   m_t <= C_m,                                   (2)

``m_t`` being the largest squared error over every pattern and output.  The
ratio in (1) does not depend on the error's scale, so the trigger is applied
to the training loss, which for ``loss='mse'`` is ``a_t`` times a constant.

DNC is a short policy on the shared training loop
(:class:`structlearn.train.Trainer`): after each epoch, *stop?* (rule (2),
:class:`AshCriterion`, or validation patience) and *add a unit?* (rule (1),
:func:`should_add_unit`).  A unit is added in place
(:meth:`Network.add_units <structlearn.network.Network.add_units>`) or, for a
Net2Net split, by handing the trainer the widened network; the optimizer's
state (momentum, Adam moments) for the old weights survives every addition,
carried over by weight key.  Rule (2) alone is a stop criterion any training
run can use: ``train(net, X, y, stop_when=[AshCriterion()])``.

What this module adds to the paper (Ash left the last two open):

* **validation patience** for data that cannot be fitted exactly: stop growing
  when the best validation score (``monitor``) has not improved during
  ``patience`` consecutive network sizes, return the best network seen, and
  optionally train it on at its size (``finish_patience``);
* **where to grow** in a multi-layer network (``grow_where``): round-robin over
  the hidden blocks, a fixed block, or ``'loss_estimate'``, the block whose new
  unit has the largest one-step loss-reduction estimate (see
  :func:`growth_scores`);
* **function-preserving growth**: ``init='split'`` makes the new unit a
  Net2Net split of an existing unit plus a little noise
  (:func:`structlearn.net2net.wider`); ``init='zero_out'`` gives it Ash's
  random incoming weights and zero outgoing weights.  Either way the error
  does not jump (measured in docs/dnc.md: on the Boolean tasks the split
  copies a committed unit and grows many useless ones; ``zero_out`` is as good
  as Ash's unit or better);
* **growing any network** (``fit(X, y, network=net)``): a network another
  algorithm grew, pruned or widened.  Units go to its *trainable* hidden
  blocks only (a unit in a frozen block would never train); pruned weights
  stay pruned, new units' weights are not masked.
"""
from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS, get_activation
from .estimator import Estimator
from .history import History
from .initializers import uniform
from .losses import LOSSES, Loss, get_loss
from .network import Network
from .optim import OPTIMIZERS, SGD, Optimizer, get_optimizer
from .train import Trainer, train
from .validation import InstanceOf, Interval, Options, check_number, check_rng, validate_params

__all__ = ["DynamicNodeCreation", "AshCriterion", "should_add_unit", "trigger_epochs",
           "growth_scores", "squared_error_stats", "train_to_criterion"]

#: stop reasons written in the History's final "stop" event
STOP_REASONS = ("criterion", "max_epochs", "max_units", "validation")


# ----------------------------------------------------------------- the trigger
def should_add_unit(errors, t, t0, window, trigger):
    """Ash's trigger, rule (1) of the module docstring: add a unit at epoch ``t``?

    Parameters
    ----------
    errors : sequence of float
        ``errors[s]`` is the error ``a_s`` at epoch ``s`` (index 0: the error
        of the network before training).
    t : int
        The current epoch.
    t0 : int
        The epoch at which the current network size began (the last addition,
        0 at the start).
    window : int
        ``w``: the error drop is measured over the last ``w`` epochs.
    trigger : float
        ``Delta_T``: the trigger slope.

    Returns
    -------
    bool
        True when ``t - w >= t0`` and ``(a_{t-w} - a_t) / a_{t0} < Delta_T``.
        Never True inside the window after an addition.
    """
    if t - window < t0:
        return False
    ref = errors[t0]
    if ref <= 0.0:  # a perfect fit: nothing left to gain from a new unit
        return False
    return (errors[t - window] - errors[t]) / ref < trigger


def trigger_epochs(errors, window, trigger, t0=0):
    """Epochs at which the trigger would fire along a whole error curve.

    The curve is taken as fixed (in a real run an addition changes what
    follows); each firing restarts the window, exactly as in
    :class:`DynamicNodeCreation`.  Used to check the rule on synthetic curves.

    Returns
    -------
    list of int
    """
    fired = []
    for t in range(t0 + 1, len(errors)):
        if should_add_unit(errors, t, t0, window, trigger):
            fired.append(t)
            t0 = t
    return fired


def squared_error_stats(outputs, targets):
    """``(a, m)``: the mean squared error per output and the largest squared
    error over every pattern and output (Ash's ``a_t`` and ``m_t``)."""
    d = outputs - targets
    d *= d
    return float(d.mean()), float(d.max())


# ------------------------------------------------------------ the stop rule
class AshCriterion:
    """Ash's stopping rule, (2) in the module docstring, as a stop criterion.

    ``criterion(result) -> bool`` for an epoch's
    :class:`~structlearn.train.EpochResult`: True when the mean squared error
    per output is at most ``c_a`` and the largest squared error over every
    pattern and output at most ``c_m``, measured on the whole training set.
    Use it with any training run, ``train(net, X, y, stop_when=[AshCriterion()])``
    (the stop reason is its :attr:`name`, ``"criterion"``), or call it from a
    loop over :meth:`Trainer.epochs <structlearn.train.Trainer.epochs>`, as
    :class:`DynamicNodeCreation` does.

    Full batch, it reads the outputs of the epoch's own forward pass (before
    the weight update, as in Ash's sweep: no extra pass).  With minibatches
    the epoch's loss mixes several weight settings, so a full forward pass
    with the current weights is run only when the loss makes the criterion
    plausible (for ``loss='mse'``: ``2 * loss / n_outputs <= c_a``; for any
    other loss every epoch).

    Parameters
    ----------
    c_a : float, default 0.001
        Bound on the mean squared error per output (Ash's setting).
    c_m : float, default 0.01
        Bound on the largest squared error (Ash's setting).

    Attributes
    ----------
    name : str
        ``"criterion"``: the stop reason :func:`~structlearn.train.train` writes.
    a, m : float or None
        The last values measured (None while the check was skipped).
    """

    name = "criterion"

    def __init__(self, c_a=0.001, c_m=0.01):
        self.c_a = check_number(c_a, "c_a", 0.0)
        self.c_m = check_number(c_m, "c_m", 0.0)
        self.a = self.m = None

    def __call__(self, result):
        trainer = result.trainer
        T = trainer.T
        out = result.full_batch_outputs
        self.a = self.m = None
        if out is None:
            # The minibatch losses of an epoch mix weights; check the full set
            # only when the epoch's average already looks good enough.
            a_est = 2.0 * result.loss / T.shape[1] if trainer.loss.name == "mse" else 0.0
            if a_est > self.c_a:
                return False
            out = result.outputs()
        self.a, self.m = squared_error_stats(out, T)
        return self.a <= self.c_a and self.m <= self.c_m

    def __repr__(self):
        return f"AshCriterion(c_a={self.c_a}, c_m={self.c_m})"


# --------------------------------------------------------------- where to grow
def _slope_at_zero(activation):
    """f'(0) of a hidden activation: the slope a new unit with small weights
    starts on.  ReLU's f'(0) is a convention (0 here); use the mean of its
    one-sided slopes, 1/2, as for a unit born with a tiny random bias."""
    act = get_activation(activation)
    zero = np.zeros(1)
    slope = float(act.df(zero, act.f(zero.copy()))[0])
    if slope == 0.0:
        eps = np.array([-1e-8, 1e-8])
        slope = float(np.mean(act.df(eps, act.f(eps.copy()))))
    return slope


def _whitening(A, rtol=1e-7):
    """``W`` with ``(A W)^T (A W) = I`` on the column space of ``A`` (rank-revealing)."""
    G = A.T @ A
    s, V = np.linalg.eigh(G)
    keep = s > rtol * max(s[-1], np.finfo(float).tiny)
    return V[:, keep] / np.sqrt(s[keep])


def growth_scores(network, X, T, loss):
    """One-step estimate, per hidden block, of what a new unit there would gain.

    A new unit in block ``k`` with incoming weights and bias ``v`` and outgoing
    weights ``u``, both zero, leaves the loss unchanged and its gradient in
    ``v`` zero.  Its gradient in ``u`` (``f(0)`` times the consumers' bias
    gradient) is what the consumers' biases already follow; what the new unit
    can add is in the mixed second derivative

        B = d2L / du dv = f'(0) * Delta^T A_k,      A_k = [X_k, 1]          (*)

    with ``X_k`` the values of the block's sources and ``Delta`` the consumers'
    back-propagated errors dL/dz (one column per consumer unit).  Stepping to
    ``u = eps * p``, ``v = v'`` with ``|p| = 1`` and the new unit's
    pre-activation ``A_k v'`` of root-mean-square ``eps`` lowers the loss by
    ``eps^2 * score_k`` to second order, where

        score_k = sqrt(n) * f'(0) * sigma_max(Delta^T Q_k),

    ``Q_k`` an orthonormal basis of the columns of ``A_k``.  Measuring ``v`` by
    the size of the pre-activation it makes (not by its norm) makes the score
    independent of the scale of each block's inputs (pixels, hidden values,
    spiral coordinates), so blocks can be compared.  It is GradMax's quantity
    (Evci et al., ICLR 2022) in whitened input coordinates; here it only ranks
    blocks.  Cost: one forward/backward pass (whose values and deltas are
    read from :attr:`Network.last_pass <structlearn.network.Network.last_pass>`),
    and per block a Gram matrix and a small eigen-decomposition.

    Parameters
    ----------
    network : Network
    X : array (n, n_inputs), network dtype
    T : array (n, n_outputs), encoded targets
    loss : str or Loss

    Returns
    -------
    ndarray of float, shape (number of hidden blocks,)
        The score of every hidden block (the output block excluded); NaN for
        a frozen block (a unit there would never train, and the backward pass
        may not reach its consumers).
    """
    network.loss_and_grad(X, T, loss)
    cache = network.last_pass
    values, deltas = cache.nodes, cache.deltas
    n = len(X)
    scores = []
    for k in range(len(network.blocks) - 1):
        if not network.blocks[k].trainable:
            scores.append(np.nan)
            continue
        D = np.concatenate([deltas[j] for j in network.consumers(k + 1)], axis=1)
        A = np.concatenate([values[s] for s in network.blocks[k].sources]
                           + [np.ones((n, 1), X.dtype)], axis=1).astype(np.float64)
        M = (D.T.astype(np.float64) @ A) @ _whitening(A)
        scores.append(np.sqrt(n) * _slope_at_zero(network.blocks[k].activation)
                      * float(np.linalg.norm(M, 2)))
    return np.array(scores)


# ----------------------------------------------------------------- utilities
def _batch_size(batch_size, n):
    """Patterns per update: 'auto' is eight minibatches per epoch, None full batch."""
    if batch_size == "auto":
        return max(1, n // 8)
    return n if batch_size is None else min(int(batch_size), n)


def _make_optimizer(optimizer, learning_rate, momentum, batch):
    """The optimizer of a fit: SGD with the PDP step convention, or a fresh copy of
    the one given (``fit`` must not reuse an earlier fit's state)."""
    if optimizer is None:
        return SGD(lr=learning_rate * batch, momentum=momentum)
    opt = get_optimizer(optimizer)
    if opt.full_batch_solver:
        raise ValueError(f"optimizer: Dynamic Node Creation acts between epochs and needs a "
                         f"step-wise optimizer (sgd, adam, quickprop), got {optimizer!r}")
    return type(opt)(**opt.get_params()) if opt is optimizer else opt


def _resolve_loss(loss, output):
    """``loss='auto'``: Ash's squared error, or cross-entropy for a softmax output."""
    if isinstance(loss, str) and loss == "auto":
        loss = "softmax_cross_entropy" if output == "softmax" else "mse"
    return get_loss(loss)


def _new_network(sizes, hidden, output, init_range, rng, dtype):
    """An MLP with every weight and bias uniform in [-init_range, init_range] (Ash)."""
    return Network.mlp(sizes, hidden=hidden, output=output, rng=rng, dtype=dtype,
                       init=uniform(init_range))




_positive_int = [Interval(int, 1)]

_CONSTRAINTS = {
    "initial_units": _positive_int,
    "hidden_layers": _positive_int,
    "hidden": [Options(*(name for name, act in ACTIVATIONS.items() if act.elementwise))],
    "output": [Options(*ACTIVATIONS)],
    "loss": [Options("auto", *LOSSES), InstanceOf(Loss)],
    "trigger": [Interval(float, 0.0, 1.0, closed="right")],
    "window": _positive_int,
    "c_a": [Interval(float, 0.0), None],
    "c_m": [Interval(float, 0.0), None],
    "max_units": _positive_int,
    "max_epochs": _positive_int,
    "optimizer": [Options(*OPTIMIZERS), InstanceOf(Optimizer), None],
    "learning_rate": [Interval(float, 0.0, None, closed="neither")],
    "momentum": [Interval(float, 0.0, 0.999999)],
    "batch_size": [Options("auto"), Interval(int, 1), None],
    "patience": [Interval(int, 1), None],
    "monitor": [Options("val_loss", "val_accuracy")],
    "finish_patience": [Interval(int, 1), None],
    "grow_where": [Options("round_robin", "loss_estimate"), Interval(int)],
    "init": [Options("random", "split", "zero_out")],
    "init_range": [Interval(float, 0.0, None, closed="neither")],
    "split_noise": [Interval(float, 0.0)],
    "estimate_samples": _positive_int,
    "dtype": ["float_dtype"],
    "task": [Options("auto", "classification", "regression")],
    "rng": ["rng"],
}


def train_to_criterion(network, X, y, *, loss="mse", optimizer=None, learning_rate=0.2,
                       momentum=0.9, batch_size="auto", c_a=0.001, c_m=0.01, max_epochs=100_000,
                       rng=None, history=None):
    """Train a fixed network **in place** until Ash's criterion, (2) in the
    module docstring, holds.

    The baseline DNC is compared with: the final-size network trained from
    scratch with the same optimizer, to the same criterion.  Parameters are as
    in :class:`DynamicNodeCreation` (``c_a=None``: no criterion, train
    ``max_epochs``); ``y`` follows the bare-network convention of
    :func:`~structlearn.train.train`.  The same as ``train(network, X, y,
    stop_when=[AshCriterion(c_a, c_m)], ...)`` with DNC's optimizer, batch
    size and random streams.

    Returns
    -------
    History
        Its last ``stop`` event has ``reason`` ``'criterion'`` or ``'max_epochs'``.
    """
    validate_params(dict(loss=loss, optimizer=optimizer, learning_rate=learning_rate,
                         momentum=momentum, batch_size=batch_size, c_a=c_a, c_m=c_m,
                         max_epochs=max_epochs, rng=rng),
                    {k: _CONSTRAINTS[k] for k in ("loss", "optimizer", "learning_rate",
                                                   "momentum", "batch_size", "c_a", "c_m",
                                                   "max_epochs", "rng")})
    if not isinstance(network, Network):
        raise TypeError(f"network: expected a structlearn Network, got {type(network).__name__}")
    X = network.check_X(X)
    batch = _batch_size(batch_size, len(X))
    opt = _make_optimizer(optimizer, learning_rate, momentum, batch)
    # the shuffling stream DNC would draw from the same seed
    train_rng = np.random.default_rng(check_rng(rng).integers(2**63))
    stop = [] if c_a is None else [AshCriterion(c_a, c_m)]
    return train(network, X, y, loss=_resolve_loss(loss, network.blocks[-1].activation),
                 optimizer=opt, epochs=max_epochs, batch_size=batch, stop_when=stop,
                 rng=train_rng, history=history, progress=False)


# ---------------------------------------------------------------- the class
class DynamicNodeCreation(Estimator):
    """Dynamic Node Creation (Ash 1989): add hidden units while the error flattens.

    Follows the estimator contract (:mod:`structlearn.estimator`):
    ``fit(X, y, *, network=None, validation=None)``, ``predict`` (labels or
    values), ``decision_function`` (raw outputs), ``predict_proba``, ``score``.

    Parameters
    ----------
    initial_units : int, default 1
        Units in each hidden block of a new network (Ash: 1).
    hidden_layers : int, default 1
        Hidden blocks of a new network (Ash: 1).  With more than one,
        ``grow_where`` decides which block each new unit joins.
    hidden, output : str, default 'sigmoid', 'sigmoid'
        Activations of a new network (Ash: logistic units everywhere).  Two
        classes take one output (two for a softmax), more classes one per
        class, a 0/1 target matrix one per column.
    loss : str or Loss, default 'auto'
        Training loss: 'auto' is Ash's squared error ('mse'), or softmax
        cross-entropy for a softmax output (which squared error cannot train
        here).  The trigger is applied to it; the stopping criterion always
        uses squared errors of the outputs.
    trigger : float, default 0.05
        ``Delta_T`` of the trigger (Ash's setting for the Boolean tasks).
    window : int, default 1000
        ``w`` of the trigger, in epochs (Ash's setting for the Boolean tasks).
    c_a : float or None, default 0.001
        Stop when the mean squared error per output is at most ``c_a`` and
        the largest squared error at most ``c_m`` (Ash's settings; see
        :class:`AshCriterion`).  None disables the criterion (data that cannot
        be fitted exactly).
    c_m : float, default 0.01
    max_units : int, default 50
        Cap on the hidden units (all blocks together).  When the trigger fires
        at the cap, training stops (reason ``'max_units'``).
    max_epochs : int, default 100000
        Cap on the epochs of the whole run.
    optimizer : str or Optimizer, optional
        Default: back-propagation with momentum (``SGD``) with step
        ``learning_rate * batch size`` on the mean loss, which is
        ``learning_rate`` on the loss *summed* over the patterns of a batch,
        the convention of Rumelhart, Hinton & Williams (1986) (PDP's
        ``lrate``).  An instance is copied (its settings, not its state).
        It must be step-wise (not L-BFGS).
    learning_rate : float, default 0.2
        Step on the pattern-summed loss; used only when ``optimizer`` is None.
        Ash's own learning rate and momentum are not in the sources we could
        read; 0.2 with momentum 0.9 and eight minibatches per epoch is our
        choice, from a small sweep on the Boolean tasks (docs/dnc.md): 0.3 and
        up saturate an output on a wrong pattern (a flat spot of the squared
        error no new unit can leave), 0.1 trains too slowly for w = 1000 and
        grows extra units.
    momentum : float, default 0.9
        Used only when ``optimizer`` is None (the PDP value).
    batch_size : int, None or 'auto', default 'auto'
        Patterns per weight update; None for full batch; 'auto' for eight
        minibatches per epoch (``max(1, n_samples // 8)``).  Full-batch descent
        from Ash's small initial weights stalls on parity, whose error surface
        has no first-order signal there; the minibatch noise gets it out.
    patience : int or None, default None
        With ``validation`` data in :meth:`fit`: stop growing when the best
        validation score has not improved during this many consecutive network
        sizes, and return the best network seen.
    monitor : {'val_loss', 'val_accuracy'}, default 'val_loss'
        The validation score for ``patience`` (and for the best network).
    finish_patience : int or None, default None
        With validation data: once growth has stopped (patience or
        ``max_units``), go on training the best network at its size until the
        validation score has not improved for this many epochs, and keep its
        best weights ("stop growing" need not mean "stop training"; with a
        short window the growing network never settles).  Rows of that phase
        have ``phase='finish'``.
    grow_where : {'round_robin', 'loss_estimate'} or int, default 'round_robin'
        The hidden block that receives each new unit: cycle over the trainable
        hidden blocks, the trainable block with the best :func:`growth_scores`,
        or a fixed hidden block index.  Irrelevant with one hidden block.
    init : {'random', 'split', 'zero_out'}, default 'random'
        ``'random'``: the new unit's incoming, bias and outgoing weights are
        uniform in ``[-init_range, init_range]`` (Ash).  ``'split'``: a Net2Net
        split of a random unit of the block (function-preserving up to
        ``split_noise``).  ``'zero_out'``: Ash's random incoming weights and
        bias, outgoing weights exactly 0 (function-preserving, and the new
        unit starts as a fresh feature, not a copy).
    init_range : float, default 0.1666
        Half-width of the uniform weights of new units and of a new network
        (Ash's value; the ``"ash"`` initialiser of :mod:`structlearn.initializers`).
    split_noise : float, default 0.01
        Noise passed to :func:`structlearn.net2net.wider` for ``init='split'``.
    estimate_samples : int, default 2048
        Training patterns (a fixed random subset) used by ``'loss_estimate'``.
    dtype : numpy float type, default float64
        Of a new network (a given network keeps its own).
    task : {'auto', 'classification', 'regression'}, default 'auto'
        What ``y`` is (see :mod:`structlearn.targets`).
    rng : int, Generator or None
        Source of every random choice (weights, minibatches, subsets).

    Attributes
    ----------
    network_ : Network
        The grown network (the best-validation one when ``patience`` stopped it).
    history_ : History
        Per-epoch rows (``units`` and ``weights`` give the growth curve),
        ``unit_added`` events (epoch, block, units, widths, error, init,
        scores, and the training loss just before and after the edit,
        ``loss_before`` and ``loss_after``) and one
        final ``stop`` event whose ``reason`` is one of ``'criterion'``,
        ``'max_epochs'``, ``'max_units'``, ``'validation'`` (with ``units``,
        ``best_val_epoch`` and ``finish_epochs``).
    n_epochs_ : int
    errors_ : ndarray
        The training loss the trigger saw, by epoch (index 0: before training).
    stop_reason_ : str
    cost_ : int
        Sum over epochs of the weights trained (weight-epochs).
    classes_, n_features_in_, n_outputs_, target_info_ :
        As for every estimator (:mod:`structlearn.estimator`).

    Notes
    -----
    Deviations from the paper: the trigger uses the training loss (the same
    ratio as Ash's ``a_t`` for ``loss='mse'``); validation patience,
    ``grow_where``, ``init='split'`` and growing a given network are
    extensions.  ``a_t`` and ``m_t`` are measured during the epoch's forward
    pass, before its weight update (full batch; see :class:`AshCriterion`).
    """

    _parameter_constraints = _CONSTRAINTS

    def __init__(self, *, initial_units=1, hidden_layers=1, hidden="sigmoid",
                 output="sigmoid", loss="auto", trigger=0.05, window=1000, c_a=0.001, c_m=0.01,
                 max_units=50, max_epochs=100_000, optimizer=None, learning_rate=0.2,
                 momentum=0.9, batch_size="auto", patience=None, monitor="val_loss",
                 finish_patience=None, grow_where="round_robin",
                 init="random", init_range=0.1666, split_noise=0.01, estimate_samples=2048,
                 dtype=np.float64, task="auto", rng=None):
        self.initial_units = initial_units
        self.hidden_layers = hidden_layers
        self.hidden = hidden
        self.output = output
        self.loss = loss
        self.trigger = trigger
        self.window = window
        self.c_a = c_a
        self.c_m = c_m
        self.max_units = max_units
        self.max_epochs = max_epochs
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.patience = patience
        self.monitor = monitor
        self.finish_patience = finish_patience
        self.grow_where = grow_where
        self.init = init
        self.init_range = init_range
        self.split_noise = split_noise
        self.estimate_samples = estimate_samples
        self.dtype = dtype
        self.task = task
        self.rng = rng

    # ------------------------------------------------------------ checks
    def _check_combinations(self, validation):
        """Checks that involve more than one parameter (or the fit arguments)."""
        if self.c_a is not None and self.c_m is None:
            raise ValueError("c_m: expected a number when c_a is set (the criterion needs both), "
                             "got None")
        if self.patience is not None and validation is None:
            raise ValueError("patience needs validation data: fit(X, y, validation=(X_val, y_val))")

    def _start(self, X, y, network, rng):
        """The network to grow and its loss; encodes the targets (sets ``target_info_``)."""
        if network is None:
            loss = _resolve_loss(self.loss, self.output)
            loss.check_output_activation(self.output)
            dtype = np.dtype(self.dtype)
            T = self._encode_targets(y, self.output, dtype=dtype)
            sizes = [X.shape[1]] + [self.initial_units] * self.hidden_layers + [self.n_outputs_]
            return _new_network(sizes, self.hidden, self.output, self.init_range, rng,
                                dtype), T, loss
        output = network.blocks[-1].activation
        loss = _resolve_loss(self.loss, output)
        try:
            loss.check_output_activation(output)
        except ValueError as exc:
            raise ValueError(f"network: its {output} output does not go with loss="
                             f"{self.loss!r} ({exc})") from None
        T = self._encode_targets(y, None, network=network, dtype=network.dtype)
        return network, T, loss

    @staticmethod
    def _growable_blocks(net):
        """The hidden blocks DNC may add units to: the trainable ones."""
        n_hidden = len(net.blocks) - 1
        if n_hidden == 0:
            raise ValueError("network: it has no hidden block, so Dynamic Node Creation has "
                             "nowhere to add units (give a network with at least one hidden "
                             "block)")
        blocks = [k for k in range(n_hidden) if net.blocks[k].trainable]
        if not blocks:
            raise ValueError(
                f"network: it has no trainable hidden block (hidden blocks "
                f"{list(range(n_hidden))} are frozen, as cascade-correlation leaves the units it "
                "installs); Dynamic Node Creation trains the whole network and a unit added to a "
                "frozen block would never train. Unfreeze the blocks to grow first: "
                "net.freeze(k, frozen=False)")
        return blocks

    def _check_grow_where(self, net, blocks):
        if isinstance(self.grow_where, str):
            return
        n_hidden = len(net.blocks) - 1
        gw = int(self.grow_where)
        if not -n_hidden <= gw < n_hidden:
            raise ValueError(f"grow_where: expected a hidden block index in "
                             f"[0, {n_hidden - 1}], got {gw}")
        if gw % n_hidden not in blocks:
            raise ValueError(f"grow_where: hidden block {gw % n_hidden} of the network is "
                             "frozen, and a unit added there would never train (trainable "
                             f"hidden blocks: {blocks}; unfreeze with "
                             "net.freeze(k, frozen=False))")

    def _monitored(self, row):
        """The validation score of an epoch's row, lower is better."""
        return row["val_loss"] if self.monitor == "val_loss" else -row["val_accuracy"]

    # ---------------------------------------------------------------- fit
    def _fit(self, X, y, *, network, validation):
        """Grow and train a network on ``(X, y)`` (see :meth:`Estimator.fit
        <structlearn.estimator.Estimator.fit>`; ``validation`` is monitored every
        epoch and, with ``patience``, stops the growth)."""
        self._check_combinations(validation)
        rng = check_rng(self.rng)
        net, T, loss = self._start(X, y, network, rng)
        blocks = self._growable_blocks(net)
        self._check_grow_where(net, blocks)
        if net.n_hidden_units > self.max_units:
            start = ("the network given to fit" if network is not None
                     else "initial_units x hidden_layers")
            raise ValueError(f"max_units: expected at least the {net.n_hidden_units} hidden units "
                             f"the growth starts from ({start}), got {self.max_units}")
        if self.monitor == "val_accuracy" and not self.target_info_.is_classification:
            raise ValueError("monitor: 'val_accuracy' needs class targets; use 'val_loss' for "
                             "regression")
        validation = self._encode_validation(validation, dtype=net.dtype)
        n = len(X)
        batch = _batch_size(self.batch_size, n)
        opt = _make_optimizer(self.optimizer, self.learning_rate, self.momentum, batch)
        train_rng = np.random.default_rng(rng.integers(2**63))
        est_idx = (np.sort(rng.choice(n, self.estimate_samples, replace=False))
                   if n > self.estimate_samples else None)

        hist = History()
        params = {k: v for k, v in self.get_params().items()
                  if k not in ("optimizer", "dtype", "rng")}
        params["loss"] = loss.name if isinstance(self.loss, Loss) else self.loss
        hist.meta.update(algorithm="dynamic_node_creation", params=params)
        trainer = Trainer(net, X, T, loss=loss, optimizer=opt, batch_size=batch,
                          validation=validation, targets=self.target_info_, rng=train_rng,
                          history=hist, progress=False)
        ash = AshCriterion(self.c_a, self.c_m) if self.c_a is not None else None
        X, T = trainer.X, trainer.T
        # errors[t] = a_t; index 0 is the starting network's loss (Ash's a_{t0} at t0 = 0).
        errors = [float(net.loss_and_grad(X, T, loss))]
        t0 = additions = sizes_without_gain = 0
        best = (np.inf, 0, None)  # (validation score, epoch, network copy)
        improved = False
        reason = "max_epochs"
        for result in trainer.epochs(self.max_epochs):
            net, t = trainer.network, result.epoch
            errors.append(result.loss)
            # --- stop?
            if ash is not None and ash(result):
                reason = "criterion"
                break
            if validation is not None:
                score = self._monitored(result.row)
                if score < best[0]:
                    best = (score, t, net.copy())
                    improved = True
            # --- add a unit?
            if t >= self.max_epochs or not should_add_unit(errors, t, t0, self.window,
                                                           self.trigger):
                continue
            if self.patience is not None:
                sizes_without_gain = 0 if improved else sizes_without_gain + 1
                improved = False
                if sizes_without_gain >= self.patience:
                    reason = "validation"
                    break
            if net.n_hidden_units >= self.max_units:
                reason = "max_units"
                break
            block, scores = self._choose_block(net, blocks, additions, X, T, est_idx, loss)
            # The training loss just before and just after the edit (no step in
            # between): how much the new unit disturbs the function.
            before = float(net.loss_and_grad(X, T, loss))
            grown = self._add_unit(net, block, rng)
            if grown is not net:
                trainer.network = grown  # a new object (split): train it from now on
            after = float(grown.loss_and_grad(X, T, loss))
            additions += 1
            t0 = t
            hist.event("unit_added", epoch=t, block=block, units=grown.n_hidden_units,
                       widths=[b.width for b in grown.blocks[:-1]], error=errors[t],
                       init=self.init, scores=scores, loss_before=before, loss_after=after)
        t = hist.epochs
        if reason == "validation" and best[2] is not None:
            trainer.network = best[2]
        finish = 0
        if (self.finish_patience is not None and validation is not None and t < self.max_epochs
                and reason in ("validation", "max_units")):
            finish = self._finish(trainer, best, t)
        net = trainer.network
        trainer.finish(reason, units=net.n_hidden_units,
                       best_val_epoch=best[1] if validation is not None else None,
                       finish_epochs=finish)
        self.network_ = net
        self.history_ = hist
        self.n_epochs_ = hist.epochs
        self.errors_ = np.array(errors)
        self.stop_reason_ = reason
        self.cost_ = int(np.sum(hist.column("weights")))

    def _finish(self, trainer, best, t):
        """Train the final network at its size with early stopping on validation;
        keep its best weights.  Returns the epochs trained."""
        net = trainer.network
        keep = {"score": best[0] if best[2] is not None else np.inf,
                "params": net.params.copy(), "epoch": t}
        trainer.phase = "finish"
        for result in trainer.epochs(self.max_epochs - t):
            score = self._monitored(result.row)
            if score < keep["score"]:
                keep.update(score=score, params=net.params.copy(), epoch=result.epoch)
            if result.epoch - keep["epoch"] >= self.finish_patience:
                break
        net.params[:] = keep["params"]
        return trainer.history.epochs - t

    # ------------------------------------------------------------ growing
    def _choose_block(self, net, blocks, additions, X, T, est_idx, loss):
        """The hidden block that gets the next unit (among the trainable ``blocks``)."""
        n_hidden = len(net.blocks) - 1
        if not isinstance(self.grow_where, str):
            return int(self.grow_where) % n_hidden, None
        if self.grow_where == "round_robin" or len(blocks) == 1:
            return blocks[additions % len(blocks)], None
        Xs, Ts = (X, T) if est_idx is None else (X[est_idx], T[est_idx])
        scores = growth_scores(net, Xs, Ts, loss)
        return blocks[int(np.argmax(scores[blocks]))], scores.tolist()

    def _add_unit(self, net, block, rng):
        """Add one unit to ``block``: in place (returns ``net``) or, for a split, a new network."""
        if self.init in ("random", "zero_out"):
            net.add_units(block, 1, init_range=self.init_range, rng=rng,
                          outgoing=0.0 if self.init == "zero_out" else None)
            return net
        from .net2net import wider  # the shared Net2WiderNet split
        return wider(net, block, net.blocks[block].width + 1, noise=self.split_noise, rng=rng)
