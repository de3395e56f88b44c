"""Cascade-2: candidates trained to remove the residual error through their own output weights."""
import numpy as np

from helpers import numeric_gradient, relative_error
from structlearn import datasets as ds
from structlearn.cascor import CandidatePool, CascadeCorrelation
from structlearn.cascor.steps import candidate_terms, cascade2_terms, error_stats


def _data(rng, B=2, O=3, F=5, P=19):
    V = rng.standard_normal((B, F, P))
    V[:, 0] = 1.0
    E = rng.standard_normal((B, O, P)) * 0.4 + 0.1
    return V, E


def test_output_weights_are_the_least_squares_ones_and_the_score_the_error_removed():
    rng = np.random.default_rng(0)
    _, E = _data(rng)
    Y = rng.standard_normal((2, 4, E.shape[2]))
    e_aug, _, _, sse = error_stats(E)
    u, scores, _ = cascade2_terms(Y, e_aug, sse)
    for b in range(2):
        for k in range(4):
            v = Y[b, k]
            R = lambda w: np.sum((E[b] + w[:, None] * v) ** 2)     # noqa: E731
            ref = np.linalg.lstsq(v[:, None], -E[b].T, rcond=None)[0][0]
            np.testing.assert_allclose(u[b, k], ref, rtol=1e-12)
            np.testing.assert_allclose(scores[b, k], 1 - R(u[b, k]) / sse[b], rtol=1e-12)
            assert R(u[b, k]) <= R(u[b, k] + 1e-3 * rng.standard_normal(3))
            assert 0.0 <= scores[b, k] <= 1.0


def test_cascade2_slopes_match_finite_differences():
    rng = np.random.default_rng(1)
    V, E = _data(rng)
    pool = CandidatePool(4, ["tanh", "symmetric_sigmoid"])
    W = rng.uniform(-1, 1, (2, 4, V.shape[1]))
    e_aug, e_cen, e_mean, sse = error_stats(E)
    zero = np.zeros((2, 4, 3))

    def run(W):
        return candidate_terms(V, W, pool, e_aug, e_cen, e_mean, sse, zero,
                               objective="cascade2")

    u, scores, slopes = run(W)
    flat = W.ravel().copy()
    grad = numeric_gradient(lambda: run(flat.reshape(W.shape))[1].sum(), flat)
    assert relative_error(-grad.reshape(W.shape), slopes) < 1e-7


def test_cascade2_installs_its_output_weights_and_fits_regression():
    x = np.linspace(-3, 3, 120)[:, None]
    t = np.sin(2 * x[:, 0]) + 0.3 * x[:, 0] ** 2
    m = CascadeCorrelation(candidate_objective="cascade2", rng=0, error_index_threshold=0.05,
                           max_hidden_units=25).fit(x, t)
    assert m.success_ and m.score(x, t) > 0.99
    # classification too, and a trial in a batch gives the bits it gives alone
    X, y = ds.two_spirals()
    est = CascadeCorrelation(candidate_objective="cascade2")
    r = est.fit_trials(X, y, [3, 1])[1]
    single = CascadeCorrelation(candidate_objective="cascade2", rng=1).fit(X, y)
    assert r.success and single.success_
    np.testing.assert_array_equal(r.network.params, single.network_.params)


def test_first_unit_starts_with_the_candidates_output_weights(monkeypatch):
    from structlearn.cascor import policy

    seen = []
    install = policy.install

    def recording(t):
        k = int(t.best)
        u = t.prev_cor[k].copy()
        fan = int(t.fan)
        assert install(t)
        seen.append(np.array_equal(t.W_out[:, fan], u))
        return True

    monkeypatch.setattr(policy, "install", recording)
    X, y = ds.parity(3)
    CascadeCorrelation(candidate_objective="cascade2", rng=0, max_hidden_units=3).fit(X, y)
    assert seen and all(seen)
