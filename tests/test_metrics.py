"""Accuracy metrics against hand-counted cases."""

import numpy as np
import pytest

import squareone as sq


def test_categorical_accuracy_with_ids_and_one_hot():
    predictions = np.array([0, 2, 1, 1])
    assert sq.CategoricalAccuracy().calculate(predictions, np.array([0, 1, 1, 1])) == 0.75
    assert sq.CategoricalAccuracy().calculate(predictions, np.eye(3)[[0, 2, 0, 0]]) == 0.5


def test_binary_accuracy_counts_every_output():
    predictions = np.array([[1, 0], [0, 0]])
    assert sq.BinaryAccuracy().calculate(predictions, np.array([[1, 1], [0, 0]])) == 0.75


def test_regression_accuracy_precision_defaults_to_std_over_250():
    y = np.linspace(-1, 1, 101).reshape(-1, 1)
    accuracy = sq.RegressionAccuracy()
    accuracy.init(y)
    assert accuracy.precision == pytest.approx(np.std(y) / 250)
    near = y + 0.5 * accuracy.precision
    far = y + 2 * accuracy.precision
    assert accuracy.calculate(near, y) == 1.0 and accuracy.calculate(far, y) == 0.0
    accuracy.init(10 * y)  # no reinit: the precision stays
    assert accuracy.precision == pytest.approx(np.std(y) / 250)
    accuracy.init(10 * y, reinit=True)
    assert accuracy.precision == pytest.approx(10 * np.std(y) / 250)


def test_explicit_precision_is_kept():
    accuracy = sq.RegressionAccuracy(precision=0.1)
    accuracy.init(np.arange(10.0), reinit=True)
    assert accuracy.precision == 0.1
    with pytest.raises(ValueError, match="precision"):
        sq.RegressionAccuracy(precision=-1)
