"""Input and parameter checks shared by every public function (the one place that words them).

Errors follow the project convention: a ``ValueError`` (bad value) or ``TypeError`` (bad type) that names
the argument, says what was expected and what was given.
"""

import numbers

import numpy as np

__all__ = ["check_rng", "check_array", "check_positive_int", "check_number", "check_each",
           "validate_params",
           "Interval", "Options", "InstanceOf", "Check"]


def check_rng(rng):
    """Turn ``rng`` into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    rng : int, numpy.random.Generator or None
        A seed (a non-negative integer), a generator (returned as is, so the caller's stream advances), or
        None for fresh OS entropy.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        If ``rng`` is of another type (``bool`` and ``RandomState`` included).
    ValueError
        If ``rng`` is a negative integer.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    # bool is an int subclass; a stray True/False is almost certainly a bug in the caller.
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"rng: expected a non-negative integer seed, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng: expected an int seed, a numpy.random.Generator or None, got {type(rng).__name__}"
    )


def check_array(X, name, ndim=2, dtype=np.float64, allow_empty=False):
    """Convert ``X`` to a finite numeric array with the expected number of dimensions.

    Parameters
    ----------
    X : array_like
        The input.
    name : str
        The argument's name, used in error messages.
    ndim : int or None, default 2
        Required number of dimensions; None accepts any.
    dtype : numpy dtype or None, default numpy.float64
        Target dtype; None keeps the input's numeric dtype. No copy is made when ``X`` already has it.
    allow_empty : bool, default False
        Whether an array with no elements is accepted.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    TypeError
        If ``X`` is not numeric (strings, objects, complex numbers).
    ValueError
        If ``X`` has the wrong number of dimensions, is empty, or holds NaN or infinity.
    """
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:  # ragged nested lists, for example
        raise ValueError(f"{name}: could not be converted to an array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got {arr.ndim}-D with shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        n_bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name}: expected finite values, got {n_bad} NaN or infinite entries")
    return arr


def check_positive_int(value, name, minimum=1, maximum=None):
    """Check that ``value`` is an integer in ``[minimum, maximum]``.

    Parameters
    ----------
    value : int
        The value to check (Python or numpy integer; ``bool`` and floats are rejected).
    name : str
        The argument's name, used in error messages.
    minimum : int, default 1
        Smallest accepted value.
    maximum : int or None, default None
        Largest accepted value; None for no upper bound.

    Returns
    -------
    int
        ``value`` as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` is out of range.
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name}: expected an integer {bound}, got {value}")
    return value


# ------------------------------------------------------------ declarative parameter checks
class Interval:
    """A real or integer parameter's allowed range, checked by :func:`validate_params`.

    Parameters
    ----------
    kind : {int, float}
        ``int`` accepts Python and numpy integers only; ``float`` accepts any real number
        (integers included). ``bool`` is never accepted as a number.
    low, high : number or None
        Bounds; None for unbounded.
    closed : {"both", "left", "right", "neither"}, default "both"
        Which bounds belong to the interval.
    """

    def __init__(self, kind, low=None, high=None, closed="both"):
        if kind not in (int, float):
            raise ValueError(f"kind: expected int or float, got {kind!r}")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed: expected 'both', 'left', 'right' or 'neither', got {closed!r}")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def accepts(self, value):
        if isinstance(value, (bool, np.bool_)):
            return False
        wanted = numbers.Integral if self.kind is int else numbers.Real
        if not isinstance(value, wanted):
            return False
        if self.kind is float and not np.isfinite(float(value)):
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (value < self.low or (not left and value == self.low)):
            return False
        if self.high is not None and (value > self.high or (not right and value == self.high)):
            return False
        return True

    def __str__(self):
        name = "an integer" if self.kind is int else "a finite number"
        if self.low is None and self.high is None:
            return name
        lo = "-inf" if self.low is None else self.low
        hi = "inf" if self.high is None else self.high
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        return f"{name} in {left}{lo}, {hi}{right}"


class Options:
    """A parameter that must be one of a fixed set of values (compared with ``==``, type-checked)."""

    def __init__(self, *values):
        self.values = values

    def accepts(self, value):
        return any(type(value) is type(v) and value == v for v in self.values if v is not None) \
            or (value is None and None in self.values)

    def __str__(self):
        return "one of " + ", ".join(repr(v) for v in self.values)


class InstanceOf:
    """A parameter that must be an instance of ``types`` (a class or a tuple of classes)."""

    def __init__(self, types, description=None):
        self.types = types
        self.description = description

    def accepts(self, value):
        return isinstance(value, self.types) and not (
            isinstance(value, (bool, np.bool_)) and bool not in np.atleast_1d(self.types))

    def __str__(self):
        if self.description:
            return self.description
        types = self.types if isinstance(self.types, tuple) else (self.types,)
        return "an instance of " + " or ".join(t.__name__ for t in types)


class Check:
    """A parameter checked by a predicate ``accepts(value) -> bool``, described in words."""

    def __init__(self, accepts, description):
        self.accepts = accepts
        self.description = description

    def __str__(self):
        return self.description


def _is_float_dtype(value):
    if value is None:  # np.dtype(None) is float64: None must be declared separately
        return False
    try:
        return np.dtype(value) in (np.dtype(np.float32), np.dtype(np.float64))
    except TypeError:
        return False


def _constraint(spec):
    if spec is None:
        return Options(None)
    if isinstance(spec, (Interval, Options, InstanceOf, Check)):
        return spec
    if spec in ("boolean", bool):
        return InstanceOf((bool, np.bool_), "True or False")
    if spec == "float_dtype":
        return Check(_is_float_dtype, "numpy.float32 or numpy.float64")
    if spec == "callable":
        return Check(callable, "a callable")
    if spec == "rng":
        return Check(lambda v: v is None or isinstance(v, np.random.Generator) or (
            isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) and v >= 0),
            "an int seed >= 0, a numpy.random.Generator or None")
    if isinstance(spec, type):
        return InstanceOf(spec)
    raise ValueError(f"unknown parameter constraint {spec!r}")


def validate_params(params, constraints, owner=None):
    """Check every parameter against its declared constraints; raise one clear error.

    Parameters
    ----------
    params : dict
        Parameter name -> value.
    constraints : dict
        Parameter name -> list of accepted specs (any one suffices): an :class:`Interval`, an
        :class:`Options`, an :class:`InstanceOf`, a :class:`Check`, a type, ``None`` (the value None),
        ``"boolean"``, ``"callable"``, ``"float_dtype"`` or ``"rng"``. Names without constraints
        are not checked.
    owner : str, optional
        Prefixed to the message (the class whose parameter it is).

    Raises
    ------
    TypeError
        When no constraint accepts the value and none of them is an interval or option set that
        the value's type could have met (a string where a number is expected).
    ValueError
        When the value has a right type but is out of range or not among the options.

    Notes
    -----
    In the spirit of scikit-learn's ``_parameter_constraints``: parameters are declared once as
    data next to the class, and the message always reads ``"<name>: expected <what>, got <value>"``.
    """
    for name, specs in constraints.items():
        if name not in params:
            continue
        value = params[name]
        specs = [_constraint(s) for s in (specs if isinstance(specs, (list, tuple)) else [specs])]
        if any(s.accepts(value) for s in specs):
            continue
        wanted = " or ".join(str(s) for s in specs)
        numeric = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
        integral = numeric and isinstance(value, numbers.Integral)
        type_ok = any(isinstance(s, Interval) and (integral if s.kind is int else numeric)
                      for s in specs) or any(
            isinstance(s, Options) and any(type(value) is type(v) for v in s.values) for s in specs)
        prefix = f"{owner}: " if owner else ""
        shown = f"{type(value).__name__} {value!r}" if not type_ok else repr(value)
        error = ValueError if type_ok else TypeError
        raise error(f"{prefix}{name}: expected {wanted}, got {shown}")


def check_each(name, values, specs, allow_empty=False):
    """Check every element of a sequence parameter against ``specs``.

    The message format of :func:`validate_params`, the element named ``name[i]``; an empty
    sequence is a ``ValueError`` unless ``allow_empty``.
    """
    try:
        n = len(values)
    except TypeError:
        raise TypeError(f"{name}: expected a sequence, got {type(values).__name__} "
                        f"{values!r}") from None
    if n == 0 and not allow_empty:
        raise ValueError(f"{name}: expected a non-empty sequence, got {values!r}")
    for i, v in enumerate(values):
        validate_params({f"{name}[{i}]": v}, {f"{name}[{i}]": specs})


def check_number(value, name, low=None, high=None, closed="both", allow_none=False):
    """Check one real parameter against an interval; return it as a float.

    A shortcut for :func:`validate_params` with one :class:`Interval` (``float``), for functions
    that take a number or two (optimizers, edits). Same message format.
    """
    if value is None and allow_none:
        return None
    validate_params({name: value}, {name: [Interval(float, low, high, closed)]
                                    + ([None] if allow_none else [])})
    return float(value)
