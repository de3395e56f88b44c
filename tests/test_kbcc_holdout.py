"""``CascadeCorrelation(candidate_holdout=...)``: candidates train on part of the patterns and
the winner is chosen by its score on the others; and ``candidate_stagnation="each_kind"``
(docs/kbcc.md, "The irrelevant source: three more mechanisms")."""
import numpy as np
import pytest

from structlearn.cascor import CascadeCorrelation
from structlearn.cascor.kinds import CandidatePool
from structlearn.cascor.knowledge import knowledge_pool, recruits
from structlearn.cascor.steps import (candidate_scores, candidate_terms, error_stats,
                                      holdout_split, subset_error_stats)
from structlearn.datasets import xor


def _rect(n=8):
    g = (np.arange(n) + 0.5) / n
    X = np.array([(a, b) for a in g for b in g])
    y = ((np.abs(X[:, 0] - 0.5) < 0.25) & (np.abs(X[:, 1] - 0.5) < 0.2)).astype(int)
    return X, y


def _same(a, b):
    assert a.epochs == b.epochs and a.hidden_units == b.hidden_units
    assert a.history.events == b.history.events
    for ba, bb in zip(a.network.blocks, b.network.blocks):
        np.testing.assert_array_equal(ba.W, bb.W)
        np.testing.assert_array_equal(ba.b, bb.b)


def test_split_sizes_and_seeded():
    held = holdout_split(np.random.default_rng(3), 225, 0.5)
    assert held.dtype == bool and held.shape == (225,) and held.sum() == 112
    np.testing.assert_array_equal(held, holdout_split(np.random.default_rng(3), 225, 0.5))
    assert not np.array_equal(held, holdout_split(np.random.default_rng(4), 225, 0.5))
    assert holdout_split(np.random.default_rng(0), 10, 0.01).sum() == 1     # at least one
    assert holdout_split(np.random.default_rng(0), 10, 0.99).sum() == 9     # one left to train


@pytest.mark.parametrize("score", ["c_code", "covariance"])
def test_subset_stats_are_the_subset_alone(score):
    """Scores, correlations and slopes with subset_error_stats over all patterns equal those
    of the kept patterns alone; the other patterns' errors do not enter at all."""
    rng = np.random.default_rng(0)
    P, F, O, K = 30, 4, 2, 8
    V = rng.normal(size=(1, F, P))
    V[:, 0] = 1.0
    W = rng.normal(size=(1, K, F))
    E = rng.normal(size=(1, O, P))
    keep = rng.random(P) < 0.6
    pool = CandidatePool(K, ["symmetric_sigmoid"], False, 0, 0.8)
    prev = rng.normal(size=(1, K, O))
    sub = subset_error_stats(E, keep, score)
    alone = error_stats(E[:, :, keep])
    Vk = np.ascontiguousarray(V[:, :, keep])
    for a, b in zip(candidate_terms(V, W, pool, *sub, prev, score),
                    candidate_terms(Vk, W, pool, *alone, prev, score)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    (c1, s1), = candidate_scores(V, W, pool, [sub], score)
    (c2, s2), = candidate_scores(Vk, W, pool, [alone], score)
    np.testing.assert_allclose(c1, c2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(s1, s2, rtol=1e-12, atol=1e-14)
    E2 = E.copy()
    E2[:, :, ~keep] = rng.normal(size=(1, O, int((~keep).sum())))
    for a, b in zip(sub, subset_error_stats(E2, keep, score)):
        np.testing.assert_array_equal(a, b)


def test_candidate_scores_match_candidate_terms():
    rng = np.random.default_rng(1)
    V = rng.normal(size=(2, 3, 20))
    W = rng.normal(size=(2, 8, 3))
    E = rng.normal(size=(2, 1, 20))
    pool = CandidatePool(8, ["symmetric_sigmoid", "gaussian"], False, 0, 0.8)
    stats = error_stats(E)
    cor, scores, _ = candidate_terms(V, W, pool, *stats, np.zeros((2, 8, 1)), "c_code")
    (c, s), = candidate_scores(V, W, pool, [stats], "c_code")
    np.testing.assert_array_equal(c, cor)
    np.testing.assert_array_equal(s, scores)


def test_default_path_has_no_holdout():
    X, y = _rect()
    a = CascadeCorrelation(rng=0, max_hidden_units=6).fit(X, y)
    b = CascadeCorrelation(rng=0, max_hidden_units=6, candidate_holdout=None).fit(X, y)
    assert a.get_params()["candidate_holdout"] is None
    assert not a.history_.events_of("holdout")
    _same(_result(a), _result(b))


def _result(m):
    class R:
        pass
    r = R()
    r.epochs, r.hidden_units, r.history, r.network = (m.n_epochs_, m.hidden_units_,
                                                      m.history_, m.network_)
    return r


def test_holdout_runs_and_is_seeded():
    X, y = _rect()
    kw = dict(max_hidden_units=8, candidate_holdout=0.25)
    a = CascadeCorrelation(rng=5, **kw).fit(X, y)
    b = CascadeCorrelation(rng=5, **kw).fit(X, y)
    _same(_result(a), _result(b))
    ev = a.history_.events_of("holdout")
    assert len(ev) == len(a.history_.events_of("unit_added")) >= 1
    assert all(e["held_out"] == 16 for e in ev)                  # round(0.25 x 64)
    # the event's score is the winner's, as unit_added records it
    assert [e["score"] for e in ev] == [e["score"] for e in a.history_.events_of("unit_added")]
    # a trial's result does not depend on its batch
    trials = CascadeCorrelation(**kw).fit_trials(X, y, [4, 5])
    _same(trials[1], _result(a))
    assert a.predict(X).shape == (64,)


def test_holdout_changes_the_run_and_counts_the_selection_pass():
    X, y = _rect()
    a = CascadeCorrelation(rng=2, max_hidden_units=3).fit(X, y)
    b = CascadeCorrelation(rng=2, max_hidden_units=3, candidate_holdout=0.5).fit(X, y)
    assert a.history_.events != b.history_.events
    # the first pool starts from the same weights: the split is drawn after them
    ev = b.history_.events_of("holdout")[0]
    assert 0 <= ev["winner"] < 8


def test_holdout_with_a_source_network():
    X, y = _rect()
    source = CascadeCorrelation(rng=100, max_hidden_units=10).fit(X, y).network_
    before = [blk.W.copy() for blk in source.blocks]
    types, K = knowledge_pool({"same": source}, X=X, copies=2)
    kw = dict(unit_type=types, pool_size=K, max_hidden_units=4, candidate_holdout=0.5)
    a = CascadeCorrelation(rng=1, **kw).fit(X, y)
    b = CascadeCorrelation(rng=1, **kw).fit(X, y)
    assert recruits(a.history_) == recruits(b.history_)
    _same(_result(a), _result(b))
    for blk, w in zip(source.blocks, before):
        np.testing.assert_array_equal(blk.W, w)


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.5, -0.1])
def test_holdout_is_validated(bad):
    X, y = xor()
    with pytest.raises(ValueError, match="candidate_holdout"):
        CascadeCorrelation(candidate_holdout=bad).fit(X, y)


