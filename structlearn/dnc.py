"""Dynamic Node Creation (Ash 1989): grow the hidden layer until the net fits.

T. Ash, "Dynamic node creation in backpropagation networks", *Connection
Science* 1(4):365-375, 1989 (summary: Proc. IJCNN 1989,
doi:10.1109/IJCNN.1989.118509).  Rule and settings as in the project's
reference notes; what the paper does not give us is marked "ours".

The network starts with one hidden unit (or a network you give it) and the
*whole* network trains by back-propagation; nothing is ever frozen (unlike
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
  as Ash's unit or better).

The optimizer's state (momentum, Adam moments) for the old weights survives
every addition: the shared optimizers carry it over by parameter key.
"""
from __future__ import annotations

import numbers

import numpy as np

from .validation import check_array, check_positive_int, check_rng
from .activations import get_activation
from .history import History
from .losses import get_loss
from .network import Network
from .optim import SGD, Optimizer, get_optimizer
from .train import encode_targets, train

__all__ = ["DynamicNodeCreation", "should_add_unit", "trigger_epochs", "growth_scores",
           "squared_error_stats", "train_to_criterion"]

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
    blocks.  Cost: one forward/backward pass, and per block a Gram matrix and
    a small eigen-decomposition.

    Parameters
    ----------
    network : Network
    X : array (n, n_inputs), network dtype
    T : array (n, n_outputs), encoded targets
    loss : str or Loss

    Returns
    -------
    ndarray of float, shape (number of hidden blocks,)
        The score of every hidden block (the output block excluded).
    """
    network.loss_and_grad(X, T, loss)
    ws = network._workspaces[len(X)]
    values = [X] + ws["y"]
    deltas = ws["g"]
    n = len(X)
    scores = []
    for k in range(len(network.blocks) - 1):
        D = np.concatenate([deltas[j] for j in network.consumers(k + 1)], axis=1)
        A = np.concatenate([values[s] for s in network.blocks[k].sources]
                           + [np.ones((n, 1), X.dtype)], axis=1).astype(np.float64)
        M = (D.T.astype(np.float64) @ A) @ _whitening(A)
        scores.append(np.sqrt(n) * _slope_at_zero(network.blocks[k].activation)
                      * float(np.linalg.norm(M, 2)))
    return np.array(scores)


# ----------------------------------------------------------------- utilities
def _check_float(value, name, low=None, high=None, allow_none=False, low_open=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    too_low = low is not None and (value < low or (low_open and value == low))
    if not np.isfinite(value) or too_low or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be a finite number in {bracket}{lo}, {hi}], got {value}")
    return value


def _n_outputs(y, loss):
    """Outputs a new network needs for targets ``y`` (see :func:`encode_targets`)."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.shape[1]
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be 1-D labels or a 2-D target matrix, got shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y must be finite")
    integral = y.dtype.kind in "biu" or (y.dtype.kind == "f" and np.all(y == np.round(y)))
    if not integral:
        return 1  # regression targets
    n_classes = int(y.max()) + 1
    if loss.name == "softmax_cross_entropy":
        return max(n_classes, 2)
    return 1 if n_classes <= 2 else n_classes


def _fresh_optimizer(opt):
    """A new optimizer with the same settings (fit must not reuse old state)."""
    return type(opt)(**opt.get_params())


def _uniform_network(sizes, hidden, output, init_range, rng, dtype):
    """An MLP with every weight and bias uniform in [-init_range, init_range] (Ash)."""
    net = Network.mlp(sizes, hidden=hidden, output=output, rng=rng, dtype=dtype)
    net.params[:] = rng.uniform(-init_range, init_range, net.params.size)
    return net


