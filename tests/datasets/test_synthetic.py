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
