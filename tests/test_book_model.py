"""Chapters 18 and 19 of the book: its Model, built with the aliases in its order of calls.

In book mode ``Model.train`` prints the book's Chapter 18 lines; the default run trains for
100 epochs (Chapter 18) and one epoch (Chapter 19, Fashion-MNIST), the tests marked slow the
book's full length (CI runs them).
"""

import contextlib
import io

import numpy as np
from conftest import real_data, slow

import squareone as sq
from squareone.nnfs import (
    Accuracy_Categorical,
    Activation_ReLU,
    Activation_Softmax,
    Layer_Dense,
    Layer_Dropout,
    Loss_CategoricalCrossentropy,
    Model,
    Optimizer_Adam,
)


def _accuracy_of(line):
    return float(line.split("acc: ")[1].split(",")[0])


def _chapter_18(epochs):
    """The book's Chapter 18 script; returns the lines it prints."""
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=1000, classes=3)
    X_test, y_test = sq.datasets.spiral_data(samples=100, classes=3)
    model = Model()
    model.add(Layer_Dense(2, 512, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4))
    model.add(Activation_ReLU())
    model.add(Layer_Dropout(0.1))
    model.add(Layer_Dense(512, 3))
    model.add(Activation_Softmax())
    model.set(loss=Loss_CategoricalCrossentropy(),
              optimizer=Optimizer_Adam(learning_rate=0.05, decay=5e-5),
              accuracy=Accuracy_Categorical())
    model.finalize()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model.train(X, y, validation_data=(X_test, y_test), epochs=epochs, print_every=100)
    return printed.getvalue().splitlines()


def test_chapter_18_prints_the_books_lines():
    lines = _chapter_18(100)
    # The book (nnfs 0.5.1): "epoch: 100, acc: 0.720, loss: 0.719 (data_loss: 0.658,
    # reg_loss: 0.061), lr: 0.04975371909050202", then its validation line.
    assert len(lines) == 2
    assert lines[0].startswith("epoch: 100, acc: 0.7")
    assert abs(_accuracy_of(lines[0]) - 0.720) <= 0.03
    assert lines[0].endswith("), lr: 0.04975371909050202")
    assert lines[1].startswith("validation, acc: ")


@slow
def test_chapter_18_full_length():
    lines = _chapter_18(10000)
    assert len(lines) == 101
    assert _accuracy_of(lines[-2]) >= 0.8  # nnfs 0.5.1: 0.85-0.87 near the end
    assert _accuracy_of(lines[-1]) >= 0.8


def _chapter_19(epochs, n_train=60000, n_test=10000):
    """Chapter 19: the book's Fashion-MNIST model, data read with squareone (``n_train`` and
    ``n_test`` images of it)."""
    sq.nnfs.init()
    (X, y), (X_test, y_test) = sq.datasets.load_fashion_mnist(real_data("fashion-mnist"),
                                                              download=False)
    keys = np.random.default_rng(0).permutation(len(X))  # the book shuffles once, up front
    X, y = X[keys][:n_train], y[keys][:n_train]
    X_test, y_test = X_test[:n_test], y_test[:n_test]
    # The book's scaling: (pixels - 127.5) / 127.5, one row per image.
    X = (X.reshape(X.shape[0], -1).astype(np.float32) - 127.5) / 127.5
    X_test = (X_test.reshape(X_test.shape[0], -1).astype(np.float32) - 127.5) / 127.5
    model = Model()
    model.add(Layer_Dense(X.shape[1], 128))
    model.add(Activation_ReLU())
    model.add(Layer_Dense(128, 128))
    model.add(Activation_ReLU())
    model.add(Layer_Dense(128, 10))
    model.add(Activation_Softmax())
    model.set(loss=Loss_CategoricalCrossentropy(), optimizer=Optimizer_Adam(decay=1e-3),
              accuracy=Accuracy_Categorical())
    model.finalize()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model.train(X, y, validation_data=(X_test, y_test), epochs=epochs, batch_size=128,
                    print_every=100)
        model.evaluate(X_test, y_test)
    return printed.getvalue().splitlines()


def test_chapter_19_fashion_mnist_one_short_epoch():
    # A fifth of the data (94 steps) keeps the default run short; the full run is below.
    lines = _chapter_19(1, n_train=12000, n_test=2000)
    assert lines[0].startswith("epoch: 1, acc: ")
    assert lines[1].startswith("validation, acc: ") and lines[2] == lines[1]
    assert _accuracy_of(lines[1]) >= 0.7  # measured 0.731; chance is 0.1


@slow
def test_chapter_19_fashion_mnist_full_length():
    lines = _chapter_19(10)
    assert len(lines) == 3 and lines[0].startswith("epoch: 10, acc: ")
    assert _accuracy_of(lines[-1]) >= 0.87  # the book: validation 0.87-0.89
