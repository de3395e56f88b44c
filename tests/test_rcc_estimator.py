"""RecurrentCascadeCorrelation on sequences: data validation, the contract, the data sets,
composition refusals, and the paper's Reber claim on a small scale."""
import numpy as np
import pytest

from structlearn.cascor import CascadeCorrelation, RecurrentCascadeCorrelation
from structlearn.datasets_sequences import (MORSE_CODE, embedded_reber, embedded_reber_strings,
                                            encode_reber, morse, morse_correct,
                                            perfect_sequences, reber, reber_correct,
                                            reber_strings)
from structlearn.dnc import DynamicNodeCreation
from structlearn.net2net import deeper, wider
from structlearn.obd import OptimalBrainDamage
from structlearn.sequences import Sequences, sequence_targets


def _delay_task(n=30, seed=0):
    """Output the previous input bit (needs one step of memory)."""
    rng = np.random.default_rng(seed)
    X = [rng.integers(0, 2, (int(rng.integers(3, 9)), 1)).astype(float) for _ in range(n)]
    y = [np.r_[0, x[:-1, 0]].astype(int) for x in X]
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _delay_task()
    return RecurrentCascadeCorrelation(rng=0, max_hidden_units=6).fit(X, y), X, y


# ----------------------------------------------------------------- sequences
def test_sequence_validation_errors():
    with pytest.raises(ValueError, match="at least one sequence"):
        Sequences([])
    with pytest.raises(ValueError, match=r"X\[1\]: an empty sequence"):
        Sequences([np.ones((2, 1)), np.ones((0, 1))])
    with pytest.raises(ValueError, match=r"X\[1\]: has 2 features"):
        Sequences([np.ones((2, 1)), np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        Sequences([np.ones(3)])
    with pytest.raises(ValueError, match="NaN"):
        Sequences([np.array([[np.nan]])])
    with pytest.raises(ValueError, match="needs lengths"):
        Sequences(np.ones((2, 3, 1)))
    with pytest.raises(ValueError, match="more than the 3 padded"):
        Sequences(np.ones((2, 3, 1)), lengths=[2, 4])
    with pytest.raises(ValueError, match="at least one time step"):
        Sequences(np.ones((2, 3, 1)), lengths=[2, 0])
    with pytest.raises(ValueError, match="sum to 5"):
        Sequences(np.ones((6, 1)), lengths=[2, 3])
    seqs = Sequences([np.ones((2, 1)), np.ones((3, 1))])
    with pytest.raises(ValueError, match=r"y\[1\]: expected 3 rows"):
        sequence_targets([np.ones(2), np.ones(2)], seqs)
    with pytest.raises(ValueError, match="expected 2 target sequences"):
        sequence_targets([np.ones(2)], seqs)
    assert sequence_targets(np.arange(5), seqs).shape == (5,)


def test_layout_is_a_permutation_with_contiguous_steps():
    seqs = Sequences([np.full((T, 1), i) for i, T in enumerate([3, 1, 4, 2])])
    lay = seqs.layout
    assert sorted(lay.order) == list(range(10))
    np.testing.assert_array_equal(lay.to_sequence_major(lay.to_time_major(seqs.X)), seqs.X)
    assert list(lay.counts) == [4, 3, 2, 1]
    steps = seqs.X[lay.order, 0]
    for t, cur, prev in lay.steps():          # predecessors: the same sequences, in order
        if prev is not None:
            np.testing.assert_array_equal(steps[cur], steps[prev.start:prev.start + cur.stop
                                                           - cur.start])


# ----------------------------------------------------------------- estimator
def test_fit_predict_score_and_determinism(fitted):
    m, X, y = fitted
    assert m.stop_reason_ == "victory" and m.score(X, y) == 1.0
    assert m.network_.is_recurrent
    P = sum(len(x) for x in X)
    assert m.predict(X).shape == (P,) and m.decision_function(X).shape == (P, 1)
    assert m.predict_proba(X).shape == (P, 2)
    again = RecurrentCascadeCorrelation(rng=0, max_hidden_units=6).fit(X, y)
    np.testing.assert_array_equal(again.network_.params, m.network_.params)
    # the same sequences as a padded array with lengths
    lengths = [len(x) for x in X]
    padded = np.zeros((len(X), max(lengths), 1))
    for i, x in enumerate(X):
        padded[i, :len(x)] = x
    np.testing.assert_array_equal(m.decision_function(padded, lengths=lengths),
                                  m.decision_function(X))
    with pytest.raises(ValueError, match="expected 1 features"):
        m.predict([np.ones((3, 2))])


def test_fit_trials_equals_fit():
    X, y = _delay_task(n=12, seed=1)
    est = RecurrentCascadeCorrelation(max_hidden_units=3, unit_type=["recurrent",
                                                                     "symmetric_sigmoid"])
    results = est.fit_trials(X, y, seeds=[3, 4])
    for seed, r in zip([3, 4], results):
        one = RecurrentCascadeCorrelation(max_hidden_units=3, rng=seed,
                                          unit_type=["recurrent", "symmetric_sigmoid"]).fit(X, y)
        np.testing.assert_array_equal(one.network_.params, r.network.params)
        assert one.n_epochs_ == r.epochs


def test_sibling_descendant_pool_and_validation():
    X, y = _delay_task(n=20, seed=2)
    Xv, yv = _delay_task(n=10, seed=3)
    m = RecurrentCascadeCorrelation(rng=1, max_hidden_units=4, pool_type="sibling_descendant",
                                    unit_type=["recurrent", "symmetric_sigmoid"]
                                    ).fit(X, y, validation=(Xv, yv))
    net = m.network_
    assert net.is_recurrent and m.hidden_units_ >= 1
    assert m.score(Xv, yv) > 0.9


def test_continues_from_a_recurrent_network(fitted):
    m, X, y = fitted
    start = m.network_
    before = start.copy()
    more = RecurrentCascadeCorrelation(rng=2, max_hidden_units=1).fit(X, y, network=start)
    np.testing.assert_array_equal(start.params, before.params)
    assert more.score(X, y) == 1.0


def test_plain_cascor_refuses_recurrent_units_and_networks(fitted):
    m, X, y = fitted
    Xf = np.concatenate(X)
    yf = np.concatenate(y)
    with pytest.raises(ValueError, match="unit_type: recurrent candidates need sequence"):
        CascadeCorrelation(unit_type="recurrent", rng=0).fit(Xf, yf)
    with pytest.raises(ValueError, match="network: it has recurrent blocks"):
        CascadeCorrelation(rng=0).fit(Xf, yf, network=m.network_)


@pytest.mark.parametrize("consumer", ["dnc", "obd", "net2net", "wider", "deeper"])
def test_other_algorithms_refuse_a_recurrent_network(fitted, consumer):
    m, X, y = fitted
    Xf, yf = np.concatenate(X), np.concatenate(y)
    net = m.network_
    with pytest.raises(ValueError, match="network: it has recurrent blocks"):
        if consumer == "dnc":
            DynamicNodeCreation().fit(Xf, yf, network=net)
        elif consumer == "obd":
            OptimalBrainDamage().fit(Xf, yf, network=net)
        elif consumer == "net2net":
            from structlearn.net2net import Net2NetSearch
            Net2NetSearch().fit(Xf, yf, network=net)
        elif consumer == "wider":
            wider(net, 0, 3, rng=0)
        else:
            deeper(net, 0)


# ----------------------------------------------------------------- data sets
def test_reber_strings_and_encoding():
    strings = reber_strings(200, rng=0)
    assert all(s[0] == "B" and s[-1] == "E" for s in strings)
    assert 7 < np.mean([len(s) for s in strings]) < 9          # the paper: about 8
    X, y = encode_reber(["BTSSXXVPSE"])
    assert X[0].shape == (9, 7) and y[0].shape == (9, 7)
    # after B: T or P; after the final S: E only
    assert list(y[0][0]) == [0, 1, 1, 0, 0, 0, 0] and list(y[0][-1]) == [0, 0, 0, 0, 0, 0, 1]
    with pytest.raises(ValueError, match="not a Reber string"):
        encode_reber(["BTQE"])
    e = embedded_reber_strings(50, rng=1)
    assert all(s[1] == s[-2] and s[1] in "TP" for s in e)
    Xe, ye = embedded_reber(5, rng=1)
    for s, t in zip(embedded_reber(5, rng=1, return_strings=True)[2], ye):
        assert t[-2, "BTPSXVE".index(s[1])] == 1 and t[-2].sum() == 1     # the long memory


def test_reber_criterion():
    _, y = encode_reber(["BTXSE"])
    y = y[0]
    out = np.where(y > 0, 0.4, -0.4)
    assert reber_correct(out, y).all()
    out[0, 1] = -0.5                          # a legal successor below an illegal one
    assert not reber_correct(out, y)[0] and reber_correct(out, y)[1:].all()
    assert list(perfect_sequences([True, True, False, True], [2, 2])) == [True, False]


def test_morse_encoding():
    X, y = morse()
    assert len(X) == 26 and all(x.shape[1] == 1 and t.shape[1] == 27 for x, t in zip(X, y))
    v = "".join("1" if b > 0 else "0" for b in X[ord("V") - 65][:, 0])
    assert v == "1010101100"                     # the paper's example
    assert set(np.concatenate(X)[:, 0]) == {-0.5, 0.5}   # a logical zero is negative
    X01, y01 = morse(levels=(0, 1))
    assert "".join(str(int(b)) for b in X01[ord("V") - 65][:, 0]) == "1010101100"
    assert sum(len(x) for x in X) == 228         # the paper says 226 (see the docs)
    assert min(len(x) for x in X) == 3 and max(len(x) for x in X) == 12
    for c, t in zip(MORSE_CODE, y):
        assert t[:-1].sum() == 0 and t[-1, 26] == 1 and t[-1, ord(c) - 65] == 1
    assert morse_correct(np.where(np.concatenate(y) > 0, 0.3, -0.3), y).all()
    with pytest.raises(ValueError, match="letters"):
        morse("a")
    with pytest.raises(ValueError, match="levels"):
        morse(levels=(1, 0))


def test_reber_small_scale_claim():
    """Fahlman (1991): Reber with 2-3 units, perfect on new strings (one trial, 64 strings)."""
    X, y = reber(64, rng=10)
    Xt, yt = reber(64, rng=11)
    m = RecurrentCascadeCorrelation(rng=0, max_hidden_units=5).fit(X, y)
    assert m.stop_reason_ == "victory" and m.hidden_units_ <= 3
    test = Sequences(Xt)
    assert perfect_sequences(reber_correct(m.decision_function(test), yt), test.lengths).all()


def test_fit_trials_same_networks_with_one_or_two_jobs():
    """Same seed, same result: a recurrent batch split over two worker processes grows the
    networks one process grows (``run_trials`` shared with plain cascade-correlation)."""
    from structlearn.cascor import RecurrentCascadeCorrelation
    from structlearn.datasets_sequences import reber

    X, y = reber(32, rng=0)
    model = RecurrentCascadeCorrelation(max_hidden_units=3)
    one = model.fit_trials(X, y, [0, 1, 2], n_jobs=1)
    two = model.fit_trials(X, y, [0, 1, 2], n_jobs=2)
    for a, b in zip(one, two):
        assert np.array_equal(a.network.params, b.network.params)
        for blk_a, blk_b in zip(a.network.blocks, b.network.blocks):
            assert (blk_a.recurrent is None) == (blk_b.recurrent is None)
            if blk_a.recurrent is not None:
                assert np.array_equal(blk_a.recurrent, blk_b.recurrent)
