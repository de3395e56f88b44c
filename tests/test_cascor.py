"""Cascade-Correlation: the arithmetic, the estimator, the batched runner, the paper's claims."""
import numpy as np
import pytest

from helpers import numeric_gradient, relative_error
from structlearn import Network
from structlearn import datasets as ds
from structlearn.activations import get_activation
from structlearn.cascor import CandidatePool, CascadeCorrelation, Executor
from structlearn.cascor import policy
from structlearn.cascor.steps import candidate_terms, error_stats, output_terms, patience_step
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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lean_quickprop_update_is_the_reference_step_bit_for_bit(dtype):
    """steps.quickprop_update (fewer numpy calls, in place) against optim.quickprop_step, on
    random states full of the edge cases: zero steps, equal slopes, zero slopes, sign flips."""
    from structlearn.cascor.steps import quickprop_update

    rng = np.random.default_rng(0)
    shape = (3, 9, 40)
    pick = lambda *vals: rng.choice(np.array(vals, dtype), shape)      # noqa: E731
    for trial in range(20):
        W = rng.standard_normal(shape).astype(dtype)
        d = np.where(rng.random(shape) < 0.3, pick(0.0, -0.0), rng.standard_normal(shape))
        p = rng.standard_normal(shape).astype(dtype)
        s = np.where(rng.random(shape) < 0.2, p, rng.standard_normal(shape))     # p == s
        s = np.where(rng.random(shape) < 0.1, pick(0.0, -0.0), s).astype(dtype)
        d = d.astype(dtype)
        eps = rng.uniform(0.01, 1.0, (3, 1, 1)).astype(dtype)
        commit = rng.random(3) < 0.7
        step, slopes = quickprop_step(W, s, d, p, eps, 2.0)
        c = commit[:, None, None]
        W_ref = W + step * c
        d_ref, p_ref = np.where(c, step, d), np.where(c, slopes, p)
        quickprop_update(W, s, d, p, eps, 2.0, commit)
        np.testing.assert_array_equal(W, W_ref)
        np.testing.assert_array_equal(d, d_ref)
        np.testing.assert_array_equal(p, p_ref)
        assert W.dtype == dtype


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
        return candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse, prev_cor, score)

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
    from structlearn.cascor.steps import workspace
    work = workspace(4, O, K, V.shape[2], np.float64)
    out = candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse, cor, "c_code", work)
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
    assert [g[0] for g in pool.groups] == [slice(0, 4), slice(4, 8)]
    assert [g[1].name for g in pool.groups] == ["symmetric_sigmoid", "gaussian"]
    assert pool.is_sibling.sum() == 4 and sorted(pool.kinds).count("descendant") == 4
    np.testing.assert_array_equal(pool.penalty, np.where(pool.is_sibling, 1.0, 0.8))
    # every type still gets both kinds of candidates
    for t in ("symmetric_sigmoid", "gaussian"):
        assert {k for k, ty in zip(pool.kinds, pool.types) if ty == t} == {"sibling", "descendant"}


# ------------------------------------------------------------ the algorithm
def test_installed_unit_output_weights_are_minus_correlation(monkeypatch):
    """The policy's install: the winner's weights go into a frozen block, its output weights
    start at -correlation x weight_multiplier, and its cached values are the network's."""
    seen = []
    install = policy.install

    def recording_install(t):
        k, fan = int(t.best), int(t.fan)
        cor = t.prev_cor[k].copy()
        w = t.W_cand[k, :fan].copy()
        assert install(t)
        seen.append((t.tid, fan, cor))
        np.testing.assert_array_equal(t.W_out[:, fan], -cor * t.cfg.weight_multiplier)
        new = t.network.blocks[-2]             # plain cascade: the unit is the last block
        np.testing.assert_array_equal(new.b, w[:1])
        np.testing.assert_array_equal(new.W[:, 0], w[1:])
        # its cached values are the network's own values of that unit
        nodes = t.network.forward(t.ex.X, return_nodes=True)
        np.testing.assert_allclose(t.V[fan], nodes[-2][:, 0], rtol=1e-12, atol=1e-15)
        return True

    monkeypatch.setattr(policy, "install", recording_install)
    X, y = ds.parity(3)
    est = CascadeCorrelation(weight_multiplier=0.7, max_hidden_units=3)
    cfg, Xc, T, val, _ = est._prepare(np.asarray(X, float), y, None, None)
    results = Executor(Xc, T, [np.random.default_rng(s) for s in (0, 1)], cfg).run()
    assert len(seen) >= 2 and {t for t, _, _ in seen} == {0, 1}
    for t, fan, cor in seen:
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


