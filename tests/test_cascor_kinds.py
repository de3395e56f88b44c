"""Candidate kinds: the registry, mixed pools, and a kind with several outputs (the worked
example of docs/cascor.md, "Adding a candidate kind")."""
import numpy as np
import pytest

from helpers import candidate_problem, numeric_gradient, relative_error
from structlearn import datasets as ds
from structlearn.cascor import (KINDS, CandidateKind, CandidatePool, CascadeCorrelation,
                                UnitKind, get_kind, register_kind)
from structlearn.cascor.steps import candidate_terms, error_stats


class TanhPair(CandidateKind):
    """Two tanh units trained together as one candidate, installed as one block of width 2."""

    name = "tanh_pair"
    n_rows = 2          # two rows of fan-in weights
    n_outputs = 2       # two values join the network

    def values(self, Z, Y, D):
        np.tanh(Z, out=Y)
        return np.subtract(1.0, Y * Y, out=D)   # tanh', what backward needs

    def backward(self, D, G):
        D *= G                              # dS/dZ = dS/dY * tanh'(Z)
        return D

    def install(self, net, w, *, sources, outgoing, join, rng):
        block = net.add_block(2, sources, "tanh", consumers=[net.output_block], W=w[:, 1:].T,
                              b=w[:, 0], outgoing=outgoing, trainable=False, rng=rng)
        return block, 0, join is None

    def cached_values(self, w, V):
        return np.tanh(w @ V)


class GainTanh(CandidateKind):
    """``tanh(g * z)`` with a trainable gain ``g``: a kind with an extra parameter (as a
    recurrent unit's self-weight is). Installed as a tanh unit with weights ``g * w``."""

    name = "gain_tanh"
    n_extra = 1

    def values(self, Z, Y, D, extra):
        g = extra                               # (B, n, 1): one gain per candidate
        np.tanh(g * Z, out=Y)
        np.subtract(1.0, Y * Y, out=D)
        return D, Z, g

    def backward(self, cache, G, extra):
        D, Z, g = cache
        T = G * D                               # dS/d(g z)
        return T * g, (T * Z).sum(axis=2, keepdims=True)[..., 0]

    def install(self, net, w, *, sources, outgoing, join, rng, extra):
        w = w * extra[0]
        block = net.add_block(1, sources, "tanh", consumers=[net.output_block], W=w[0, 1:, None],
                              b=w[0, :1], outgoing=outgoing, trainable=False, rng=rng)
        return block, 0, join is None

    def cached_values(self, w, V, extra):
        return np.tanh((w * extra[0]) @ V)


def test_a_kind_with_an_extra_parameter_gets_exact_slopes_and_trains():
    rng = np.random.default_rng(1)
    B, O, F, P = 2, 2, 4, 13
    pool = CandidatePool(4, ["symmetric_sigmoid", GainTanh()])
    assert pool.n_extra == 2 and pool.extra_of[3] == slice(1, 2)
    V = rng.standard_normal((B, F, P))
    V[:, 0] = 1.0
    E = rng.standard_normal((B, O, P)) * 0.3
    W = rng.uniform(-1, 1, (B, pool.n_rows, F))
    X = rng.uniform(0.5, 1.5, (B, pool.n_extra))
    e_aug, e_cen, e_mean, sse = error_stats(E)
    cor, _, _, _ = candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse,
                                   np.zeros((B, 4, O)), "covariance", extra=X)
    _, _, slopes, xslopes = candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse, cor,
                                            "covariance", extra=X)
    params = np.concatenate([W.ravel(), X.ravel()])
    ssig = get_kind("symmetric_sigmoid").act.f

    def score():
        Wc, Xc = params[:W.size].reshape(W.shape), params[W.size:].reshape(X.shape)
        total = 0.0
        for b in range(B):
            Z = Wc[b] @ V[b]
            Y = np.r_[ssig(Z[:2]), np.tanh(Xc[b][:, None] * Z[2:])]
            C = (Y - Y.mean(1, keepdims=True)) @ (E[b] - E[b].mean(1, keepdims=True)).T
            total += np.abs(C).sum() / np.sum(E[b] ** 2)
        return total

    grad = numeric_gradient(score, params)
    assert relative_error(-grad[:W.size].reshape(W.shape), slopes) < 1e-7
    assert relative_error(-grad[W.size:].reshape(X.shape), xslopes) < 1e-7
    # end to end: the gains train, and the installed units are the cached ones
    Xp, yp = ds.parity(3)
    m = CascadeCorrelation(unit_type=GainTanh(), rng=0, max_hidden_units=10).fit(Xp, yp)
    assert m.success_ and m.hidden_units_ >= 1
    np.testing.assert_array_equal(m.predict(Xp), yp)     # the network's own forward pass
    r = CascadeCorrelation(unit_type=GainTanh(), max_hidden_units=10).fit_trials(Xp, yp, [5, 0])
    np.testing.assert_array_equal(r[1].network.params, m.network_.params)


def test_the_four_unit_kinds_are_registered():
    for name in ("symmetric_sigmoid", "sigmoid", "tanh", "gaussian"):
        kind = KINDS[name]
        assert isinstance(kind, UnitKind) and kind.activation == name
    assert isinstance(get_kind("softplus"), UnitKind)      # any element-wise activation
    with pytest.raises(ValueError, match="unit_type: unknown candidate kind"):
        get_kind("softmax")
    with pytest.raises(TypeError, match="CandidateKind"):
        register_kind("tanh")


