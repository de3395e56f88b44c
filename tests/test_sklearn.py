"""scikit-learn contract for structlearn.sklearn (small budgets: the checks fit many times)."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import inspect  # noqa: E402

import structlearn.sklearn as sl_sklearn  # noqa: E402
from structlearn.cascor import CascadeCorrelation  # noqa: E402
from structlearn.dnc import DynamicNodeCreation  # noqa: E402
from structlearn.obd import OptimalBrainDamage  # noqa: E402
from structlearn.sklearn import (CascadeCorrelationClassifier,  # noqa: E402
                                 CascadeCorrelationRegressor, DNCClassifier, DNCRegressor,
                                 OBDMLPClassifier, OBDMLPRegressor)

#: each adapter, the algorithm it wraps, and the defaults it chooses for its task
WRAPS = {
    CascadeCorrelationClassifier: (CascadeCorrelation, {}),
    CascadeCorrelationRegressor: (CascadeCorrelation, {}),
    DNCClassifier: (DynamicNodeCreation, {}),
    DNCRegressor: (DynamicNodeCreation, {"output": "linear", "optimizer": "adam"}),
    OBDMLPClassifier: (OptimalBrainDamage, {}),
    OBDMLPRegressor: (OptimalBrainDamage, {}),
}


def _small():
    """Each estimator with a budget small enough for the ~40 fits of the checks."""
    return [
        CascadeCorrelationClassifier(max_hidden_units=3, output_epochs=50, candidate_epochs=30,
                                     random_state=0),
        CascadeCorrelationRegressor(max_hidden_units=3, output_epochs=50, candidate_epochs=30,
                                    random_state=0),
        DNCClassifier(max_epochs=100, window=25, learning_rate=0.05, max_units=4, random_state=0),
        # back-propagation with a small step, as before Adam became the regressor's default: a
        # 100-epoch budget is too short for Adam's 0.001
        DNCRegressor(max_epochs=100, window=25, optimizer=None, learning_rate=0.01, max_units=4,
                     random_state=0),
        OBDMLPClassifier(hidden_layer_sizes=(8,), epochs=60, batch_size=16, retrain_epochs=5,
                         random_state=0),
        OBDMLPRegressor(hidden_layer_sizes=(8,), epochs=60, batch_size=16, retrain_epochs=5,
                        random_state=0),
    ]


def test_every_export_is_tested():
    assert sorted(sl_sklearn.__all__) == sorted(c.__name__ for c in WRAPS)
    assert sorted(type(e).__name__ for e in _small()) == sorted(sl_sklearn.__all__)


@pytest.mark.parametrize("adapter", list(WRAPS), ids=lambda c: c.__name__)
def test_parameters_are_the_algorithms(adapter):
    """Exactly the wrapped class's parameters minus rng and task, plus random_state; its
    defaults, except where the adapter fixes one for its task."""
    core, chosen = WRAPS[adapter]
    core_params = {name: p.default for name, p in inspect.signature(core.__init__)
                   .parameters.items() if name != "self"}
    assert "rng" in core_params and "task" in core_params
    expected = {k: v for k, v in core_params.items() if k not in ("rng", "task")}
    expected.update(chosen, random_state=None)
    got = adapter().get_params()
    assert sorted(got) == sorted(expected)
    for name, value in expected.items():
        assert got[name] == value or got[name] is value, name


def _fit_small(est, X, y):
    """Fit ``est`` on class labels (classifiers) or a real target made from them."""
    if sklearn.base.is_classifier(est):
        return est.fit(X, y)
    return est.fit(X, (y - 1.0) + 0.1 * X[:, 0])


def test_every_parameter_reaches_the_algorithm():
    X, y = _blobs()
    for est in _small():
        _fit_small(est, X, y)
        mine, theirs = est.get_params(), est.model_.get_params()
        assert theirs.pop("rng") == mine.pop("random_state")
        assert theirs.pop("task") == ("classification" if sklearn.base.is_classifier(est)
                                      else "regression")
        assert theirs.keys() == mine.keys()
        assert all(theirs[k] is v or theirs[k] == v for k, v in mine.items()), type(est)
        # the algorithm's own fitted attributes read through
        assert est.stop_reason_ == est.model_.stop_reason_
        assert est.n_iter_ == est.model_.n_epochs_


def test_decision_function_follows_sklearn_convention():
    X, y = _blobs()
    two = np.array(["no", "yes"])[(y == 2).astype(int)]
    classifiers = [e for e in _small() if sklearn.base.is_classifier(e)]
    # two outputs for two classes: a softmax
    classifiers.append(OBDMLPClassifier(hidden_layer_sizes=(8,), epochs=60, retrain_epochs=5,
                                        output="softmax", random_state=0))
    for est in classifiers:
        est.fit(X, two)
        d = est.decision_function(X)
        assert d.shape == (90,), type(est).__name__
        assert np.array_equal(est.classes_[(d > 0).astype(int)], est.predict(X))
        est.fit(X, y)
        D = est.decision_function(X)
        assert D.shape == (90, 3)
        assert np.array_equal(est.classes_[D.argmax(axis=1)], est.predict(X))
    assert not hasattr(CascadeCorrelationRegressor(), "decision_function")
    assert not hasattr(OBDMLPRegressor(), "predict_proba")


# Every check passes: no ``expected_failed_checks`` are needed.
@parametrize_with_checks(_small())
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ------------------------------------------------------------------ smoke tests
def _blobs():
    from sklearn.datasets import make_blobs
    return make_blobs(n_samples=90, centers=3, cluster_std=1.0, random_state=0)


def test_fitted_attributes_and_predict_proba():
    X, y = _blobs()
    labels = np.array(["a", "b", "c"])[y]
    for est in _small():
        if not hasattr(est, "predict_proba"):
            continue
        est.fit(X, labels)
        assert list(est.classes_) == ["a", "b", "c"]
        assert est.n_features_in_ == 2
        assert isinstance(est.n_iter_, int) and est.n_iter_ > 0
        P = est.predict_proba(X)
        assert P.shape == (90, 3)
        assert np.all(P >= 0) and np.allclose(P.sum(axis=1), 1.0)
        assert np.array_equal(est.predict(X), est.classes_[P.argmax(axis=1)])
        assert est.score(X, labels) > 0.8, type(est).__name__
        assert est.network_ is est.model_.network_


def test_obd_prunes_to_target_and_counts_epochs():
    X, y = _blobs()
    est = OBDMLPClassifier(hidden_layer_sizes=(8,), epochs=60, retrain_epochs=5, batch_size=16,
                           target_fraction=0.3, random_state=0).fit(X, y)
    assert est.weights_left_ <= int(np.ceil(0.3 * est.initial_weights_))
    assert est.n_rounds_ >= 1
    assert est.n_iter_ == 60 + 5 * est.n_rounds_


def test_same_random_state_same_model():
    X, y = _blobs()
    for est in _small():
        a = sklearn.base.clone(est).fit(X, y).network_.params.copy()
        b = sklearn.base.clone(est).fit(X, y).network_.params.copy()
        assert np.array_equal(a, b), type(est).__name__


def test_regressors_fit_a_smooth_function():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (120, 2))
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1]
    cc = CascadeCorrelationRegressor(max_hidden_units=5, random_state=0).fit(X, y)
    assert cc.predict(X).shape == (120,)
    assert cc.score(X, y) > 0.9
    Y2 = np.column_stack([y, -y])
    assert cc.fit(X, Y2).predict(X).shape == (120, 2)


@pytest.mark.parametrize("random_state", [0, 1])
def test_dnc_regressor_defaults_do_not_diverge(random_state):
    """Issue 16, item 12: DNCRegressor() with its defaults on the data of scikit-learn's
    check_estimators_overwrite_params (21 blob points, targets 0/1/2) raised TrainingDiverged
    (loss inf at epoch 4624): the default SGD step is sized for sigmoid outputs. It now fits."""
    from sklearn.datasets import make_blobs
    X, y = make_blobs(random_state=0, n_samples=21)
    est = DNCRegressor(random_state=random_state).fit(X, y)
    assert np.all(np.isfinite(est.network_.params))
    assert est.stop_reason_ == "criterion"
    assert est.score(X, y) > 0.99


def test_dnc_regressor_defaults_on_standardised_regression_data():
    """The same default on scikit-learn's standardised regression set (200 points, 10
    features) diverged after 35 epochs: the pattern-summed step grows with the batch."""
    from sklearn.datasets import make_regression
    X, y = make_regression(n_samples=200, n_features=10, n_informative=1, bias=5.0, noise=4.0,
                           random_state=42)
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y[:, None]).ravel()
    est = DNCRegressor(max_epochs=3000, random_state=0).fit(X, y)
    assert np.all(np.isfinite(est.network_.params))
    assert est.score(X, y) > 0.8


def test_pipeline_gridsearch_cross_val_score():
    from sklearn.datasets import load_iris
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), CascadeCorrelationClassifier(
        max_hidden_units=2, output_epochs=50, candidate_epochs=30, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), OBDMLPClassifier(
            epochs=60, retrain_epochs=5, batch_size=16, hidden_layer_sizes=(8,), random_state=0)),
        {"obdmlpclassifier__criterion": ["obd", "magnitude"]}, cv=3).fit(X, y)
    assert grid.best_params_["obdmlpclassifier__criterion"] in ("obd", "magnitude")
    assert grid.best_score_ > 0.8
    assert grid.predict_proba(X).shape == (150, 3)


def test_bad_parameter_surfaces_as_a_clear_error():
    X, y = _blobs()
    with pytest.raises(ValueError, match="pool_size"):
        CascadeCorrelationClassifier(pool_size=0).fit(X, y)
    with pytest.raises(ValueError, match="target_fraction"):
        OBDMLPClassifier(target_fraction=2.0).fit(X, y)


def test_import_without_sklearn_names_the_extra_and_core_never_imports_it():
    import subprocess
    import sys
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import structlearn, structlearn.cascor, structlearn.dnc, structlearn.obd, "
            "structlearn.net2net, structlearn.train, structlearn.datasets\n"
            "try:\n    import structlearn.sklearn\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "structlearn[sklearn]" in out
    code = ("import sys, structlearn, structlearn.cascor, structlearn.dnc, structlearn.obd, "
            "structlearn.net2net, structlearn.train, structlearn.bench.registry\n"
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_fit_starts_from_another_algorithms_network():
    """fit(network=...): prune a cascade-correlation network with OBD, both as scikit-learn
    estimators; the given network is copied, never changed."""
    X, y = _blobs()
    cc = CascadeCorrelationClassifier(max_hidden_units=2, output_epochs=50, candidate_epochs=30,
                                      random_state=0).fit(X, y)
    before = cc.network_.params.copy()
    obd = OBDMLPClassifier(retrain_epochs=5, frozen="prune", random_state=0).fit(
        X, y, network=cc.network_)
    assert np.array_equal(cc.network_.params, before)
    assert obd.network_.n_active_weights < cc.network_.n_active_weights
    assert list(obd.classes_) == list(cc.classes_) and obd.n_features_in_ == 2
    assert obd.predict(X).shape == (90,)
