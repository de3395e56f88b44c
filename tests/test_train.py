"""Optimizers and the training loop."""
import numpy as np
import pytest

from helpers import random_cascade
from structlearn import History, Network, train
from structlearn.datasets import xor
from structlearn.optim import LBFGS, SGD, Adam, Quickprop, quickprop_step
from structlearn.train import TrainingDiverged, evaluate

OPTIMIZERS = [lambda: SGD(lr=0.1), lambda: SGD(lr=0.1, nesterov=True), lambda: Adam(lr=0.05),
              lambda: Quickprop(epsilon=0.5), lambda: LBFGS()]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_masks_and_frozen_blocks_hold_under_every_optimizer(make_opt):
    rng = np.random.default_rng(0)
    net = random_cascade(rng, n_in=2, n_out=1, n_hidden=3, output="sigmoid")
    mask = rng.random(net.blocks[-1].W.shape) > 0.4
    net.set_mask(net.output_block, mask)
    net.freeze(0)
    frozen = net.params[net.block_slice(0)].copy()
    out_before = net.params[net.block_slice(net.output_block)].copy()
    X, y = xor()
    train(net, X, y, optimizer=make_opt(), epochs=30, progress=False)
    np.testing.assert_array_equal(net.params[net.block_slice(0)], frozen)
    assert np.all(net.blocks[-1].W[~mask] == 0.0)
    assert not np.array_equal(net.params[net.block_slice(net.output_block)], out_before)


def test_quickprop_hand_computed_cases():
    w = np.zeros(5)
    slopes = np.array([0.5, -1.0, 2.0, 0.2, 1.0])
    prev_steps = np.array([0.0, 0.1, -0.1, -0.1, -0.2])
    prev_slopes = np.array([0.0, -2.0, 1.0, 1.0, 1.0])
    step, s = quickprop_step(w, slopes, prev_steps, prev_slopes, epsilon=0.5, mu=1.75)
    # 0: fresh start: -eps * s.
    # 1: d>0, s=-1 < 0 (same direction): eps term 0.5; s > shrink*p=-1.2727 -> quadratic
    #    d*s/(p-s) = 0.1*-1/(-1) = 0.1; total 0.6.
    # 2: d<0, s=2 >= shrink*p=0.636 -> capped mu*d = -0.175, plus eps term -1.0.
    # 3: d<0, s=0.2 < 0.636 -> quadratic -0.1*0.2/0.8 = -0.025, plus eps term -0.1.
    # 4: d<0, s == p: capped (and the division would be by zero): mu*d - eps*s.
    expected = [-0.25, 0.6, -1.175, -0.125, -0.35 - 0.5]
    np.testing.assert_allclose(step, expected)
    np.testing.assert_array_equal(s, slopes)
    step, s = quickprop_step(np.ones(1), np.ones(1), np.zeros(1), np.zeros(1), 0.1, 2.0, decay=0.5)
    np.testing.assert_allclose(s, [1.5]) and np.testing.assert_allclose(step, [-0.15])


def test_quickprop_equal_slopes_guard_never_divides_by_zero():
    # d < 0 with p = s < 0 escapes the cap in Fahlman's code and divides by zero.
    step, _ = quickprop_step(np.zeros(1), np.array([-1.0]), np.array([-0.1]), np.array([-1.0]),
                             0.5, 1.75)
    assert np.isfinite(step).all()
    np.testing.assert_allclose(step, [1.75 * -0.1])  # capped; no eps term (s < 0, d < 0)


def test_adam_matches_the_paper_algorithm():
    net = Network.mlp([2, 2, 1], hidden="tanh", output="linear", rng=0)
    X, y = np.random.default_rng(1).normal(size=(5, 2)), np.random.default_rng(2).normal(size=5)
    p, m, v = net.params.copy(), 0.0, 0.0
    opt = Adam(lr=0.01)
    from structlearn.train import encode_targets
    T = encode_targets(y, net, "mse")
    for t in range(1, 4):
        net.loss_and_grad(X, T, "mse")
        g = net.grads.copy()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        mhat, vhat = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)
        p = p - 0.01 * mhat / (np.sqrt(vhat) + 1e-8)
        opt.step(net)
        np.testing.assert_allclose(net.params, p, rtol=1e-6, atol=1e-12)


def test_optimizer_state_survives_adding_units():
    rng = np.random.default_rng(3)
    net = Network.mlp([2, 3, 1], hidden="tanh", output="linear", rng=rng)
    opt = Adam()
    X, y = rng.normal(size=(8, 2)), rng.normal(size=8)
    train(net, X, y, optimizer=opt, epochs=3, progress=False)
    keys, m = net.param_keys().copy(), opt.state["m"].copy()
    net.add_units(0, 1, rng=rng)
    opt._sync_state(net)
    old = np.isin(net.param_keys(), keys)
    np.testing.assert_array_equal(np.sort(opt.state["m"][old]), np.sort(m))
    assert np.all(opt.state["m"][~old] == 0)


def test_training_solves_xor_and_is_deterministic():
    X, y = xor()
    runs = []
    for _ in range(2):
        net = Network.mlp([2, 4, 1], hidden="tanh", output="sigmoid", rng=5)
        h = train(net, X, y, optimizer=Adam(lr=0.05), epochs=300, batch_size=2, rng=7,
                  progress=False)
        runs.append((net.params.copy(), h.column("loss")))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert evaluate(net, X, y)["accuracy"] == 1.0


