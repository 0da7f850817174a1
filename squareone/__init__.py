"""squareone: neural networks from square one, on NumPy.

Every component of "Neural Networks from Scratch in Python" (nnfs.io) as one small library::

    import squareone as sq
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    model = sq.Model()
    model.add(sq.Dense(2, 64)); model.add(sq.ReLU())
    model.add(sq.Dense(64, 3)); model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(learning_rate=0.05))
    model.finalize()
    model.train(X, y, epochs=1000, print_every=100)
"""

from importlib.metadata import PackageNotFoundError, version

from squareone import datasets, io, metrics, nnfs, plots
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
from squareone.model import History, Model, TrainingDivergedError
from squareone.optimizers import SGD, Adagrad, Adam, RMSprop

try:
    __version__ = version("squareone")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "datasets", "io", "metrics", "nnfs", "plots",
    "Dense", "Dropout",
    "ReLU", "Softmax", "Sigmoid", "Tanh", "Linear", "Step",
    "CategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError", "MeanAbsoluteError",
    "SoftmaxCategoricalCrossentropy",
    "SGD", "Adagrad", "RMSprop", "Adam",
    "CategoricalAccuracy", "BinaryAccuracy", "RegressionAccuracy",
    "Model", "History", "TrainingDivergedError",
]