class _EpochWatcher:
    """The callback run after every epoch of :func:`train`: records a_t, checks
    the stopping criterion, the trigger and the validation patience, and asks
    the training loop to stop when one of them calls for action."""

    def __init__(self, owner, X, T, full_batch):
        self.o = owner
        self.X, self.T, self.full_batch = X, T, full_batch
        self.action = None

    def __call__(self, epoch, net, history):
        o = self.o
        row = history.rows[-1]
        o._errors.append(row["loss"])
        if o.c_a is not None:
            a = m = None
            ws = net._workspaces.get(len(self.X)) if self.full_batch else None
            if ws is not None:
                # The outputs of this epoch's forward pass, the same pass whose
                # loss was recorded (before the weight update), as in Ash's sweep.
                out = ws["y"][-1]
                a = float(np.mean((out - self.T) ** 2))
                if a <= o.c_a:
                    a, m = squared_error_stats(out.copy(), self.T)
            else:
                # Minibatch losses mix weights; check the full set only when
                # the epoch's average already looks good enough.
                a_est = 2.0 * row["loss"] / self.T.shape[1] if o._loss.name == "mse" else 0.0
                if a_est <= o.c_a:
                    a, m = squared_error_stats(net._forward(self.X)[-1].copy(), self.T)
            if a is not None and m is not None and a <= o.c_a and m <= o.c_m:
                self.action = "criterion"
                return True
        if o._validate:
            # lower is better: the loss, or minus the accuracy
            val = row["val_loss"] if o.monitor == "val_loss" else -row["val_accuracy"]
            if val < o._best[0]:
                o._best = (val, epoch, net.copy())
                o._improved_this_size = True
        if o._grow and should_add_unit(o._errors, epoch, o._t0, o.window, o.trigger):
            self.action = "trigger"
            return True
        return False


def train_to_criterion(network, X, y, *, loss="mse", optimizer=None, learning_rate=0.2,
                       momentum=0.9, batch_size="auto", c_a=0.001, c_m=0.01, max_epochs=100_000,
                       rng=None, history=None):
    """Train a fixed network **in place** until Ash's criterion, (2) in the
    module docstring, holds.

    The baseline DNC is compared with: the final-size network trained from
    scratch with the same optimizer, to the same criterion.  Parameters are as
    in :class:`DynamicNodeCreation`.

    Returns
    -------
    History
        Its last ``stop`` event has ``reason`` ``'criterion'`` or ``'max_epochs'``.
    """
    dnc = DynamicNodeCreation(network=network, loss=loss, optimizer=optimizer,
                              learning_rate=learning_rate, momentum=momentum,
                              batch_size=batch_size, c_a=c_a, c_m=c_m, max_epochs=max_epochs,
                              max_units=network.n_hidden_units, rng=rng)
    dnc._grow_enabled = False
    dnc._fit(X, y, None, network_in_place=True, history=history)
    return dnc.history_


