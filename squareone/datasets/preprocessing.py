"""Turn image arrays into what a dense network eats, as the book does.

The book prepares Fashion-MNIST in three steps: shuffle the training data (so
batches are not all one class), scale the pixels from 0..255 to -1..1, and
flatten each 28x28 image into a row of 784 features::

    X = prepare_images(X)           # flatten + scale: (N, 784) float32 in [-1, 1]
    X, y = shuffle(X, y, seed=0)

:func:`train_test_split` is the scikit-learn-style helper for data sets that
do not come with a test split of their own.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = ["flatten", "prepare_images", "scale", "shuffle", "train_test_split"]

Seed = int | np.random.Generator | None

# The book's scaling: (x - 127.5) / 127.5 maps 0 -> -1 and 255 -> 1.
_PIXEL_CENTER = 127.5
_PIXEL_MAX = 255


def flatten(images: ArrayLike) -> np.ndarray:
    """Reshape N images of any shape into N rows of features.

    Parameters
    ----------
    images : array_like, shape (N, ...)
        At least 2-D, e.g. (N, 28, 28).

    Returns
    -------
    numpy.ndarray, shape (N, features)
        E.g. (N, 784); a view of `images` when possible, same dtype.

    Raises
    ------
    ValueError
        If `images` has fewer than 2 dimensions.
    """
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(
            f"images must have shape (N, ...) with at least 2 dimensions, "
            f"received shape {images.shape}"
        )
    # Explicit feature count rather than -1, which cannot be inferred for N = 0.
    return images.reshape(len(images), math.prod(images.shape[1:]))


def scale(images: ArrayLike, dtype: DTypeLike = "float32") -> np.ndarray:
    """Scale pixel values from 0..255 to -1..1 as ``(x - 127.5) / 127.5``.

    Parameters
    ----------
    images : array_like
        Pixel values in [0, 255], any shape (typically uint8).
    dtype : data-type, default "float32"
        Floating-point type of the result.

    Returns
    -------
    numpy.ndarray
        New array of the same shape, values in [-1, 1].

    Raises
    ------
    ValueError
        If `dtype` is not a floating-point type, or `images` holds values
        outside [0, 255] (e.g. NaN, or data that was already scaled).
    """
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype must be a floating-point type, received {dtype}")
    images = np.asarray(images)
    if not np.issubdtype(images.dtype, np.number):
        raise ValueError(f"images must be numeric pixel values, received dtype {images.dtype}")
    _check_pixel_range(images)
    scaled = images.astype(dtype)  # a new array, so the in-place steps are safe
    scaled -= _PIXEL_CENTER
    scaled /= _PIXEL_CENTER
    return scaled


def prepare_images(images: ArrayLike, dtype: DTypeLike = "float32") -> np.ndarray:
    """The book's preprocessing: :func:`flatten`, then :func:`scale` to [-1, 1].

    Parameters
    ----------
    images : array_like, shape (N, ...)
        Pixel values in [0, 255], e.g. uint8 (N, 28, 28).
    dtype : data-type, default "float32"
        Floating-point type of the result.

    Returns
    -------
    numpy.ndarray, shape (N, features)
        E.g. (N, 784) float32 in [-1, 1].
    """
    return scale(flatten(images), dtype)


def shuffle(X: ArrayLike, y: ArrayLike, *, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle samples and their targets with one shared permutation.

    Parameters
    ----------
    X : array_like, shape (N, ...)
        Samples.
    y : array_like, shape (N, ...)
        Targets, one per sample.
    seed : int or numpy.random.Generator, optional
        Makes the order reproducible; ``None`` draws a fresh one.

    Returns
    -------
    X_shuffled, y_shuffled : numpy.ndarray
        New arrays; the inputs are left as they were.

    Raises
    ------
    ValueError
        If `X` and `y` hold different numbers of samples.
    """
    X, y = _check_samples(X, y)
    order = np.random.default_rng(seed).permutation(len(X))
    return X[order], y[order]


def train_test_split(
    X: ArrayLike,
    y: ArrayLike,
    *,
    test_size: float | int = 0.2,
    shuffle: bool = True,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split samples and targets into a training and a test part.

    Parameters
    ----------
    X : array_like, shape (N, ...)
        Samples.
    y : array_like, shape (N, ...)
        Targets, one per sample.
    test_size : float or int, default 0.2
        A float in (0, 1) is the fraction of samples for testing, rounded up
        (as scikit-learn does); an int is the number of test samples. Both
        parts must end up non-empty.
    shuffle : bool, default True
        Shuffle before splitting; ``False`` takes the last samples for testing.
    seed : int or numpy.random.Generator, optional
        Makes the shuffle reproducible.

    Returns
    -------
    X_train, X_test, y_train, y_test : numpy.ndarray
        In scikit-learn's order.

    Raises
    ------
    ValueError
        If `X` and `y` differ in length, are empty, or `test_size` does not
        leave at least one sample in each part.
    """
    X, y = _check_samples(X, y)
    n_test = _test_count(test_size, len(X))
    order = np.random.default_rng(seed).permutation(len(X)) if shuffle else np.arange(len(X))
    train, test = order[:-n_test], order[-n_test:]
    return X[train], X[test], y[train], y[test]


def _check_samples(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    for name, array in (("X", X), ("y", y)):
        if array.ndim == 0:
            raise ValueError(f"{name} must be an array of samples, received a scalar {array!r}")
    if len(X) != len(y):
        raise ValueError(
            f"X and y must hold the same number of samples, received {len(X)} in X "
            f"and {len(y)} in y"
        )
    return X, y


def _test_count(test_size: float | int, n_samples: int) -> int:
    """Number of test samples, checked to leave both parts non-empty."""
    if n_samples < 2:
        raise ValueError(
            f"X must hold at least 2 samples to split into train and test, received {n_samples}"
        )
    if isinstance(test_size, bool) or not isinstance(test_size, Real):
        raise ValueError(f"test_size must be a float or an int, received {test_size!r}")
    if isinstance(test_size, Integral):
        n_test = int(test_size)
        expected = f"an int in [1, {n_samples - 1}]"
    else:
        n_test = math.ceil(float(test_size) * n_samples) if 0 < test_size < 1 else 0
        expected = "a float in (0, 1)"
    if not 1 <= n_test <= n_samples - 1:
        raise ValueError(
            f"test_size must be {expected} that leaves both parts of the {n_samples} "
            f"samples non-empty, received {test_size!r}"
        )
    return n_test


def _check_pixel_range(images: np.ndarray) -> None:
    if images.size == 0:
        return
    low, high = images.min(), images.max()
    # Written so NaN (for which every comparison is False) fails the check too.
    if not (low >= 0 and high <= _PIXEL_MAX):
        hint = "; were they scaled already?" if low < 0 else ""
        raise ValueError(
            f"images must hold pixel values in [0, {_PIXEL_MAX}], received values from "
            f"{low} to {high}{hint}"
        )
