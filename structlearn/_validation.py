"""Small input checks shared by every public function.

Errors follow the project convention: a ``ValueError`` (bad value) or ``TypeError`` (bad type) that names
the argument, says what was expected and what was given.
"""

import numbers

import numpy as np

__all__ = ["check_rng", "check_array", "check_positive_int"]


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
