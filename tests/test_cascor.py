"""Cascade-Correlation: the arithmetic, the estimator, the batched runner, the paper's claims."""
import numpy as np
import pytest

from helpers import numeric_gradient, relative_error
from structlearn import Network
from structlearn import datasets as ds
from structlearn.activations import get_activation
from structlearn.cascor import BatchRunner, CandidatePool, CascadeCorrelation
from structlearn.cascor.core import candidate_terms, error_stats, output_terms, patience_step
from structlearn.optim import quickprop_step


# ------------------------------------------------------------------ quickprop
def test_quickprop_step_hand_computed():
    """Fahlman (1988) / cascor's QUICKPROP_UPDATE on cases worked out by hand (mu = 2)."""
    eps, mu = 0.5, 2.0
    w = np.zeros(5)
    #            fresh  secant  capped  reversed  equal slopes
    d = np.array([0.0, -0.5, -0.5, -0.5, 0.25])
    p = np.array([0.0, 1.0, 1.0, 1.0, -0.4])
    s = np.array([1.0, 0.5, 0.9, -0.2, -0.4])
    step, slopes = quickprop_step(w, s, d, p, eps, mu)
    expected = [
        -0.5 * 1.0,                        # d == 0: gradient step -eps * s
        -0.5 * 0.5 / (1.0 - 0.5) - 0.25,   # secant d s/(p-s), plus -eps s (s still > 0)
        2.0 * -0.5 - 0.45,                 # s >= mu/(1+mu) p: capped at mu d, plus -eps s
        -0.5 * -0.2 / (1.0 + 0.2),         # slope changed sign: secant only, no -eps s
        2.0 * 0.25 + 0.2,                  # p == s: the division is guarded (mu d), plus -eps s
    ]
    np.testing.assert_allclose(step, expected, rtol=1e-12)
    np.testing.assert_array_equal(slopes, s)
    step, slopes = quickprop_step(np.full(5, 2.0), s, d, p, eps, mu, decay=0.1)
    np.testing.assert_allclose(slopes, s + 0.2)


# ------------------------------------------------------------ the arithmetic
def _batch(rng, B=2, O=2, K=3, F=5, P=17):
    V = rng.standard_normal((B, F, P))
    V[:, 0] = 1.0                                   # the bias row
    W = rng.uniform(-1, 1, (B, K, F))               # candidate weights
    E = rng.standard_normal((B, O, P)) * 0.3 + 0.1  # errors with a non-zero mean
    return V, W, E


def _score(V, Wc, E, act, covariance=True):
    """Candidate scores written the slow, obvious way (the paper's eq. 1, code normalisation)."""
    B, K = Wc.shape[0], Wc.shape[1]
    P = V.shape[2]
    S = np.zeros((B, K))
    for b in range(B):
        sse = np.sum(E[b] ** 2)
        for k in range(K):
            v = act.f(Wc[b, k] @ V[b])
            for o in range(E.shape[1]):
                if covariance:
                    c = np.sum((v - v.mean()) * (E[b, o] - E[b, o].mean()))
                else:   # the C code: subtracts mean(v) * mean(E) once
                    c = np.sum(v * E[b, o]) - v.mean() * E[b, o].mean()
                S[b, k] += abs(c / sse)
    assert P == V.shape[2]
    return S


@pytest.mark.parametrize("unit_type", ["symmetric_sigmoid", "tanh", "gaussian",
                                       ("symmetric_sigmoid", "gaussian")])
def test_candidate_scores_and_slopes_match_finite_differences(unit_type):
    rng = np.random.default_rng(0)
    O, K = 2, 3
    V, W, E = _batch(rng, O=O, K=K)
    pool = CandidatePool(K, unit_type)
    e_aug, e_cen, e_mean, sse = error_stats(E)
    acts = [get_activation(t) for t in pool.types]

    def run(W, prev_cor, score):
        return candidate_terms(V, W, pool.groups, e_aug, e_cen, e_mean, sse, prev_cor, score)

    for score, cov in (("covariance", True), ("c_code", False)):
        cor, scores, _ = run(W, np.zeros((2, K, O)), score)
        # the scores, against a direct computation (per candidate activation)
        for k, act in enumerate(acts):
            ref = _score(V, W[:, k:k + 1], E, act, covariance=cov)
            np.testing.assert_allclose(scores[:, k], ref[:, 0], rtol=1e-12)
    # slopes: with the signs of the current correlations, they are -dS/dW of the
    # covariance score (whichever formula reports the score)
    cor, _, _ = run(W, np.zeros((2, K, O)), "covariance")
    _, _, slopes = run(W, cor, "covariance")
    _, _, slopes_c = run(W, cor, "c_code")
    np.testing.assert_array_equal(slopes, slopes_c)
    Wc = W.copy()

    def total_score():
        return sum(_score(V, Wc[:, k:k + 1], E, act).sum() for k, act in enumerate(acts))

    flat = Wc.reshape(-1)
    grad = numeric_gradient(total_score, flat).reshape(Wc.shape)
    assert relative_error(-grad, slopes) < 1e-7
    # the same numbers through preallocated buffers
    from structlearn.cascor.core import workspace
    work = workspace(4, O, K, V.shape[2], np.float64)
    out = candidate_terms(V, W, pool.groups, e_aug, e_cen, e_mean, sse, cor, "c_code", work)
    np.testing.assert_array_equal(out[2], slopes)


