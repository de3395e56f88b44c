"""Optimal Brain Damage: the Hessian diagonal, saliencies and the pruning loop."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import numeric_jacobian, random_cascade
from structlearn import Network, train
from structlearn.losses import get_loss
from structlearn.obd import (OptimalBrainDamage, block_views, hessian_diagonal,
                             remove_dead_units, saliencies)
from structlearn.optim import LBFGS, SGD, Adam, Quickprop
from structlearn.train import encode_targets


# ----------------------------------------------------------------- references
def fd_hessian_diagonal(net, X, T, loss, eps=1e-5):
    """Exact Hessian diagonal: central differences of the analytic gradient."""
    p = net.params
    H = np.zeros_like(p)
    for i in range(p.size):
        old = p[i]
        p[i] = old + eps
        net.loss_and_grad(X, T, loss)
        up = net.grads[i]
        p[i] = old - eps
        net.loss_and_grad(X, T, loss)
        down = net.grads[i]
        p[i] = old
        H[i] = (up - down) / (2 * eps)
    return H


def gauss_newton_diagonal(net, X, T, loss, eps=1e-6):
    """diag(sum_n J_n^T H_n J_n), independently: per-pattern Jacobians of the
    output pre-activations by finite differences, H_n = the loss's Gauss-Newton
    second derivative with respect to them (diagonal for the losses used here)."""
    loss = get_loss(loss)
    act = __import__("structlearn.activations", fromlist=["x"]).get_activation(
        net.blocks[-1].activation)

    def z_of():
        net._forward(X)
        return net._workspaces[len(X)]["z"][-1].copy()

    z0 = z_of()
    y0 = act.f(z0.copy())
    Hout = loss.hess_diag(z0, y0, T, act, exact=False)  # (n, n_out), already / N
    p = net.params
    J = numeric_jacobian(z_of, p, range(p.size), eps)  # dz_no / dw_i: (n, n_out, weights)
    G = np.einsum("noi,noi,no->i", J, J, Hout)
    for blk, (GW, _) in zip(net.blocks, block_views(net, G)):
        if blk.mask is not None:  # pruned weights are not variables
            GW[~blk.mask] = 0.0
    return G


def _masked_zero(net, H):
    for blk, (HW, _) in zip(net.blocks, block_views(net, H)):
        if blk.mask is not None:
            assert np.all(HW[~blk.mask] == 0.0)


def _data(rng, n, n_in, n_out, kind):
    X = rng.normal(size=(n, n_in))
    if kind == "mse":
        return X, rng.uniform(-0.4, 0.4, size=(n, n_out))
    return X, (rng.uniform(size=(n, n_out)) > 0.5).astype(float)


def tree_dag(rng, output="linear"):
    """Node 1 feeds two blocks (a hidden unit and the output block), but masks
    keep every path to a different output unit: the diagonal recursion is then
    exact, so this checks the DAG summation over several consumers."""
    W_out = rng.uniform(-1, 1, (5, 2))
    mask = np.zeros((5, 2), bool)
    mask[:4, 1] = True   # node 1 (4 units) -> output 1 only
    mask[4, 0] = True    # node 2 (1 unit) -> output 0 only
    blocks = [dict(W=rng.uniform(-1, 1, (3, 4)), b=rng.uniform(-1, 1, 4), activation="tanh",
                   sources=(0,)),
              dict(W=rng.uniform(-1, 1, (7, 1)), b=rng.uniform(-1, 1, 1), activation="sigmoid",
                   sources=(0, 1)),
              dict(W=W_out, b=rng.uniform(-1, 1, 2), activation=output, sources=(1, 2),
                   mask=mask)]
    return Network(3, blocks)


# ------------------------------------------------------------ Hessian diagonal
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "softplus", "gaussian",
                                    "symmetric_sigmoid"])
@pytest.mark.parametrize("output,loss", [("linear", "mse"), ("sigmoid", "mse"),
                                         ("symmetric_sigmoid", "mse"),
                                         ("sigmoid", "sigmoid_cross_entropy")])
def test_full_is_exact_hessian_diagonal_one_hidden_layer(hidden, output, loss):
    rng = np.random.default_rng(3)
    net = Network.mlp([3, 5, 2], hidden=hidden, output=output, rng=rng)
    net.blocks[0].b[:] = rng.uniform(-1, 1, 5)
    X, T = _data(rng, 12, 3, 2, "mse" if loss == "mse" else "ce")
    H = hessian_diagonal(net, X, T, mode="full", loss=loss)
    ref = fd_hessian_diagonal(net, X, T, loss)
    np.testing.assert_allclose(H, ref, rtol=1e-5, atol=1e-8 * np.abs(ref).max())
    # and the f'' terms matter: lm differs from the exact diagonal on the hidden weights
    assert not np.allclose(hessian_diagonal(net, X, T, "lm", loss), ref, rtol=1e-3)


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("output,loss", [("linear", "mse"), ("symmetric_sigmoid", "mse"),
                                         ("sigmoid", "sigmoid_cross_entropy")])
def test_lm_equals_gauss_newton_diagonal_one_hidden_layer(hidden, output, loss):
    rng = np.random.default_rng(4)
    net = Network.mlp([3, 4, 2], hidden=hidden, output=output, rng=rng)
    X, T = _data(rng, 10, 3, 2, "mse" if loss == "mse" else "ce")
    H = hessian_diagonal(net, X, T, mode="lm", loss=loss)
    np.testing.assert_allclose(H, gauss_newton_diagonal(net, X, T, loss), rtol=1e-5,
                               atol=1e-9)


@pytest.mark.parametrize("output", ["linear", "sigmoid"])
def test_recursion_sums_over_several_consumers(output):
    rng = np.random.default_rng(5)
    net = tree_dag(rng, output)
    X, T = _data(rng, 9, 3, 2, "mse")
    assert net.consumers(1) == [1, 2]
    H_full = hessian_diagonal(net, X, T, "full", "mse")
    np.testing.assert_allclose(H_full, fd_hessian_diagonal(net, X, T, "mse"), rtol=1e-5,
                               atol=1e-10)
    H_lm = hessian_diagonal(net, X, T, "lm", "mse")
    np.testing.assert_allclose(H_lm, gauss_newton_diagonal(net, X, T, "mse"), rtol=1e-5,
                               atol=1e-10)
    _masked_zero(net, H_full)


@pytest.mark.parametrize("output,loss", [("linear", "mse"), ("softmax", "softmax_cross_entropy")])
def test_output_block_exact_in_any_network(output, loss):
    # The output weights' diagonal needs no approximation (deep nets, cascades, softmax).
    rng = np.random.default_rng(6)
    for net in (Network.mlp([3, 4, 3, 3], hidden="tanh", output=output, rng=rng),
                random_cascade(rng, n_out=3, n_hidden=4, output=output)):
        X = rng.normal(size=(8, 3))
        T = encode_targets(rng.integers(0, 3, 8), net, loss) if loss != "mse" else \
            rng.normal(size=(8, 3))
        sl = net.block_slice(net.output_block)
        ref = fd_hessian_diagonal(net, X, T, loss)
        H = hessian_diagonal(net, X, T, "full", loss)
        np.testing.assert_allclose(H[sl], ref[sl], rtol=1e-5, atol=1e-9)
        G = hessian_diagonal(net, X, T, "lm", loss)
        np.testing.assert_allclose(G[sl], gauss_newton_diagonal(net, X, T, loss)[sl], rtol=1e-5,
                                   atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), cascade=st.booleans(),
       hidden=st.sampled_from(["tanh", "sigmoid", "relu", "gaussian"]))
def test_lm_never_negative_and_exact_output_bias_diagonal(seed, cascade, hidden):
    rng = np.random.default_rng(seed)
    net = (random_cascade(rng, n_hidden=3, hidden=hidden) if cascade else
           Network.mlp([3, 4, 3, 2], hidden=hidden, output="linear", rng=rng))
    X, T = _data(rng, 7, 3, 2, "mse")
    H = hessian_diagonal(net, X, T, "lm", "mse")
    assert np.all(H >= 0) and np.all(np.isfinite(H))
    # the bias diagonal of a linear output block is exactly the mean of f'(z)^2 = 1
    out_b = block_views(net, H)[-1][1]
    np.testing.assert_allclose(out_b, 1.0)


def test_gradient_from_the_same_pass_and_chunking():
    rng = np.random.default_rng(7)
    net = random_cascade(rng, n_hidden=4, hidden="tanh", output="symmetric_sigmoid")
    net.freeze(0)
    mask = rng.uniform(size=net.blocks[-1].W.shape) > 0.3
    net.set_mask(net.output_block, mask)
    X, T = _data(rng, 25, 3, 2, "mse")
    value, grad = net.gradient(X, T, "mse")
    for mode in ("lm", "full"):
        H0 = hessian_diagonal(net, X, T, mode, "mse")
        H, v, g = hessian_diagonal(net, X, T, mode, "mse", return_gradient=True)
        assert v == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(g, grad, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(H, H0, rtol=1e-12)
        Hc, vc, gc = hessian_diagonal(net, X, T, mode, "mse", batch_size=7, return_gradient=True)
        np.testing.assert_allclose(Hc, H0, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(gc, grad, rtol=1e-10, atol=1e-15)
        assert vc == pytest.approx(value, rel=1e-12)
        _masked_zero(net, H)
        # the frozen block's diagonal is still reported
        assert np.abs(block_views(net, H)[0][0]).sum() > 0


def test_float32_network():
    rng = np.random.default_rng(8)
    net = Network.mlp([6, 5, 3], hidden="relu", output="softmax", rng=rng)
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 3, 40)
    H64 = hessian_diagonal(net, X, y, "full")
    H32 = hessian_diagonal(net.astype(np.float32), X, y, "full")
    assert H32.dtype == np.float32
    np.testing.assert_allclose(H32, H64, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------ saliencies
def _trained_regression_net(seed, hidden=6, n=60, epochs=400):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    T = np.column_stack([np.sin(2 * X[:, 0]) * X[:, 1], np.tanh(X[:, 0] - X[:, 1])])
    T += 0.05 * rng.normal(size=T.shape)  # noise: a well-defined minimum, not interpolation
    net = Network.mlp([2, hidden, 2], hidden="tanh", output="linear", rng=rng)
    train(net, X, T, loss="mse", optimizer=LBFGS(tol=1e-15), epochs=epochs, progress=False)
    return net, X, T


def test_predicted_increase_matches_actual_for_small_weights():
    net, X, T = _trained_regression_net(0)
    value, grad = net.gradient(X, T, "mse")
    assert np.abs(grad).max() < 5e-3  # near a minimum (L-BFGS)
    s = saliencies(net, X, T, "full", "mse")
    weights = np.concatenate([net.block_slice(k).start + np.arange(b.W.size)
                              for k, b in enumerate(net.blocks)])
    smallest = weights[np.argsort(np.abs(net.params[weights]))[:4]]
    for i in smallest:
        old = net.params[i]
        net.params[i] = 0.0
        actual = net.gradient(X, T, "mse")[0] - value
        net.params[i] = old
        # OBD neglects the first-order term -g w (zero at an exact minimum)
        assert actual == pytest.approx(s[i], rel=0.05, abs=2 * abs(grad[i] * old))
        assert abs(grad[i] * old) < 0.1 * s[i]
    # saliencies from a given Hessian: 0.5 h w^2
    H = hessian_diagonal(net, X, T, "lm", "mse")
    np.testing.assert_allclose(saliencies(net, None, None, hessian=H), 0.5 * H * net.params ** 2)


def test_obd_damages_less_than_magnitude_without_retraining():
    # LeCun et al. 1990, Fig. 1: at equal deletions OBD raises the training
    # error much less than magnitude pruning.  Averaged over seeds.
    obd, mag = [], []
    for seed in range(6):
        net, X, T = _trained_regression_net(seed, hidden=10, n=80, epochs=300)
        runs = {}
        for crit in ("obd", "magnitude"):
            m = OptimalBrainDamage(criterion=crit, target_fraction=0.5, prune_fraction=0.1,
                                   retrain_epochs=0, loss="mse", rng=seed).fit(X, T, network=net)
            runs[crit] = [e["total_increase"] for e in m.history_.events_of("weights_pruned")]
            assert [e["weights_left"] for e in m.history_.events_of("weights_pruned")][-1] <= \
                m.initial_weights_ * 0.5
        # the rounds delete (nearly) the same numbers of weights for both criteria
        n = min(len(runs["obd"]), len(runs["magnitude"]))
        obd.append(np.mean(runs["obd"][:n]))
        mag.append(np.mean(runs["magnitude"][:n]))
    assert np.mean(obd) < 0.8 * np.mean(mag), (obd, mag)


# --------------------------------------------------------------- pruning loop
@pytest.mark.parametrize("optimizer", [SGD(lr=0.1), Adam(lr=0.01), Quickprop(epsilon=0.5),
                                       LBFGS()])
def test_masks_survive_every_optimizer_and_save_load(optimizer, tmp_path):
    rng = np.random.default_rng(9)
    X = rng.normal(size=(50, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    m = OptimalBrainDamage(hidden_layer_sizes=(8,), epochs=30, retrain_epochs=10,
                           target_fraction=0.3, prune_fraction=0.3, optimizer=optimizer,
                           rng=1).fit(X, y)
    net = m.network_
    masked = [(k, b.mask.copy()) for k, b in enumerate(net.blocks) if b.mask is not None]
    assert masked and sum((~mk).sum() for _, mk in masked) > 0
    for k, mk in masked:
        assert np.all(net.blocks[k].W[~mk] == 0.0)
    before = net.params.copy()
    train(net, X, y, optimizer=optimizer, epochs=5, progress=False)
    assert not np.array_equal(before, net.params)
    for k, mk in masked:
        assert np.all(net.blocks[k].W[~mk] == 0.0)
    loaded = Network.load(net.save(tmp_path / "pruned.npz"))
    for k, mk in masked:
        np.testing.assert_array_equal(loaded.blocks[k].mask, mk)
    np.testing.assert_array_equal(loaded.forward(X), net.forward(X))
    train(loaded, X, y, optimizer="adam", epochs=5, progress=False)
    for k, mk in masked:
        assert np.all(loaded.blocks[k].W[~mk] == 0.0)


def test_history_records_each_round_and_target_is_reached():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(60, 3))
    y = rng.integers(0, 3, 60)
    m = OptimalBrainDamage(hidden_layer_sizes=(10,), epochs=50, retrain_epochs=5,
                           target_fraction=0.25, prune_fraction=0.25, rng=0)
    m.fit(X, y, validation=(X[:20], y[:20]))
    h = m.history_
    events = h.events_of("weights_pruned")
    rows = [r for r in h.rows if r["phase"] == "prune"]
    assert len(events) == len(rows) == m.n_rounds_ >= 3
    left = [e["weights_left"] for e in events]
    assert all(a > b for a, b in zip(left, left[1:]))
    assert left[-1] <= int(np.ceil(0.25 * m.initial_weights_)) < left[-2]
    for key in ("predicted_increase", "actual_increase", "retrained_increase", "loss_before",
                "loss_pruned", "loss_retrained", "val_accuracy", "val_accuracy_pruned"):
        assert all(key in e for e in events)
        assert np.all(np.isfinite(h.column(key, phase="prune")))
    assert h.stop_reason == "target_reached"
    assert set(r["phase"] for r in h.rows) == {"train", "retrain", "prune"}
    assert events[0]["loss_before"] == pytest.approx(h.meta["loss_unpruned"], rel=1e-9)


def test_dead_units_are_removed_without_changing_the_function():
    rng = np.random.default_rng(11)
    for net in (Network.mlp([3, 5, 4, 2], hidden="tanh", output="linear", rng=rng),
                random_cascade(rng, n_hidden=4, hidden="sigmoid")):
        X = rng.normal(size=(10, 3))
        before = net.forward(X)
        k = 0
        blk = net.blocks[k]
        mask = np.ones(blk.W.shape, bool)
        mask[:, 0] = False  # unit 0 loses every input: a constant, folded into readers
        net.set_mask(k, mask)
        before_masked = net.forward(X)
        for j in net.consumers(k + 1):  # unit 1 loses every output: no effect
            rows = dict(net.source_rows(j))[k + 1]
            mj = np.ones(net.blocks[j].W.shape, bool) if net.blocks[j].mask is None \
                else net.blocks[j].mask.copy()
            mj[rows.start + min(1, blk.width - 1)] = False
            net.set_mask(j, mj)
        expected = net.forward(X)
        units = net.n_hidden_units
        removed = remove_dead_units(net)
        assert removed >= 1 and net.n_hidden_units == units - removed
        np.testing.assert_allclose(net.forward(X), expected, atol=1e-12)
        assert not np.allclose(before, before_masked)  # the masks did change it


def test_cascade_network_pruning_respects_frozen_blocks():
    rng = np.random.default_rng(12)
    net = random_cascade(rng, n_hidden=4, hidden="tanh", output="symmetric_sigmoid")
    for k in range(net.output_block):
        net.freeze(k)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > X[:, 1]).astype(int)
    frozen_W = {int(u): net.blocks[k].W[:, j].copy()
                for k in range(net.output_block)
                for j, u in enumerate(net.unit_ids[k + 1])}
    kept = OptimalBrainDamage(target_fraction=0.3, retrain_epochs=5, frozen="keep",
                              rng=0).fit(X, y, network=net)
    out = kept.network_
    assert net.n_active_weights == net.n_weights  # the caller's network is untouched
    for k in range(out.output_block):  # surviving frozen units keep every input weight
        assert out.blocks[k].mask is None or out.blocks[k].mask.all()
        for j, u in enumerate(out.unit_ids[k + 1]):
            np.testing.assert_array_equal(out.blocks[k].W[:, j], frozen_W[int(u)])
    pruned = OptimalBrainDamage(target_fraction=0.3, retrain_epochs=5, frozen="prune",
                                rng=0).fit(X, y, network=net)
    assert any(b.mask is not None and not b.mask.all() for b in pruned.network_.blocks[:-1])
    assert not any(b.trainable for b in pruned.network_.blocks[:-1])
    unfrozen = OptimalBrainDamage(target_fraction=0.3, retrain_epochs=5, frozen="unfreeze",
                                  rng=0).fit(X, y, network=net)
    assert all(b.trainable for b in unfrozen.network_.blocks)


def test_per_block_ranking_and_random_criterion_are_deterministic():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(40, 4))
    y = (X.sum(axis=1) > 0).astype(int)
    kw = dict(hidden_layer_sizes=(6, 5), epochs=20, retrain_epochs=3, target_fraction=0.4,
              ranking="per_block", prune_units=False)
    a = OptimalBrainDamage(criterion="random", rng=5, **kw).fit(X, y)
    b = OptimalBrainDamage(criterion="random", rng=5, **kw).fit(X, y)
    np.testing.assert_array_equal(a.network_.params, b.network_.params)
    # per block: every block keeps about the same fraction
    fractions = [b_.mask.mean() for b_ in a.network_.blocks]
    assert max(fractions) - min(fractions) < 0.15


def test_tolerance_stops_and_restores_previous_round():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    m = OptimalBrainDamage(hidden_layer_sizes=(12,), epochs=300, retrain_epochs=0,
                           target_fraction=0.0, prune_fraction=0.3, tolerance=0.0,
                           optimizer=Adam(lr=0.02), rng=0).fit(X, y)
    h = m.history_
    assert h.stop_reason == "tolerance"
    events = h.events_of("weights_pruned")
    restored = h.events_of("restored")[0]
    assert restored["round"] == len(events) - 1 == m.n_rounds_
    left = sum(b.W.size if b.mask is None else int(b.mask.sum()) for b in m.network_.blocks)
    assert left == (events[-2]["weights_left"] if len(events) > 1 else m.initial_weights_)
    acc = np.mean(m.network_.predict_classes(X) == y)
    assert 1 - acc <= 1 - h.meta["accuracy_unpruned"] + 1e-12
    # regression: the loss as the monitored quantity
    T = np.column_stack([X[:, 0] * X[:, 1], X[:, 0]])
    r = OptimalBrainDamage(hidden_layer_sizes=(12,), epochs=300, retrain_epochs=0,
                           target_fraction=0.0, prune_fraction=0.3, tolerance=0.01,
                           tolerance_metric="loss", optimizer=Adam(lr=0.02), rng=0).fit(X, T)
    assert r.history_.stop_reason == "tolerance"
    final = r.network_.gradient(X, T, "mse")[0]
    assert final <= r.history_.meta["loss_unpruned"] + 0.01


@pytest.mark.parametrize("kwargs,exc,word", [
    (dict(criterion="size"), ValueError, "criterion"),
    (dict(hessian="hutchinson"), ValueError, "hessian"),
    (dict(ranking="layer"), ValueError, "ranking"),
    (dict(frozen="thaw"), ValueError, "frozen"),
    (dict(tolerance_metric="auc"), ValueError, "tolerance_metric"),
    (dict(target_fraction=1.0), ValueError, "target_fraction"),
    (dict(target_fraction="half"), TypeError, "target_fraction"),
    (dict(prune_fraction=0.0), ValueError, "prune_fraction"),
    (dict(retrain_epochs=-1), ValueError, "retrain_epochs"),
    (dict(retrain_epochs=2.5), TypeError, "retrain_epochs"),
    (dict(tolerance=-0.1), ValueError, "tolerance"),
    (dict(optimizer=3), TypeError, "optimizer"),
    (dict(callbacks=[1]), TypeError, "callbacks"),
    (dict(hidden_layer_sizes=(0,)), ValueError, "hidden_layer_sizes"),
])
def test_bad_parameters_give_clear_errors(kwargs, exc, word):
    X, y = np.zeros((4, 2)), np.array([0, 1, 1, 0])
    with pytest.raises(exc, match=word):
        OptimalBrainDamage(epochs=1, **kwargs).fit(X, y)


def test_bad_inputs_give_clear_errors():
    net = Network.mlp([2, 3, 1], hidden="tanh", output="sigmoid", rng=0)
    X, y = np.zeros((4, 2)), np.array([0, 1, 1, 0])
    with pytest.raises(ValueError, match="mode"):
        hessian_diagonal(net, X, y, mode="gauss")
    with pytest.raises(TypeError, match="network"):
        hessian_diagonal("net", X, y)
    with pytest.raises(ValueError, match="columns"):
        hessian_diagonal(net, np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match="rows"):
        hessian_diagonal(net, X, y[:3])
    with pytest.raises(ValueError, match="finite"):
        hessian_diagonal(net, np.full((4, 2), np.nan), y)
    with pytest.raises(ValueError, match="loss"):
        hessian_diagonal(net, X, y, loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match="flat"):
        block_views(net, np.zeros(3))
    with pytest.raises(ValueError, match="hessian"):
        saliencies(net, X, y, hessian=np.zeros(2))
    with pytest.raises(TypeError, match="network"):
        OptimalBrainDamage().fit(X, y, network="mlp")
    # the estimator contract checks a given network against X (structlearn.estimator)
    with pytest.raises(ValueError, match="network: it has 3 inputs but X has 2 features"):
        OptimalBrainDamage(epochs=1).fit(X, y, network=Network.mlp([3, 2, 1], rng=0,
                                                                   output="sigmoid"))
    # ... and says a validation that is not a pair is of the wrong type
    with pytest.raises(TypeError, match="validation"):
        OptimalBrainDamage(epochs=1).fit(X, y, validation=X)
    # a given network's outputs must fit y
    with pytest.raises(ValueError, match="network: it has 3 outputs but y has 2 classes"):
        OptimalBrainDamage().fit(X, y, network=Network.mlp([2, 3, 3], rng=0))
    with pytest.raises(TypeError, match="positional"):
        OptimalBrainDamage().fit(X, y, net)  # network is keyword-only


# ------------------------------------------------------------ the estimator contract
def _two_blobs(labels, n=60, seed=15):
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 2, n)
    X = np.array([[-1.0, 0.0], [1.0, 0.5]])[k] + 0.3 * rng.normal(size=(n, 2))
    return X, np.asarray(labels)[k]


@pytest.mark.parametrize("labels", [(3, 7), ("cat", "dog"), (10**12, -5)])
def test_labels_are_classes_not_output_indices(labels):
    X, y = _two_blobs(labels)
    m = OptimalBrainDamage(hidden_layer_sizes=(6,), epochs=100, retrain_epochs=5,
                           target_fraction=0.5, optimizer=Adam(lr=0.05), rng=0).fit(X, y)
    assert m.network_.n_outputs == 1 and m.network_.blocks[-1].activation == "sigmoid"
    assert list(m.classes_) == sorted(labels) and m.n_outputs_ == 1
    assert set(m.predict(X)) <= set(labels)
    assert m.score(X, y) == np.mean(m.predict(X) == y) > 0.9
    # the accuracies OBD records (and its tolerance monitors) are the decoded class's
    rounds = m.history_.events_of("weights_pruned")
    assert rounds and rounds[-1]["accuracy"] == m.score(X, y)


def test_network_kind_follows_the_targets():
    rng = np.random.default_rng(16)
    X = rng.normal(size=(40, 3))
    kinds = {"multiclass": (rng.integers(0, 3, 40), "softmax", 3),
             "multilabel": ((X[:, :2] > 0).astype(int), "sigmoid", 2),
             "regression": (X[:, 0] - X[:, 1], "linear", 1)}
    for kind, (y, output, n_out) in kinds.items():
        m = OptimalBrainDamage(hidden_layer_sizes=(5,), epochs=20, retrain_epochs=2,
                               target_fraction=0.6, rng=0).fit(X, y)
        assert m.target_info_.kind == kind
        assert m.network_.blocks[-1].activation == output and m.n_outputs_ == n_out
        assert m.predict(X).shape == np.shape(y)
        assert hasattr(m, "classes_") == (kind == "multiclass")
    # task="classification" reads real-valued labels as classes
    m = OptimalBrainDamage(hidden_layer_sizes=(5,), epochs=20, retrain_epochs=2,
                           target_fraction=0.6, task="classification",
                           rng=0).fit(X, (X[:, 0] > 0).astype(float))
    assert list(m.classes_) == [0.0, 1.0]


def test_fitted_attributes_and_epoch_count():
    rng = np.random.default_rng(17)
    X = rng.normal(size=(50, 2))
    y = (X[:, 0] > 0).astype(int)
    m = OptimalBrainDamage(hidden_layer_sizes=(6,), epochs=30, retrain_epochs=4, final_epochs=3,
                           target_fraction=0.5, rng=0).fit(X, y)
    assert m.n_features_in_ == 2 and m.n_outputs_ == 1
    assert isinstance(m.n_epochs_, int)
    assert m.n_epochs_ == 30 + 4 * m.n_rounds_ + 3 == m.history_.epochs
    assert m.stop_reason_ == m.history_.stop_reason == "target_reached"
    # a given network is taken as trained: only the retraining counts
    again = OptimalBrainDamage(retrain_epochs=0, target_fraction=0.8, rng=0).fit(
        X, y, network=m.network_)
    assert again.n_epochs_ == 0 and again.n_rounds_ >= 1


def test_regression_tolerance_monitors_the_loss():
    rng = np.random.default_rng(18)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] * X[:, 1]
    kw = dict(hidden_layer_sizes=(8,), epochs=100, retrain_epochs=0, target_fraction=0.0,
              prune_fraction=0.3, tolerance=0.01, optimizer=Adam(lr=0.02), rng=0)
    with pytest.raises(ValueError, match="tolerance_metric: 'error' needs class labels"):
        OptimalBrainDamage(tolerance_metric="error", **kw).fit(X, y)
    auto = OptimalBrainDamage(**kw).fit(X, y)  # "auto": the loss for regression
    loss = OptimalBrainDamage(tolerance_metric="loss", **kw).fit(X, y)
    np.testing.assert_array_equal(auto.network_.params, loss.network_.params)
    assert auto.stop_reason_ == "tolerance"
    assert "r2_unpruned" in auto.history_.meta and "accuracy_unpruned" not in auto.history_.meta


def test_exact_hessian_in_the_pruning_loop():
    """hessian="exact": the R-operator diagonal drives the same schedule; its predicted increase
    is the exact-diagonal saliency sum, and large networks get a clear error."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    net = Network.mlp([3, 5, 4, 1], hidden="tanh", output="sigmoid", rng=rng)
    train(net, X, y, optimizer=Adam(lr=0.05), epochs=200, progress=False)
    exact = hessian_diagonal(net, X, y, mode="exact")
    m = OptimalBrainDamage(hessian="exact", retrain_epochs=0, target_fraction=0.8,
                           prune_fraction=0.1, max_rounds=1, prune_units=False, rng=0)
    m.fit(X, y, network=net)
    ev = m.history_.events_of("weights_pruned")[0]
    deleted = [i for i in range(net.n_weights) if m.network_.params[i] == 0 and net.params[i] != 0]
    sal = 0.5 * exact * net.params ** 2
    assert ev["predicted_increase"] == pytest.approx(sal[deleted].sum(), rel=1e-9)
    assert m.history_.meta["hessian"] == "exact"
    big = Network.mlp([60, 70, 1], hidden="tanh", output="sigmoid", rng=0)
    with pytest.raises(ValueError, match="max_weights"):
        OptimalBrainDamage(hessian="exact").fit(rng.normal(size=(6, 60)), np.arange(6) % 2,
                                                network=big)