def test_history_rows_per_phase_by_default_and_per_epoch_when_asked():
    X, y = ds.parity(3)
    a = CascadeCorrelation(rng=0).fit(X, y)
    b = CascadeCorrelation(rng=0, history="epoch").fit(X, y)
    np.testing.assert_array_equal(a.network_.params, b.network_.params)   # only the log differs
    assert a.history_.to_dict()["events"] == b.history_.to_dict()["events"]
    phases = [r["phase"] for r in a.history_.rows]
    assert phases == ["output", "candidate"] * a.hidden_units_ + ["output"]
    assert len(b.history_.rows) > 5 * len(a.history_.rows)
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in (a.history_.rows[-1],
                                                                     b.history_.rows[-1])]
    assert strip[0] == strip[1]


def test_float32_batch_equals_single_run():
    """With the fan-in cut into fixed blocks, float32 sums do not depend on the batch."""
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
    err = np.sum((m.predict(xv) - tv) ** 2)    # regression: values shaped like y
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
    with pytest.raises(ValueError, match="validation X: expected 2 features"):
        m.fit(X, y, validation=(np.ones((3, 3)), np.array([0, 1, 0])))
    with pytest.raises(ValueError, match="labels not among the classes"):
        m.fit(X, y, validation=(X, np.array([0, 1, 2, 1])))
    with pytest.raises(ValueError, match="seeds"):
        m.fit_trials(X, y, [])
    m.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(np.ones((2, 3)))


def test_bench_trials_are_registered():
    from structlearn.bench.registry import get_trial
    row, history, net = get_trial("cascor_sdcc").fn("xor", 0)
    assert row["success"] and row["hidden_units"] >= 1 and row["crossings"] > 0
    assert isinstance(net, Network) and history.stop_reason == "victory"
    assert "quick" in get_trial("cascor").suites and "full" in get_trial("cascor").suites


# ---------------------------------------------------------- the estimator contract
def test_predict_gives_labels_and_decision_function_raw_outputs():
    X, y = ds.xor()
    labels = np.array(["no", "yes"])[y]
    m = CascadeCorrelation(rng=0).fit(X, labels)
    assert list(m.classes_) == ["no", "yes"] and m.n_features_in_ == 2 and m.n_outputs_ == 1
    D = m.decision_function(X)
    assert D.shape == (4, 1) and np.all(np.abs(D) < 0.5)       # symmetric sigmoid outputs
    np.testing.assert_array_equal(D, m.network_.forward(X))
    np.testing.assert_array_equal(m.predict(X), labels)
    np.testing.assert_array_equal(m.predict_classes(X), m.predict(X))   # the old name
    assert m.score(X, labels) == 1.0 and isinstance(m.n_epochs_, int)
    P = m.predict_proba(X)
    np.testing.assert_array_equal(m.classes_[P.argmax(axis=1)], labels)
    x = np.linspace(-1, 1, 30)[:, None]
    r = CascadeCorrelation(rng=0, max_hidden_units=2).fit(x, x[:, 0] ** 2)
    assert r.predict(x).shape == (30,) and not hasattr(r, "classes_")
    with pytest.raises(ValueError, match="regression"):
        r.predict_classes(x)


