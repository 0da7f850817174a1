"""Activations: gradients against central differences and closed forms, stability, errors."""

import numpy as np
import pytest
from conftest import assert_gradients_close, from_device, numerical_gradient, to_device
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import squareone as sq

rng = np.random.default_rng(0)


@pytest.mark.parametrize("activation", [sq.ReLU, sq.Softmax, sq.Sigmoid, sq.Tanh, sq.Linear])
def test_gradient_matches_central_differences(activation):
    X = rng.normal(size=(5, 4))
    X[np.abs(X) < 1e-3] = 0.5  # keep ReLU away from its kink, where no derivative exists
    upstream = rng.normal(size=(5, 4))
    layer = activation()
    layer.forward(X)
    analytic = layer.backward(upstream).copy()
    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(X) * upstream)), X)
    assert_gradients_close(analytic, numeric)


def test_relu_closed_form():
    X = np.array([[-2.0, 0.0, 3.0]])
    relu = sq.ReLU()
    np.testing.assert_array_equal(relu.forward(X), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(relu.backward(np.array([[5.0, 5.0, 5.0]])), [[0.0, 0.0, 5.0]])


def test_sigmoid_derivative_is_sigma_times_one_minus_sigma():
    X = rng.normal(size=(3, 3))
    sigmoid = sq.Sigmoid()
    s = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(sigmoid.forward(X), s)
    np.testing.assert_allclose(sigmoid.backward(np.ones_like(X)), s * (1 - s))


def test_tanh_derivative_is_one_minus_tanh_squared():
    X = rng.normal(size=(3, 3))
    tanh = sq.Tanh()
    tanh.forward(X)
    np.testing.assert_allclose(tanh.backward(np.ones_like(X)), 1 - np.tanh(X) ** 2)


def test_vectorised_softmax_backward_equals_the_books_jacobian_loop():
    X = rng.normal(size=(6, 4))
    upstream = rng.normal(size=(6, 4))
    softmax = sq.Softmax()
    output = softmax.forward(X)
    expected = np.empty_like(upstream)
    for index, (single_output, single_dvalues) in enumerate(zip(output, upstream)):
        single_output = single_output.reshape(-1, 1)
        jacobian = np.diagflat(single_output) - single_output @ single_output.T
        expected[index] = jacobian @ single_dvalues
    np.testing.assert_allclose(softmax.backward(upstream), expected, atol=1e-12)


def test_softmax_and_sigmoid_are_stable_for_extreme_inputs():
    softmax = sq.Softmax().forward(np.array([[1000.0, 1000.0], [-1000.0, 0.0]], np.float32))
    np.testing.assert_allclose(softmax, [[0.5, 0.5], [0.0, 1.0]])
    with np.errstate(over="raise"):
        sigmoid = sq.Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]], np.float32))
    np.testing.assert_allclose(sigmoid, [[0.0, 0.5, 1.0]])
    assert sigmoid.dtype == np.float32


@pytest.mark.parametrize("activation", [sq.ReLU, sq.Softmax, sq.Sigmoid, sq.Tanh, sq.Linear,
                                        sq.Step])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_keep_the_dtype(activation, dtype):
    assert activation().forward(rng.normal(size=(2, 3)).astype(dtype)).dtype == dtype


def test_step_is_forward_only():
    step = sq.Step()
    np.testing.assert_array_equal(step.forward(np.array([[-1.0, 0.0, 2.0]])), [[0, 0, 1]])
    with pytest.raises(TypeError, match="Step cannot be trained"):
        step.backward(np.ones((1, 3)))


def test_predictions():
    probabilities = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])
    np.testing.assert_array_equal(sq.Softmax().predictions(probabilities), [1, 0])
    np.testing.assert_array_equal(sq.Sigmoid().predictions(np.array([[0.2], [0.8]])), [[0], [1]])
    values = np.array([[0.25], [-1.5]])
    np.testing.assert_array_equal(sq.Linear().predictions(values), values)
    np.testing.assert_array_equal(sq.Step().predictions(np.array([[1.0, 0.0]])), [[1, 0]])


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 8)),
              elements=st.floats(-1e4, 1e4)))
def test_softmax_rows_are_probability_distributions(X):
    output = sq.Softmax().forward(X)
    assert np.all(output >= 0)
    np.testing.assert_allclose(output.sum(axis=1), 1.0)
    top_two = np.sort(X, axis=1)[:, -2:]
    distinct = X.shape[1] == 1 or np.all(top_two[:, 1] - top_two[:, 0] > 1e-9)
    if distinct:  # with ties, argmax may pick either maximum
        np.testing.assert_array_equal(np.argmax(output, axis=1), np.argmax(X, axis=1))


@pytest.mark.parametrize("activation", [sq.ReLU, sq.Softmax, sq.Sigmoid, sq.Tanh, sq.Linear])
def test_activations_compute_in_their_inputs_module(activation):
    """Given another array module's arrays (see conftest.DeviceArray), no NumPy ones appear."""
    X, upstream = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    host, device = activation(), activation()
    np.testing.assert_allclose(from_device(device.forward(to_device(X))), host.forward(X),
                               rtol=1e-12)
    np.testing.assert_allclose(from_device(device.backward(to_device(upstream))),
                               host.backward(upstream), rtol=1e-12)
    np.testing.assert_array_equal(from_device(device.predictions(device.output)),
                                  host.predictions(host.output))
