"""scikit-learn estimators: thin adapters over structlearn's algorithms.

Needs the optional extra ``sklearn`` (``pip install structlearn[sklearn]``);
the rest of structlearn never imports scikit-learn.

* :class:`CascadeCorrelationClassifier`, :class:`CascadeCorrelationRegressor`
  over :class:`structlearn.cascor.CascadeCorrelation` (Fahlman & Lebiere 1990).
* :class:`DNCClassifier`, :class:`DNCRegressor` over
  :class:`structlearn.dnc.DynamicNodeCreation` (Ash 1989).
* :class:`OBDMLPClassifier`, :class:`OBDMLPRegressor` over
  :class:`structlearn.obd.OptimalBrainDamage` (LeCun, Denker & Solla 1990): an MLP
  trained by the shared ``train`` loop, then pruned.

Every algorithm already follows structlearn's one estimator contract
(:mod:`structlearn.estimator`: ``fit``, ``predict`` with decoded labels,
``predict_proba``, ``score``), so an adapter is written once, here, from the
wrapped class's *signature*:

* its parameters are exactly the algorithm's, with its defaults, except ``task``
  (fixed: ``"classification"`` for the classifiers, ``"regression"`` for the
  regressors) and ``rng``, which is scikit-learn's ``random_state`` (an int,
  a ``numpy.random.Generator``, a ``RandomState``, from which a seed is drawn,
  or None);
* ``fit`` does scikit-learn's input validation and fits the algorithm, kept in
  ``model_``; ``predict``, ``predict_proba`` and ``score`` are the algorithm's;
* ``decision_function`` (classifiers) follows scikit-learn's convention: for
  two classes one score per sample, positive for ``classes_[1]``; otherwise one
  column per class.

Fitted attributes: ``model_``, ``network_``, ``history_``, ``classes_``
(classifiers), ``n_iter_`` (the algorithm's ``n_epochs_``), ``n_features_in_``,
and every other public fitted attribute of the algorithm (``stop_reason_``,
``hidden_units_``, ``n_rounds_``, ``weights_left_``, ...) read through from
``model_``.
"""
import inspect
import textwrap

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
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

from .activations import get_activation
from .cascor import CascadeCorrelation
from .dnc import DynamicNodeCreation
from .obd import OptimalBrainDamage

__all__ = ["CascadeCorrelationClassifier", "CascadeCorrelationRegressor", "DNCClassifier",
           "DNCRegressor", "OBDMLPClassifier", "OBDMLPRegressor"]

#: parameters of the wrapped class an adapter does not expose: fixed by the adapter
#: (``task``) or renamed (``rng`` is ``random_state``)
_NOT_EXPOSED = ("task", "rng")

_RANDOM_STATE_DOC = """random_state : int, numpy.random.Generator, numpy.random.RandomState or None
    The algorithm's ``rng``. A ``RandomState`` gives a seed drawn from it (scikit-learn's
    convention); the same ``random_state`` gives the same model, bit for bit."""


def _seed(random_state):
    """``random_state`` as something an algorithm's ``rng`` accepts (int, Generator or None)."""
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    return random_state


def _adapter_parameters(core, defaults):
    """The adapter's ``__init__`` parameters: ``core``'s (keyword-only), then ``random_state``."""
    out = []
    for p in inspect.signature(core.__init__).parameters.values():
        if p.name == "self" or p.name in _NOT_EXPOSED or \
                p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = p.default
        # an adapter chooses a default where the algorithm's does not fit its task (named
        # explicitly in the adapter's ``defaults``, shown in its docstring)
        if p.name in defaults:
            default = defaults[p.name]
        out.append(p.replace(kind=p.KEYWORD_ONLY, default=default))
    out.append(inspect.Parameter("random_state", inspect.Parameter.KEYWORD_ONLY, default=None))
    return out


