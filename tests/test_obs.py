"""Optimal Brain Surgeon (Hassibi & Stork 1993): saliency, compensating update, the pruning loop."""
import numpy as np
import pytest

from structlearn import Network, train
from structlearn.curvature import full_hessian
from structlearn.obd import OptimalBrainDamage
from structlearn.obs import damped_inverse, obs_saliencies, obs_select, obs_variables
from structlearn.optim import LBFGS


def _trained(seed, task="regression", hidden=3, n=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    if task == "regression":
        y = np.tanh(X[:, 0] - 0.5 * X[:, 1]) + 0.5 * np.tanh(X[:, 2]) + 0.1 * rng.normal(size=n)
        net = Network.mlp([3, hidden, 1], hidden="tanh", output="linear", rng=rng)
        y = y[:, None]
    else:
        y = (np.sin(X[:, 0]) + X[:, 1] * X[:, 2] > 0).astype(int)
        net = Network.mlp([3, hidden, 1], hidden="tanh", output="sigmoid", rng=rng)
    train(net, X, y, optimizer=LBFGS(), epochs=300, progress=False)
    return net, X, y


def test_single_deletion_is_the_smallest_second_order_increase_by_brute_force():
    """For every weight q, brute force the best correction of all the other variables under the
    quadratic model (solve the reduced system directly, no inverse-Hessian formula): OBS's first
    deletion, with its update, reaches the smallest increase of all of them; every deletion
    without correction (OBD's, magnitude's) costs at least as much."""
    net, X, y = _trained(3)  # a seed whose minimum is strictly convex (others overfit into
    # saturated units and a singular Hessian)
    S = obs_variables(net, range(len(net.blocks)))
    H = full_hessian(net, X, y, loss="mse", indices=S)
    assert np.linalg.eigvalsh(H).min() > 0  # a minimum: the quadratic model is convex
    w = net.params[S].astype(float)
    cand = np.array([i for i, s in enumerate(S)
                     if s < net.block_slice(0).start + net.blocks[0].W.size
                     or net.block_slice(1).start <= s < net.block_slice(1).start
                     + net.blocks[1].W.size])
    best = {}
    for q in cand:
        rest = np.setdiff1d(np.arange(len(S)), [q])
        d = np.zeros(len(S))
        d[q] = -w[q]
        d[rest] = np.linalg.solve(H[np.ix_(rest, rest)], H[rest, q] * w[q])
        best[q] = 0.5 * d @ H @ d
        uncorrected = 0.5 * H[q, q] * w[q] ** 2
        assert best[q] <= uncorrected * (1 + 1e-9)
    Hinv, lam = damped_inverse(H, damping=0.0)
    assert lam == 0.0
    w_new = w.copy()
    gone, cost = obs_select(Hinv.copy(), w_new, cand, 1)
    q = gone[0]
    delta = w_new - w
    assert w_new[q] == 0.0
    achieved = 0.5 * delta @ H @ delta
    assert achieved == pytest.approx(min(best.values()), rel=1e-8)
    assert cost[0] == pytest.approx(achieved, rel=1e-8)
    assert best[q] == pytest.approx(min(best.values()), rel=1e-8)
    # and the actual loss after the surgery is what the model predicts (small step at a minimum)
    before = net.gradient(X, y, "mse")[0]
    surgeon = net.copy()
    surgeon.params[S] = w_new
    after = surgeon.gradient(X, y, "mse")[0]
    assert after - before == pytest.approx(achieved, rel=0.3)


def test_sequential_deletions_equal_the_joint_constrained_minimum():
    """Deleting a set one weight at a time with Schur downdates is the exact quadratic-model
    optimum for that set (all of it deleted, all other variables corrected at once)."""
    net, X, y = _trained(6)
    S = obs_variables(net, range(len(net.blocks)))
    H = full_hessian(net, X, y, loss="mse", indices=S)
    w = net.params[S].astype(float)
    Hinv, _ = damped_inverse(H, damping=0.0)
    w_new = w.copy()
    gone, costs = obs_select(Hinv, w_new, np.arange(len(S) - 1), 4)
    rest = np.setdiff1d(np.arange(len(S)), gone)
    d = np.zeros(len(S))
    d[gone] = -w[gone]
    d[rest] = -np.linalg.solve(H[np.ix_(rest, rest)], H[np.ix_(rest, gone)] @ d[gone])
    np.testing.assert_allclose(w_new - w, d, rtol=1e-7, atol=1e-10)
    assert costs.sum() == pytest.approx(0.5 * d @ H @ d, rel=1e-8)


def test_obs_beats_obd_and_magnitude_without_retraining():
    """Hassibi & Stork's claim on small networks: at equal deletions and no retraining, OBS
    raises the training loss less than OBD and than magnitude pruning (mean over seeds)."""
    inc = {c: [] for c in ("obs", "obd", "magnitude")}
    for seed in range(5):
        net, X, y = _trained(seed, hidden=6, n=100)
        for criterion in inc:
            m = OptimalBrainDamage(criterion=criterion, retrain_epochs=0, target_fraction=0.6,
                                   prune_fraction=0.1, task="regression", rng=0)
            m.fit(X, y[:, 0], network=net)
            inc[criterion].append(m.history_.events_of("weights_pruned")[-1]["total_increase"])
    mean = {c: float(np.mean(v)) for c, v in inc.items()}
    assert mean["obs"] < mean["obd"]
    assert mean["obs"] < mean["magnitude"]


def test_obs_in_the_pruning_loop_keeps_masks_frozen_blocks_and_biases():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = Network.mlp([3, 5, 4, 1], hidden="tanh", output="sigmoid", rng=rng)
    train(net, X, y, optimizer=LBFGS(), epochs=100, progress=False)
    net.freeze(0)
    frozen = net.blocks[0].W.copy(), net.blocks[0].b.copy()
    m = OptimalBrainDamage(criterion="obs", hessian="lm", retrain_epochs=0, target_fraction=0.5,
                           prune_fraction=0.25, prune_units=False, rng=0).fit(X, y, network=net)
    out = m.network_
    np.testing.assert_array_equal(out.blocks[0].W, frozen[0])
    np.testing.assert_array_equal(out.blocks[0].b, frozen[1])
    assert out.blocks[1].mask is not None
    for blk in out.blocks[1:]:
        assert blk.mask is None or np.all(blk.W[~blk.mask] == 0.0)
    assert m.weights_left_ == m.history_.meta["target_weights"]
    assert not np.allclose(out.blocks[2].b, net.blocks[2].b)  # biases take part in the correction
    assert len(m.damping_used_) == m.n_rounds_ > 0
    ev = m.history_.events_of("weights_pruned")
    assert all(e["predicted_increase"] >= 0 for e in ev)
    assert m.history_.meta["hessian"] == "lm"
    # per-block ranking: the same fraction of each pruned block
    m2 = OptimalBrainDamage(criterion="obs", ranking="per_block", retrain_epochs=0,
                            target_fraction=0.5, prune_fraction=0.5, max_rounds=1,
                            prune_units=False, rng=0).fit(X, y, network=net)
    left = [int(m2.network_.blocks[k].mask.sum()) for k in (1, 2)]
    assert left == [10, 2]


def test_obs_saliencies_and_errors():
    net, X, y = _trained(2)
    sal = obs_saliencies(net, X, y, loss="mse")
    W_end = net.block_slice(0).start + net.blocks[0].W.size
    assert np.all(np.isfinite(sal[:W_end])) and np.all(sal[:W_end] >= 0)
    assert np.isinf(sal[net.block_slice(0).stop - 1])  # a bias is never deleted
    with pytest.raises(ValueError, match="hessian"):
        obs_saliencies(net, X, y, hessian="full")
    with pytest.raises(ValueError, match="hessian"):
        OptimalBrainDamage(criterion="obs", hessian="full", epochs=0).fit(X, y[:, 0],
                                                                         network=net)
    big = Network.mlp([60, 70, 1], hidden="tanh", output="linear", rng=0)
    Xb = np.random.default_rng(0).normal(size=(5, 60))
    with pytest.raises(ValueError, match="max_weights"):
        OptimalBrainDamage(criterion="obs", task="regression").fit(Xb, np.arange(5.0),
                                                                   network=big)
    with pytest.raises(ValueError, match="damping"):
        OptimalBrainDamage(criterion="obs", damping=-1.0, epochs=1).fit(X, y[:, 0])


def test_damping_makes_an_indefinite_hessian_invertible():
    H = np.diag([1.0, -0.5, 2.0])
    Hinv, lam = damped_inverse(H, damping=1e-4)
    assert lam > 0.5
    np.testing.assert_allclose(Hinv @ (H + lam * np.eye(3)), np.eye(3), atol=1e-10)
