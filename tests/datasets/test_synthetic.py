"""The book's synthetic datasets, compared with the reference `nnfs` package."""

import json
import subprocess
import sys

import numpy as np
import pytest

import squareone as sq

# Run the real nnfs package in a child process: nnfs.init() patches NumPy globally, which
# must not leak into this test session.
REFERENCE = """
import json, nnfs, numpy as np
from nnfs.datasets import spiral_data, vertical_data, sine_data
nnfs.init()
out = {}
X, y = spiral_data(samples=50, classes=3); out["spiral"] = [X.tolist(), y.tolist()]
X, y = vertical_data(samples=20, classes=4); out["vertical"] = [X.tolist(), y.tolist()]
X, y = sine_data(samples=30); out["sine"] = [X.tolist(), y.tolist()]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def nnfs_reference():
    completed = subprocess.run([sys.executable, "-c", REFERENCE], capture_output=True,
                               text=True, check=True)
    return json.loads(completed.stdout)


def test_book_mode_reproduces_the_nnfs_package_exactly(nnfs_reference):
    sq.nnfs.init()
    ours = {"spiral": sq.datasets.spiral_data(samples=50, classes=3),
            "vertical": sq.datasets.vertical_data(samples=20, classes=4),
            "sine": sq.datasets.sine_data(samples=30)}
    for name, (X, y) in ours.items():
        X_ref, y_ref = (np.array(values) for values in nnfs_reference[name])
        np.testing.assert_array_equal(X, X_ref.astype(np.float32), err_msg=name)
        np.testing.assert_array_equal(y.reshape(y_ref.shape), y_ref.astype(y.dtype),
                                      err_msg=name)


@pytest.mark.parametrize("make", [sq.datasets.spiral_data, sq.datasets.vertical_data])
def test_classification_sets_have_shapes_labels_and_seeds(make):
    X, y = make(40, 4, seed=1)
    assert X.shape == (160, 2) and X.dtype == np.float32 and y.dtype == np.uint8
    assert np.array_equal(np.bincount(y), [40] * 4)
    X_again, _ = make(40, 4, seed=1)
    assert np.array_equal(X, X_again)
    assert not np.array_equal(X, make(40, 4, seed=2)[0])
    assert make(5, 2, dtype="float64")[0].dtype == np.float64


def test_spiral_points_lie_within_the_unit_disc_with_radius_growing_along_each_arm():
    X, _ = sq.datasets.spiral_data(100, 3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0 + 1e-6
    np.testing.assert_allclose(radius[:100], np.linspace(0, 1, 100), atol=1e-6)


def test_sine_data_is_one_period():
    X, y = sq.datasets.sine_data(samples=8)
    np.testing.assert_allclose(X.ravel(), np.arange(8) / 8)
    np.testing.assert_allclose(y.ravel(), np.sin(2 * np.pi * np.arange(8) / 8), atol=1e-7)


@pytest.mark.parametrize("args", [(0, 3), (10, 0), (2.5, 3)])
def test_bad_sizes_are_rejected(args):
    with pytest.raises(ValueError, match="samples|classes"):
        sq.datasets.spiral_data(*args)


def test_noise_is_the_books_by_default_and_can_be_changed():
    default, _ = sq.datasets.spiral_data(30, 3, seed=4)
    book, _ = sq.datasets.spiral_data(30, 3, noise=0.2, seed=4)
    assert np.array_equal(default, book)
    # Without noise every arm is a smooth curve: the angle grows steadily along it.
    clean, _ = sq.datasets.spiral_data(30, 3, noise=0.0, seed=4)
    radius = np.hypot(clean[1:30, 0], clean[1:30, 1])
    np.testing.assert_allclose(radius, np.linspace(0, 1, 30)[1:], atol=1e-6)
    X, y = sq.datasets.vertical_data(50, 2, noise=0.0, seed=0)
    np.testing.assert_allclose(X[y == 1, 0], 1 / 3, atol=1e-7)
    np.testing.assert_allclose(X[:, 1], 0.5, atol=1e-7)


def test_circles_lie_on_rings_of_growing_radius():
    X, y = sq.datasets.circles_data(200, 3, noise=0.0, seed=0)
    assert X.shape == (600, 2) and np.array_equal(np.bincount(y), [200] * 3)
    radius = np.hypot(X[:, 0], X[:, 1])
    for class_id, expected in enumerate([1 / 3, 2 / 3, 1.0]):
        np.testing.assert_allclose(radius[y == class_id], expected, atol=1e-6)
    # The angles cover the whole circle, not one arc.
    angles = np.arctan2(X[y == 0, 1], X[y == 0, 0])
    assert np.histogram(angles, bins=8, range=(-np.pi, np.pi))[0].min() > 5
    noisy, _ = sq.datasets.circles_data(200, 3, noise=0.1, seed=0)
    spread = np.hypot(noisy[:, 0], noisy[:, 1]) - radius
    assert 0.05 < spread.std() < 0.2


def test_xor_classes_are_the_quadrants_with_equal_or_opposite_signs():
    X, y = sq.datasets.xor_data(300, noise=0.0, seed=1)
    assert X.shape == (600, 2) and X.dtype == np.float32
    assert np.array_equal(np.bincount(y), [300, 300])
    same_sign = np.sign(X[:, 0]) == np.sign(X[:, 1])
    assert np.array_equal(same_sign, y == 1)
    assert np.abs(X).min() >= 0.05 - 1e-7 and np.abs(X).max() <= 1.0
    quadrant_counts = np.bincount((X[:, 0] > 0) * 2 + (X[:, 1] > 0), minlength=4)
    assert quadrant_counts.min() > 100  # all four quadrants are used
    noisy, _ = sq.datasets.xor_data(300, noise=0.3, seed=1)
    assert (np.sign(noisy[:, 0]) == np.sign(noisy[:, 1])).mean() < 0.95  # noise blurs it


@pytest.mark.parametrize("make", [lambda **kw: sq.datasets.circles_data(20, 2, **kw),
                                  lambda **kw: sq.datasets.xor_data(20, **kw)])
def test_new_sets_are_seeded_and_follow_the_book_stream(make):
    assert np.array_equal(make(seed=3)[0], make(seed=3)[0])
    assert not np.array_equal(make(seed=3)[0], make(seed=4)[0])
    sq.nnfs.init()
    first = make()[0]
    sq.nnfs.init()
    assert np.array_equal(make()[0], first)


@pytest.mark.parametrize("call", [lambda: sq.datasets.circles_data(10, noise=-0.1),
                                  lambda: sq.datasets.xor_data(0),
                                  lambda: sq.datasets.spiral_data(10, 3, noise=-1)])
def test_bad_noise_or_size_is_rejected(call):
    with pytest.raises(ValueError, match="noise|samples"):
        call()
