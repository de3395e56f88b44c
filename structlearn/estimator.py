"""The one contract every structlearn algorithm follows, written once.

=============================================  ===============================================
``Algo(**params)``                              stores the parameters, nothing else
``fit(X, y, *, network=None, validation=None)``  returns ``self``; a given network is copied,
                                                never changed
``predict(X)``                                  labels (classification) or values (regression)
``decision_function(X)``                        the raw outputs, shape (n_samples, n_outputs)
``predict_proba(X)``                            class scores (classification only)
``score(X, y)``                                 accuracy (decoded class; whole patterns for
                                                multi-label targets) or R^2
``get_params()``, ``set_params(**params)``      as in scikit-learn
=============================================  ===============================================

Fitted attributes: ``network_``, ``history_``, ``classes_`` (classification), ``n_features_in_``,
``n_outputs_``, ``n_epochs_``, ``stop_reason_`` and ``target_info_`` (the
:class:`~structlearn.targets.TargetInfo` that encodes and decodes targets).

Because every algorithm takes ``network=`` and returns ``network_``, any algorithm applies to any
other's result: grow with cascade-correlation, prune with OBD, widen with Net2Net (the composition
matrix in the README).

A subclass declares its parameters in ``__init__`` (stored as given), their checks in
``_parameter_constraints`` (:func:`structlearn.validation.validate_params`), and implements
``_fit(X, y, network, validation)``, using the helpers here to encode targets and to check the
network it was given.
"""
from __future__ import annotations

import inspect

import numpy as np

from .network import Network
from .targets import encode, target_kind
from .train import evaluate
from .validation import check_array, validate_params