def _cascade_net(rng, n_in=3, O=2, hidden=2):
    net = Network.cascade(n_in, O, rng=rng)
    for _ in range(hidden):
        out = net.output_block
        net.add_block(1, tuple(range(out + 1)), "symmetric_sigmoid", consumers=[out],
                      init_range=1.0, trainable=False, rng=rng)
    return net


def test_output_rows_are_the_network_output_block():
    """f(W[:, :O] @ V) is the network's output, and (offset 0) the output slopes are the
    gradient of the network's summed squared error."""
    rng = np.random.default_rng(1)
    net = _cascade_net(rng)
    X = rng.standard_normal((13, 3))
    T = rng.uniform(-0.5, 0.5, (13, 2))
    nodes = net.forward(X, return_nodes=True)
    V = np.concatenate([np.ones((13, 1))] + nodes[:-1], axis=1).T[None]
    out = net.blocks[-1]
    W = np.zeros((1, 2, V.shape[1]))
    W[0, :, 0] = out.b
    W[0, :, 1:] = out.W.T
    E, true_err, bits, slopes = output_terms(V, W, get_activation(out.activation), T.T[None],
                                             0.0, 0.4)
    Y = nodes[-1]
    np.testing.assert_allclose(true_err[0], np.sum((Y - T) ** 2), rtol=1e-12)
    assert bits[0] == np.count_nonzero(np.abs(Y - T) > 0.4)
    loss = net.loss_and_grad(X, T, "mse")
    assert np.isclose(loss, 0.5 * true_err[0] / 13)
    sl = net.block_slice(net.output_block)
    g = net.grads[sl]
    gW, gb = g[:out.W.size].reshape(out.W.shape), g[out.W.size:]
    np.testing.assert_allclose(slopes[0, :, 0], 13 * gb, rtol=1e-10)
    np.testing.assert_allclose(slopes[0, :, 1:], 13 * gW.T, rtol=1e-10)
    # with the offset, the error derivative is (y - t)(f' + 0.1)
    E, _, _, _ = output_terms(V, W, get_activation(out.activation), T.T[None], 0.1, 0.4)
    np.testing.assert_allclose(E[0].T, (Y - T) * (0.25 - Y * Y + 0.1), rtol=1e-12)


def test_patience_step_follows_the_code():
    # epoch 1 sets the reference; a >1% change reschedules the stop; none -> stop at quit
    last, quit_at, stag, tout = patience_step(np.array([0]), np.array([10.0]), np.array([0.0]),
                                              np.array([0]), 3, 0.01, 200)
    assert last[0] == 10.0 and quit_at[0] == 0 and not stag[0]
    last, quit_at, stag, _ = patience_step(np.array([1]), np.array([9.0]), last, quit_at, 3,
                                           0.01, 200)
    assert last[0] == 9.0 and quit_at[0] == 5 and not stag[0]
    for i, expect in ((2, False), (3, False), (4, True)):
        last, quit_at, stag, tout = patience_step(np.array([i]), np.array([8.99]), last,
                                                  quit_at, 3, 0.01, 200)
        assert stag[0] == expect and not tout[0]
    _, _, _, tout = patience_step(np.array([199]), np.array([1.0]), np.array([5.0]),
                                  np.array([0]), 3, 0.01, 200)
    assert tout[0]


def test_candidate_pool_groups_types_and_kinds():
    pool = CandidatePool(8, ["symmetric_sigmoid", "gaussian"], sibling_descendant=True,
                         n_siblings=4, descendant_penalty=0.8)
    assert pool.types == ["symmetric_sigmoid"] * 4 + ["gaussian"] * 4
    assert [sl for sl, _ in pool.groups] == [slice(0, 4), slice(4, 8)]
    assert pool.is_sibling.sum() == 4 and sorted(pool.kinds).count("descendant") == 4
    np.testing.assert_array_equal(pool.penalty, np.where(pool.is_sibling, 1.0, 0.8))
    # every type still gets both kinds of candidates
    for t in ("symmetric_sigmoid", "gaussian"):
        assert {k for k, ty in zip(pool.kinds, pool.types) if ty == t} == {"sibling", "descendant"}


