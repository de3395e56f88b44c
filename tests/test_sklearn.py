"""scikit-learn contract for structlearn.sklearn (small budgets: the checks fit many times)."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from structlearn.sklearn import (CascadeCorrelationClassifier,  # noqa: E402
                                 CascadeCorrelationRegressor, DNCClassifier, DNCRegressor,
                                 OBDMLPClassifier)


def _small():
    """Each estimator with a budget small enough for the ~40 fits of the checks."""
    return [
        CascadeCorrelationClassifier(max_hidden_units=3, output_epochs=50, candidate_epochs=30,
                                     random_state=0),
        CascadeCorrelationRegressor(max_hidden_units=3, output_epochs=50, candidate_epochs=30,
                                    random_state=0),
        DNCClassifier(max_epochs=100, window=25, learning_rate=0.05, max_units=4, random_state=0),
        DNCRegressor(max_epochs=100, window=25, learning_rate=0.01, max_units=4, random_state=0),
        OBDMLPClassifier(hidden_layer_sizes=(8,), epochs=60, batch_size=16, retrain_epochs=5,
                         random_state=0),
    ]


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
