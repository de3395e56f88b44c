"""The negative case from the literature: positive self-weights cannot count modulo 2.

Giles et al. (1995, IEEE TNN 6(4)) show that RCC with monotone units cannot represent some
finite-state automata; Knorozova & Ronca (AAAI 2024) that cascades of such units with
*positive* recurrent weights capture only the star-free languages, while a negative
self-weight gives the period-2 "oscillator". Bit-stream parity (target: the parity of the bits
so far) contains the alternation of a constant stream of ones, which a cascade of units with
``w_s >= 0`` cannot produce for long (each unit's state under a constant input is monotone, so
the outputs converge). With the self-weight free, RCC learns it.
"""
import numpy as np
import pytest

from structlearn.cascor import RecurrentCascadeCorrelation


def _parity(n, lo, hi, rng):
    X = [rng.integers(0, 2, (int(rng.integers(lo, hi + 1)), 1)).astype(float) for _ in range(n)]
    return X, [np.cumsum(x[:, 0]).astype(int) % 2 for x in X]


ONES, ONES_Y = [np.ones((40, 1))], [np.arange(1, 41) % 2]


@pytest.fixture(scope="module")
def data():
    return _parity(64, 2, 10, np.random.default_rng(0))


def test_free_self_weight_learns_bit_stream_parity(data):
    X, y = data
    m = RecurrentCascadeCorrelation(rng=2, max_hidden_units=14).fit(X, y)
    assert m.stop_reason_ == "victory" and m.score(X, y) == 1.0
    assert m.score(ONES, ONES_Y) == 1.0             # alternates for 40 steps (trained on <= 10)
    assert min(blk.recurrent.min() for blk in m.network_.blocks[:-1]) < 0   # an oscillator


def test_nonnegative_self_weight_cannot(data):
    X, y = data
    m = RecurrentCascadeCorrelation(rng=2, max_hidden_units=8,
                                    unit_type="recurrent_tanh_nonneg").fit(X, y)
    assert all(blk.recurrent.min() >= 0 for blk in m.network_.blocks[:-1])
    assert m.stop_reason_ == "max_units" and m.score(X, y) < 0.95
    assert m.score(ONES, ONES_Y) < 0.7              # the outputs settle: about half right
