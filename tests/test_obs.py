"""Optimal Brain Surgeon (Hassibi & Stork 1993): saliency, compensating update, the pruning loop."""
import numpy as np
import pytest

from structlearn import Network, train
from structlearn.curvature import full_hessian
from structlearn.obd import OptimalBrainDamage
from structlearn.obs import damped_inverse, obs_saliencies, obs_select, obs_variables
from structlearn.optim import LBFGS

from helpers import random_cascade


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


# ------------------------------------------------ block-diagonal OBS (obs_blocks)
def _single_layer(seed, output="linear", n_out=2):
    """A network with no hidden block: 4 inputs straight to ``n_out`` outputs, trained."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 4))
    net = Network.mlp([4, n_out], output=output, rng=rng)
    if output == "linear":
        y = X @ rng.normal(size=(4, n_out)) + 0.3 * rng.normal(size=(50, n_out))
    else:
        y = (X @ rng.normal(size=(4, n_out)) + 2.0 * rng.normal(size=(50, n_out)) > 0) * 1.0
    train(net, X, y, loss="mse", optimizer=LBFGS(), epochs=200, progress=False)
    return net, X, y


@pytest.mark.parametrize("output,hessians", [("linear", [("exact", "full"), ("lm", "lm")]),
                                             ("sigmoid", [("exact", "full"), ("lm", "lm")])])
def test_blockwise_obs_with_one_block_equals_the_full_version(output, hessians):
    """With one network block, "layer" is the full matrix; and under mse the output block's
    Hessian has no terms between different outputs, so the per-unit blocks from the recursion
    ("full": exact, "lm": Gauss-Newton) are the whole Hessian: saliencies and the pruned
    networks agree with full OBS.  (Undamped: the damping is relative to each block's mean
    curvature, so with damping the parts differ from the whole by O(damping).)"""
    net, X, y = _single_layer(0, output)
    for full_h, unit_h in hessians:
        ref = obs_saliencies(net, X, y, loss="mse", hessian=full_h, damping=0.0)
        lay = obs_saliencies(net, X, y, loss="mse", hessian=full_h, obs_blocks="layer",
                             damping=0.0)
        uni = obs_saliencies(net, X, y, loss="mse", hessian=unit_h, obs_blocks="unit",
                             damping=0.0)
        np.testing.assert_allclose(lay, ref, rtol=1e-9)
        np.testing.assert_allclose(uni, ref, rtol=1e-6)
        nets = []
        for blocks, h in (("full", full_h), ("layer", full_h), ("unit", unit_h)):
            m = OptimalBrainDamage(criterion="obs", obs_blocks=blocks, hessian=h, loss="mse",
                                   damping=0.0,
                                   task="regression", retrain_epochs=0, target_fraction=0.5,
                                   prune_fraction=0.25, rng=0).fit(X, y, network=net)
            nets.append(m.network_)
        for other in nets[1:]:
            np.testing.assert_array_equal(other.blocks[-1].mask, nets[0].blocks[-1].mask)
            np.testing.assert_allclose(other.params, nets[0].params, rtol=1e-6, atol=1e-9)


def test_unit_blocks_have_obds_diagonal_and_the_exact_hessians_blocks_on_the_output():
    """A unit's matrix sum_n h x x^T has OBD's h_kk on its diagonal (both recursions), and on the
    output block of a 1-hidden-layer mse net it is the exact Hessian's block (mode "full")."""
    from structlearn.curvature import check_problem
    from structlearn.hessian import hessian_diagonal
    from structlearn.losses import get_loss
    from structlearn.obs import obs_parts

    net, X, y = _trained(1)
    loss, Xc, T = check_problem(net, X, y, "mse")
    for mode in ("lm", "full"):
        diag = hessian_diagonal(net, X, y, mode=mode, loss="mse")
        parts = obs_parts(net, Xc, T, get_loss("mse"), [0, 1], "unit", mode)
        assert len(parts) == net.blocks[0].width + 1
        for S, H in parts:
            np.testing.assert_allclose(np.diag(H), diag[S], rtol=1e-9, atol=1e-14)
    S, H = parts[-1]
    exact = full_hessian(net, X, y, loss="mse", indices=S)
    np.testing.assert_allclose(H, exact, rtol=1e-6, atol=1e-12)