# ------------------------------------------------------------ Network.add_sources
def test_add_sources_preserves_the_function_and_keeps_rows_in_place():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, 3))
    net = Network.mlp([3, 4, 5, 2], hidden="tanh", rng=0)
    mask = rng.random((5, 2)) > 0.3
    net.set_mask(2, mask)
    before, keys = net.forward(X), set(net.param_keys().tolist())
    old = net.copy()
    assert net.add_sources(2, [1, 0]) is net
    blk = net.blocks[2]
    assert blk.sources == (0, 1, 2) and blk.W.shape == (3 + 4 + 5, 2)
    assert np.max(np.abs(net.forward(X) - before)) < 1e-10
    np.testing.assert_array_equal(blk.W[7:], old.blocks[2].W)       # node 2's rows, moved
    assert np.all(blk.W[:7] == 0.0)
    np.testing.assert_array_equal(blk.mask[7:], mask)
    assert blk.mask[:7].all()
    assert keys <= set(net.param_keys().tolist())                   # old weights keep keys
    # rows for the new sources: ascending node order, and the function moves by x @ W
    net2 = Network.mlp([3, 4, 5, 2], hidden="tanh", rng=0)
    nodes = net2.forward(X, return_nodes=True)
    W1 = rng.standard_normal((3, 5))
    net2.add_sources(1, [0], W=W1)
    assert net2.blocks[1].sources == (0, 1)
    z = nodes[0] @ W1 + nodes[1] @ net2.blocks[1].W[3:] + net2.blocks[1].b
    np.testing.assert_allclose(net2.forward(X, return_nodes=True)[2], np.tanh(z), rtol=1e-12)
    # sources listed out of order end up ascending, rows following their nodes
    spec = [dict(W=rng.standard_normal((3, 4)), b=np.zeros(4), activation="tanh", sources=(0,)),
            dict(W=rng.standard_normal((7, 2)), b=np.zeros(2), activation="linear",
                 sources=(1, 0))]
    odd = Network(3, spec)
    y0 = odd.forward(X)
    odd.add_sources(1, [])
    assert odd.blocks[1].sources == (0, 1)
    np.testing.assert_array_equal(odd.blocks[1].W, np.r_[spec[1]["W"][4:], spec[1]["W"][:4]])
    assert np.max(np.abs(odd.forward(X) - y0)) < 1e-10
    with pytest.raises(ValueError, match="already reads"):
        net.add_sources(2, [1])
    with pytest.raises(ValueError, match="nodes 0..1"):
        net.add_sources(1, [2])
    with pytest.raises(ValueError, match="twice"):
        Network.mlp([3, 4, 5, 2], rng=0).add_sources(2, [0, 0])
    with pytest.raises(ValueError, match="W must have shape"):
        Network.mlp([3, 4, 5, 2], rng=0).add_sources(2, [0], W=np.ones((4, 2)))


# ------------------------------------------------------- fit(network=...)
def _first_outputs(est, X, y, network):
    """The outputs the first output phase starts from: f(W @ V) of the runner's arrays."""
    cfg, Xc, T, val, start = est._prepare(np.asarray(X, float), y, network, None)
    runner = Executor(Xc, T, [np.random.default_rng(0)], cfg, network=start)
    fan = int(runner.fan[0])
    return runner.out_act.f(runner.W_out[0, :, :fan] @ runner.V[0, :fan]).T


def _targets(net, y):
    off, on = get_activation(net.blocks[-1].activation).label_values
    return np.where(np.asarray(y)[:, None] == 1, on, off)


def _assert_unchanged(net, before):
    np.testing.assert_array_equal(net.params, before.params)
    assert [(b.sources, b.trainable, None if b.mask is None else b.mask.tolist())
            for b in net.blocks] == [(b.sources, b.trainable, None if b.mask is None
                                      else b.mask.tolist()) for b in before.blocks]


def test_fit_from_a_previous_cascor_network():
    X, y = ds.two_spirals()
    first = CascadeCorrelation(max_hidden_units=4, rng=0, pool_type="sibling_descendant",
                               history="phase").fit(X, y)
    start = first.network_
    before = start.copy()
    est = CascadeCorrelation(max_hidden_units=3, rng=1, pool_type="sibling_descendant",
                             history="epoch")
    # the first output phase starts from exactly the given function (float64)
    assert np.max(np.abs(_first_outputs(est, X, y, start) - start.forward(X))) < 1e-10
    m = est.fit(X, y, network=start)
    _assert_unchanged(start, before)
    row = m.history_.rows[0]
    assert row["phase"] == "output" and row["units"] == first.hidden_units_
    np.testing.assert_allclose(row["true_error"],
                               np.sum((start.forward(X) - _targets(start, y)) ** 2), rtol=1e-10)
    net = m.network_
    assert m.hidden_units_ == net.n_hidden_units <= first.hidden_units_ + 3
    for blk, old in zip(net.blocks[:len(start.blocks) - 1], start.blocks[:-1]):
        np.testing.assert_array_equal(blk.W, old.W)           # the given units are kept fixed
        assert blk.sources == old.sources and not blk.trainable
    assert net.blocks[-1].sources == tuple(range(len(net.blocks)))
    added = m.history_.events_of("unit_added")
    assert added and added[0]["new_layer"] and added[0]["units"] == first.hidden_units_ + 1
    assert added[0]["depth"] == first.depth_ + 1 and m.depth_ == net.depth
    assert m.history_.meta["start_network"]["hidden_units"] == first.hidden_units_
    assert m.predict(X).shape == (len(X),) and m.score(X, y) >= first.score(X, y) - 0.05


