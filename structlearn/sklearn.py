"""scikit-learn estimators: thin adapters over structlearn's algorithms.

Needs the optional extra ``sklearn`` (``pip install structlearn[sklearn]``);
the rest of structlearn never imports scikit-learn.

* :class:`CascadeCorrelationClassifier`, :class:`CascadeCorrelationRegressor`
  over :class:`structlearn.cascor.CascadeCorrelation` (Fahlman & Lebiere 1990).
* :class:`DNCClassifier`, :class:`DNCRegressor` over
  :class:`structlearn.dnc.DynamicNodeCreation` (Ash 1989).
* :class:`OBDMLPClassifier`: an MLP trained with the shared ``train`` loop,
  then pruned by :class:`structlearn.obd.OptimalBrainDamage` (LeCun et al. 1990).

The adapters do only what the scikit-learn contract needs: input validation
(``validate_data``), label encoding (any hashable labels -> ``0..K-1``, kept in
``classes_``), ``random_state`` (passed as the algorithm's ``rng``),
``predict_proba`` and the fitted attributes ``n_features_in_``, ``n_iter_``.
The trained algorithm object is kept in ``model_`` (its ``network_`` and
``history_`` are also exposed as ``network_`` and ``history_``). Defaults are
the algorithms' own (see ``docs/cascor.md``, ``docs/dnc.md``, ``docs/obd.md``).

``predict_proba`` maps the output units to [0, 1] through the output
activation's range (e.g. Fahlman's symmetric sigmoid: -0.5..0.5) and, with
several outputs that are not a softmax, normalises them to sum to one: these are
scores in probability form, not calibrated probabilities.
"""
import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.preprocessing import LabelEncoder
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "structlearn.sklearn needs scikit-learn: install the optional extra with "
        "`pip install structlearn[sklearn]` (or `pip install scikit-learn`)") from exc

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _validate_data(est, X="no_validation", y="no_validation", reset=True, **kw):
        return est._validate_data(X, y, reset=reset, **kw)

from .cascor import CascadeCorrelation
from .dnc import DynamicNodeCreation
from .obd import OptimalBrainDamage
from .activations import get_activation

__all__ = ["CascadeCorrelationClassifier", "CascadeCorrelationRegressor", "DNCClassifier",
           "DNCRegressor", "OBDMLPClassifier"]


def _seed(random_state):
    """``random_state`` as something ``check_rng`` accepts (int, Generator or None)."""
    if isinstance(random_state, np.random.RandomState):
        # sklearn's RandomState: draw a seed from it, so the run is reproducible from it.
        return int(random_state.randint(np.iinfo(np.int32).max))
    return random_state


