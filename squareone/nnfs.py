"""Book compatibility: ``init()`` and the book's class names.

``squareone.nnfs.init(seed=0)`` plays the role of ``nnfs.init()``. While it is in effect
("book mode"):

* datasets, the "nnfs" weight initialisation and dropout masks draw, in call order, from one
  shared ``numpy.random.RandomState(seed)`` with normal samples rounded to float32;
* ``Dense`` layers created then compute their products in float64 rounded to float32, and
  their bias gradients with ``np.sum``, exactly as the book's code under ``nnfs.init()``;
* ``Model.train`` and ``Model.evaluate`` print the book's lines (``validation, acc: ...``).

So a chapter of the book, with its imports swapped, prints the book's numbers (see
``docs/book.md``). Unlike ``nnfs.init`` it does not patch NumPy: ``np.dot``, ``np.zeros`` and
``np.random`` keep their usual behaviour, and code outside book mode keeps squareone's
faster float32 arithmetic.

The aliases let book code run with only its imports changed::

    from squareone.nnfs import Layer_Dense, Activation_ReLU, Optimizer_Adam
"""

from __future__ import annotations

import numpy as np

from squareone import _random
from squareone._validation import check_positive_int
from squareone.activations import Linear, ReLU, Sigmoid, Softmax, Step, Tanh
from squareone.layers import Dense, Dropout, check_weight_init
from squareone.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
    SoftmaxCategoricalCrossentropy,
)
from squareone.metrics import Accuracy, BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from squareone.model import Model
from squareone.optimizers import SGD, Adagrad, Adam, RMSprop

__all__ = ["init", "reset", "randn", "Model", "Loss", "Accuracy"]


def init(seed: int = 0, *, weight_init: str | float = "nnfs") -> None:
    """Enter book mode: the book's random stream from ``seed`` and the book's arithmetic.

    Parameters
    ----------
    seed : int, default 0
        Seed of the shared stream (``nnfs.init()`` uses 0).
    weight_init : {"nnfs", "he", "glorot", "uniform"} or float, default "nnfs"
        Initialisation of every ``Dense`` created without ``weight_init``. ``"nnfs"`` is the
        book's ``0.01 * randn``; the book's Chapter 17 defines its ``Layer_Dense`` with
        ``0.1 * randn`` instead, which ``init(weight_init=0.1)`` gives in one line.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _random.use_book_stream(int(seed), check_weight_init(weight_init))


def randn(*shape: int) -> np.ndarray:
    """``np.random.randn`` as under ``nnfs.init()``: float32 samples from the book's stream.

    For the book's own random draws, such as Chapter 6's random search
    (``dense1.weights += 0.05 * randn(2, 3)``): in book mode they come, in call order, from
    the same stream as the datasets and weights, so the script prints the book's numbers.
    Outside book mode they come from a fresh generator.
    """
    for size in shape:
        check_positive_int(size, "each dimension of randn's shape")  # randn(0) is useless
    return _random.standard_normal(_random.random_source(), shape).astype(np.float32)


def reset() -> None:
    """Leave book mode: every random consumer uses its own generator again."""
    _random.use_book_stream(None)


Layer_Dense = Dense
Layer_Dropout = Dropout
Activation_ReLU = ReLU
Activation_Softmax = Softmax
Activation_Sigmoid = Sigmoid
Activation_Tanh = Tanh
Activation_Linear = Linear
Activation_Step = Step
Loss_CategoricalCrossentropy = CategoricalCrossentropy
Loss_BinaryCrossentropy = BinaryCrossentropy
Loss_MeanSquaredError = MeanSquaredError
Loss_MeanAbsoluteError = MeanAbsoluteError
Activation_Softmax_Loss_CategoricalCrossentropy = SoftmaxCategoricalCrossentropy
Optimizer_SGD = SGD
Optimizer_Adagrad = Adagrad
Optimizer_RMSprop = RMSprop
Optimizer_Adam = Adam
Accuracy_Categorical = CategoricalAccuracy
Accuracy_Binary = BinaryAccuracy
Accuracy_Regression = RegressionAccuracy
__all__ += [name for name in dir() if "_" in name and name[0].isupper()]