def test_fit_from_an_obd_pruned_mlp_keeps_masks():
    from structlearn.obd import OptimalBrainDamage

    X, y = ds.two_spirals()
    obd = OptimalBrainDamage(hidden_layer_sizes=(8,), activation="tanh", output="sigmoid",
                             epochs=100, target_fraction=0.5, rng=0).fit(X, y)
    start = obd.network_.copy()
    assert start.blocks[-1].activation == "sigmoid" and start.blocks[-1].sources == (1,)
    out_mask = np.ones(start.blocks[-1].W.shape, bool)
    out_mask[::3] = False                                   # some pruned output weights too
    start.set_mask(start.output_block, out_mask if start.blocks[-1].mask is None
                   else out_mask & start.blocks[-1].mask)
    out_mask = start.blocks[-1].mask.copy()
    before = start.copy()
    est = CascadeCorrelation(max_hidden_units=3, rng=0, snapshots=True, history="epoch")
    assert np.max(np.abs(_first_outputs(est, X, y, start) - start.forward(X))) < 1e-10
    m = est.fit(X, y, network=start)
    _assert_unchanged(start, before)
    np.testing.assert_allclose(m.history_.rows[0]["true_error"],
                               np.sum((start.forward(X) - _targets(start, y)) ** 2), rtol=1e-10)
    net = m.network_
    hid = net.blocks[0]
    np.testing.assert_array_equal(hid.W, start.blocks[0].W)    # the MLP's hidden layer: fixed
    np.testing.assert_array_equal(hid.mask, start.blocks[0].mask)
    assert hid.trainable == start.blocks[0].trainable
    out = net.blocks[-1]
    assert out.activation == "sigmoid" and out.sources == tuple(range(len(net.blocks)))
    rows = dict(net.source_rows(net.output_block))
    np.testing.assert_array_equal(out.mask[rows[1]], out_mask)   # the pruned output weights
    assert np.all(out.W[~out.mask] == 0.0)                       # ... stayed zero
    assert out.mask[rows[0]].all() and np.any(out.W[rows[0]] != 0.0)   # added sources trained
    for _, snap in m.snapshots_:
        assert np.all(snap.blocks[-1].W[~snap.blocks[-1].mask] == 0.0)
    assert m.hidden_units_ == start.n_hidden_units + len(m.history_.events_of("unit_added"))
    assert set(m.predict(X)) <= {0, 1} and m.score(X, y) > 0.5


def test_fit_trials_from_a_network_equal_single_fits():
    X, y = ds.parity(3)
    start = CascadeCorrelation(max_hidden_units=1, rng=0).fit(X, y).network_
    batch = CascadeCorrelation(max_hidden_units=3).fit_trials(X, y, [4, 5], network=start)
    for seed, r in zip([4, 5], batch):
        single = CascadeCorrelation(max_hidden_units=3, rng=seed).fit(X, y, network=start)
        np.testing.assert_array_equal(r.network.params, single.network_.params)


def test_validation_cut_back_keeps_the_given_units():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (25, 1))
    t = np.sin(2 * x[:, 0]) + 0.3 * rng.standard_normal(25)
    xv = np.linspace(-3, 3, 200)[:, None]
    start = CascadeCorrelation(rng=0, max_hidden_units=2).fit(x, t).network_
    m = CascadeCorrelation(rng=0, error_index_threshold=0.0, max_hidden_units=25,
                           validation_patience=1).fit(x, t, network=start,
                                                      validation=(xv, np.sin(2 * xv[:, 0])))
    assert m.stop_reason_ == "validation"
    assert m.hidden_units_ == m.network_.n_hidden_units >= start.n_hidden_units
    for blk, old in zip(m.network_.blocks, start.blocks[:-1]):
        np.testing.assert_array_equal(blk.W, old.W)


def test_a_network_cascor_cannot_train_gives_a_clear_error():
    X, y = ds.xor()
    est = CascadeCorrelation(rng=0)
    with pytest.raises(ValueError, match="network: its output activation is 'softmax'"):
        est.fit(X, y, network=Network.mlp([2, 3, 2], output="softmax", rng=0))
    with pytest.raises(ValueError, match="network: it has 3 outputs"):
        est.fit(X, y, network=Network.mlp([2, 3, 3], output="sigmoid", rng=0))
    net = Network.mlp([2, 3, 1], output="sigmoid", rng=0)
    with pytest.raises(ValueError, match="output_activation"):
        CascadeCorrelation(output_activation="tanh").fit(X, y, network=net)
    with pytest.raises(ValueError, match="frozen"):
        est.fit(X, y, network=net.copy().freeze(net.output_block))
    with pytest.raises(ValueError, match="linear"):
        est.fit(X, y, network=Network.mlp([2, 3, 1], output="linear", rng=0))
