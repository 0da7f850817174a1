"""Book compatibility: ``init()`` and the book's class names.

``squareone.nnfs.init(seed=0)`` plays the role of ``nnfs.init()``: from then on, datasets, the
"nnfs" weight initialisation and dropout masks draw, in call order, from one shared
``numpy.random.RandomState(seed)`` with normal samples rounded to float32, so a chapter of the
book rewritten with squareone starts from the very same numbers. Unlike ``nnfs.init`` it does
not patch NumPy: ``np.dot``, ``np.zeros`` and ``np.random`` keep their usual behaviour.

The aliases let book code run with only its imports changed::

    from squareone.nnfs import Layer_Dense, Activation_ReLU, Optimizer_Adam
"""

from __future__ import annotations

from squareone import _random
from squareone.activations import Linear, ReLU, Sigmoid, Softmax, Step, Tanh
from squareone.layers import Dense, Dropout
from squareone.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanSquaredError,
    SoftmaxCategoricalCrossentropy,
)
from squareone.metrics import BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from squareone.model import Model
from squareone.optimizers import SGD, Adagrad, Adam, RMSprop

__all__ = ["init", "reset", "Model"]


def init(seed: int = 0) -> None:
    """Start the book's shared random stream from ``seed`` (``nnfs.init()`` uses 0)."""
    _random.use_book_stream(seed)


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