def test_select_chooses_the_stopping_point_on_validation_data():
    """select="best": the network of the path (unpruned = round 0) with the lowest validation
    error, ties to the smaller; "smallest": the smallest whose validation error is at most the
    unpruned one's (plus tolerance).  Pruning runs to target_fraction, a floor."""
    rng = np.random.default_rng(21)
    X = rng.normal(size=(160, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    Xv, yv = X[80:], y[80:]
    X, y = X[:80], y[:80]
    kw = dict(hidden_layer_sizes=(12,), epochs=300, retrain_epochs=30, target_fraction=0.1,
              prune_fraction=0.3, optimizer=Adam(lr=0.02), rng=0)
    last = OptimalBrainDamage(**kw).fit(X, y, validation=(Xv, yv))
    ev = last.history_.events_of("weights_pruned")
    err = [1 - last.history_.meta["val_accuracy_unpruned"]] + [1 - e["val_accuracy"] for e in ev]
    left = [last.initial_weights_] + [e["weights_left"] for e in ev]
    best = OptimalBrainDamage(select="best", **kw).fit(X, y, validation=(Xv, yv))
    small = OptimalBrainDamage(select="smallest", **kw).fit(X, y, validation=(Xv, yv))
    # the same path (same seed), only the returned network differs
    assert [e["weights_left"] for e in best.history_.events_of("weights_pruned")] == left[1:]
    i_best = min(range(len(err)), key=lambda i: (err[i], -i))
    assert best.n_rounds_ == i_best and best.weights_left_ == left[i_best]
    assert 1 - best.score(Xv, yv) == pytest.approx(min(err))
    ok = [i for i in range(len(err)) if err[i] <= err[0] + 1e-12]
    assert small.n_rounds_ == max(ok) and small.weights_left_ == left[max(ok)]
    assert small.score(Xv, yv) >= last.history_.meta["val_accuracy_unpruned"] - 1e-12
    if best.n_rounds_ != len(ev):
        assert best.history_.events_of("selected")[0]["round"] == best.n_rounds_
    with pytest.raises(ValueError, match="select"):
        OptimalBrainDamage(select="first", **kw).fit(X, y)


def test_retrain_patience_stops_each_retraining_on_the_validation_loss():
    """retrain_patience: each round's retraining stops after that many epochs without a better
    validation loss, with the best epoch's weights put back; retrain_epochs is the most."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    flip = rng.random(60) < 0.3  # noisy training labels: retraining overfits, then stops
    Xv, yv = X[60:], y[60:]
    X, y = X[:60], np.where(flip, 1 - y[:60], y[:60])
    kw = dict(hidden_layer_sizes=(16,), epochs=200, retrain_epochs=300, target_fraction=0.5,
              prune_fraction=0.2, loss="mse", optimizer=Adam(lr=0.05), rng=0)
    fixed = OptimalBrainDamage(**kw).fit(X, y, validation=(Xv, yv))
    stopped = OptimalBrainDamage(retrain_patience=5, **kw).fit(X, y, validation=(Xv, yv))
    rows = [r for r in stopped.history_.rows if r["phase"] == "retrain"]
    per_round = len(rows) / stopped.n_rounds_
    assert stopped.n_rounds_ == fixed.n_rounds_
    assert per_round < 300  # stopped early
    start = 0
    for ev in stopped.history_.events_of("weights_pruned"):
        # the restored epoch's validation loss is the best this round's retraining saw
        seen = [r["val_loss"] for r in rows if start < r["epoch"] <= ev["epoch"]]
        assert seen and ev["val_loss"] == pytest.approx(min(seen), rel=1e-9)
        start = ev["epoch"]
    with pytest.raises(ValueError, match="retrain_patience"):
        OptimalBrainDamage(retrain_patience=0, **kw).fit(X, y)