def test_pool_rows_and_values_of_a_mixed_pool():
    pool = CandidatePool(5, ["tanh", TanhPair()], sibling_descendant=True, n_siblings=2)
    assert pool.types == ["tanh"] * 3 + ["tanh_pair"] * 2
    assert pool.n_rows == pool.n_values == 3 + 4 and not pool.simple
    assert pool.row_of[3] == slice(3, 5) and pool.value_of[4] == slice(5, 7)
    np.testing.assert_array_equal(pool.row_is_sibling, [1, 0, 0, 1, 1, 0, 0])


def test_slopes_of_a_mixed_pool_with_a_two_output_kind_match_finite_differences():
    """A candidate with m values scores the mean over its values of sum_o |C_o| (comparable
    with a unit's); the slopes are minus its gradient (previous signs = current signs)."""
    rng = np.random.default_rng(0)
    B, O, F, P = 2, 2, 5, 17
    pool = CandidatePool(3, ["tanh", TanhPair()])
    V, E, W, (e_aug, e_cen, e_mean, sse), zero = candidate_problem(rng, pool, B, O, F, P)
    cor, scores, _ = candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse, zero, "covariance")

    flat = W.ravel().copy()

    def score_of():
        Wc = flat.reshape(W.shape)
        total = 0.0
        for b in range(B):
            Y = np.tanh(Wc[b] @ V[b])
            C = (Y - Y.mean(1, keepdims=True)) @ (E[b] - E[b].mean(1, keepdims=True)).T
            C /= np.sum(E[b] ** 2)
            total += sum(np.abs(C[v]).sum() / len(C[v]) for v in pool.value_of)
        return total

    assert pool.types == ["tanh", "tanh", "tanh_pair"] and pool.value_of[2] == slice(2, 4)
    expected = [np.abs(cor[:, v]).sum((1, 2)) / (v.stop - v.start) for v in pool.value_of]
    np.testing.assert_allclose(scores, np.stack(expected, axis=1), rtol=1e-12)
    np.testing.assert_allclose(scores.sum(), score_of(), rtol=1e-12)
    _, _, slopes = candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse, cor, "covariance")
    grad = numeric_gradient(score_of, flat).reshape(W.shape)
    assert relative_error(-grad, slopes) < 1e-7


@pytest.mark.parametrize("pool_type", ["cascade", "sibling_descendant"])
def test_a_two_output_kind_grows_a_working_network(pool_type):
    X, y = ds.parity(4)
    m = CascadeCorrelation(unit_type=("symmetric_sigmoid", TanhPair()), pool_type=pool_type,
                           rng=0, max_hidden_units=12).fit(X, y)
    assert m.success_
    added = m.history_.events_of("unit_added")
    pairs = [e for e in added if e["activation"] == "tanh_pair"]
    net = m.network_
    assert net.n_hidden_units == m.hidden_units_ == len(added) + len(pairs)
    widths = sorted(b.width for b in net.blocks[:-1] if b.activation == "tanh")
    assert widths.count(2) >= len(pairs) > 0          # each pair is a block of width 2
    assert all(not b.trainable for b in net.blocks[:-1])
    np.testing.assert_array_equal(m.predict(X), y)    # the network's own forward pass
    # fit_trials gives the same bits (the executor handles several values per candidate)
    r = CascadeCorrelation(unit_type=("symmetric_sigmoid", TanhPair()), pool_type=pool_type,
                           max_hidden_units=12).fit_trials(X, y, [3, 0])[1]
    np.testing.assert_array_equal(r.network.params, net.params)


def test_a_registered_kind_is_usable_by_name():
    register_kind(TanhPair())
    try:
        X, y = ds.xor()
        m = CascadeCorrelation(unit_type=["tanh_pair"], rng=1).fit(X, y)
        assert m.success_ and m.network_.blocks[0].width == 2
    finally:
        KINDS.pop("tanh_pair")


# ------------------------------------------------------------------ presets
def test_presets_set_their_parameters_and_explicit_values_override_them():
    from structlearn.cascor.config import PRESETS

    X, y = ds.xor()

    def config(**params):
        est = CascadeCorrelation(**params)
        est._validate_params()
        return est._config("symmetric_sigmoid", True)

    c, p = config(), config(preset="paper")
    assert (c.output_epsilon, c.candidate_epsilon, c.output_patience, c.candidate_patience,
            c.output_decay, c.score, c.pool.types[0]) == \
        (1.0, 100.0, 12, 12, 0.0, "c_code", "symmetric_sigmoid")
    assert (p.output_epsilon, p.candidate_epsilon, p.output_patience, p.candidate_patience,
            p.output_decay, p.score, p.pool.types[0]) == \
        (0.35, 1.0, 8, 8, 1e-4, "covariance", "gaussian")
    o = config(preset="paper", output_epsilon=1.0, unit_type="tanh", candidate_patience=12)
    assert (o.output_epsilon, o.pool.types[0], o.candidate_patience, o.candidate_epsilon) == \
        (1.0, "tanh", 12, 1.0)
    assert set(PRESETS["c_code"]) == set(PRESETS["paper"])
    # the default is the C code's, bit for bit
    a = CascadeCorrelation(rng=3).fit(*ds.parity(4))
    b = CascadeCorrelation(rng=3, preset="c_code", **PRESETS["c_code"]).fit(*ds.parity(4))
    np.testing.assert_array_equal(a.network_.params, b.network_.params)
    with pytest.raises(ValueError, match="preset"):
        CascadeCorrelation(preset="lisp").fit(X, y)


def test_paper_preset_grows_the_papers_parity_networks():
    """CMU-CS-90-100, section 3.2: Gaussian units; 4-parity with 2 units, 6-parity with 3."""
    for n, units in ((4, 2), (6, 3)):
        X, y = ds.parity(n)
        results = CascadeCorrelation(preset="paper", history="phase").fit_trials(
            2.0 * X - 1.0, y, range(6))
        assert all(r.success for r in results)
        assert np.mean([r.hidden_units for r in results]) == units