def _parameters_doc(core, task, defaults):
    """The adapter's numpydoc Parameters section: ``core``'s, minus ``task`` and ``rng``."""
    doc = inspect.cleandoc(core.__doc__ or "")
    lines = doc.splitlines()
    try:
        start = next(i for i in range(len(lines) - 1)
                     if lines[i].strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"})
    except StopIteration:
        entries = []
    else:
        entries, current = [], None
        for line in lines[start + 2:]:
            if line and not line[0].isspace():
                if set(line.strip()) <= {"-"} and entries:  # the next section's underline
                    entries.pop()  # that section's title
                    break
                current = [line]
                entries.append(current)
            elif current is not None:
                current.append(line)
        # an entry "a, b : str" documents several parameters; keep it unless all are dropped
        entries = [e for e in entries if not all(
            n.strip() in _NOT_EXPOSED for n in e[0].split(":")[0].split(","))]
    name = f"{core.__module__}.{core.__qualname__}"
    changed = "".join(f"; default ``{k}={v!r}`` here" for k, v in defaults.items())
    head = textwrap.fill(f"Every parameter of :class:`{name}` (its defaults{changed}), except "
                         f"``task`` (fixed to ``{task!r}``) and ``rng`` (``random_state``).", 92)
    body = "\n".join("\n".join(e).rstrip() for e in entries)
    return "\n".join(["Parameters", "----------", head, "", body, _RANDOM_STATE_DOC]).strip()


class _Adapter(BaseEstimator):
    """The one scikit-learn adapter; a subclass names what it wraps in its class statement::

        class CascadeCorrelationClassifier(_Classifier, core=CascadeCorrelation):
            ...

    The subclass gets an ``__init__`` with the wrapped class's parameters (module docstring).
    ``defaults`` overrides a default the algorithm fixes, for this adapter's task.
    """

    _core = None
    _task = None
    _param_names = ()

    def __init_subclass__(cls, *, core=None, defaults=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if core is None:
            return
        cls._core = core
        defaults = dict(defaults or {})
        params = _adapter_parameters(core, defaults)
        cls._param_names = tuple(p.name for p in params)
        signature = inspect.Signature(
            [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD), *params])

        def __init__(self, **kwargs):
            bound = signature.bind(self, **kwargs)
            bound.apply_defaults()
            for name in cls._param_names:  # stored unchanged, as scikit-learn requires
                setattr(self, name, bound.arguments[name])

        # scikit-learn's get_params reads inspect.signature(cls.__init__), which honours this
        __init__.__signature__ = signature
        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        __init__.__module__ = cls.__module__
        cls.__init__ = __init__
        cls.__doc__ = inspect.cleandoc(cls.__doc__ or "") + "\n\n" + \
            _parameters_doc(core, cls._task, {p.name: p.default for p in params
                                              if p.name in defaults})

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, *, network=None, validation=None):
        """Fit the wrapped algorithm on ``(X, y)``; returns ``self``.

        Parameters
        ----------
        X : array-like (n_samples, n_features)
        y : array-like
            Class labels (classifiers) or real targets, 1-D or one column per output
            (regressors).
        network : structlearn Network, optional
            Start from (a copy of) this network, e.g. another algorithm's ``network_``.
        validation : (X_val, y_val), optional
            Held-out data the algorithm monitors. Passed on as given: a ``Pipeline``
            does not transform it.
        """
        X, y = self._validate_fit_data(X, y)
        params = {name: getattr(self, name) for name in self._param_names
                  if name != "random_state"}
        accepted = inspect.signature(self._core.__init__).parameters
        if "task" in accepted:
            params["task"] = self._task
        params["rng"] = _seed(self.random_state)
        extra = {k: v for k, v in (("network", network), ("validation", validation))
                 if v is not None}
        self.model_ = self._core(**params).fit(X, y, **extra)
        self.network_ = self.model_.network_
        self.history_ = self.model_.history_
        self.n_iter_ = int(self.model_.n_epochs_)
        return self

    def _validate_fit_data(self, X, y):  # pragma: no cover - defined by _Classifier/_Regressor
        raise NotImplementedError

    def _check_X(self, X):
        check_is_fitted(self, "model_")
        return _validate_data(self, X, reset=False, dtype=np.float64)

    def __getattr__(self, name):
        # the algorithm's own fitted attributes (stop_reason_, hidden_units_, n_rounds_, ...)
        model = self.__dict__.get("model_")
        if model is not None and name.endswith("_") and not name.startswith("_"):
            return getattr(model, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -------------------------------------------------------------- predict
    def predict(self, X):
        """The algorithm's prediction: class labels, or values shaped like the training y."""
        X = self._check_X(X)  # before model_ is read: NotFittedError when unfitted
        return self.model_.predict(X)

    def score(self, X, y, sample_weight=None):
        """The algorithm's score: accuracy (classifiers) or R^2 (regressors).

        With ``sample_weight``, scikit-learn's weighted accuracy or R^2 of ``predict``.
        """
        if sample_weight is not None:
            return super().score(X, y, sample_weight=sample_weight)
        X = self._check_X(X)
        return float(self.model_.score(X, y))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class _Classifier(ClassifierMixin, _Adapter):
    _task = "classification"

    def _validate_fit_data(self, X, y):
        X, y = _validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        if len(np.unique(y)) < 2:  # in scikit-learn's words (its checks look for them)
            raise ValueError("y: only one class is present; a classifier needs at least 2 "
                             "classes")
        return X, y

    def fit(self, X, y, *, network=None, validation=None):
        super().fit(X, y, network=network, validation=validation)
        self.classes_ = self.model_.classes_
        return self

    fit.__doc__ = _Adapter.fit.__doc__

    def predict_proba(self, X):
        """Class scores in [0, 1], rows summing to one, shape (n_samples, n_classes).

        The algorithm's ``predict_proba``: probabilities for a softmax output; for other
        outputs, scores in probability form (not calibrated), ordering the classes as
        ``predict`` does.
        """
        X = self._check_X(X)
        return self.model_.predict_proba(X)

    def decision_function(self, X):
        """Class scores in scikit-learn's convention.

        Two classes: shape (n_samples,), positive for ``classes_[1]`` (one output: the output
        minus its activation's midpoint; two outputs: the second minus the first). More
        classes: the raw outputs, shape (n_samples, n_classes); the largest is ``predict``'s.
        """
        X = self._check_X(X)
        out = self.model_.decision_function(X)
        if len(self.classes_) > 2:
            return out
        if out.shape[1] == 2:
            return out[:, 1] - out[:, 0]
        return out[:, 0] - get_activation(self.network_.blocks[-1].activation).midpoint


class _Regressor(RegressorMixin, _Adapter):
    _task = "regression"

    def _validate_fit_data(self, X, y):
        return _validate_data(self, X, y, dtype=np.float64, y_numeric=True, multi_output=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one output per target column
        return tags


# ------------------------------------------------------------ cascade-correlation
class CascadeCorrelationClassifier(_Classifier, core=CascadeCorrelation):
    """Cascade-correlation classifier (Fahlman & Lebiere 1990) for scikit-learn.

    :class:`structlearn.cascor.CascadeCorrelation` with ``task="classification"``: by default
    symmetric-sigmoid outputs, one per class (one for two classes). ``model_`` is the fitted
    algorithm (``hidden_units_``, ``crossings_``, ...); ``n_iter_`` counts output and candidate
    epochs. See ``docs/cascor.md`` for where every default comes from.
    """


class CascadeCorrelationRegressor(_Regressor, core=CascadeCorrelation):
    """Cascade-correlation regressor for scikit-learn: linear outputs (the code's regression mode).

    :class:`structlearn.cascor.CascadeCorrelation` with ``task="regression"``. Targets are used
    as given: scale them to a few units.
    """


# ------------------------------------------------------------ dynamic node creation
class DNCClassifier(_Classifier, core=DynamicNodeCreation):
    """Dynamic node creation classifier (Ash 1989) for scikit-learn.

    :class:`structlearn.dnc.DynamicNodeCreation` with ``task="classification"``: one hidden
    layer grown unit by unit, sigmoid outputs, squared error. See ``docs/dnc.md``.
    """


class DNCRegressor(_Regressor, core=DynamicNodeCreation,
                   defaults={"output": "linear", "optimizer": "adam"}):
    """Dynamic node creation regressor for scikit-learn: sigmoid hidden units, linear outputs.

    :class:`structlearn.dnc.DynamicNodeCreation` with ``task="regression"``; squared error.

    Its optimizer is Adam (``optimizer="adam"``, step 0.001), not the algorithm's default
    back-propagation with momentum: that default takes steps of ``learning_rate`` on the
    pattern-*summed* loss (Ash's convention, sized for sigmoid outputs, whose slope is at most
    1/4); on a linear output the curvature it meets grows with the batch and the number of
    units until training diverges (loss inf after about 5,000 epochs on the 21 points of
    scikit-learn's ``check_estimators_overwrite_params``, after 35 epochs on 200 standardised
    points). Adam's steps do not grow with either. ``learning_rate`` and ``momentum`` apply
    only with ``optimizer=None``.
    """


# ------------------------------------------------------------ OBD-pruned MLP
class OBDMLPClassifier(_Classifier, core=OptimalBrainDamage):
    """An MLP trained by the shared ``train`` loop, then pruned by Optimal Brain Damage.

    :class:`structlearn.obd.OptimalBrainDamage` with ``task="classification"``: ``fit`` builds
    an MLP (``hidden_layer_sizes``, ``activation``; sigmoid output for two classes, softmax
    otherwise), trains it for ``epochs`` epochs, then deletes the least salient weights
    (LeCun, Denker & Solla 1990) in rounds of ``prune_fraction`` with ``retrain_epochs`` of
    retraining each, until ``target_fraction`` of the weights is left.
    ``criterion="magnitude"`` gives the magnitude-pruning baseline. ``n_rounds_``,
    ``initial_weights_`` and ``weights_left_`` come from the pruning. See ``docs/obd.md``.
    """


class OBDMLPRegressor(_Regressor, core=OptimalBrainDamage):
    """An MLP with linear outputs, trained then pruned by Optimal Brain Damage.

    :class:`structlearn.obd.OptimalBrainDamage` with ``task="regression"``. With
    ``tolerance``, monitor ``tolerance_metric="loss"`` (the error rate is for classes).
    """
