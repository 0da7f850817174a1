"""The shared input checks: finiteness, dtypes, numbers."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from squareone._validation import all_finite, as_float_dtype, check_array, check_number


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("shape", [(7,), (5, 3), (2, 3, 4)])
def test_all_finite_finds_a_single_bad_value_anywhere(dtype, bad, shape):
    rng = np.random.default_rng(0)
    for position in range(int(np.prod(shape))):
        array = rng.standard_normal(shape).astype(dtype)
        array.flat[position] = bad
        assert not all_finite(array)
    assert all_finite(rng.standard_normal(shape).astype(dtype))


def test_all_finite_sees_opposite_infinities_in_one_row():
    # +inf + -inf = NaN: still caught.
    assert not all_finite(np.array([[np.inf, -np.inf, 1.0]], dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_accepts_finite_values_whose_sum_overflows(dtype):
    huge = np.finfo(dtype).max
    array = np.full((3, 4), huge, dtype=dtype)
    with np.errstate(over="ignore"):
        assert np.isinf(array.sum(axis=1)).all()  # the fast path's sums overflow
    assert all_finite(array)


def test_all_finite_handles_non_contiguous_and_other_float_dtypes():
    array = np.arange(12.0).reshape(3, 4).T  # Fortran order
    assert all_finite(array)
    array[1, 2] = np.nan
    assert not all_finite(array)
    assert not all_finite(np.array([1.0, np.inf], dtype=np.float16))


@given(st.lists(st.floats(width=32, allow_nan=True, allow_infinity=True), min_size=1,
                max_size=40))
def test_all_finite_agrees_with_isfinite(values):
    array = np.array(values, dtype=np.float32)
    assert all_finite(array) == bool(np.isfinite(array).all())


def test_check_array_counts_the_bad_values():
    X = np.ones((4, 3))
    X[0, 0], X[2, 1] = np.nan, -np.inf
    with pytest.raises(ValueError, match="X contains 2 NaN or infinite value"):
        check_array(X, "X")


def test_check_array_rejects_text_and_empty_arrays():
    with pytest.raises(TypeError, match="X must hold numbers"):
        check_array(np.array(["a", "b"]), "X")
    with pytest.raises(ValueError, match="X is empty"):
        check_array(np.zeros((0, 3)), "X")


def test_dtype_and_number_checks_name_what_was_wrong():
    with pytest.raises(TypeError, match="'float32' or 'float64', got 'int64'"):
        as_float_dtype("int64")
    with pytest.raises(ValueError, match=r"rate must be in \[0.0, 1.0\), got 1.5"):
        check_number(1.5, "rate", high=1.0)