# ------------------------------------------------------------ the algorithm
class _Recorder(BatchRunner):
    """Captures the winner's correlations right before each installation."""

    def _install(self, j):
        k = int(self.best[j])
        t, fan = int(self.tid[j]), int(self.fan[j])
        cor = self.prev_cor[j, k].copy()
        w = self.W[j, self.O + k, :fan].copy()
        self.seen = getattr(self, "seen", [])
        self.seen.append((t, fan, cor))
        super()._install(j)
        np.testing.assert_array_equal(self.W[j, :self.O, fan], -cor * self.cfg.weight_multiplier)
        new = self.nets[t].blocks[-2]           # plain cascade: the unit is the last block
        np.testing.assert_array_equal(new.b, w[:1])
        np.testing.assert_array_equal(new.W[:, 0], w[1:])
        # its cached values are the network's own values of that unit
        nodes = self.nets[t].forward(self.X, return_nodes=True)
        np.testing.assert_allclose(self.V[j, fan], nodes[-2][:, 0], rtol=1e-12, atol=1e-15)


def test_installed_unit_output_weights_are_minus_correlation():
    X, y = ds.parity(3)
    est = CascadeCorrelation(weight_multiplier=0.7, max_hidden_units=3)
    cfg, Xc, T, val = est._prepare(X, y, None)
    runner = _Recorder(Xc, T, [np.random.default_rng(s) for s in (0, 1)], cfg)
    results = runner.run()
    assert len(runner.seen) >= 2
    for t, fan, cor in runner.seen:
        assert np.all(cor != 0)
    # the frozen unit in the network has the candidate's weights, and is frozen
    net = results[0].network
    assert all(not blk.trainable for blk in net.blocks[:-1])
    assert net.blocks[-1].trainable


def test_xor_solved_and_network_agrees():
    X, y = ds.xor()
    m = CascadeCorrelation(rng=0).fit(X, y)
    assert m.success_ and m.stop_reason_ == "victory"
    assert 1 <= m.hidden_units_ <= 3
    np.testing.assert_array_equal(m.predict_classes(X), y)
    # victory is judged on the network's own outputs: every one within 0.4 of +-0.5
    out = m.network_.forward(X)[:, 0]
    assert np.all(np.abs(out - np.where(y == 1, 0.5, -0.5)) <= 0.4)
    last = [r for r in m.history_.rows if r["phase"] == "output"][-1]
    assert last["error_bits"] == 0
    np.testing.assert_allclose(last["true_error"], np.sum((out - np.where(y == 1, .5, -.5)) ** 2),
                               rtol=1e-10)


def test_two_spirals_solved_and_sdcc_is_shallower():
    """A few seeds of the paper's benchmark, plain and sibling/descendant (same seeds)."""
    X, y = ds.two_spirals()
    seeds = [0, 1, 2]
    plain = CascadeCorrelation(history="phase").fit_trials(X, y, seeds)
    sdcc = CascadeCorrelation(history="phase", pool_type="sibling_descendant").fit_trials(X, y,
                                                                                           seeds)
    for r in plain + sdcc:
        assert r.success and r.hidden_units <= 25
        assert np.all(np.abs(r.network.forward(X)[:, 0] - np.where(y == 1, .5, -.5)) <= 0.4)
    for r in plain:
        assert r.depth == r.hidden_units       # every unit is its own layer
    assert np.mean([r.depth for r in sdcc]) < 0.75 * np.mean([r.depth for r in plain])
    for r in sdcc:
        net = r.network
        assert any(blk.width > 1 for blk in net.blocks[:-1])    # siblings joined layers
        layers = sum(e["new_layer"] for e in r.history.events_of("unit_added"))
        assert layers == r.depth == len(net.blocks) - 1


def test_sdcc_siblings_do_not_read_their_layer():
    X, y = ds.parity(5)
    m = CascadeCorrelation(pool_type="sibling_descendant", rng=3, history="phase",
                           max_hidden_units=8).fit(X, y)
    net = m.network_
    for k, blk in enumerate(net.blocks[:-1]):
        assert blk.sources == tuple(range(k + 1))   # a layer reads everything before it only
    assert net.depth == len(net.blocks) - 1


