"""Dense and Dropout: gradients against central differences, initialisation, errors."""

import numpy as np
import pytest
from conftest import assert_gradients_close, from_device, numerical_gradient, on_device, to_device

import squareone as sq

rng = np.random.default_rng(42)


def _dense_objective(layer, X, upstream):
    """Scalar L = sum(output * upstream) + regularization, whose dL/doutput is ``upstream``."""
    return lambda: float(np.sum(layer.forward(X) * upstream) + layer.regularization_loss())


@pytest.mark.parametrize("regularizers", [
    {},
    {"weight_regularizer_l2": 0.1, "bias_regularizer_l2": 0.2},
    {"weight_regularizer_l1": 0.3, "bias_regularizer_l1": 0.05},
    {"weight_regularizer_l1": 0.1, "weight_regularizer_l2": 0.1,
     "bias_regularizer_l1": 0.1, "bias_regularizer_l2": 0.1},
])
@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax", "linear"])
def test_dense_gradients_match_central_differences(regularizers, activation):
    layer = sq.Dense(4, 3, dtype="float64", seed=1, weight_init="he", activation=activation,
                     **regularizers)
    layer.biases[:] = rng.normal(size=layer.biases.shape)  # nonzero, away from L1's kink
    X = rng.normal(size=(5, 4))
    upstream = rng.normal(size=(5, 3))
    objective = _dense_objective(layer, X, upstream)
    layer.forward(X)
    layer.backward(upstream)
    analytic_w, analytic_b = layer.dweights.copy(), layer.dbiases.copy()
    analytic_x = layer.dinputs.copy()
    assert_gradients_close(analytic_w, numerical_gradient(objective, layer.weights))
    assert_gradients_close(analytic_b, numerical_gradient(objective, layer.biases))
    assert_gradients_close(analytic_x, numerical_gradient(objective, X))


