"""Knowledge-based cascade-correlation (Shultz & Rivest 2001): source networks as candidates."""
import os

import numpy as np
import pytest

from helpers import candidate_problem, numeric_gradient, relative_error
from structlearn import Network
from structlearn.cascor import CandidatePool, CascadeCorrelation
from structlearn.cascor.knowledge import (SourceKind, knowledge_pool, recruits, source_of,
                                          source_step_scale)
from structlearn.cascor.steps import candidate_terms
from structlearn.shapes import FIGURES, figure_data, grid


def _two_layer(rng, n_in=3, hidden=4, n_out=2, output="symmetric_sigmoid"):
    return Network.mlp([n_in, hidden, n_out], hidden="tanh", output=output, rng=rng)


def test_vjp_matches_finite_differences_through_frozen_blocks():
    rng = np.random.default_rng(0)
    net = _two_layer(rng, output="sigmoid")
    net.freeze(0)
    X = rng.standard_normal((5, 3))
    dY = rng.standard_normal((5, 2))
    g = net.vjp(X, dY)
    flat = X.ravel().copy()
    num = numeric_gradient(lambda: np.sum(net.forward(flat.reshape(X.shape)) * dY), flat)
    assert relative_error(num.reshape(X.shape), g) < 1e-7
    with pytest.raises(ValueError, match="dY must have shape"):
        net.vjp(X, dY[:, :1])


@pytest.mark.parametrize("step_scale", [1.0, 0.04])
def test_slope_through_a_two_layer_source_matches_finite_differences(step_scale):
    """The slope of the score for a source candidate's projection (one VJP through the
    frozen source) in a pool mixed with units; relative error < 1e-6."""
    rng = np.random.default_rng(1)
    B, O, F, P = 2, 2, 5, 19
    kind = SourceKind(_two_layer(rng, output="sigmoid"), name="s", step_scale=step_scale)
    pool = CandidatePool(4, ["symmetric_sigmoid", kind])        # 2 units, 2 source copies
    assert pool.n_rows == 2 + 2 * 3 and pool.n_values == 2 + 2 * 2
    V, E, W, (e_aug, e_cen, e_mean, sse), zero = candidate_problem(rng, pool, B, O, F, P)
    cor, _, _ = candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse, zero, "covariance")
    _, scores, slopes = candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse, cor, "covariance")
    flat = W.ravel().copy()

    def total():
        Wc = flat.reshape(W.shape)
        s = 0.0
        for b in range(B):
            Z = Wc[b] @ V[b]
            Y = [kind.net.forward(np.sqrt(step_scale) * Z[r].T).T if len(range(*r.indices(99))) > 1
                 else 1 / (1 + np.exp(-Z[r])) - 0.5 for r in pool.row_of]
            for y in Y:
                C = (y - y.mean(1, keepdims=True)) @ (E[b] - E[b].mean(1, keepdims=True)).T
                s += np.abs(C / np.sum(E[b] ** 2)).sum() / len(y)
        return s

    np.testing.assert_allclose(scores.sum(), total(), rtol=1e-12)
    grad = numeric_gradient(total, flat).reshape(W.shape)
    assert relative_error(-grad, slopes) < 1e-6


def test_output_ranges_are_mapped_onto_the_units_range():
    rng = np.random.default_rng(2)
    net = _two_layer(rng, output="sigmoid")            # outputs in 0..1
    kind = SourceKind(net)
    X = rng.standard_normal((7, 3))
    np.testing.assert_allclose(kind.net.forward(X), net.forward(X) - 0.5, atol=1e-15)
    tanh = SourceKind(_two_layer(rng, output="tanh"), output_range=(-0.5, 0.5))
    assert tanh.scale == 0.5 and tanh.shift == 0.0
    same = SourceKind(_two_layer(rng))                  # symmetric sigmoid: no map
    assert len(same.net.blocks) == 2


@pytest.fixture(scope="module")
def rectangle_source():
    X, y, _, _ = figure_data("rectangle", n_grid=11, n_test=0)
    src = CascadeCorrelation(rng=3, max_hidden_units=20).fit(X, y)
    assert src.success_
    return X, y, src.network_