def test_mixed_pool_with_sibling_descendant():
    X, y = ds.two_spirals()
    types = ("symmetric_sigmoid", "gaussian")
    m = CascadeCorrelation(unit_type=types, pool_type="sibling_descendant", rng=1,
                           history="phase").fit(X, y)
    assert m.success_
    acts = {blk.activation for blk in m.network_.blocks[:-1]}
    assert acts <= set(types)
    np.testing.assert_array_equal(m.predict_classes(X), y)


def test_determinism_and_batch_equals_single_run():
    X, y = ds.parity(4)
    a = CascadeCorrelation(rng=5).fit(X, y)
    b = CascadeCorrelation(rng=5).fit(X, y)
    np.testing.assert_array_equal(a.network_.params, b.network_.params)
    assert a.history_.to_dict()["events"] == b.history_.to_dict()["events"]
    assert [r["loss"] for r in a.history_.rows] == [r["loss"] for r in b.history_.rows]
    # a trial's result does not depend on the other trials of its batch (float64),
    # however their phases interleave (trials change slots when their phase changes)
    seeds = [5, 6, 7, 8, 9, 10]
    batch = CascadeCorrelation().fit_trials(X, y, seeds)
    np.testing.assert_array_equal(batch[0].network.params, a.network_.params)
    assert batch[0].epochs == a.n_epochs_
    for seed, r in zip(seeds[1:], batch[1:]):
        single = CascadeCorrelation(rng=seed).fit(X, y)
        np.testing.assert_array_equal(r.network.params, single.network_.params)
        assert r.history.to_dict()["events"] == single.history_.to_dict()["events"]


def test_float32_batch_equals_single_run():
    """With the fan-in padded to whole blocks of 8, float32 sums do not depend on the batch."""
    X, y = ds.two_spirals()
    batch = CascadeCorrelation(dtype=np.float32, history="phase").fit_trials(X, y, [5, 6])
    for seed, r in zip([5, 6], batch):
        single = CascadeCorrelation(dtype=np.float32, history="phase", rng=seed).fit(X, y)
        assert single.network_.dtype == np.float32
        np.testing.assert_array_equal(r.network.params, single.network_.params)


def test_worker_processes_give_the_same_results():
    X, y = ds.xor()
    one = CascadeCorrelation(history="phase").fit_trials(X, y, [0, 1, 2])
    two = CascadeCorrelation(history="phase").fit_trials(X, y, [0, 1, 2], n_jobs=2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a.network.params, b.network.params)
        assert a.epochs == b.epochs


def test_crossings_of_a_run_without_hidden_units():
    """AND is linearly separable: k output epochs with updates, then a winning forward pass."""
    X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 0, 0, 1])
    m = CascadeCorrelation(rng=0).fit(X, y)
    assert m.success_ and m.hidden_units_ == 0
    k, per = m.n_epochs_, 4 * 1 * 3          # patterns x outputs x (bias + 2 inputs)
    assert m.crossings_forward_ == per * (k + 1)
    assert m.crossings_ == per * (2 * k + 1)


def test_history_records_phases_units_and_depth():
    X, y = ds.parity(3)
    m = CascadeCorrelation(rng=2).fit(X, y)
    h = m.history_
    epochs = h.column("epoch")
    assert np.all(np.diff(epochs) >= 0) and epochs[-1] == m.n_epochs_
    assert {r["phase"] for r in h.rows} == {"output", "candidate"}
    added = h.events_of("unit_added")
    assert len(added) == m.hidden_units_
    assert [e["units"] for e in added] == list(range(1, m.hidden_units_ + 1))
    assert added[-1]["depth"] == m.depth_
    assert h.stop_reason == "victory"
    assert h.meta["crossings"] == m.crossings_


def test_multiclass_and_multilabel_targets():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [3, 0], [0, 3]])
    X = np.concatenate([c + 0.4 * rng.standard_normal((20, 2)) for c in centers])
    y = np.repeat(np.array([10, 20, 30]), 20)
    m = CascadeCorrelation(rng=0).fit(X, y)
    assert m.network_.n_outputs == 3 and m.success_
    assert set(m.predict_classes(X)) <= {10, 20, 30} and m.score(X, y) == 1.0
    Xe, Ye = ds.encoder(4)
    m = CascadeCorrelation(rng=0).fit(Xe, Ye)
    assert m.multilabel_ and m.success_ and m.score(Xe, Ye) == 1.0


