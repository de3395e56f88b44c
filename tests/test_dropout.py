"""Dropout in training (``train(dropout=...)``, ``Network.loss_and_grad(masks=...)``):
the gradient of the masked network, the masks' statistics and reproducibility, bad input,
and the claim docs/net2net.md makes: dropout separates Net2WiderNet's replicas, which
training without it leaves identical."""
import numpy as np
import pytest

from structlearn import Network, train
from structlearn.net2net import wider
from structlearn.train import Trainer

from helpers import numeric_gradient, random_cascade, relative_error


def _masks(net, n, rng, rate=0.4):
    keep = 1.0 - rate
    return [np.where(rng.random((n, b.width)) < keep, 1.0 / keep, 0.0)
            for b in net.blocks[:-1]] + [None]


@pytest.mark.parametrize("build", ["relu_mlp", "sigmoid_mlp", "tanh_cascade"])
def test_masked_gradient_matches_finite_differences(build):
    """With fixed masks the gradient is that of the masked network (relative error < 1e-6),
    for ReLU, and for sigmoid and tanh units whose derivative is written from their value."""
    rng = np.random.default_rng(0)
    if build == "relu_mlp":
        net = Network.mlp([4, 6, 5, 3], hidden="relu", output="softmax", rng=rng)
        loss, T = "softmax_cross_entropy", np.eye(3)[rng.integers(0, 3, 7)]
    elif build == "sigmoid_mlp":
        net = Network.mlp([4, 6, 5, 2], hidden="sigmoid", output="linear", rng=rng)
        loss, T = "mse", rng.standard_normal((7, 2))
    else:
        net = random_cascade(rng, n_in=4, n_out=2, n_hidden=4, hidden="tanh")
        loss, T = "mse", rng.standard_normal((7, 2))
    X = rng.standard_normal((7, 4))
    masks = _masks(net, 7, rng)
    net.loss_and_grad(X, T, loss, masks=masks)
    analytic = net.grads.copy()
    numeric = numeric_gradient(lambda: net.loss_and_grad(X, T, loss, masks=masks), net.params)
    assert relative_error(analytic, numeric) < 1e-6
    # and it is not the unmasked gradient
    net.loss_and_grad(X, T, loss)
    assert relative_error(analytic, net.grads) > 1e-3


def test_masks_drop_the_rate_and_scale_the_kept_units():
    X = np.random.default_rng(1).standard_normal((50, 3))
    net = Network.mlp([3, 40, 30, 2], hidden="relu", output="softmax", rng=0, dtype=np.float32)
    trainer = Trainer(net, X, np.arange(50) % 2, dropout=0.3, rng=0)
    masks = trainer._dropout_masks(2000)
    assert masks[-1] is None and [m.shape for m in masks[:-1]] == [(2000, 40), (2000, 30)]
    for m in masks[:-1]:
        assert m.dtype == np.float32
        assert set(np.unique(m)) == {0.0, np.float32(1 / 0.7)}
        assert abs((m == 0).mean() - 0.3) < 0.01


def test_no_dropout_and_zero_are_the_run_without_it_and_dropout_keeps_the_minibatches():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((60, 4)), rng.integers(0, 3, 60)

    def run(**kw):
        net = Network.mlp([4, 8, 3], hidden="relu", output="softmax", rng=5)
        trainer = Trainer(net, X, y, batch_size=16, rng=7, **kw)
        for _ in trainer.epochs(3):
            pass
        return net, trainer.rng.bit_generator.state

    plain, state = run()
    zero, state0 = run(dropout=0.0)
    assert np.array_equal(plain.params, zero.params) and state0 == state
    dropped, state_d = run(dropout=0.5)
    # the shuffling generator is where the run without dropout leaves it: same minibatches
    assert state_d == state
    assert not np.array_equal(dropped.params, plain.params)
    again, _ = run(dropout=0.5)
    assert np.array_equal(again.params, dropped.params)  # same seed, same result


def test_validation_and_prediction_use_the_whole_network():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((40, 4)), rng.integers(0, 2, 40)
    net = Network.mlp([4, 8, 2], hidden="relu", output="softmax", rng=0)
    h = train(net, X, y, epochs=2, batch_size=10, dropout=0.5, rng=0, validation=(X, y),
              progress=False)
    from structlearn import evaluate
    assert h.rows[-1]["val_loss"] == pytest.approx(evaluate(net, X, y)["loss"], rel=1e-12)
    np.testing.assert_array_equal(net.forward(X), net.forward(X))  # no masks outside training


