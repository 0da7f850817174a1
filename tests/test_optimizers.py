"""Optimizers: steps on a quadratic against closed forms and scalar reference recurrences."""

import math

import numpy as np
import pytest
from conftest import from_device, to_device

import squareone as sq


class Quadratic(sq.layers.Layer):
    """A 'layer' holding one parameter vector w, with loss f(w) = 0.5 * |w|^2, so grad = w."""

    def __init__(self, w):
        self.w = np.array(w, dtype=np.float64)
        self.grad = np.zeros_like(self.w)

    def parameters(self):
        np.copyto(self.grad, self.w)  # gradient of the quadratic at the current point
        return [(self.w, self.grad)]


def run(optimizer, w0, steps):
    layer = Quadratic(w0)
    for _ in range(steps):
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
    return layer.w


W0 = [1.5, -0.5, 0.25]


def test_sgd_has_the_closed_form_of_geometric_decay():
    # w_{t+1} = w_t - eta * w_t = (1 - eta) w_t, so w_t = (1 - eta)^t w_0
    np.testing.assert_allclose(run(sq.SGD(learning_rate=0.1), W0, 7), 0.9 ** 7 * np.array(W0))


def test_sgd_decay_follows_one_over_one_plus_decay_t():
    optimizer = sq.SGD(learning_rate=0.5, decay=0.1)
    w = run(optimizer, W0, 4)
    expected = np.array(W0)
    for t in range(4):
        expected = expected * (1 - 0.5 / (1 + 0.1 * t))
    np.testing.assert_allclose(w, expected)
    assert optimizer.current_learning_rate == pytest.approx(0.5 / (1 + 0.1 * 3))
    assert optimizer.iterations == 4


def _scalar_reference(kind, w, steps, lr, **h):
    """The book's update rules written out for one scalar, step by step."""
    m = v = cache = 0.0
    for t in range(steps):
        g = w
        if kind == "momentum":
            v = h["momentum"] * v - lr * g
            w = w + v
        elif kind == "adagrad":
            cache += g * g
            w -= lr * g / (math.sqrt(cache) + h["epsilon"])
        elif kind == "rmsprop":
            cache = h["rho"] * cache + (1 - h["rho"]) * g * g
            w -= lr * g / (math.sqrt(cache) + h["epsilon"])
        elif kind == "adam":
            m = h["beta_1"] * m + (1 - h["beta_1"]) * g
            v = h["beta_2"] * v + (1 - h["beta_2"]) * g * g
            m_hat = m / (1 - h["beta_1"] ** (t + 1))
            v_hat = v / (1 - h["beta_2"] ** (t + 1))
            w -= lr * m_hat / (math.sqrt(v_hat) + h["epsilon"])
    return w


@pytest.mark.parametrize("optimizer, kind, lr, hyper", [
    (sq.SGD(learning_rate=0.1, momentum=0.9), "momentum", 0.1, {"momentum": 0.9}),
    (sq.Adagrad(learning_rate=0.3), "adagrad", 0.3, {"epsilon": 1e-7}),
    (sq.RMSprop(learning_rate=0.01, rho=0.95), "rmsprop", 0.01, {"rho": 0.95, "epsilon": 1e-7}),
    (sq.Adam(learning_rate=0.05), "adam", 0.05,
     {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
])
def test_updates_match_the_scalar_recurrences(optimizer, kind, lr, hyper):
    w = run(optimizer, W0, 12)
    expected = [_scalar_reference(kind, w0, 12, lr, **hyper) for w0 in W0]
    np.testing.assert_allclose(w, expected, rtol=1e-10)


@pytest.mark.parametrize("optimizer", [sq.Adam(learning_rate=0.01), sq.Adagrad(learning_rate=0.01)])
def test_first_adaptive_step_moves_each_weight_by_the_learning_rate(optimizer):
    # Adam's m_hat / sqrt(v_hat) and AdaGrad's g / sqrt(g^2) are sign(g) on the first step.
    w = run(optimizer, W0, 1)
    np.testing.assert_allclose(np.array(W0) - w, 0.01 * np.sign(W0), rtol=1e-6)


def test_book_defaults():
    assert (sq.SGD().learning_rate, sq.SGD().decay, sq.SGD().momentum) == (1.0, 0.0, 0.0)
    assert (sq.Adagrad().learning_rate, sq.Adagrad().epsilon) == (1.0, 1e-7)
    rms = sq.RMSprop()
    assert (rms.learning_rate, rms.epsilon, rms.rho) == (0.001, 1e-7, 0.9)
    adam = sq.Adam()
    assert (adam.learning_rate, adam.epsilon, adam.beta_1, adam.beta_2) == (0.001, 1e-7, 0.9,
                                                                            0.999)


def test_state_lives_in_the_optimizer_keyed_by_parameter():
    layer = sq.Dense(3, 2, seed=0)
    attributes = set(vars(layer))
    layer.forward(np.ones((4, 3), dtype=np.float32))
    layer.backward(np.ones((4, 2), dtype=np.float32))
    optimizer = sq.Adam()
    optimizer.pre_update_params()
    optimizer.update_params(layer)
    optimizer.post_update_params()
    assert set(vars(layer)) - attributes == {"inputs", "output", "dinputs"} - attributes
    assert optimizer.state_for(layer.weights)["momentums"].shape == (3, 2)
    assert optimizer.state_for(layer.biases)["cache"].shape == (1, 2)


def test_float32_parameters_stay_float32():
    layer = sq.Dense(3, 2, seed=0)
    layer.forward(np.ones((4, 3), dtype=np.float32))
    layer.backward(np.ones((4, 2), dtype=np.float32))
    for optimizer in (sq.SGD(momentum=0.5), sq.Adagrad(), sq.RMSprop(), sq.Adam()):
        optimizer.update_params(layer)
    assert layer.weights.dtype == np.float32 and layer.biases.dtype == np.float32


@pytest.mark.parametrize("make, fragment", [
    (lambda: sq.Adam(learning_rate=-0.1), "learning_rate must be in"),
    (lambda: sq.SGD(learning_rate=0), "learning_rate must be in"),
    (lambda: sq.SGD(decay=-1), "decay"),
    (lambda: sq.SGD(momentum=1.5), "momentum"),
    (lambda: sq.RMSprop(rho=1.0), "rho"),
    (lambda: sq.Adam(learning_rate="fast"), "learning_rate must be a finite real number"),
    (lambda: sq.Adam(learning_rate=float("inf")), "learning_rate"),
])
def test_bad_hyperparameters_are_rejected(make, fragment):
    with pytest.raises((ValueError, TypeError), match=fragment):
        make()


@pytest.mark.parametrize("make", [lambda: sq.SGD(0.1), lambda: sq.SGD(0.1, momentum=0.9),
                                  lambda: sq.Adagrad(0.1), lambda: sq.RMSprop(0.01),
                                  lambda: sq.Adam(0.01)])
def test_optimizers_compute_in_their_parameters_module(make):
    """Given another array module's arrays (see conftest.DeviceArray), no NumPy ones appear."""
    host, device = make(), make()
    w, g = np.array(W0), np.array([0.3, -0.2, 0.1])
    w_device, g_device = to_device(w, g)
    for _ in range(3):
        host.update(w, g, host.state_for(w))
        device.update(w_device, g_device, device.state_for(w_device))
    np.testing.assert_allclose(from_device(w_device), w, rtol=1e-12)