def test_dense_gradients_have_closed_forms():
    layer = sq.Dense(3, 2, dtype="float64", seed=0)
    X = rng.normal(size=(6, 3))
    upstream = rng.normal(size=(6, 2))
    layer.forward(X)
    layer.backward(upstream)
    np.testing.assert_allclose(layer.dweights, X.T @ upstream)
    np.testing.assert_allclose(layer.dbiases, upstream.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(layer.dinputs, upstream @ layer.weights.T)
    np.testing.assert_allclose(layer.output, X @ layer.weights + layer.biases)


def test_regularization_loss_closed_form():
    layer = sq.Dense(3, 2, weight_regularizer_l1=0.1, weight_regularizer_l2=0.2,
                     bias_regularizer_l1=0.3, bias_regularizer_l2=0.4, dtype="float64", seed=0)
    layer.biases[:] = [[1.0, -2.0]]
    w = layer.weights
    expected = 0.1 * np.abs(w).sum() + 0.2 * (w ** 2).sum() + 0.3 * 3.0 + 0.4 * 5.0
    assert layer.regularization_loss() == pytest.approx(expected)
    assert sq.CategoricalCrossentropy().regularization_loss(layer) == pytest.approx(expected)


def test_first_layer_can_skip_its_input_gradient():
    layer = sq.Dense(3, 2, seed=0)
    layer.needs_input_gradient = False
    layer.forward(np.ones((4, 3), dtype=np.float32))
    assert layer.backward(np.ones((4, 2), dtype=np.float32)) is None
    assert np.all(layer.dweights == 4 * layer.inputs[0:1].T)  # still computed


@pytest.mark.parametrize("init, check", [
    ("nnfs", lambda w: abs(w.std() - 0.01) < 0.001),
    (0.1, lambda w: abs(w.std() - 0.1) < 0.01),
    ("he", lambda w: abs(w.std() - np.sqrt(2 / 400)) < 0.1 * np.sqrt(2 / 400)),
    ("glorot", lambda w: np.abs(w).max() <= np.sqrt(6 / 500) and
     np.abs(w).max() > 0.9 * np.sqrt(6 / 500)),
    ("uniform", lambda w: np.abs(w).max() <= 1 / 20 and np.abs(w).max() > 0.9 / 20),
])
def test_weight_initialisations(init, check):
    layer = sq.Dense(400, 100, weight_init=init, seed=3)
    assert layer.weights.dtype == np.float32
    assert layer.weights.shape == (400, 100)
    assert check(layer.weights)
    assert not layer.biases.any()


def test_seeded_layers_are_reproducible_and_unseeded_differ():
    assert np.array_equal(sq.Dense(5, 5, seed=7).weights, sq.Dense(5, 5, seed=7).weights)
    assert not np.array_equal(sq.Dense(5, 5).weights, sq.Dense(5, 5).weights)


@pytest.mark.parametrize("kwargs, error, fragment", [
    ({"n_inputs": 0, "n_neurons": 3}, ValueError, "n_inputs"),
    ({"n_inputs": 2, "n_neurons": 2.5}, ValueError, "n_neurons"),
    ({"n_inputs": 2, "n_neurons": 3, "weight_init": "zeros"}, ValueError, "weight_init"),
    ({"n_inputs": 2, "n_neurons": 3, "weight_regularizer_l2": -1}, ValueError,
     "weight_regularizer_l2"),
    ({"n_inputs": 2, "n_neurons": 3, "dtype": "int32"}, TypeError, "dtype"),
])
def test_dense_rejects_bad_arguments(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        sq.Dense(**kwargs)


def test_dense_rejects_inputs_of_the_wrong_shape():
    layer = sq.Dense(3, 2)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(n_samples, 3\), got shape "
                                         r"\(4, 2\)"):
        layer.forward(np.ones((4, 2), dtype=np.float32))


def test_dense_keeps_its_dtype():
    layer = sq.Dense(3, 2, dtype="float64")
    output = layer.forward(np.ones((2, 3), dtype=np.float32))
    assert output.dtype == np.float64
    assert sq.Dense(3, 2).forward(np.ones((2, 3))).dtype == np.float32


def test_dropout_is_identity_at_inference():
    X = rng.normal(size=(10, 10))
    layer = sq.Dropout(0.5, seed=0)
    assert np.array_equal(layer.forward(X, training=False), X)
    assert np.array_equal(layer.backward(X), X)


def test_dropout_drops_the_given_fraction_and_rescales():
    X = np.ones((200, 500))
    layer = sq.Dropout(0.3, seed=0)
    output = layer.forward(X, training=True)
    dropped = np.mean(output == 0)
    assert abs(dropped - 0.3) < 0.01
    np.testing.assert_allclose(output[output != 0], 1 / 0.7)
    assert abs(output.mean() - 1.0) < 0.02  # expected sum unchanged


def test_dropout_gradient_matches_central_differences_for_a_fixed_mask():
    X = rng.normal(size=(4, 6))
    upstream = rng.normal(size=(4, 6))
    layer = sq.Dropout(0.4, seed=1)
    layer.forward(X, training=True)
    mask = layer.binary_mask.copy()
    layer.backward(upstream)
    numeric = numerical_gradient(lambda: float(np.sum(X * mask * upstream)), X)
    assert_gradients_close(layer.dinputs, numeric)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, float("nan")])
def test_dropout_rejects_rates_outside_zero_one(rate):
    with pytest.raises((ValueError, TypeError), match="rate"):
        sq.Dropout(rate)


@pytest.mark.parametrize("regularizers", [{}, {"weight_regularizer_l1": 0.1,
                                               "bias_regularizer_l2": 0.2}])
def test_dense_computes_in_its_arrays_module(regularizers):
    """Given another array module's arrays (see conftest.DeviceArray), Dense makes no NumPy ones."""
    host = sq.Dense(4, 3, seed=1, **regularizers)
    device = on_device(sq.Dense(4, 3, seed=1, **regularizers))
    X, upstream = rng.normal(size=(6, 4)).astype(np.float32), rng.normal(size=(6, 3))
    output = device.forward(to_device(X))
    dinputs = device.backward(to_device(upstream.astype(np.float32)))
    np.testing.assert_allclose(from_device(output), host.forward(X), rtol=1e-6)
    np.testing.assert_allclose(from_device(dinputs), host.backward(upstream.astype(np.float32)),
                               rtol=1e-6)
    for name in ("dweights", "dbiases"):
        np.testing.assert_allclose(from_device(getattr(device, name)), getattr(host, name),
                                   rtol=1e-6)


def test_dropout_computes_in_its_arrays_module():
    host, device = sq.Dropout(0.5, seed=3), sq.Dropout(0.5, seed=3)
    X = rng.normal(size=(8, 5)).astype(np.float32)
    output = device.forward(to_device(X), training=True)
    np.testing.assert_array_equal(from_device(output), host.forward(X, training=True))
    np.testing.assert_array_equal(from_device(device.backward(to_device(X))), host.backward(X))