@pytest.mark.parametrize("bad, message", [(1.0, "dropout"), (-0.1, "dropout"),
                                          ("half", "dropout"), (np.nan, "dropout")])
def test_bad_dropout_is_refused_by_name(bad, message):
    net = Network.mlp([2, 3, 2], hidden="relu", output="softmax", rng=0)
    with pytest.raises((ValueError, TypeError), match=message):
        train(net, np.zeros((4, 2)), [0, 1, 0, 1], epochs=1, dropout=bad)


def test_dropout_with_a_full_batch_solver_is_refused():
    net = Network.mlp([2, 3, 2], hidden="tanh", output="softmax", rng=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match="dropout"):
        train(net, np.zeros((4, 2)), [0, 1, 0, 1], epochs=2, optimizer="lbfgs", dropout=0.2)
    assert np.array_equal(net.params, before)


def test_dropout_separates_net2wider_replicas_that_plain_training_keeps_identical():
    """docs/net2net.md: a replica and its origin get the same gradient for as long as they
    are copies, so training keeps them copies; per-unit dropout masks give them different
    gradients. Widened with no noise, trained 20 epochs: without dropout every replica's
    incoming weights equal its origin's to rounding, with dropout 0.2 they differ
    (median distance over 0.5% of their norm)."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 6))
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    teacher = Network.mlp([6, 8, 3], hidden="relu", output="softmax", rng=1)
    train(teacher, X, y, epochs=5, batch_size=32, rng=0, progress=False)
    student, (origin, _) = wider(teacher, 0, 12, noise=None, rng=2, return_mapping=True)
    origins = np.asarray(origin)[8:]

    def spread(net):
        W = np.vstack([net.blocks[0].W, net.blocks[0].b[None]])
        diff = np.linalg.norm(W[:, 8:] - W[:, origins], axis=0)
        return float(np.median(diff / np.linalg.norm(W[:, origins], axis=0)))

    plain, dropped = student.copy(), student.copy()
    train(plain, X, y, epochs=20, batch_size=32, rng=3, progress=False)
    train(dropped, X, y, epochs=20, batch_size=32, rng=3, progress=False, dropout=0.2)
    assert spread(plain) < 1e-6
    assert spread(dropped) > 0.005  # 0.016 here; it grows with the number of steps


def test_net2net_search_trains_every_run_with_its_dropout():
    from structlearn.net2net import Net2NetSearch

    rng = np.random.default_rng(5)
    X = rng.standard_normal((120, 5))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    kw = dict(teacher_sizes=(6,), candidates=[(9,)], teacher_epochs=3, epochs=3, rng=0,
              baselines=("scratch",))
    plain = Net2NetSearch(**kw).fit(X, y)
    a = Net2NetSearch(dropout=0.3, **kw).fit(X, y)
    b = Net2NetSearch(dropout=0.3, **kw).fit(X, y)
    for (key, net) in a.networks_.items():
        assert np.array_equal(net.params, b.networks_[key].params)  # same seed, same result
        assert not np.array_equal(net.params, plain.networks_[key].params)  # every run
    assert not np.array_equal(a.teacher_.params, plain.teacher_.params)
    with pytest.raises(ValueError, match="dropout"):
        Net2NetSearch(dropout=1.5, **kw).fit(X, y)


def test_masks_with_cached_lower_blocks_are_refused():
    """A pass from ``start > 0`` reuses nodes computed without masks: masks there would make
    the backward pass inconsistent with the forward one, so they are refused by name."""
    rng = np.random.default_rng(6)
    net = Network.mlp([3, 4, 4, 2], hidden="tanh", output="linear", rng=0)
    X, T = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    nodes = [v.copy() for v in net.forward(X, return_nodes=True)]
    with pytest.raises(ValueError, match="masks"):
        net.loss_and_grad(X, T, "mse", nodes=nodes, start=1, masks=_masks(net, 5, rng))
    net.loss_and_grad(X, T, "mse", nodes=nodes, start=1)  # without masks it still works