def test_holdout_not_with_cascade2():
    X, y = xor()
    with pytest.raises(ValueError, match="candidate_holdout"):
        CascadeCorrelation(candidate_holdout=0.5, candidate_objective="cascade2").fit(X, y)


def test_accelerate_runs_the_numpy_path_with_a_holdout():
    from structlearn.cascor import accel
    if not accel.HAVE_NUMBA:
        pytest.skip("numba not installed")
    X, y = _rect()
    kw = dict(rng=3, max_hidden_units=4, candidate_holdout=0.5)
    a = CascadeCorrelation(accelerate=True, **kw).fit(X, y)
    b = CascadeCorrelation(**kw).fit(X, y)
    _same(_result(a), _result(b))


# ``candidate_stagnation="each_kind"``: the patience test watches every kind's best score
# (docs/kbcc.md, "The irrelevant source: three more mechanisms").

def test_each_kind_is_the_default_for_a_one_kind_pool():
    X, y = _rect()
    a = CascadeCorrelation(rng=0, max_hidden_units=6).fit(X, y)
    b = CascadeCorrelation(rng=0, max_hidden_units=6, candidate_stagnation="each_kind").fit(X, y)
    _same(_result(a), _result(b))


def test_each_kind_with_a_source_network_is_seeded_and_batch_free():
    X, y = _rect()
    source = CascadeCorrelation(rng=100, max_hidden_units=10).fit(X, y).network_
    types, K = knowledge_pool({"same": source}, X=X, copies=2)
    kw = dict(unit_type=types, pool_size=K, max_hidden_units=4,
              candidate_stagnation="each_kind")
    a = CascadeCorrelation(rng=1, **kw).fit(X, y)
    b = CascadeCorrelation(rng=1, **kw).fit(X, y)
    _same(_result(a), _result(b))
    _same(CascadeCorrelation(**kw).fit_trials(X, y, [0, 1])[1], _result(a))
    # a mixed pool: the phases end on a different test than the default's
    c = CascadeCorrelation(rng=1, unit_type=types, pool_size=K, max_hidden_units=4).fit(X, y)
    assert [r["epoch"] for r in a.history_.rows] != [r["epoch"] for r in c.history_.rows]


def test_each_kind_is_validated():
    X, y = xor()
    with pytest.raises(ValueError, match="candidate_stagnation"):
        CascadeCorrelation(candidate_stagnation="worst").fit(X, y)
