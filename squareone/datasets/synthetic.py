"""The book's small synthetic datasets: spiral, vertical and sine.

Same algorithm and values as the ``nnfs`` package (``nnfs.datasets``): after
:func:`squareone.nnfs.init` they draw from the book's shared random stream and return the
very same numbers; otherwise they draw from a generator seeded with ``seed``.
"""

from __future__ import annotations

import numpy as np

from squareone import _random
from squareone._validation import as_float_dtype, check_positive_int

__all__ = ["spiral_data", "vertical_data", "sine_data"]


def _one_block_per_class(samples: int, classes: int, seed: int | None, dtype,
                         points) -> tuple[np.ndarray, np.ndarray]:
    """Fill ``X`` with ``points(class_number, rng)`` for each class in turn, ``y`` with its id."""
    samples = check_positive_int(samples, "samples")
    classes = check_positive_int(classes, "classes")
    rng = _random.random_source(seed)
    X = np.zeros((samples * classes, 2), dtype=as_float_dtype(dtype))
    y = np.zeros(samples * classes, dtype=np.uint8)
    for class_number in range(classes):
        ix = slice(samples * class_number, samples * (class_number + 1))
        X[ix] = points(class_number, samples, rng)
        y[ix] = class_number
    return X, y


def spiral_data(samples: int, classes: int, *, seed: int | None = None,
                dtype="float32") -> tuple[np.ndarray, np.ndarray]:
    """Return ``samples`` points per class on ``classes`` interleaved spiral arms.

    Class ``k``'s points have radius ``r`` from 0 to 1 and angle ``t`` from ``4k`` to
    ``4(k + 1)`` plus N(0, 0.2) noise; a point is ``(r sin 2.5t, r cos 2.5t)``
    (after cs231n, as ``nnfs.datasets.spiral_data``).

    Returns
    -------
    X : ndarray of shape (samples * classes, 2)
    y : ndarray of shape (samples * classes,), dtype uint8
    """
    def arm(class_number, samples, rng):
        r = np.linspace(0.0, 1, samples)
        noise = _random.standard_normal(rng, samples) * 0.2
        t = np.linspace(class_number * 4, (class_number + 1) * 4, samples) + noise
        return np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]

    return _one_block_per_class(samples, classes, seed, dtype, arm)


def vertical_data(samples: int, classes: int, *, seed: int | None = None,
                  dtype="float32") -> tuple[np.ndarray, np.ndarray]:
    """Return ``samples`` points per class in vertical clusters around ``x = k / 3``.

    Returns
    -------
    X : ndarray of shape (samples * classes, 2)
    y : ndarray of shape (samples * classes,), dtype uint8
    """
    def cluster(class_number, samples, rng):
        return np.c_[_random.standard_normal(rng, samples) * .1 + class_number / 3,
                     _random.standard_normal(rng, samples) * .1 + 0.5]

    return _one_block_per_class(samples, classes, seed, dtype, cluster)


def sine_data(samples: int = 1000, *, dtype="float32") -> tuple[np.ndarray, np.ndarray]:
    """Return ``samples`` evenly spaced ``x`` in [0, 1) and ``y = sin(2 pi x)``, as columns.

    Returns
    -------
    X, y : ndarray of shape (samples, 1)
    """
    samples = check_positive_int(samples, "samples")
    dtype = as_float_dtype(dtype)
    X = np.arange(samples).reshape(-1, 1) / samples
    y = np.sin(2 * np.pi * X).reshape(-1, 1)
    return X.astype(dtype), y.astype(dtype)
