"""Chapters 2-9 of the book, rebuilt with the aliases in the book's order of calls.

Each test makes the calls a chapter's script makes, with ``squareone.nnfs`` in place of the
book's classes, and compares what the script prints with what the book's script prints on the
real ``nnfs`` package (quoted below as facts). The comparison is on the printed text: digit for
digit, as a reader would compare the two runs.
"""

import numpy as np
from conftest import slow

import squareone as sq
from squareone.nnfs import (
    Activation_ReLU,
    Activation_Softmax,
    Activation_Softmax_Loss_CategoricalCrossentropy,
    Layer_Dense,
    Loss_CategoricalCrossentropy,
    randn,
)

# What the book's scripts print under nnfs.init() (nnfs 0.5.1, NumPy 2).
CHAPTER_3_OUTPUT = """\
[[ 0.0000000e+00  0.0000000e+00  0.0000000e+00]
 [-1.0475188e-04  1.1395361e-04 -4.7983500e-05]
 [-2.7414842e-04  3.1729150e-04 -8.6921798e-05]
 [-4.2188365e-04  5.2666257e-04 -5.5912682e-05]
 [-5.7707680e-04  7.1401405e-04 -8.9430439e-05]]"""

CHAPTER_4_OUTPUT = """\
[[0.33333334 0.33333334 0.33333334]
 [0.3333332  0.3333332  0.33333364]
 [0.3333329  0.33333293 0.3333342 ]
 [0.3333326  0.33333263 0.33333477]
 [0.33333233 0.3333324  0.33333528]]"""

CHAPTER_9_GRADIENTS = """\
[[ 1.5766357e-04  7.8368583e-05  4.7324400e-05]
 [ 1.8161038e-04  1.1045573e-05 -3.3096312e-05]]
[[-3.60553473e-04  9.66117223e-05 -1.03671395e-04]]
[[ 5.44109462e-05  1.07411419e-04 -1.61822361e-04]
 [-4.07913431e-05 -7.16780924e-05  1.12469446e-04]
 [-5.30112993e-05  8.58172934e-05 -3.28059905e-05]]
[[-1.0729185e-05 -9.4610732e-06  2.0027859e-05]]"""


def _spiral_network():
    """Chapters 4-9: spiral data, Dense(2, 3), ReLU, Dense(3, 3), created in the book's order."""
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    dense1, activation1, dense2 = Layer_Dense(2, 3), Activation_ReLU(), Layer_Dense(3, 3)
    return X, y, dense1, activation1, dense2


def test_chapter_2_a_layer_of_neurons():
    # The book's weights are one row per neuron: set_parameters takes them transposed.
    layer = Layer_Dense(4, 3)
    layer.set_parameters(np.array([[0.2, 0.8, -0.5, 1.0], [0.5, -0.91, 0.26, -0.5],
                                   [-0.26, -0.27, 0.17, 0.87]]).T, [[2.0, 3.0, 0.5]])
    layer.forward(np.array([[1.0, 2.0, 3.0, 2.5], [2.0, 5.0, -1.0, 2.0],
                            [-1.5, 2.7, 3.3, -0.8]]))
    np.testing.assert_allclose(layer.output, [[4.8, 1.21, 2.385], [8.9, -1.81, 0.2],
                                              [1.41, 1.051, 0.026]], atol=1e-6)


def test_chapter_3_dense_layer_output():
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    dense1 = Layer_Dense(2, 3)
    dense1.forward(X)
    assert str(dense1.output[:5]) == CHAPTER_3_OUTPUT


def test_chapter_4_softmax_output():
    X, y, dense1, activation1, dense2 = _spiral_network()
    activation2 = Activation_Softmax()
    dense1.forward(X)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    activation2.forward(dense2.output)
    assert str(activation2.output[:5]) == CHAPTER_4_OUTPUT


def test_chapter_5_loss_prints_as_the_book():
    X, y, dense1, activation1, dense2 = _spiral_network()
    activation2 = Activation_Softmax()
    loss_function = Loss_CategoricalCrossentropy()
    dense1.forward(X)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    activation2.forward(dense2.output)
    loss = loss_function.calculate(activation2.output, y)
    assert str(activation2.output[:5]) == CHAPTER_4_OUTPUT
    assert "loss: " + str(loss) == "loss: 1.0986104"
    assert loss.dtype == np.float32


