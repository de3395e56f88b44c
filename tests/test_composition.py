"""The composition matrix: any algorithm's network handed to any other.

Every row grows, prunes or widens a network with one algorithm; every column starts another
algorithm (or a Net2Net operation) from it. A pair either works, and its result meets the
estimator contract, or raises a clear ``ValueError`` that names ``network`` and says why. The
README's table is this matrix (``EXPECTED`` below); function-preserving steps are checked to
preserve the function in float64.
"""
import numpy as np
import pytest

import structlearn as sl
from helpers import small_estimator
from structlearn.net2net import deeper, wider
from structlearn.obd import OptimalBrainDamage


def data():
    rng = np.random.default_rng(0)
    n = 80
    k = rng.integers(0, 2, n)
    angle = rng.uniform(0, np.pi, n)
    X = np.c_[np.cos(angle) + k, np.sin(angle) * (1 - 2 * k) + 0.4 * k]
    X += 0.1 * rng.normal(size=X.shape)
    return X, np.array(["no", "yes"])[k]


algorithm = small_estimator


PRODUCERS = ["cascor", "dnc", "obd", "net2net"]
CONSUMERS = ["cascor", "dnc", "obd", "net2net", "wider", "deeper"]

#: (producer, consumer) -> None (works) or the reason it cannot, as a regex of the error
EXPECTED = {
    ("cascor", "dnc"): "no trainable hidden block",
    ("cascor", "net2net"): "chain",
}


@pytest.fixture(scope="module")
def produced():
    X, y = data()
    return {name: algorithm(name).fit(X, y) for name in PRODUCERS}


def _check_contract(est, X, y, start):
    assert est.network_ is not start
    pred = est.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= {"no", "yes"}
    assert est.score(X, y) == sl.evaluate(est.network_, X, y, targets=est.target_info_)["score"]


def _deepen(net):
    """Net2DeeperNet after the first hidden block, with an exact method for its activation."""
    act = sl.get_activation(net.blocks[0].activation)
    return deeper(net, 0, method="identity" if act.idempotent else "shortcut")


@pytest.mark.parametrize("consumer", CONSUMERS)
@pytest.mark.parametrize("producer", PRODUCERS)
def test_pair(produced, producer, consumer):
    X, y = data()
    start = produced[producer].network_
    before = start.copy()
    reason = EXPECTED.get((producer, consumer))
    if consumer in ("wider", "deeper"):
        grown = (wider(start, 0, start.blocks[0].width + 2, rng=0) if consumer == "wider"
                 else _deepen(start))
        # function-preserving: the same outputs, float64
        assert np.max(np.abs(grown.forward(X) - start.forward(X))) < 1e-10
        assert grown.n_weights > start.n_weights
    else:
        est = algorithm(consumer)
        if reason is not None:
            with pytest.raises(ValueError, match=reason) as info:
                est.fit(X, y, network=start)
            assert "network" in str(info.value)
        else:
            est.fit(X, y, network=start)
            _check_contract(est, X, y, start)
    np.testing.assert_array_equal(start.params, before.params)  # never changed


def test_grow_prune_widen_chain():
    """Grow with cascade-correlation, prune with OBD, widen the result, grow it again."""
    X, y = data()
    grown = algorithm("cascor").fit(X, y)
    pruned = OptimalBrainDamage(target_fraction=0.7, retrain_epochs=5, frozen="unfreeze", rng=0).fit(
        X, y, network=grown.network_)
    assert pruned.network_.n_active_weights < grown.network_.n_active_weights
    wide = wider(pruned.network_, 0, pruned.network_.blocks[0].width + 1, rng=0)
    assert np.max(np.abs(wide.forward(X) - pruned.network_.forward(X))) < 1e-10
    again = algorithm("cascor").fit(X, y, network=wide)
    assert again.network_.n_hidden_units >= wide.n_hidden_units
    _check_contract(again, X, y, wide)