def test_identity_initialised_exact_source_is_recruited_first(rectangle_source):
    X, y, source = rectangle_source
    # against uniformly random copies, the identity copy itself wins the first installation
    types, K = knowledge_pool({"rect": source}, X=X, random_init="random")
    assert K == 8 + 4 and types[-1].init == "identity"
    results = CascadeCorrelation(max_hidden_units=10, unit_type=types, pool_size=K) \
        .fit_trials(X, y, [0, 1, 2])
    for r in results:
        assert r.success
        assert recruits(r.history)[0] == "src:rect:identity"
    # the default pool (near-identity copies): a copy of the exact source wins it
    types, K = knowledge_pool({"rect": source}, X=X)
    assert types[8].init == "near_identity"
    for r in CascadeCorrelation(max_hidden_units=10, unit_type=types, pool_size=K) \
            .fit_trials(X, y, [0, 1, 2]):
        assert r.success and source_of(recruits(r.history)[0]) == "rect"


def test_source_weights_never_change_and_the_network_is_the_cache(rectangle_source, tmp_path):
    X, y, source = rectangle_source
    before = [(b.W.copy(), b.b.copy()) for b in source.blocks]
    types, K = knowledge_pool({"rect": source}, X=X, copies=2)
    m = CascadeCorrelation(max_hidden_units=10, unit_type=types, pool_size=K, rng=0).fit(X, y)
    assert recruits(m.history_)[0].startswith("src:rect")
    net = m.network_
    # the installed copy: a frozen linear projection block, then the source's blocks verbatim
    n = len(source.blocks)
    first = [k for k, b in enumerate(net.blocks) if b.activation == "linear"][0]
    copy = net.blocks[first + 1:first + 1 + n]
    for (W, b), blk, orig in zip(before, copy, source.blocks):
        np.testing.assert_array_equal(blk.W, W)
        np.testing.assert_array_equal(blk.b, b)
        np.testing.assert_array_equal(orig.W, W)      # the caller's source is untouched
    assert not any(b.trainable for b in net.blocks[:-1])
    # only the source's output node feeds the output block; its inner nodes feed nothing else
    inner = set(range(first + 1, first + n + 1))
    assert not inner & set(net.blocks[-1].sources)
    # predictions come from the network's own forward pass (the installed values = cache)
    np.testing.assert_array_equal(m.predict(X), y)
    # saved and reloaded: the same outputs
    path = tmp_path / "kbcc.npz"
    net.save(path)
    again = Network.load(path)
    np.testing.assert_array_equal(again.forward(X), net.forward(X))
    # fit_trials gives the fit's bits
    r = CascadeCorrelation(max_hidden_units=10, unit_type=types, pool_size=K) \
        .fit_trials(X, y, [5, 0])[1]
    np.testing.assert_array_equal(r.network.params, net.params)


def test_a_kbcc_network_can_be_a_source_and_pruning_masks_the_projection(rectangle_source):
    X, y, source = rectangle_source
    types, K = knowledge_pool({"rect": source}, X=X, copies=1)
    first = CascadeCorrelation(max_hidden_units=5, unit_type=types, pool_size=K, rng=0).fit(X, y)
    types, K = knowledge_pool({"kb": first.network_}, X=X, copies=2, prune=0.3)
    m = CascadeCorrelation(max_hidden_units=5, unit_type=types, pool_size=K, rng=0).fit(X, y)
    assert m.success_ and recruits(m.history_)[0].startswith("src:kb")
    masked = [b for b in m.network_.blocks if b.mask is not None]
    assert masked and masked[0].activation == "linear"
    np.testing.assert_array_equal(m.predict(X), y)


