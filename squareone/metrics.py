"""Accuracy metrics: how often the model's predictions match the targets.

``calculate(predictions, y)`` returns the fraction of matches; ``compare`` returns the
per-value matches, which the model sums over batches.
"""

from __future__ import annotations

import numpy as np

from squareone._validation import check_number

__all__ = ["Accuracy", "CategoricalAccuracy", "BinaryAccuracy", "RegressionAccuracy"]


class Accuracy:
    """Base class of accuracy metrics."""

    def init(self, y: np.ndarray, reinit: bool = False) -> None:
        """Adapt to the training targets ``y`` (only regression accuracy needs to)."""

    def compare(self, predictions: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def calculate(self, predictions: np.ndarray, y: np.ndarray) -> float:
        """Return the fraction of predictions that match ``y``."""
        return float(np.mean(self.compare(predictions, y)))

    def config(self) -> dict:
        return {}


class CategoricalAccuracy(Accuracy):
    """Fraction of samples whose predicted class is the true class (ids or one-hot rows)."""

    def compare(self, predictions: np.ndarray, y: np.ndarray) -> np.ndarray:
        if y.ndim == 2:
            y = np.argmax(y, axis=1)
        return predictions == y


class BinaryAccuracy(Accuracy):
    """Fraction of 0/1 predictions equal to the 0/1 targets (every output counts)."""

    def compare(self, predictions: np.ndarray, y: np.ndarray) -> np.ndarray:
        return predictions == y.reshape(predictions.shape)


class RegressionAccuracy(Accuracy):
    """Fraction of predictions within ``precision`` of the target.

    Parameters
    ----------
    precision : float, optional
        Allowed absolute error. By default ``std(y_train) / 250``, as in the book, set by
        :meth:`init` from the training targets.
    """

    def __init__(self, precision: float | None = None) -> None:
        self.fixed_precision = precision is not None
        self.precision = (None if precision is None else
                          check_number(precision, "precision", low_inclusive=False))

    def init(self, y: np.ndarray, reinit: bool = False) -> None:
        if not self.fixed_precision and (self.precision is None or reinit):
            self.precision = float(np.std(y)) / 250

    def compare(self, predictions: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.precision is None:
            raise RuntimeError("RegressionAccuracy has no precision yet: call init(y_train) or "
                               "pass precision=")
        return np.abs(predictions - y.reshape(predictions.shape)) < self.precision

    def config(self) -> dict:
        return {"precision": self.precision} if self.fixed_precision else {}
