"""Small synthetic datasets: the book's spiral, vertical and sine, plus circles and XOR.

Spiral, vertical and sine use the same algorithm and values as the ``nnfs`` package
(``nnfs.datasets``): after :func:`squareone.nnfs.init` they draw from the book's shared random
stream and return the very same numbers; otherwise they draw from a generator seeded with
``seed``. Circles and XOR (two more 2-D problems for the playground, after TensorFlow
Playground's) draw the same way.
"""

from __future__ import annotations

import numpy as np

from squareone import _random
from squareone._validation import as_float_dtype, check_number, check_positive_int

__all__ = ["spiral_data", "vertical_data", "sine_data", "circles_data", "xor_data"]


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


def _uniform(rng, shape) -> np.ndarray:
    """Draw U[0, 1) samples from a Generator or from the book's RandomState."""
    if isinstance(rng, np.random.RandomState):
        return rng.random_sample(shape)
    return rng.random(shape)


def spiral_data(samples: int, classes: int, *, noise: float = 0.2, seed: int | None = None,
                dtype="float32") -> tuple[np.ndarray, np.ndarray]:
    """Return ``samples`` points per class on ``classes`` interleaved spiral arms.

    Class ``k``'s points have radius ``r`` from 0 to 1 and angle ``t`` from ``4k`` to
    ``4(k + 1)`` plus N(0, ``noise``) noise (the book's 0.2 by default); a point is
    ``(r sin 2.5t, r cos 2.5t)`` (after cs231n, as ``nnfs.datasets.spiral_data``).

    Returns
    -------
    X : ndarray of shape (samples * classes, 2)
    y : ndarray of shape (samples * classes,), dtype uint8
    """
    noise = check_number(noise, "noise")

    def arm(class_number, samples, rng):
        r = np.linspace(0.0, 1, samples)
        t = (np.linspace(class_number * 4, (class_number + 1) * 4, samples)
             + _random.standard_normal(rng, samples) * noise)
        return np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]

    return _one_block_per_class(samples, classes, seed, dtype, arm)


def vertical_data(samples: int, classes: int, *, noise: float = 0.1, seed: int | None = None,
                  dtype="float32") -> tuple[np.ndarray, np.ndarray]:
    """Return ``samples`` points per class in vertical clusters around ``x = k / 3``.

    Both coordinates get N(0, ``noise``) noise (the book's 0.1 by default) around
    ``(k / 3, 0.5)``.

    Returns
    -------
    X : ndarray of shape (samples * classes, 2)
    y : ndarray of shape (samples * classes,), dtype uint8
    """
    noise = check_number(noise, "noise")

    def cluster(class_number, samples, rng):
        return np.c_[_random.standard_normal(rng, samples) * noise + class_number / 3,
                     _random.standard_normal(rng, samples) * noise + 0.5]

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


def circles_data(samples: int, classes: int = 2, *, noise: float = 0.1, seed: int | None = None,
                 dtype="float32") -> tuple[np.ndarray, np.ndarray]:
    """Return ``samples`` points per class on ``classes`` concentric circles.

    Class ``k`` lies on the circle of radius ``(k + 1) / classes`` at uniformly random angles,
    each coordinate plus N(0, ``noise``) noise: class 0 is the inner disc's ring, the last
    class the unit circle. No straight line separates two rings, so a network needs a hidden
    layer.

    Returns
    -------
    X : ndarray of shape (samples * classes, 2)
    y : ndarray of shape (samples * classes,), dtype uint8
    """
    noise = check_number(noise, "noise")
    n_classes = check_positive_int(classes, "classes")

    def ring(class_number, samples, rng):
        angle = 2 * np.pi * _uniform(rng, samples)
        radius = (class_number + 1) / n_classes
        return (np.c_[radius * np.cos(angle), radius * np.sin(angle)]
                + _random.standard_normal(rng, (samples, 2)) * noise)

    return _one_block_per_class(samples, n_classes, seed, dtype, ring)


def xor_data(samples: int, *, noise: float = 0.1, seed: int | None = None,
             dtype="float32") -> tuple[np.ndarray, np.ndarray]:
    """Return ``samples`` points per class of the XOR problem in the square [-1, 1]^2.

    Class 1 holds the points whose coordinates have the same sign (first and third
    quadrants), class 0 those with opposite signs; each coordinate is at least 0.05 away from
    the axes before N(0, ``noise``) noise is added, so with no noise the classes are exactly
    separated by the axes. The classic problem a single layer cannot learn.

    Returns
    -------
    X : ndarray of shape (2 * samples, 2)
    y : ndarray of shape (2 * samples,), dtype uint8
    """
    noise = check_number(noise, "noise")

    def quadrants(class_number, samples, rng):
        magnitude = 0.05 + 0.95 * _uniform(rng, (samples, 2))
        sign_x = np.where(_uniform(rng, samples) < 0.5, -1.0, 1.0)
        sign_y = sign_x if class_number == 1 else -sign_x
        return (np.c_[sign_x * magnitude[:, 0], sign_y * magnitude[:, 1]]
                + _random.standard_normal(rng, (samples, 2)) * noise)

    return _one_block_per_class(samples, 2, seed, dtype, quadrants)