def test_bad_arguments_are_named():
    net = _two_layer(np.random.default_rng(0))
    with pytest.raises(TypeError, match="network"):
        SourceKind("net")
    with pytest.raises(ValueError, match="init"):
        SourceKind(net, init="zero")
    with pytest.raises(ValueError, match="input_map"):
        SourceKind(net, init="identity", input_map=[0, 1])
    with pytest.raises(ValueError, match="prune"):
        SourceKind(net, prune=1.5)
    with pytest.raises(ValueError, match="step_scale"):
        SourceKind(net, step_scale=0.0)
    with pytest.raises(ValueError, match="not element-wise"):
        SourceKind(Network.mlp([2, 3, 3], rng=0))        # softmax output
    with pytest.raises(ValueError, match="sources"):
        knowledge_pool({})
    assert 0 < source_step_scale(net, np.zeros((4, 3))) <= 1.0


def test_figures():
    X = grid(5)
    assert X.shape == (25, 2) and X.min() == 0 and X.max() == 1
    assert FIGURES["rectangle"].contains(np.array([[0.5, 0.5]]))[0]
    assert not FIGURES["rectangle"].contains(np.array([[0.05, 0.5]]))[0]
    cross = FIGURES["cross"].contains(X)
    assert cross.sum() == (FIGURES["hbar"].contains(X) | FIGURES["vbar"].contains(X)).sum()
    P = np.array([[0.5, 0.72], [0.72, 0.72]])
    assert FIGURES["rect_rot"].contains(P).tolist() == [True, False]
    assert FIGURES["rectangle"].contains(P).tolist() == [False, False]
    with pytest.raises(ValueError, match="figure"):
        figure_data("hexagon")


def test_a_kbcc_trial_row_gives_the_estimators_score():
    """The harness's kbcc trial: its accuracies are the fitted model's ``score`` (the
    contract's), on the network it returns; the ``kbcc`` suite's data sets are valid names."""
    from structlearn.bench.kbcc_trials import kbcc_data, kbcc_trial, trained_source
    from structlearn.bench.registry import targets_from_json
    from structlearn.bench.suites import build_suite
    from structlearn.train import evaluate

    out = kbcc_trial("rectangle", 1, sources=["rectangle"], max_hidden_units=5)
    row = out[0]
    data = kbcc_data("rectangle", 1)
    types, K = knowledge_pool({"rectangle": trained_source("rectangle")}, X=data.X_train)
    m = CascadeCorrelation(max_hidden_units=5, unit_type=types, pool_size=K, rng=1) \
        .fit(data.X_train, data.y_train)
    np.testing.assert_array_equal(out.network.params, m.network_.params)
    assert row["train_accuracy"] == m.score(data.X_train, data.y_train)
    assert row["test_accuracy"] == m.score(data.X_test, data.y_test)
    assert row["epochs"] == m.n_epochs_ and row["victory"] == m.success_
    assert row["recruits"] == recruits(m.history_) and row["first_recruit_source"]
    assert row["recruited_sources"] == ["rectangle"] and row["installed_units"] == 1
    # a rule trial: the row's test accuracy is evaluate's with the recorded targets
    out = kbcc_trial("rules12", 0, rules="partly correct", copies=1, prune=0.1,
                     max_hidden_units=3)
    data = kbcc_data("rules12", 0)
    acc = evaluate(out.network, data.X_test, data.y_test,
                   targets=targets_from_json(out[0]["targets"]))["accuracy"]
    assert out[0]["test_accuracy"] == acc and len(data.X_train) == 100
    from structlearn.bench.data import load_bench_data
    again = load_bench_data("rules12", 0)      # the harness's loader gives the same data
    np.testing.assert_array_equal(again.X_train, data.X_train)
    np.testing.assert_array_equal(again.y_test, data.y_test)
    specs = build_suite("kbcc")
    assert {s.dataset for s in specs} == {"rectangle", "cross", "rules12"}
    assert len({s.label for s in specs}) >= 10 and len(specs) == 13 * 20
    with pytest.raises(ValueError, match="rules"):
        kbcc_trial("rectangle", 0, rules="wrong")


