"""The estimator contract (structlearn.estimator), one test body for every public algorithm."""
import inspect

import numpy as np
import pytest

import structlearn as sl
from helpers import small_estimator
from structlearn.cascor import CascadeCorrelation
from structlearn.dnc import DynamicNodeCreation
from structlearn.estimator import Estimator, NotFittedError
from structlearn.obd import OptimalBrainDamage


small = small_estimator


ALGORITHMS = ["cascor", "dnc", "obd", "net2net"]


def blobs(n=90, labels=("a", "b", "c"), seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])[:len(labels)]
    k = rng.integers(0, len(labels), n)
    X = centers[k] + 0.4 * rng.normal(size=(n, 2))
    return X, np.asarray(labels)[k]


@pytest.mark.parametrize("name", ALGORITHMS)
def test_constructor_only_stores_and_params_round_trip(name):
    est = small(name)
    assert isinstance(est, Estimator)
    params = est.get_params()
    assert set(params) == {p for p in inspect.signature(type(est).__init__).parameters
                           if p != "self"}
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    clone = type(est)(**params)
    assert clone.get_params().keys() == params.keys()
    assert est.set_params(rng=5) is est and est.rng == 5
    with pytest.raises(ValueError, match="not a parameter"):
        est.set_params(no_such_parameter=1)
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((2, 2)))


@pytest.mark.parametrize("name", ALGORITHMS)
@pytest.mark.parametrize("labels", [("a", "b", "c"), (3, 7)])
def test_classification_contract(name, labels):
    X, y = blobs(labels=labels)
    est = small(name)
    assert est.fit(X, y) is est
    assert list(est.classes_) == sorted(labels)
    assert est.n_features_in_ == 2
    assert isinstance(est.network_, sl.Network)
    assert isinstance(est.history_, sl.History)
    assert isinstance(est.n_epochs_, int) and est.n_epochs_ > 0
    assert isinstance(est.stop_reason_, str)
    n_out = 1 if len(labels) == 2 and est.network_.blocks[-1].activation != "softmax" \
        else len(labels)
    assert est.network_.n_outputs == n_out == est.n_outputs_
    pred = est.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= set(labels)
    D = est.decision_function(X)
    assert D.shape == (len(X), n_out)
    P = est.predict_proba(X)
    assert P.shape == (len(X), len(labels))
    assert np.all(P >= 0) and np.allclose(P.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pred, est.classes_[P.argmax(axis=1)])
    acc = est.score(X, y)
    assert acc == pytest.approx(np.mean(pred == y))
    assert acc == sl.evaluate(est.network_, X, y, targets=est.target_info_)["score"]
    assert acc > 0.8, (name, acc)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_huge_labels_are_labels_not_output_indices(name):
    X, y = blobs(labels=(10**12, 2))
    est = small(name).fit(X, y)
    assert est.network_.n_outputs <= 2
    assert set(est.predict(X)) <= {10**12, 2}


@pytest.mark.parametrize("name", ALGORITHMS)
def test_given_network_is_copied_never_changed(name):
    X, y = blobs(labels=(0, 1, 2))
    start = OptimalBrainDamage(hidden_layer_sizes=(6,), epochs=50, target_fraction=0.9,
                               rng=1).fit(X, y).network_
    before = start.copy()
    est = small(name)
    try:
        est.fit(X, y, network=start)
    except ValueError as exc:  # an algorithm that cannot start from this network says why
        assert "network" in str(exc)
        return
    assert est.network_ is not start
    np.testing.assert_array_equal(start.params, before.params)
    assert [b.width for b in start.blocks] == [b.width for b in before.blocks]
    assert est.predict(X).shape == (len(X),)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_bad_input_gets_a_clear_error(name):
    X, y = blobs()
    est = small(name)
    with pytest.raises(ValueError, match="y must have"):
        est.fit(X, y[:-1])
    with pytest.raises(ValueError, match="X"):
        est.fit(X[:, 0], y)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="X: expected finite"):
        est.fit(Xn, y)
    with pytest.raises(ValueError, match="network"):
        est.fit(X, y, network=sl.Network.mlp([3, 2, 3], rng=0))
    est.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels not among the classes"):
        est.score(X, np.where(y == "a", "z", y))


def test_regression_contract():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (80, 2))
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1]
    for est in (CascadeCorrelation(max_hidden_units=4, output_epochs=100, rng=0),
                DynamicNodeCreation(output="linear", max_epochs=600, window=100, c_a=None,
                                    learning_rate=0.05, rng=0),
                OptimalBrainDamage(hidden_layer_sizes=(8,), epochs=300, retrain_epochs=10,
                                   rng=0)):
        est.fit(X, y)
        assert not hasattr(est, "classes_")
        assert not hasattr(est, "predict_proba")
        assert est.predict(X).shape == (80,)
        r2 = est.score(X, y)
        assert r2 == sl.evaluate(est.network_, X, y, targets=est.target_info_)["score"]
        assert r2 > 0.5, (type(est).__name__, r2)


def test_net2net_search_needs_classes():
    X = np.random.default_rng(0).normal(size=(40, 2))
    with pytest.raises(ValueError, match="class"):
        small("net2net").fit(X, X[:, 0])