def test_lbfgs_fits_a_smooth_regression_and_logs_history():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(100, 2))
    y = np.sin(X[:, 0]) * np.cos(X[:, 1])
    net = Network.mlp([2, 10, 1], hidden="tanh", output="linear", rng=0)
    h = train(net, X, y, optimizer=LBFGS(), epochs=300, progress=False)
    assert len(h) > 10 and h.rows[-1]["loss"] < 1e-3 < h.rows[0]["loss"]
    assert h.stop_reason in ("max_epochs", "converged")


def test_early_stopping_restores_best_weights_and_callbacks_stop():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    Xv, yv = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)  # pure noise: overfits
    net = Network.mlp([3, 30, 1], hidden="tanh", output="sigmoid", rng=0)
    h = train(net, X, y, optimizer=Adam(lr=0.05), epochs=500, validation=(Xv, yv),
              early_stopping=10, progress=False)
    assert h.stop_reason == "early_stopping"
    best = int(np.nanargmin(h.column("val_loss")))
    assert evaluate(net, Xv, yv)["loss"] == pytest.approx(h.rows[best]["val_loss"])
    h2 = train(net, X, y, epochs=100, callbacks=[lambda e, n, hist: e >= 3], progress=False)
    assert h2.epochs == 3 and h2.stop_reason == "callback"


def test_divergence_raises_and_restores_finite_weights():
    X = np.random.default_rng(0).normal(size=(20, 2)) * 1e3
    y = X[:, 0] * 1e3
    net = Network.mlp([2, 8, 1], hidden="relu", output="linear", rng=0)
    with pytest.raises(TrainingDiverged, match="restored"):
        train(net, X, y, optimizer=SGD(lr=10.0, momentum=0.9), epochs=200, progress=False)
    assert np.all(np.isfinite(net.params))
    net2 = Network.mlp([2, 8, 1], hidden="relu", output="linear", rng=0)
    h = train(net2, X, y, optimizer=SGD(lr=10.0), epochs=200, on_divergence="rollback",
              progress=False)
    assert h.stop_reason == "diverged" and np.all(np.isfinite(net2.params))


def test_history_round_trip(tmp_path):
    X, y = xor()
    net = Network.mlp([2, 3, 1], output="sigmoid", rng=0)
    h = train(net, X, y, epochs=5, progress=False)
    h.event("unit_added", epoch=5, block=0, unit=3)
    back = History.load(h.save(tmp_path / "h.json"))
    assert back.rows == h.rows and back.events == h.events
    assert back.events_of("unit_added")[0]["unit"] == 3


@pytest.mark.parametrize("kwargs,match", [
    (dict(epochs=-1), "epochs"), (dict(batch_size=0), "batch_size"),
    (dict(optimizer="rmsprop"), "optimizer: expected one of"),
    (dict(on_divergence="ignore"), "on_divergence"), (dict(rng=-3), "rng"),
    (dict(validation=(np.zeros((2, 2)),)), "validation must be a pair"),
])
def test_train_bad_arguments(kwargs, match):
    X, y = xor()
    net = Network.mlp([2, 2, 1], output="sigmoid", rng=0)
    with pytest.raises((ValueError, TypeError), match=match):
        train(net, X, y, progress=False, **kwargs)


@pytest.mark.parametrize("cls,kwargs,match", [
    (SGD, dict(lr=-1), "lr"), (Adam, dict(beta1=1.5), "beta1"),
    (Quickprop, dict(mu=0), "mu"), (LBFGS, dict(history=0), "history")])
def test_optimizer_bad_parameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize("make_opt", [lambda: Adam(lr=1e200), lambda: SGD(lr=1e10)])
@pytest.mark.parametrize("batch_size", [None, 8])
@pytest.mark.parametrize("on_divergence", ["rollback", "raise"])
def test_divergence_restores_the_last_weights_with_a_finite_loss(make_opt, batch_size,
                                                                 on_divergence):
    """The start-of-epoch snapshot can itself be already diverged (its loss inf): then the
    epoch before is restored, so the network never keeps weights with a non-finite loss."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = 3 * X[:, 0]
    net = Network.mlp([3, 5, 1], hidden="tanh", output="linear", rng=0)
    kwargs = dict(loss="mse", optimizer=make_opt(), epochs=50, batch_size=batch_size,
                  on_divergence=on_divergence)
    if on_divergence == "raise":
        with pytest.raises(TrainingDiverged):
            train(net, X, y, **kwargs)
    else:
        assert train(net, X, y, **kwargs).stop_reason == "diverged"
    assert np.all(np.isfinite(net.params))
    assert np.isfinite(evaluate(net, X, y, "mse")["loss"])


def test_cross_entropy_refuses_targets_outside_0_1():
    net = Network.mlp([2, 3, 1], output="sigmoid", rng=0)
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"y: loss 'sigmoid_cross_entropy' needs targets in \[0, 1\]"):
        train(net, X, np.array([[0.0], [2.0], [1.0]]), epochs=1)
    with pytest.raises(ValueError, match="validation y"):
        train(net, X, np.array([0, 1, 1]), epochs=1,
              validation=(X, np.array([[0.0], [-1.0], [1.0]])))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(callbacks=5), TypeError, "callbacks: expected a sequence of callables"),
    (dict(min_delta=float("nan")), ValueError, "min_delta: expected a finite number"),
    (dict(early_stopping=0), ValueError, "early_stopping: expected an integer in"),
    (dict(epochs=2.5), TypeError, "epochs: expected an integer"),
    (dict(stop_when=[1]), TypeError, "stop_when"),
    (dict(shuffle="yes"), TypeError, "shuffle: expected True or False"),
])
def test_train_arguments_are_named_in_errors(kwargs, error, match):
    X, y = xor()
    with pytest.raises(error, match=match):
        train(Network.mlp([2, 2, 1], rng=0), X, y, **kwargs)