__all__ = ["Estimator", "NotFittedError", "available_if"]


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted estimator was called before ``fit``."""


class available_if:  # noqa: N801 - used as a decorator
    """A method that exists only when ``check(self)`` is true (``hasattr`` then says False).

    So a regressor has no ``predict_proba``, which is how scikit-learn and users tell what an
    estimator can do.
    """

    def __init__(self, check):
        self.check = check

    def __call__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        return self

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if not self.check(obj):
            raise AttributeError(f"{type(obj).__name__} has no {self.fn.__name__}: "
                                 "it predicts real values, not classes")
        return self.fn.__get__(obj, owner)


def _classifies(est):
    info = getattr(est, "target_info_", None)
    if info is not None:
        return info.is_classification
    return getattr(est, "task", "auto") != "regression"


class Estimator:
    """Base class of every algorithm: parameters, fit plumbing, predict/score (module docstring)."""

    #: parameter name -> accepted constraints (see :func:`structlearn.validation.validate_params`)
    _parameter_constraints: dict = {}
    #: True for algorithms that can grow, prune or widen a network handed to ``fit``
    accepts_network = True
    #: True for algorithms that accept a network with recurrent blocks (Recurrent
    #: Cascade-Correlation's self-recurrent units, which run on sequences only)
    accepts_recurrent = False

    # ------------------------------------------------------------- parameters
    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep=True):
        """The constructor parameters as a dict (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set constructor parameters; returns ``self``. Unknown names raise ``ValueError``."""
        valid = set(self._get_param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{name}: not a parameter of {type(self).__name__}; "
                                 f"valid parameters: {sorted(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__)
                    .parameters.values() if p.default is not inspect.Parameter.empty}
        changed = []
        for name, value in self.get_params().items():
            try:
                same = bool(np.all(value == defaults.get(name, object())))
            except Exception:  # arrays of other shapes, objects without ==
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def _validate_params(self):
        validate_params(self.get_params(), self._parameter_constraints)

    # ------------------------------------------------------------------- fit
    def fit(self, X, y, *, network=None, validation=None, **fit_params):
        """Fit on ``(X, y)``; returns ``self``.

        Parameters
        ----------
        X : array (n_samples, n_features)
        y : array
            Class labels (any hashable values of one type), a 0/1 target matrix (multi-label),
            or real targets (see :mod:`structlearn.targets` and the ``task`` parameter).
        network : Network, optional
            Start from (a copy of) this network: it is never changed.
        validation : (X_val, y_val), optional
            Held-out data the algorithm monitors (what it does with it is its own).

        Returns
        -------
        self
        """
        X, network = self._prepare_fit(X, y, network)
        self._fit(X, y, network=network, validation=validation, **fit_params)
        return self

    def _prepare_fit(self, X, y, network):
        """Check the parameters, ``X`` against ``y``, and copy a given network: ``(X, network)``."""
        self._validate_params()
        X = self._check_X(X, reset=True)
        if isinstance(y, (str, bytes)) or not hasattr(y, "__len__") or len(y) != len(X):
            shown = len(y) if hasattr(y, "__len__") else type(y).__name__
            raise ValueError(f"y must have {len(X)} rows (one per sample of X), got {shown}")
        if network is not None:
            network = self._start_network(network, X)
        return X, network

    def _fit(self, X, y, *, network, validation):  # pragma: no cover - interface
        raise NotImplementedError

    def _check_X(self, X, name="X", reset=False):
        # float32 stays float32 (a float32 MNIST set is not copied to float64 first);
        # integers and other numeric types become float64
        kind = np.asarray(X).dtype if hasattr(X, "dtype") else None
        keep = kind is not None and kind in (np.dtype(np.float32), np.dtype(np.float64))
        X = check_array(X, name, ndim=2, dtype=None if keep else np.float64)
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name}: expected {self.n_features_in_} features (as in fit), "
                             f"got {X.shape[1]}")
        return X

    def _start_network(self, network, X):
        """A copy of the network handed to ``fit``, checked against ``X``."""
        name = type(self).__name__
        if not self.accepts_network:
            raise ValueError(f"network: {name} cannot start from a given network "
                             f"({self._no_network_reason()})")
        if not isinstance(network, Network):
            raise TypeError(f"network: expected a structlearn Network or None, "
                            f"got {type(network).__name__}")
        if network.is_recurrent and not self.accepts_recurrent:
            raise ValueError(f"network: it has recurrent blocks (Recurrent Cascade-Correlation "
                             f"units, which run on sequences); {name} works on feed-forward "
                             "networks only (RecurrentCascadeCorrelation continues growing it)")
        if network.n_inputs != X.shape[1]:
            raise ValueError(f"network: it has {network.n_inputs} inputs but X has "
                             f"{X.shape[1]} features")
        return network.copy()

    def _no_network_reason(self):  # pragma: no cover - overridden where accepts_network is False
        return "it always builds its own"

    def _target_kind(self, y):
        """``"binary"``, ``"multiclass"``, ``"multilabel"`` or ``"regression"`` (``task`` applied)."""
        return target_kind(y, getattr(self, "task", "auto"))

    def _encode_targets(self, y, output_activation, *, n_outputs=None, network=None,
                        dtype=np.float64):
        """Encode ``y`` for the outputs and record the targets' fitted attributes.

        With ``network`` (a given network), its output activation and width are used, and a
        mismatch with ``y`` is a clear error.
        """
        if network is not None:
            output_activation = network.blocks[-1].activation
            n_outputs = network.n_outputs
        T, info = encode(y, output_activation, task=getattr(self, "task", "auto"),
                         n_outputs=n_outputs if n_outputs in (1, 2) else None, dtype=dtype)
        if network is not None and info.n_outputs != network.n_outputs:
            what = (f"{len(info.classes)} classes" if info.classes is not None
                    else f"{info.n_outputs} target column(s)")
            raise ValueError(f"network: it has {network.n_outputs} outputs but y has {what} "
                             f"(needs {info.n_outputs} outputs)")
        self.target_info_ = info
        self.n_outputs_ = info.n_outputs
        if info.classes is not None:
            self.classes_ = info.classes
        elif hasattr(self, "classes_"):
            del self.classes_
        return T

    def _encode_validation(self, validation, dtype=np.float64, name="validation"):
        """``(X_val, y_val)`` checked and encoded like the training data, or None.

        ``name`` names the pair in messages (``"validation"``, ``"test"``).
        """
        if validation is None:
            return None
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise TypeError(f"{name}: expected a pair ({name} X, {name} y)")
        Xv = self._check_X(validation[0], f"{name} X").astype(dtype, copy=False)
        if np.ndim(validation[1]) == 0 or len(validation[1]) != len(Xv):
            raise ValueError(f"{name} y: expected {len(Xv)} rows (one per row of {name} X), "
                             f"got shape {np.shape(validation[1])}")
        return Xv, self.target_info_.encode(validation[1], f"{name} y", dtype=dtype)

    # --------------------------------------------------------------- predict
    def _check_fitted(self):
        if not hasattr(self, "network_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def decision_function(self, X):
        """The network's raw outputs, shape (n_samples, n_outputs)."""
        self._check_fitted()
        return np.asarray(self.network_.forward(self._check_X(X)), dtype=np.float64)

    def predict(self, X):
        """Class labels (classification), 0/1 rows (multi-label) or values (regression)."""
        self._check_fitted()
        return self.target_info_.decode(self.decision_function(X))

    @available_if(_classifies)
    def predict_proba(self, X):
        """Class scores in [0, 1], rows summing to 1 (see :meth:`TargetInfo.proba
        <structlearn.targets.TargetInfo.proba>`: probabilities for a softmax output,
        scores in probability form otherwise)."""
        self._check_fitted()
        return self.target_info_.proba(self.decision_function(X))

    def score(self, X, y):
        """Accuracy (classification; whole patterns for multi-label) or R^2 (regression).

        The same number as ``structlearn.evaluate(network_, X, y, targets=target_info_)["score"]``.
        """
        self._check_fitted()
        X = self._check_X(X)
        return evaluate(self.network_, X, y, targets=self.target_info_)["score"]
