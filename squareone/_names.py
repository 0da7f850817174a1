"""Names for the parts of a model, as Keras users write them: ``activation="relu"``.

``Dense(64, activation="relu")`` and ``model.set(loss="categorical_crossentropy",
optimizer="adam", accuracy="categorical")`` look their strings up here, in fixed tables of
squareone's own classes, so a name can never reach anything else. A name builds the class with
its defaults (the book's, for optimizers); an instance passes through unchanged. An unknown
name gets an error that lists the known ones.
"""

from __future__ import annotations

from squareone.activations import Activation, Linear, ReLU, Sigmoid, Softmax, Step, Tanh
from squareone.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanAbsoluteError,
    MeanSquaredError,
)
from squareone.metrics import Accuracy, BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from squareone.optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop

__all__ = ["ACTIVATIONS", "LOSSES", "OPTIMIZERS", "ACCURACIES", "resolve", "name_of"]

ACTIVATIONS: dict[str, type] = {
    "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax, "linear": Linear,
    "step": Step}
LOSSES: dict[str, type] = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError}
OPTIMIZERS: dict[str, type] = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}
ACCURACIES: dict[str, type] = {
    "categorical": CategoricalAccuracy, "binary": BinaryAccuracy,
    "regression": RegressionAccuracy}

#: For each table, the base class an instance passed instead of a name must have.
_BASES = {id(ACTIVATIONS): Activation, id(LOSSES): Loss, id(OPTIMIZERS): Optimizer,
          id(ACCURACIES): Accuracy}


def resolve(value, table: dict[str, type], argument: str):
    """Return ``value`` as an instance: a name from ``table`` is built with its defaults.

    Parameters
    ----------
    value : str or instance
        A name (case does not matter) or an instance of the table's base class.
    table : dict
        One of :data:`ACTIVATIONS`, :data:`LOSSES`, :data:`OPTIMIZERS`, :data:`ACCURACIES`.
    argument : str
        The argument's name, for the error message.

    Raises
    ------
    ValueError
        If ``value`` is a string that names nothing in ``table``.
    TypeError
        If ``value`` is neither a string nor an instance of the table's base class.
    """
    base = _BASES[id(table)]
    if isinstance(value, str):
        cls = table.get(value.lower())
        if cls is None:
            raise ValueError(f"{argument} must be one of {', '.join(map(repr, table))} or a "
                             f"squareone {base.__name__}, got {value!r}")
        return cls()
    if not isinstance(value, base):
        raise TypeError(f"{argument} must be a squareone {base.__name__} or one of "
                        f"{', '.join(map(repr, table))}, got {type(value).__name__}")
    return value


def name_of(value, table: dict[str, type]) -> str | None:
    """Return the first name of ``value``'s exact class in ``table`` (None if it has none)."""
    return next((name for name, cls in table.items() if type(value) is cls), None)