def test_regression_with_linear_outputs():
    x = np.linspace(-3, 3, 80)[:, None]
    t = np.sin(x[:, 0]) + 0.3 * x[:, 0]
    m = CascadeCorrelation(rng=0, error_index_threshold=0.05, max_hidden_units=10).fit(x, t)
    assert m.task_ == "regression" and m.network_.blocks[-1].activation == "linear"
    assert m.score(x, t) > 0.99
    assert m.success_ == (m.stop_reason_ == "victory")


def test_validation_patience_cuts_back_to_the_best_size():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (25, 1))
    t = np.sin(2 * x[:, 0]) + 0.3 * rng.standard_normal(25)
    xv = np.linspace(-3, 3, 200)[:, None]
    tv = np.sin(2 * xv[:, 0])
    m = CascadeCorrelation(rng=0, error_index_threshold=0.0, max_hidden_units=25,
                           validation_patience=2).fit(x, t, validation=(xv, tv))
    assert m.stop_reason_ == "validation" and not m.success_
    checks = m.history_.events_of("validation")
    best = min(checks, key=lambda e: e["error"])
    assert m.hidden_units_ == best["units"] == m.network_.n_hidden_units
    assert checks[-1]["units"] - best["units"] == 3
    err = np.sum((m.predict(xv)[:, 0] - tv) ** 2)
    np.testing.assert_allclose(err, best["error"], rtol=1e-8)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize("params, error, match", [
    (dict(pool_size=0), ValueError, "pool_size"),
    (dict(pool_size=2.5), TypeError, "pool_size"),
    (dict(output_patience=-1), ValueError, "output_patience"),
    (dict(candidate_patience=-3), ValueError, "candidate_patience"),
    (dict(max_hidden_units=-1), ValueError, "max_hidden_units"),
    (dict(output_epsilon=0.0), ValueError, "output_epsilon"),
    (dict(candidate_mu=-1.0), ValueError, "candidate_mu"),
    (dict(candidate_epsilon="big"), TypeError, "candidate_epsilon"),
    (dict(weight_range=float("nan")), ValueError, "weight_range"),
    (dict(score_threshold=0), ValueError, "score_threshold"),
    (dict(output_epochs=0), ValueError, "output_epochs"),
    (dict(unit_type="softmax"), ValueError, "unit_type"),
    (dict(unit_type="sigmod"), ValueError, "activation"),
    (dict(unit_type=[]), TypeError, "unit_type"),
    (dict(output_activation="relu"), ValueError, "output_activation"),
    (dict(output_activation="linear", task="classification"), ValueError, "output_activation"),
    (dict(pool_type="flat"), ValueError, "pool_type"),
    (dict(descendant_penalty=0.0), ValueError, "descendant_penalty"),
    (dict(n_siblings=9), ValueError, "n_siblings"),
    (dict(score_formula="pearson"), ValueError, "score_formula"),
    (dict(task="ranking"), ValueError, "task"),
    (dict(dtype=np.int32), ValueError, "dtype"),
    (dict(history="all"), ValueError, "history"),
    (dict(rng=-1), ValueError, "rng"),
])
def test_bad_parameters_give_clear_errors(params, error, match):
    X, y = ds.xor()
    with pytest.raises(error, match=match):
        CascadeCorrelation(**params).fit(X, y)


def test_bad_data_gives_clear_errors():
    X, y = ds.xor()
    m = CascadeCorrelation(rng=0)
    with pytest.raises(ValueError, match="X"):
        m.fit(np.where(X == 0, np.nan, X), y)
    with pytest.raises(ValueError, match="rows"):
        m.fit(X, y[:3])
    with pytest.raises(ValueError, match="2 classes"):
        m.fit(X, np.zeros(4, int))
    with pytest.raises(ValueError, match="not fitted"):
        CascadeCorrelation().predict(X)
    with pytest.raises(ValueError, match="columns"):
        m.fit(X, y, validation=(np.ones((3, 3)), np.array([0, 1, 0])))
    with pytest.raises(ValueError, match="labels not seen"):
        m.fit(X, y, validation=(X, np.array([0, 1, 2, 1])))
    with pytest.raises(ValueError, match="seeds"):
        m.fit_trials(X, y, [])
    m.fit(X, y)
    with pytest.raises(ValueError, match="columns"):
        m.predict(np.ones((2, 3)))


def test_bench_trials_are_registered():
    from structlearn.bench.registry import get_trial
    row, history, net = get_trial("cascor_sdcc").fn("xor", 0)
    assert row["success"] and row["hidden_units"] >= 1 and row["crossings"] > 0
    assert isinstance(net, Network) and history.stop_reason == "victory"
    assert "quick" in get_trial("cascor").suites and "full" in get_trial("cascor").suites
