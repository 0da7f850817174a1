"""Tests for squareone.datasets.preprocessing (the book's image preprocessing)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from squareone.datasets.preprocessing import (
    flatten,
    prepare_images,
    scale,
    shuffle,
    train_test_split,
)


def _images(n: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


# --- flatten -----------------------------------------------------------------


def test_flatten_rows_are_the_images_in_row_major_order() -> None:
    images = _images()
    flat = flatten(images)
    assert flat.shape == (5, 784)
    assert flat.dtype == np.uint8
    for i in range(5):
        # Row i must be image i read row by row, exactly as the book's reshape.
        assert np.array_equal(flat[i], np.concatenate(list(images[i])))


def test_flatten_keeps_an_empty_batch_2d() -> None:
    assert flatten(np.zeros((0, 28, 28), np.uint8)).shape == (0, 784)


def test_flatten_rejects_1d_input_naming_the_shape() -> None:
    with pytest.raises(ValueError, match=r"images must have shape \(N, \.\.\.\).*\(784,\)"):
        flatten(np.zeros(784))


# --- scale -------------------------------------------------------------------


def test_scale_maps_0_to_minus_1_and_255_to_1_as_the_book() -> None:
    images = np.array([[0, 51, 127, 128, 204, 255]], dtype=np.uint8)
    scaled = scale(images)
    assert scaled.dtype == np.float32
    assert scaled.shape == images.shape
    expected = (images.astype(np.float32) - 127.5) / 127.5  # the book's formula
    assert np.array_equal(scaled, expected)
    assert scaled[0, 0] == -1.0 and scaled[0, -1] == 1.0
    np.testing.assert_allclose(scaled[0, 1:5], [-0.6, -1 / 255, 1 / 255, 0.6], rtol=1e-6)


def test_scale_honours_dtype_and_leaves_input_untouched() -> None:
    images = _images()
    before = images.copy()
    scaled = scale(images, dtype=np.float64)
    assert scaled.dtype == np.float64
    assert np.array_equal(images, before)
    assert scaled.min() >= -1 and scaled.max() <= 1


def test_scale_rejects_integer_dtype() -> None:
    with pytest.raises(ValueError, match="dtype must be a floating-point type, received int32"):
        scale(_images(), dtype="int32")


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        ([-0.5, 0.5], r"\[0, 255\].*-0\.5 to 0\.5; were they scaled already"),
        ([0.0, 256.0], r"\[0, 255\].*0\.0 to 256\.0"),
        ([0.0, np.nan], r"\[0, 255\]"),
    ],
)
def test_scale_rejects_values_outside_pixel_range(values: list[float], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        scale(np.array(values))


def test_scale_twice_is_caught() -> None:
    with pytest.raises(ValueError, match="scaled already"):
        scale(scale(_images()))


# --- prepare_images ----------------------------------------------------------


def test_prepare_images_is_flatten_then_scale() -> None:
    images = _images(7)
    prepared = prepare_images(images)
    assert prepared.shape == (7, 784) and prepared.dtype == np.float32
    expected = (images.reshape(7, -1).astype(np.float32) - 127.5) / 127.5
    assert np.array_equal(prepared, expected)


# --- shuffle -----------------------------------------------------------------


def test_shuffle_keeps_pairs_together_and_returns_new_arrays() -> None:
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50) * 10
    X_before, y_before = X.copy(), y.copy()
    X_s, y_s = shuffle(X, y, seed=1)
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before)
    assert not np.array_equal(y_s, y)  # 1 in 50! to be the identity by chance
    assert np.array_equal(np.sort(y_s), y)
    assert np.array_equal(X_s[:, 0] * 5, y_s)  # each row still has its own label
    assert not np.shares_memory(X_s, X)


def test_shuffle_seed_is_reproducible_and_matters() -> None:
    X, y = np.arange(30), np.arange(30)
    assert np.array_equal(shuffle(X, y, seed=3)[0], shuffle(X, y, seed=3)[0])
    assert not np.array_equal(shuffle(X, y, seed=3)[0], shuffle(X, y, seed=4)[0])


def test_shuffle_accepts_a_generator() -> None:
    X = np.arange(20)
    a = shuffle(X, X, seed=np.random.default_rng(7))[0]
    b = shuffle(X, X, seed=7)[0]
    assert np.array_equal(a, b)


def test_shuffle_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="same number of samples, received 5 in X and 4 in y"):
        shuffle(np.zeros((5, 2)), np.zeros(4))


# --- train_test_split --------------------------------------------------------


def test_train_test_split_partitions_all_samples() -> None:
    X = np.arange(200).reshape(100, 2)
    y = np.arange(100)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    assert X_train.shape == (75, 2) and X_test.shape == (25, 2)
    assert y_train.shape == (75,) and y_test.shape == (25,)
    assert np.array_equal(np.sort(np.concatenate([y_train, y_test])), y)
    assert np.array_equal(X_train[:, 0] // 2, y_train)
    assert np.array_equal(X_test[:, 0] // 2, y_test)
    assert not np.array_equal(y_test, np.arange(75, 100))  # it did shuffle


def test_train_test_split_without_shuffle_takes_the_tail() -> None:
    y = np.arange(10)
    X_train, X_test, y_train, y_test = train_test_split(y, y, test_size=3, shuffle=False)
    assert np.array_equal(y_train, np.arange(7))
    assert np.array_equal(y_test, [7, 8, 9])


def test_train_test_split_rounds_test_fraction_up() -> None:
    y = np.arange(10)
    assert len(train_test_split(y, y, test_size=0.21, seed=0)[1]) == 3  # ceil(2.1)


def test_train_test_split_is_reproducible() -> None:
    y = np.arange(40)
    first = train_test_split(y, y, seed=5)
    second = train_test_split(y, y, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1, 1.5, 0, 10, -1, True, "0.2", None])
def test_train_test_split_rejects_bad_test_size(test_size: object) -> None:
    y = np.arange(10)
    with pytest.raises(ValueError, match=r"test_size must be .*received"):
        train_test_split(y, y, test_size=test_size)  # type: ignore[arg-type]


def test_train_test_split_rejects_too_few_samples() -> None:
    with pytest.raises(ValueError, match="at least 2 samples.*received 0"):
        train_test_split(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ValueError, match="at least 2 samples.*received 1"):
        train_test_split(np.zeros((1, 3)), np.zeros(1))


def test_train_test_split_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="received 10 in X and 9 in y"):
        train_test_split(np.zeros(10), np.zeros(9))


def test_scalar_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="y must be an array of samples"):
        shuffle(np.zeros(3), 5)


@given(
    n=st.integers(min_value=2, max_value=300),
    fraction=st.floats(min_value=0.001, max_value=0.999),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_train_test_split_sizes_property(n: int, fraction: float, seed: int) -> None:
    y = np.arange(n)
    n_test = int(np.ceil(fraction * n))
    if not 1 <= n_test <= n - 1:
        with pytest.raises(ValueError, match="test_size"):
            train_test_split(y, y, test_size=fraction, seed=seed)
        return
    X_train, X_test, y_train, y_test = train_test_split(y, y, test_size=fraction, seed=seed)
    assert len(y_test) == n_test and len(y_train) == n - n_test
    assert np.array_equal(X_train, y_train) and np.array_equal(X_test, y_test)
    assert np.array_equal(np.sort(np.concatenate([y_train, y_test])), y)