def test_near_identity_copies_and_the_mean_abs_step_norm():
    """Options studied in docs/kbcc.md: copies starting at the identity plus jitter x the
    pool's draws, and the step scale from the mean absolute slope."""
    rng = np.random.default_rng(4)
    net = _two_layer(rng, n_in=2)
    kind = SourceKind(net, init="near_identity", jitter=0.5, input_map=[1, 0], step_scale=0.25)
    w = rng.uniform(-1, 1, (3, 2, 4))
    draws = w.copy()
    kind.initialise(w, rng)
    expect = 0.5 * draws
    expect[:, 0, 2] += 1.0
    expect[:, 1, 1] += 1.0
    np.testing.assert_allclose(w * kind.gain, expect, rtol=1e-15)
    types, _ = knowledge_pool({"s": net}, copies=3, random_init="near_identity", jitter=0.1)
    assert [t.init for t in types[8:]] == ["near_identity", "near_identity", "identity"]
    X = rng.uniform(0, 1, (50, 2))
    for norm in ("rms", "mean_abs"):
        assert 0 < source_step_scale(net, X, norm=norm, reference=0.01) <= 1.0
    with pytest.raises(ValueError, match="norm"):
        source_step_scale(net, X, norm="max")
    with pytest.raises(ValueError, match="jitter"):
        SourceKind(net, init="near_identity", jitter=-1.0)


def test_the_history_counts_a_recruited_sources_inner_weights(rectangle_source):
    """The history's weight count is the network's own (n_weights), with a source network's
    frozen inner blocks included (they were left out once)."""
    X, y, source = rectangle_source
    types, K = knowledge_pool({"rect": source}, X=X, copies=2)
    m = CascadeCorrelation(max_hidden_units=10, unit_type=types, pool_size=K, rng=0).fit(X, y)
    assert recruits(m.history_)[0].startswith("src:rect")
    assert m.history_.rows[-1]["weights"] == m.network_.n_weights
    plain = CascadeCorrelation(max_hidden_units=3, rng=0).fit(X, y)
    assert plain.history_.rows[-1]["weights"] == plain.network_.n_weights


def test_the_report_draws_the_decision_regions_of_kbcc_trials(tmp_path):
    """The figure tasks are two-dimensional: the report draws their decision regions (it
    could not load their data once, which only the trial module generated)."""
    from structlearn.bench.report import write_report
    from structlearn.bench.runner import run_suite
    from structlearn.bench.suites import TrialSpec

    run_suite([TrialSpec("kbcc", {"max_hidden_units": 3}, "rectangle", 0)], tmp_path,
              progress=False)
    write_report(tmp_path)
    assert "decision_rectangle.png" in os.listdir(tmp_path / "figures")


@pytest.mark.parametrize("copies", [1, 2])
def test_a_trials_source_values_and_slopes_do_not_depend_on_its_batch(rectangle_source, copies):
    """What ``fit_trials`` giving ``fit``'s bits rests on, for a source kind: a trial's values
    and ``dS/dZ`` are the same bits alone and in batches of 2 and 3. (BLAS rounds a row of a
    matrix-vector product by the operand's memory order and, for some fan-ins, by its number
    of rows; with OpenBLAS 0.3.31 a source run over the whole batch's rows broke this, and
    this test failed, with one copy per kind.)"""
    X, _, source = rectangle_source
    types, _ = knowledge_pool({"rect": source}, X=X, copies=2)
    kind = next(t for t in types if isinstance(t, SourceKind))
    rng = np.random.default_rng(0)
    P = len(X)                                     # 121 rows: not a multiple of a kernel's
    R, M = copies * kind.n_rows, copies * kind.n_outputs
    Z = rng.uniform(-1.0, 2.0, (3, R, P)) / kind.gain     # the grid's range and beyond
    G = rng.standard_normal((3, M, P))
    alone = []
    for b in range(3):
        Y = np.empty((1, M, P))
        cache = kind.values(Z[b:b + 1], Y, None)
        alone.append((Y[0], kind.backward(cache, G[b:b + 1])[0]))
    for B in (2, 3):
        Y = np.empty((B, M, P))
        dZ = kind.backward(kind.values(Z[3 - B:], Y, None), G[3 - B:])
        for i, b in enumerate(range(3 - B, 3)):
            np.testing.assert_array_equal(Y[i], alone[b][0])
            np.testing.assert_array_equal(dZ[i], alone[b][1])
