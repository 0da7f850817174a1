"""Losses: gradients against central differences and closed forms, clipping, label checks."""

import numpy as np
import pytest
from conftest import assert_gradients_close, from_device, numerical_gradient, to_device

import squareone as sq

rng = np.random.default_rng(1)


def _probabilities(samples, classes):
    logits = rng.normal(size=(samples, classes))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def _check_loss_gradient(loss, y_pred, y_true):
    analytic = loss.backward(y_pred, y_true).copy()
    numeric = numerical_gradient(lambda: float(np.mean(loss.forward(y_pred, y_true))), y_pred)
    assert_gradients_close(analytic, numeric)


def test_categorical_crossentropy_gradient_sparse_and_one_hot():
    y_pred = _probabilities(6, 4)
    labels = rng.integers(0, 4, size=6)
    _check_loss_gradient(sq.CategoricalCrossentropy(), y_pred, labels)
    _check_loss_gradient(sq.CategoricalCrossentropy(), y_pred, np.eye(4)[labels])


def test_binary_crossentropy_gradient():
    y_pred = rng.uniform(0.05, 0.95, size=(5, 3))
    _check_loss_gradient(sq.BinaryCrossentropy(), y_pred, rng.integers(0, 2, size=(5, 3)) * 1.0)


def test_mean_squared_error_gradient():
    _check_loss_gradient(sq.MeanSquaredError(), rng.normal(size=(5, 2)), rng.normal(size=(5, 2)))


def test_mean_absolute_error_gradient_has_the_correct_sign():
    y_pred, y_true = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    _check_loss_gradient(sq.MeanAbsoluteError(), y_pred, y_true)
    # d|y - p|/dp = sign(p - y): the book's sign(y - p) is the negative of this.
    gradient = sq.MeanAbsoluteError().backward(np.array([[2.0]]), np.array([[0.0]]))
    assert gradient[0, 0] == 1.0


def test_closed_forms_of_the_data_losses():
    y_pred = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4]])
    assert sq.CategoricalCrossentropy().calculate(y_pred, [0, 1]) == pytest.approx(
        -(np.log(0.7) + np.log(0.5)) / 2)
    p = np.array([[0.9], [0.2]])
    assert sq.BinaryCrossentropy().calculate(p, [[1], [0]]) == pytest.approx(
        -(np.log(0.9) + np.log(0.8)) / 2)
    assert sq.MeanSquaredError().calculate(np.array([[1.0, 2.0]]), [[0.0, 0.0]]) == 2.5
    assert sq.MeanAbsoluteError().calculate(np.array([[1.0, -2.0]]), [[0.0, 0.0]]) == 1.5


def test_losses_clip_probabilities_so_they_stay_finite():
    certain_and_wrong = np.array([[1.0, 0.0]])
    loss = sq.CategoricalCrossentropy().calculate(certain_and_wrong, [1])
    assert np.isfinite(loss) and loss == pytest.approx(-np.log(1e-7))
    gradient = sq.CategoricalCrossentropy().backward(certain_and_wrong, np.array([1]))
    assert np.isfinite(gradient).all()
    assert np.isfinite(sq.BinaryCrossentropy().calculate(np.array([[0.0], [1.0]]), [[1], [0]]))


def test_fused_softmax_crossentropy_gradient():
    logits = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    fused = sq.SoftmaxCategoricalCrossentropy()
    fused.forward(logits, labels)
    analytic = fused.backward(fused.output, labels).copy()
    numeric = numerical_gradient(lambda: float(np.mean(fused.forward(logits, labels))), logits)
    assert_gradients_close(analytic, numeric)
    # The same as softmax backward after cross-entropy backward, and as (y_hat - y) / n.
    softmax, loss = sq.Softmax(), sq.CategoricalCrossentropy()
    softmax.forward(logits)
    chained = softmax.backward(loss.backward(softmax.output, labels))
    np.testing.assert_allclose(analytic, chained, atol=1e-12)
    np.testing.assert_allclose(analytic, (softmax.output - np.eye(4)[labels]) / 6, atol=1e-15)
    fused.forward(logits, labels)  # the finite differences left a perturbed output behind
    one_hot = fused.backward(fused.output, np.eye(4)[labels])
    np.testing.assert_allclose(one_hot, analytic, atol=1e-15)


@pytest.mark.parametrize("y, fragment", [
    ([0, 3], r"class ids in y must be in \[0, 2\].*got values from 0 to 3"),
    ([-1, 0], r"must be in \[0, 2\]"),
    ([0.5, 1.0], "whole numbers"),
    (np.eye(4)[[0, 1]], "one-hot y must have 3 columns"),
    ([[1, 1, 0], [0, 1, 0]], "single 1 per row"),
    ([0, np.nan], "NaN"),
    ([], "empty"),
    (["a", "b"], "must hold numbers"),
])
def test_categorical_crossentropy_rejects_bad_labels(y, fragment):
    with pytest.raises((ValueError, TypeError), match=fragment):
        sq.CategoricalCrossentropy().calculate(_probabilities(2, 3), y)


def test_regression_and_binary_targets_are_checked():
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        sq.MeanSquaredError().calculate(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"binary targets y must be in \[0, 1\]"):
        sq.BinaryCrossentropy().calculate(np.full((2, 1), 0.5), [[2], [0]])
    with pytest.raises(ValueError, match="same number of samples"):
        sq.MeanSquaredError().calculate(np.zeros((3, 1)), np.zeros(2))
    # a 1-D target for a one-output model is accepted, as in Keras
    assert sq.MeanSquaredError().calculate(np.ones((2, 1)), [1.0, 3.0]) == 2.0


@pytest.mark.parametrize("make, targets", [
    (sq.CategoricalCrossentropy, "ids"), (sq.CategoricalCrossentropy, "one-hot"),
    (sq.SoftmaxCategoricalCrossentropy, "ids"), (sq.SoftmaxCategoricalCrossentropy, "one-hot"),
    (sq.BinaryCrossentropy, "binary"), (sq.MeanSquaredError, "values"),
    (sq.MeanAbsoluteError, "values"),
])
def test_losses_compute_in_their_inputs_module(make, targets):
    """Given another array module's arrays (see conftest.DeviceArray), no NumPy ones appear."""
    y_pred = _probabilities(6, 3)
    y_true = {"ids": rng.integers(0, 3, 6), "one-hot": np.eye(3)[rng.integers(0, 3, 6)],
              "binary": rng.integers(0, 2, (6, 3)).astype(float),
              "values": rng.normal(size=(6, 3))}[targets]
    host, device = make(), make()
    expected, losses = host.forward(y_pred, y_true), device.forward(*to_device(y_pred, y_true))
    if isinstance(expected, float):  # the fused loss returns the mean, as the book's does
        assert isinstance(losses, float) and losses == pytest.approx(expected, rel=1e-12)
    else:
        np.testing.assert_allclose(from_device(losses), expected, rtol=1e-12)
    np.testing.assert_allclose(from_device(device.backward(*to_device(y_pred, y_true))),
                               host.backward(y_pred, y_true), rtol=1e-12)
