"""Checks on user input, shared by every module, so each error is worded once.

Each check names the argument, what was expected and what was received.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a NumPy dtype, accepting only float32 and float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{name} must be 'float32' or 'float64', got {dtype!r}") from error
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be 'float32' or 'float64', got {resolved.name!r}")
    return resolved


def check_positive_int(value, name: str) -> int:
    """Return ``value`` if it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_number(value, name: str, *, low: float = 0.0, low_inclusive: bool = True,
                 high: float | None = None, high_inclusive: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real number inside the given bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    too_low = value < low if low_inclusive else value <= low
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        left = "[" if low_inclusive else "("
        right = ("]" if high_inclusive else ")") if high is not None else ")"
        upper = high if high is not None else "inf"
        raise ValueError(f"{name} must be in {left}{low}, {upper}{right}, got {value!r}")
    return value


def check_array(values, name: str, *, dtype=None, ndim: int | None = None,
                finite: bool = True) -> np.ndarray:
    """Return ``values`` as a non-empty array of real numbers (cast to ``dtype`` if given).

    Integers, floats and booleans (0 and 1) are real numbers. Complex numbers, strings,
    Python objects, dates and other dtypes raise ``TypeError``: casting them would drop the
    imaginary part (with only a NumPy warning) or fail deep inside the network. With
    ``finite`` (the default) NaN and infinite values are refused as well.

    Raises
    ------
    TypeError
        If ``values`` is not an array of real numbers.
    ValueError
        If it is ragged (rows of different lengths), has another number of dimensions than
        ``ndim``, is empty, or holds NaN or infinite values with ``finite``.
    """
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists: NumPy cannot make one array
        raise ValueError(f"{name} must be a rectangular array of numbers, but NumPy cannot "
                         f"make one array of it: {error}") from None
    if not _is_real(array.dtype):
        raise TypeError(f"{name} must hold numbers (real: integers, floats or booleans), got "
                        f"an array of dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); expected at least one sample")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if finite and np.issubdtype(array.dtype, np.floating) and not all_finite(array):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); expected finite numbers")
    return array


def _is_real(dtype: np.dtype) -> bool:
    """Whether ``dtype`` holds real numbers: booleans, integers or floats.

    By kind, because NumPy counts timedelta64 among its integers and complex among numbers.
    """
    return dtype.kind in "biuf"


def all_finite(array: np.ndarray) -> bool:
    """Return True if no value of the float array ``array`` is NaN or infinite.

    A sum is NaN or infinite whenever one of its terms is, so finite row sums prove every
    value finite. Multiplying by a vector of ones sums the rows in one BLAS pass over memory,
    with no temporary as large as the data (``np.isfinite(array).all()`` makes one, and
    ``min`` and ``max`` read the data twice). Finite values can also add up to an overflow;
    the exact test decides then.
    """
    if array.dtype in FLOAT_DTYPES and array.ndim and array.flags.c_contiguous:
        rows = array.reshape(-1, array.shape[-1])
        with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN are the answer here
            row_sums = np.dot(rows, np.ones(rows.shape[1], array.dtype))
            if np.isfinite(row_sums.sum()):
                return True
    elif np.isfinite(array.min()) and np.isfinite(array.max()):
        return True
    return bool(np.isfinite(array).all())


def check_same_length(X: np.ndarray, y: np.ndarray, x_name: str = "X", y_name: str = "y") -> None:
    """Raise if ``X`` and ``y`` do not hold the same number of samples."""
    if len(X) != len(y):
        raise ValueError(f"{x_name} and {y_name} must hold the same number of samples, "
                         f"got len({x_name})={len(X)} and len({y_name})={len(y)}")


def shorten(text: str, limit: int = 400) -> str:
    """Return ``text``, with its middle left out if it is longer than ``limit`` characters.

    Error messages echo values from files and command lines; a 1 MB string must not become a
    1 MB message. The start and the end are kept: they say what was wrong and what was
    expected.
    """
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 3
    return f"{text[:head]} ... [{len(text) - head - tail:,} characters left out] ... " \
           f"{text[-tail:]}"