def test_blockwise_obs_on_a_cascade_net_finite_and_it_prunes():
    """On a cascade network (units reading inputs and earlier units) every block-wise saliency is
    finite and non-negative; the loop deletes the asked fraction and masks hold the zeros."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = random_cascade(rng, n_in=3, n_out=1, n_hidden=3, output="sigmoid")
    train(net, X, y, epochs=200, progress=False)
    for blocks, h in (("layer", "exact"), ("layer", "lm"), ("unit", "lm"), ("unit", "full")):
        sal = obs_saliencies(net, X, y, hessian=h, obs_blocks=blocks)
        finite = sal[np.isfinite(sal)]
        assert finite.size > 0 and np.all(finite >= 0)
        m = OptimalBrainDamage(criterion="obs", obs_blocks=blocks, hessian=h, retrain_epochs=5,
                               target_fraction=0.5, prune_units=False,
                               rng=0).fit(X, y, network=net)
        assert m.weights_left_ == int(np.ceil(0.5 * m.initial_weights_))
        for blk in m.network_.blocks:
            if blk.mask is not None:
                assert np.all(blk.W[~blk.mask] == 0)


def test_blockwise_obs_errors_name_the_argument():
    net, X, y = _trained(2)
    with pytest.raises(ValueError, match="obs_blocks"):
        obs_saliencies(net, X, y, obs_blocks="rows")
    with pytest.raises(ValueError, match="obs_blocks"):
        OptimalBrainDamage(criterion="obs", obs_blocks="rows", epochs=0).fit(X, y[:, 0],
                                                                           network=net)
    with pytest.raises(ValueError, match="hessian"):  # the recursion's modes only, per unit
        obs_saliencies(net, X, y, obs_blocks="unit", hessian="exact")
    with pytest.raises(ValueError, match="hessian"):  # a whole matrix for layer blocks
        obs_saliencies(net, X, y, obs_blocks="layer", hessian="full")
    # a block with more than 4,096 variables: layer-wise refuses; unit-wise fits
    big = Network.mlp([60, 70, 1], hidden="tanh", output="linear", rng=0)
    Xb = np.random.default_rng(0).normal(size=(8, 60))
    with pytest.raises(ValueError, match="max_weights"):
        obs_saliencies(big, Xb, np.arange(8.0), obs_blocks="layer")
    assert np.all(np.isfinite(obs_saliencies(big, Xb, np.arange(8.0), obs_blocks="unit")[:60]))
    # units too wide for any OBS (the sum of squared unit sizes): a clear refusal
    wide = Network.mlp([300, 200, 1], hidden="tanh", output="linear", rng=0)
    Xw = np.random.default_rng(0).normal(size=(4, 300))
    with pytest.raises(ValueError, match="unit-wise OBS.*max_weights"):
        OptimalBrainDamage(criterion="obs", obs_blocks="unit",
                           task="regression").fit(Xw, np.arange(4.0), network=wide)


def test_obs_trial_in_the_harness():
    """The `obs` trial runs on OBD's schedule and is in every obd suite but the MNIST-size one."""
    from structlearn.bench import registry
    from structlearn.bench.obd_trials import obs_trial

    row, _ = obs_trial("xor", 0)
    assert row["criterion"] == "obs" and row["weights_left"] == 8 == row["initial_weights"] - 4
    trials = registry.load_trials()
    obs, obd = trials["obs"], trials["obd"]
    for suite, entries in obd.suites.items():
        want = [e for e in entries if "mnist" not in e[1]]
        assert list(obs.suites[suite]) == want