# ---------------------------------------------------------------- the class
class DynamicNodeCreation:
    """Dynamic Node Creation (Ash 1989): add hidden units while the error flattens.

    Parameters
    ----------
    network : Network, optional
        Start from (a copy of) this network instead of a new one.  Its hidden
        blocks are where units may be added.
    initial_units : int, default 1
        Units in each hidden block of a new network (Ash: 1).
    hidden_layers : int, default 1
        Hidden blocks of a new network (Ash: 1).  With more than one,
        ``grow_where`` decides which block each new unit joins.
    hidden, output : str, default 'sigmoid', 'sigmoid'
        Activations of a new network (Ash: logistic units everywhere).
    loss : str, default 'mse'
        Training loss (Ash: squared error).  The trigger is applied to it; the
        stopping criterion always uses squared errors of the outputs.
    trigger : float, default 0.05
        ``Delta_T`` of the trigger (Ash's setting for the Boolean tasks).
    window : int, default 1000
        ``w`` of the trigger, in epochs (Ash's setting for the Boolean tasks).
    c_a : float or None, default 0.001
        Stop when the mean squared error per output is at most ``c_a`` and
        the largest squared error at most ``c_m`` (Ash's settings).
        None disables the criterion (data that cannot be fitted exactly).
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
        The hidden block that receives each new unit: cycle over the hidden
        blocks, the block with the best :func:`growth_scores`, or a fixed
        block index.  Irrelevant with one hidden block.
    init : {'random', 'split', 'zero_out'}, default 'random'
        ``'random'``: the new unit's incoming, bias and outgoing weights are
        uniform in ``[-init_range, init_range]`` (Ash).  ``'split'``: a Net2Net
        split of a random unit of the block (function-preserving up to
        ``split_noise``).  ``'zero_out'``: Ash's random incoming weights and
        bias, outgoing weights exactly 0 (function-preserving, and the new
        unit starts as a fresh feature, not a copy).
    init_range : float, default 0.1666
        Half-width of the uniform weights of new units and of a new network
        (Ash's value).
    split_noise : float, default 0.01
        Noise passed to :func:`structlearn.net2net.wider` for ``init='split'``.
    estimate_samples : int, default 2048
        Training patterns (a fixed random subset) used by ``'loss_estimate'``.
    dtype : numpy float type, default float64
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
        ``loss_before`` and ``loss_after``) and a
        final ``stop`` event whose ``reason`` is one of ``'criterion'``,
        ``'max_epochs'``, ``'max_units'``, ``'validation'``.
    n_epochs_ : int
    errors_ : ndarray
        The training loss the trigger saw, by epoch (index 0: before training).
    stop_reason_ : str
    cost_ : int
        Sum over epochs of the weights trained (weight-epochs).

    Notes
    -----
    Deviations from the paper: the trigger uses the training loss (the same
    ratio as Ash's ``a_t`` for ``loss='mse'``); validation patience,
    ``grow_where`` and ``init='split'`` are extensions.  ``a_t`` and ``m_t``
    are measured during the epoch's forward pass, before its weight update.
    """

    def __init__(self, *, network=None, initial_units=1, hidden_layers=1, hidden="sigmoid",
                 output="sigmoid", loss="mse", trigger=0.05, window=1000, c_a=0.001, c_m=0.01,
                 max_units=50, max_epochs=100_000, optimizer=None, learning_rate=0.2,
                 momentum=0.9, batch_size="auto", patience=None, monitor="val_loss",
                 finish_patience=None, grow_where="round_robin",
                 init="random", init_range=0.1666, split_noise=0.01, estimate_samples=2048,
                 dtype=np.float64, rng=None):
        self.network = network
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
        self.rng = rng
        self._grow_enabled = True

    # ------------------------------------------------------------ checks
    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")
                and not k.endswith("_")}

    def _check_params(self):
        if self.network is not None and not isinstance(self.network, Network):
            raise TypeError(f"network must be a structlearn Network or None, "
                            f"got {type(self.network).__name__}")
        if self.network is not None and len(self.network.blocks) < 2:
            raise ValueError("network must have at least one hidden block to grow")
        check_positive_int(self.initial_units, "initial_units")
        check_positive_int(self.hidden_layers, "hidden_layers")
        for name in ("hidden", "output"):
            get_activation(getattr(self, name))
        if not get_activation(self.hidden).elementwise:
            raise ValueError(f"hidden must be an element-wise activation, got {self.hidden!r}")
        get_loss(self.loss)
        self.trigger = _check_float(self.trigger, "trigger", 0.0, 1.0, low_open=True)
        check_positive_int(self.window, "window")
        self.c_a = _check_float(self.c_a, "c_a", 0.0, allow_none=True)
        if self.c_a is not None:
            self.c_m = _check_float(self.c_m, "c_m", 0.0)
        check_positive_int(self.max_units, "max_units")
        check_positive_int(self.max_epochs, "max_epochs")
        if self.optimizer is not None:
            get_optimizer(self.optimizer)
        self.learning_rate = _check_float(self.learning_rate, "learning_rate", 0.0, low_open=True)
        self.momentum = _check_float(self.momentum, "momentum", 0.0, 0.999999)
        if self.batch_size is not None and self.batch_size != "auto":
            check_positive_int(self.batch_size, "batch_size")
        if self.patience is not None:
            check_positive_int(self.patience, "patience")
        if self.finish_patience is not None:
            check_positive_int(self.finish_patience, "finish_patience")
        if self.monitor not in ("val_loss", "val_accuracy"):
            raise ValueError(f"monitor must be 'val_loss' or 'val_accuracy', got {self.monitor!r}")
        if isinstance(self.grow_where, str):
            if self.grow_where not in ("round_robin", "loss_estimate"):
                raise ValueError("grow_where must be 'round_robin', 'loss_estimate' or a hidden "
                                 f"block index, got {self.grow_where!r}")
        elif not isinstance(self.grow_where, numbers.Integral) or isinstance(self.grow_where,
                                                                               bool):
            raise TypeError("grow_where must be 'round_robin', 'loss_estimate' or an int block "
                            f"index, got {type(self.grow_where).__name__} {self.grow_where!r}")
        if self.init not in ("random", "split", "zero_out"):
            raise ValueError(f"init must be 'random', 'split' or 'zero_out', got {self.init!r}")
        self.init_range = _check_float(self.init_range, "init_range", 0.0, low_open=True)
        self.split_noise = _check_float(self.split_noise, "split_noise", 0.0)
        check_positive_int(self.estimate_samples, "estimate_samples")

    # ---------------------------------------------------------------- fit
    def fit(self, X, y, validation=None):
        """Grow and train a network on ``(X, y)``; returns ``self``.

        Parameters
        ----------
        X : array (n_samples, n_inputs)
        y : labels (n_samples,) or targets (n_samples, n_outputs)
        validation : (X_val, y_val), optional
            Monitored every epoch; with ``patience`` it stops the growth.
        """
        self._grow_enabled = True
        return self._fit(X, y, validation)

    def _fit(self, X, y, validation, network_in_place=False, history=None):
        self._check_params()
        rng = check_rng(self.rng)
        self._loss = get_loss(self.loss)
        X = check_array(X, "X", ndim=2, dtype=None)
        if self.network is not None:
            net = self.network if network_in_place else self.network.copy()
        else:
            n_out = _n_outputs(y, self._loss)
            sizes = [X.shape[1]] + [self.initial_units] * self.hidden_layers + [n_out]
            net = _uniform_network(sizes, self.hidden, self.output, self.init_range, rng,
                                   self.dtype)
        self._loss.check_output_activation(net.blocks[-1].activation)
        X = net.check_X(X)
        T = encode_targets(y, net, self._loss, n_samples=len(X))
        hidden_blocks = len(net.blocks) - 1
        if not isinstance(self.grow_where, str):
            gw = int(self.grow_where)
            if not -hidden_blocks <= gw < hidden_blocks:
                raise ValueError(f"grow_where must be a hidden block index in "
                                 f"[0, {hidden_blocks - 1}], got {gw}")
        if net.n_hidden_units > self.max_units and self._grow_enabled:
            raise ValueError(f"max_units ({self.max_units}) is below the starting network's "
                             f"{net.n_hidden_units} hidden units")
        if validation is not None:
            if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
                raise ValueError("validation must be a pair (X_val, y_val)")
            Xv = net.check_X(validation[0], "validation X")
            Tv = encode_targets(validation[1], net, self._loss, n_samples=len(Xv),
                                name="validation y")
            validation = (Xv, Tv)
        if self.patience is not None and validation is None:
            raise ValueError("patience needs validation data: fit(X, y, validation=(X_val, y_val))")
        n = len(X)
        if self.batch_size == "auto":
            batch = max(1, n // 8)
        else:
            batch = n if self.batch_size is None else min(int(self.batch_size), n)
        if self.optimizer is None:
            opt = SGD(lr=self.learning_rate * batch, momentum=self.momentum)
        else:
            opt = get_optimizer(self.optimizer)
            opt = _fresh_optimizer(opt) if isinstance(opt, Optimizer) else opt
        train_rng = np.random.default_rng(rng.integers(2**63))
        est_idx = (np.sort(rng.choice(n, self.estimate_samples, replace=False))
                   if n > self.estimate_samples else None)

        hist = History() if history is None else history
        hist.meta.update(algorithm="dynamic_node_creation",
                         params={k: v for k, v in self.get_params().items()
                                 if k not in ("network", "optimizer", "dtype", "rng")})
        # errors[t] = a_t; index 0 is the starting network's loss (Ash's a_{t0} at t0 = 0).
        start_loss = float(net.loss_and_grad(X, T, self._loss))
        self._errors = [start_loss]
        self._t0 = 0
        self._grow = self._grow_enabled
        self._validate = validation is not None
        self._best = (np.inf, 0, None)
        self._improved_this_size = False
        sizes_without_gain = 0
        additions = 0
        t = 0
        reason = "max_epochs"
        # The workspace holds this epoch's training outputs only for full-batch
        # training without a validation set of the same size (evaluated after).
        same_size_val = validation is not None and len(validation[0]) == n
        watcher = _EpochWatcher(self, X, T, full_batch=batch == n and not same_size_val)
        while t < self.max_epochs:
            watcher.action = None
            train(net, X, T, loss=self._loss, optimizer=opt, epochs=self.max_epochs - t,
                  batch_size=batch, validation=validation, callbacks=[watcher], rng=train_rng,
                  history=hist, epoch_offset=t, progress=False)
            # train() closes every call with a "stop" event; DNC writes its own.
            if hist.events and hist.events[-1]["kind"] == "stop":
                hist.events.pop()
            t = hist.epochs
            if watcher.action == "criterion":
                reason = "criterion"
                break
            if watcher.action != "trigger" or t >= self.max_epochs:
                break  # max_epochs
            if self._validate and self.patience is not None:
                sizes_without_gain = 0 if self._improved_this_size else sizes_without_gain + 1
                self._improved_this_size = False
                if sizes_without_gain >= self.patience:
                    reason = "validation"
                    break
            if net.n_hidden_units >= self.max_units:
                reason = "max_units"
                break
            block, scores = self._choose_block(net, additions, X, T, est_idx)
            error = self._errors[t]
            # The training loss just before and just after the edit (no step in
            # between): how much the new unit disturbs the function.
            before = float(net.loss_and_grad(X, T, self._loss))
            net = self._add_unit(net, block, rng)
            after = float(net.loss_and_grad(X, T, self._loss))
            additions += 1
            self._t0 = t
            hist.event("unit_added", epoch=t, block=block, units=net.n_hidden_units,
                       widths=[b.width for b in net.blocks[:-1]], error=error, init=self.init,
                       scores=scores, loss_before=before, loss_after=after)
        if reason == "validation" and self._best[2] is not None:
            net = self._best[2]
        finish = 0
        if (self.finish_patience is not None and self._validate and t < self.max_epochs
                and reason in ("validation", "max_units")):
            net, finish = self._finish(net, X, T, batch, validation, opt, train_rng, hist, t)
            t = hist.epochs
        hist.event("stop", epoch=t, reason=reason, units=net.n_hidden_units,
                   best_val_epoch=self._best[1] if self._validate else None,
                   finish_epochs=finish)
        self.network_ = net
        self.history_ = hist
        self.n_epochs_ = t
        self.errors_ = np.array(self._errors)
        self.stop_reason_ = reason
        self.cost_ = int(np.sum(hist.column("weights")))
        return self

    def _finish(self, net, X, T, batch, validation, opt, rng, hist, t):
        """Train the final network at its size with early stopping on validation."""
        best = {"score": self._best[0] if self._best[2] is not None else np.inf,
                "params": net.params.copy(), "epoch": t}

        def stop(epoch, network, history):
            row = history.rows[-1]
            score = row["val_loss"] if self.monitor == "val_loss" else -row["val_accuracy"]
            if score < best["score"]:
                best.update(score=score, params=network.params.copy(), epoch=epoch)
            return epoch - best["epoch"] >= self.finish_patience

        train(net, X, T, loss=self._loss, optimizer=opt, epochs=self.max_epochs - t,
              batch_size=batch, validation=validation, callbacks=[stop], rng=rng, history=hist,
              phase="finish", epoch_offset=t, progress=False)
        if hist.events and hist.events[-1]["kind"] == "stop":
            hist.events.pop()
        net.params[:] = best["params"]
        return net, hist.epochs - t

    # ------------------------------------------------------------ growing
    def _choose_block(self, net, additions, X, T, est_idx):
        n_hidden = len(net.blocks) - 1
        if not isinstance(self.grow_where, str):
            return int(self.grow_where) % n_hidden, None
        if self.grow_where == "round_robin" or n_hidden == 1:
            return additions % n_hidden, None
        Xs, Ts = (X, T) if est_idx is None else (X[est_idx], T[est_idx])
        scores = growth_scores(net, Xs, Ts, self._loss)
        return int(np.argmax(scores)), scores.tolist()

    def _add_unit(self, net, block, rng):
        if self.init in ("random", "zero_out"):
            net.add_units(block, 1, init_range=self.init_range, rng=rng,
                          outgoing=0.0 if self.init == "zero_out" else None)
            return net
        from .net2net import wider  # the shared Net2WiderNet split
        return wider(net, block, net.blocks[block].width + 1, noise=self.split_noise, rng=rng)

    def predict(self, X):
        """Outputs of the grown network."""
        return self.network_.forward(X)

    def __repr__(self):
        return f"DynamicNodeCreation(window={self.window}, trigger={self.trigger})"