class _Base(BaseEstimator):
    """Shared fit/predict plumbing; subclasses define ``_make_model``."""

    _is_classifier = False

    def _make_model(self, n_classes):  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X, y):
        """Fit the underlying algorithm on ``(X, y)``; returns ``self``."""
        if self._is_classifier:
            X, y = _validate_data(self, X, y, dtype=np.float64)
            check_classification_targets(y)
            enc = LabelEncoder().fit(y)
            self.classes_ = enc.classes_
            if len(self.classes_) < 2:
                raise ValueError("y: only one class is present; a classifier needs at least 2 "
                                 "classes")
            target = enc.transform(y).astype(np.int64)
        else:
            X, y = _validate_data(self, X, y, dtype=np.float64, y_numeric=True, multi_output=True)
            self._y_1d = y.ndim == 1
            target = y.reshape(len(y), -1).astype(np.float64)
        self.model_ = self._make_model(len(getattr(self, "classes_", ())))
        self._fit_model(X, target)
        self.network_ = self.model_.network_
        self.history_ = self.model_.history_
        self.n_iter_ = int(self._n_iter())
        return self

    def _fit_model(self, X, target):
        self.model_.fit(X, target)

    def _n_iter(self):
        return self.model_.n_epochs_

    def _outputs(self, X):
        check_is_fitted(self, "model_")
        X = _validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(self.network_.forward(X), dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class _ClassifierMixin(ClassifierMixin):
    _is_classifier = True

    def predict_proba(self, X):
        """Class scores in [0, 1] summing to one, shape (n_samples, n_classes).

        The output units mapped through the output activation's range; see the
        module docstring (not calibrated probabilities).
        """
        out = self._outputs(X)
        act = self.network_.blocks[-1].activation
        if act == "softmax":
            P = out
        else:
            low, high = get_activation(act).label_values
            P = np.clip((out - low) / (high - low), 0.0, 1.0)
            if P.shape[1] == 1:
                P = np.hstack([1.0 - P, P])
            else:
                s = P.sum(axis=1, keepdims=True)
                # All outputs at their low end: no preference, uniform scores.
                P = np.where(s > 0, P / np.where(s > 0, s, 1.0), 1.0 / P.shape[1])
        return P

    def predict(self, X):
        """Class labels: the class with the largest score."""
        P = self.predict_proba(X)  # checks that the estimator is fitted
        return self.classes_[np.argmax(P, axis=1)]


class _RegressorMixin(RegressorMixin):
    def predict(self, X):
        """Network outputs, shape (n_samples,) or (n_samples, n_targets) like the training y."""
        out = self._outputs(X)
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # several linear outputs, one per target column
        return tags


# ------------------------------------------------------------ cascade-correlation
class _CascorParams(_Base):
    def __init__(self, *, max_hidden_units=50, pool_size=8, unit_type="symmetric_sigmoid",
                 pool_type="cascade", output_epochs=200, candidate_epochs=200,
                 output_patience=12, candidate_patience=12, score_threshold=0.4,
                 random_state=None):
        self.max_hidden_units = max_hidden_units
        self.pool_size = pool_size
        self.unit_type = unit_type
        self.pool_type = pool_type
        self.output_epochs = output_epochs
        self.candidate_epochs = candidate_epochs
        self.output_patience = output_patience
        self.candidate_patience = candidate_patience
        self.score_threshold = score_threshold
        self.random_state = random_state

    def _make_model(self, n_classes):
        return CascadeCorrelation(
            max_hidden_units=self.max_hidden_units, pool_size=self.pool_size,
            unit_type=self.unit_type, pool_type=self.pool_type, output_epochs=self.output_epochs,
            candidate_epochs=self.candidate_epochs, output_patience=self.output_patience,
            candidate_patience=self.candidate_patience, score_threshold=self.score_threshold,
            task="classification" if self._is_classifier else "regression",
            rng=_seed(self.random_state))


class CascadeCorrelationClassifier(_ClassifierMixin, _CascorParams):
    """Cascade-correlation classifier (Fahlman & Lebiere 1990).

    Parameters are those of :class:`structlearn.cascor.CascadeCorrelation`
    with its defaults (Fahlman's cascor v1.1 code); ``random_state`` is its
    ``rng``. Outputs are symmetric sigmoids (-0.5..0.5), one per class (one for
    two classes).

    Attributes
    ----------
    classes_, n_features_in_ : as in scikit-learn
    n_iter_ : int
        Epochs run (output and candidate phases).
    model_ : CascadeCorrelation
        The fitted algorithm (``hidden_units_``, ``crossings_``, ...).
    network_, history_ : the grown network and its History.
    """


class CascadeCorrelationRegressor(_RegressorMixin, _CascorParams):
    """Cascade-correlation regressor: linear outputs (the code's regression mode).

    Same parameters and attributes as :class:`CascadeCorrelationClassifier`
    (no ``classes_``). Targets are used as given: scale them to a few units.
    """


# ------------------------------------------------------------ dynamic node creation
class _DNCParams(_Base):
    def __init__(self, *, trigger=0.05, window=1000, c_a=0.001, c_m=0.01, max_units=50,
                 max_epochs=100_000, learning_rate=0.2, momentum=0.9, batch_size="auto",
                 init="random", random_state=None):
        self.trigger = trigger
        self.window = window
        self.c_a = c_a
        self.c_m = c_m
        self.max_units = max_units
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.init = init
        self.random_state = random_state

    def _make_model(self, n_classes):
        return DynamicNodeCreation(
            trigger=self.trigger, window=self.window, c_a=self.c_a, c_m=self.c_m,
            max_units=self.max_units, max_epochs=self.max_epochs,
            learning_rate=self.learning_rate, momentum=self.momentum,
            batch_size=self.batch_size, init=self.init,
            output="sigmoid" if self._is_classifier else "linear",
            rng=_seed(self.random_state))


class DNCClassifier(_ClassifierMixin, _DNCParams):
    """Dynamic node creation classifier (Ash 1989): one hidden layer grown unit by unit.

    Parameters are those of :class:`structlearn.dnc.DynamicNodeCreation`
    (Ash's trigger 0.05, window 1000, criterion 0.001/0.01; our learning rate
    0.2 and momentum 0.9); ``random_state`` is its ``rng``. Sigmoid outputs,
    squared error.

    Attributes
    ----------
    classes_, n_features_in_ : as in scikit-learn
    n_iter_ : int
        Epochs trained.
    model_ : DynamicNodeCreation
    network_, history_ : the grown network and its History (growth curve).
    """


class DNCRegressor(_RegressorMixin, _DNCParams):
    """Dynamic node creation regressor: sigmoid hidden units, linear outputs, squared error.

    Same parameters and attributes as :class:`DNCClassifier` (no ``classes_``).
    """


# ------------------------------------------------------------ OBD-pruned MLP
class OBDMLPClassifier(_ClassifierMixin, _Base):
    """An MLP trained with the shared ``train`` loop, then pruned by Optimal Brain Damage.

    ``fit`` builds an MLP (``hidden_layer_sizes``, ``activation``; sigmoid
    output for two classes, softmax otherwise), trains it for ``epochs`` epochs
    (Adam by default), then deletes the least salient weights (LeCun, Denker &
    Solla 1990) in rounds of ``prune_fraction`` with ``retrain_epochs`` of
    retraining each, until ``target_fraction`` of the weights is left.
    ``criterion="magnitude"`` gives the magnitude-pruning baseline. Defaults
    are those of :class:`structlearn.obd.OptimalBrainDamage`.

    Attributes
    ----------
    classes_, n_features_in_ : as in scikit-learn
    n_iter_ : int
        Training epochs in all (initial training plus retraining).
    n_rounds_, initial_weights_, weights_left_ : from the pruning.
    model_ : OptimalBrainDamage
    network_, history_ : the pruned network and its History.
    """

    def __init__(self, *, hidden_layer_sizes=(30,), activation="tanh", epochs=200,
                 optimizer="adam", batch_size=None, criterion="obd", target_fraction=0.4,
                 prune_fraction=0.2, retrain_epochs=20, hessian="lm", random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.epochs = epochs
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.criterion = criterion
        self.target_fraction = target_fraction
        self.prune_fraction = prune_fraction
        self.retrain_epochs = retrain_epochs
        self.hessian = hessian
        self.random_state = random_state

    def _make_model(self, n_classes):
        return OptimalBrainDamage(
            hidden_layer_sizes=self.hidden_layer_sizes, activation=self.activation,
            epochs=self.epochs, optimizer=self.optimizer, batch_size=self.batch_size,
            criterion=self.criterion, target_fraction=self.target_fraction,
            prune_fraction=self.prune_fraction, retrain_epochs=self.retrain_epochs,
            hessian=self.hessian, dtype=np.float64, rng=_seed(self.random_state))

    def _fit_model(self, X, target):
        super()._fit_model(X, target)
        self.n_rounds_ = self.model_.n_rounds_
        self.initial_weights_ = self.model_.initial_weights_
        self.weights_left_ = self.model_.weights_left_

    def _n_iter(self):
        return self.model_.history_.epochs
