"""Book reproduction: with sq.nnfs.init() squareone starts from the book's very numbers.

The long runs train squareone's Model for the book's 10,001 epochs (marked slow: CI runs them);
their thresholds are the book's results with some margin.
"""

import numpy as np
import pytest
from conftest import slow

import squareone as sq
from squareone.nnfs import (
    Activation_ReLU,
    Activation_Softmax,
    Activation_Softmax_Loss_CategoricalCrossentropy,
    Layer_Dense,
    Loss_CategoricalCrossentropy,
    Optimizer_Adam,
)


def test_init_does_not_patch_numpy():
    dot, zeros, randn = np.dot, np.zeros, np.random.randn
    sq.nnfs.init()
    assert (np.dot, np.zeros, np.random.randn) == (dot, zeros, randn)
    assert np.zeros(2).dtype == np.float64


def test_chapter_5_loss_of_the_untrained_network():
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    dense1, activation1 = Layer_Dense(2, 3), Activation_ReLU()
    dense2, activation2 = Layer_Dense(3, 3), Activation_Softmax()
    output = activation2.forward(dense2.forward(activation1.forward(dense1.forward(X))))
    assert Loss_CategoricalCrossentropy().calculate(output, y) == pytest.approx(1.0986104,
                                                                                abs=1e-6)
    # The book prints these first rows of the softmax output in Chapter 4.
    np.testing.assert_allclose(output[:2], [[0.33333334, 0.33333334, 0.33333334],
                                            [0.3333332, 0.3333332, 0.33333364]], atol=1e-7)


def test_the_same_seed_gives_the_same_stream():
    sq.nnfs.init(seed=3)
    first = sq.Dense(2, 4).weights
    sq.nnfs.init(seed=3)
    assert np.array_equal(sq.Dense(2, 4).weights, first)
    assert not np.array_equal(sq.Dense(2, 4).weights, first)  # the stream moved on


def _train(model_layers, loss, optimizer, X, y, epochs=10001):
    model = sq.Model()
    for layer in model_layers:
        model.add(layer)
    model.set(loss=loss, optimizer=optimizer)
    model.finalize()
    return model, model.train(X, y, epochs=epochs, verbose=0)


@slow
def test_chapter_10_adam_on_spiral_data():
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    _, history = _train([Layer_Dense(2, 64), Activation_ReLU(), Layer_Dense(64, 3),
                         Activation_Softmax()], Loss_CategoricalCrossentropy(),
                        Optimizer_Adam(learning_rate=0.05, decay=5e-7), X, y)
    assert history.accuracy[-1] >= 0.93  # the book: 0.967
    assert history.loss[-1] <= 0.12  # the book: 0.081


def test_book_style_training_loop_with_the_fused_class():
    # Chapter 10's code as printed, only the imports changed: 101 steps.
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    dense1, activation1, dense2 = Layer_Dense(2, 64), Activation_ReLU(), Layer_Dense(64, 3)
    loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()
    optimizer = Optimizer_Adam(learning_rate=0.05, decay=5e-7)
    losses = []
    for _ in range(101):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss = loss_activation.forward(dense2.output, y)
        assert f"{loss:.3f}"  # the book formats the returned mean loss directly
        losses.append(loss)
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()
    assert isinstance(losses[0], np.float32)  # prints with float32's digits, as the book
    assert losses[0] == pytest.approx(1.0986, abs=1e-4)
    assert losses[-1] < 0.85 * losses[0]


@slow
def test_chapter_16_binary_logistic_regression():
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=2)
    y = y.reshape(-1, 1)
    model, history = _train(
        [sq.Dense(2, 64, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4), sq.ReLU(),
         sq.Dense(64, 1), sq.Sigmoid()], sq.BinaryCrossentropy(), sq.Adam(decay=5e-7), X, y)
    assert history.accuracy[-1] >= 0.90
    X_test, y_test = sq.datasets.spiral_data(samples=100, classes=2)
    assert model.evaluate(X_test, y_test.reshape(-1, 1))["accuracy"] >= 0.85


@slow
def test_chapter_17_sine_regression():
    sq.nnfs.init()
    X, y = sq.datasets.sine_data()
    model, history = _train(
        [sq.Dense(1, 64, weight_init=0.1), sq.ReLU(), sq.Dense(64, 64, weight_init=0.1),
         sq.ReLU(), sq.Dense(64, 1, weight_init=0.1), sq.Linear()],
        sq.MeanSquaredError(), sq.Adam(learning_rate=0.005, decay=1e-3), X, y)
    assert isinstance(model.accuracy, sq.RegressionAccuracy)
    assert model.accuracy.precision == pytest.approx(np.std(y) / 250)
    assert history.accuracy[-1] >= 0.90


def test_every_book_class_name_is_an_alias():
    names = ["Layer_Dense", "Layer_Dropout", "Activation_ReLU", "Activation_Softmax",
             "Activation_Sigmoid", "Activation_Linear", "Loss_CategoricalCrossentropy",
             "Loss_BinaryCrossentropy", "Loss_MeanSquaredError", "Loss_MeanAbsoluteError",
             "Activation_Softmax_Loss_CategoricalCrossentropy", "Optimizer_SGD",
             "Optimizer_Adagrad", "Optimizer_RMSprop", "Optimizer_Adam", "Accuracy_Categorical",
             "Accuracy_Regression", "Model"]
    for name in names:
        assert hasattr(sq.nnfs, name), name
    assert sq.nnfs.Optimizer_Adam is sq.Adam and sq.nnfs.Layer_Dense is sq.Dense