def _random_search(iterations):
    """Chapter 6's random search; its one change beyond the imports: ``np.random.randn`` ->
    ``squareone.nnfs.randn``, which draws from the book's stream as under ``nnfs.init()``."""
    sq.nnfs.init()
    X, y = sq.datasets.vertical_data(samples=100, classes=3)
    dense1, activation1 = Layer_Dense(2, 3), Activation_ReLU()
    dense2, activation2 = Layer_Dense(3, 3), Activation_Softmax()
    loss_function = Loss_CategoricalCrossentropy()
    lowest_loss = 9999999
    best = [array.copy() for array in (dense1.weights, dense1.biases,
                                       dense2.weights, dense2.biases)]
    printed = []
    for iteration in range(iterations):
        dense1.weights += 0.05 * randn(2, 3)
        dense1.biases += 0.05 * randn(1, 3)
        dense2.weights += 0.05 * randn(3, 3)
        dense2.biases += 0.05 * randn(1, 3)
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        activation2.forward(dense2.output)
        loss = loss_function.calculate(activation2.output, y)
        accuracy = np.mean(np.argmax(activation2.output, axis=1) == y)
        if loss < lowest_loss:
            printed.append(f"iteration: {iteration} loss: {loss!s} acc: {accuracy}")
            best = [array.copy() for array in (dense1.weights, dense1.biases,
                                               dense2.weights, dense2.biases)]
            lowest_loss = loss
        else:
            dense1.weights, dense1.biases, dense2.weights, dense2.biases = (
                array.copy() for array in best)
    return printed


def test_chapter_6_random_search_with_the_book_stream():
    printed = _random_search(1000)
    # The book prints 213 lines in its first 1000 iterations.
    assert len(printed) == 213
    assert printed[:3] == ["iteration: 0 loss: 1.0987684 acc: 0.3333333333333333",
                           "iteration: 1 loss: 1.0987465 acc: 0.3333333333333333",
                           "iteration: 5 loss: 1.0976487 acc: 0.3333333333333333"]
    assert printed[-1] == "iteration: 991 loss: 0.17705636 acc: 0.9266666666666666"


@slow
def test_chapter_6_full_length():
    printed = _random_search(10000)
    assert len(printed) == 243
    assert printed[-2:] == ["iteration: 7446 loss: 0.17280102 acc: 0.9333333333333333",
                            "iteration: 9397 loss: 0.17279711 acc: 0.93"]


def test_chapter_9_gradients_digit_for_digit():
    X, y, dense1, activation1, dense2 = _spiral_network()
    loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()
    dense1.forward(X)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    loss = loss_activation.forward(dense2.output, y)
    assert str(loss_activation.output[:5]) == CHAPTER_4_OUTPUT
    assert "loss: " + str(loss) == "loss: 1.0986104"
    accuracy = np.mean(np.argmax(loss_activation.output, axis=1) == y)
    assert f"acc: {accuracy}" == "acc: 0.34"
    loss_activation.backward(loss_activation.output, y)
    dense2.backward(loss_activation.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)
    printed = "\n".join(str(array) for array in (dense1.dweights, dense1.dbiases,
                                                 dense2.dweights, dense2.dbiases))
    assert printed == CHAPTER_9_GRADIENTS


def test_outside_book_mode_the_arithmetic_is_the_fast_one():
    # The same network with its own seeds: float32 BLAS products, column sums as a product
    # with ones. Equal to the book's arithmetic to float32 rounding, not necessarily digit
    # for digit (which is why book mode exists).
    X, y = sq.datasets.spiral_data(samples=100, classes=3, seed=0)
    fast = Layer_Dense(2, 3, seed=1)
    sq.nnfs.init()
    book = Layer_Dense(2, 3, seed=1)
    sq.nnfs.reset()
    assert type(fast)._product is np.dot and "_product" not in vars(fast)
    assert "_product" in vars(book)
    np.testing.assert_array_equal(fast.weights, book.weights)
    np.testing.assert_allclose(fast.forward(X), book.forward(X), rtol=1e-5, atol=1e-9)
    upstream = np.random.default_rng(2).standard_normal((len(X), 3)).astype(np.float32)
    fast.backward(upstream)
    book.backward(upstream)
    exact = X.astype(np.float64).T @ upstream.astype(np.float64)
    np.testing.assert_array_equal(book.dweights, exact.astype(np.float32))
    np.testing.assert_allclose(fast.dweights, exact, rtol=1e-4)
    np.testing.assert_array_equal(book.dbiases, np.sum(upstream, axis=0, keepdims=True))
    np.testing.assert_allclose(fast.dbiases, upstream.astype(np.float64).sum(axis=0,
                                                                             keepdims=True),
                               rtol=1e-4, atol=1e-5)
