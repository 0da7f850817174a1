"""Accuracy metrics: how often the model's predictions match the targets.

``calculate(predictions, y)`` returns the fraction of matches; ``compare`` returns the
per-value matches, which the model sums over batches.
"""

from __future__ import annotations

import numpy as np

from squareone._validation import (
    check_array,
    check_number,
    check_positive_int,
    check_same_length,
)

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
    """Fraction of samples whose predicted class is the true class (ids or one-hot rows).

    Parameters
    ----------
    binary : bool, default False
        The book's ``Accuracy_Categorical(binary=True)``: compare 0/1 predictions with 0/1
        targets value by value (a sigmoid output), as :class:`BinaryAccuracy` does, instead
        of reading 2-D targets as one-hot rows.
    """

    def __init__(self, *, binary: bool = False) -> None:
        if not isinstance(binary, (bool, np.bool_)):
            raise TypeError(f"binary must be True or False, got {binary!r}")
        self.binary = bool(binary)

    def compare(self, predictions: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.binary:
            return predictions == y.reshape(predictions.shape)
        if y.ndim == 2:
            y = np.argmax(y, axis=1)
        return predictions == y

    def config(self) -> dict:
        return {"binary": True} if self.binary else {}


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


# --- evaluation functions ---------------------------------------------------------------------
#
# Plain functions of targets and predictions, for looking at a trained model more closely than
# one accuracy number: which classes it confuses, and how far off its regression outputs are.
# scikit-learn's functions of the same names are the reference they are tested against.

__all__ += ["confusion_matrix", "precision_recall_f1", "classification_report",
            "mean_squared_error", "mean_absolute_error", "r2_score", "evaluation_report"]


def _class_ids(labels, name: str) -> np.ndarray:
    """Return ``labels`` as a 1-D int64 array of class ids, checked.

    2-D input (one-hot rows, or a model's probabilities) becomes the argmax of each row,
    as :class:`CategoricalAccuracy` does.
    """
    labels = check_array(labels, name)
    if labels.ndim == 2:
        labels = np.argmax(labels, axis=1)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be class ids of shape (n_samples,) or rows of shape "
                         f"(n_samples, n_classes), got an array of shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) and labels.dtype != np.bool_:
        if not np.array_equal(labels, np.round(labels)):
            raise ValueError(f"{name} must hold whole-number class ids, got a value like "
                             f"{labels[labels != np.round(labels)][0]!r}")
    labels = labels.astype(np.int64)
    if labels.min() < 0:
        raise ValueError(f"{name} must hold class ids >= 0, got {labels.min()}")
    return labels


def _class_id_pair(y_true, y_pred, n_classes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Check a pair of label arrays; return them and the number of classes."""
    y_true = _class_ids(y_true, "y_true")
    y_pred = _class_ids(y_pred, "y_pred")
    check_same_length(y_true, y_pred, "y_true", "y_pred")
    largest = int(max(y_true.max(), y_pred.max()))
    if n_classes is None:
        return y_true, y_pred, largest + 1
    n_classes = check_positive_int(n_classes, "n_classes")
    if largest >= n_classes:
        raise ValueError(f"n_classes={n_classes} allows class ids 0 to {n_classes - 1}, but "
                         f"the labels hold class id {largest}")
    return y_true, y_pred, n_classes


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_classes)
        Class ids (whole numbers >= 0). 2-D rows (one-hot targets, predicted probabilities)
        are turned into class ids with ``argmax``.
    n_classes : int, optional
        Size of the matrix. By default one more than the largest class id seen, so a class
        that never occurs in either array but is above all others is left out: pass
        ``n_classes`` to keep it.

    Returns
    -------
    ndarray of int64, shape (n_classes, n_classes)
        ``matrix[i, j]`` is the number of samples of true class ``i`` predicted as ``j``:
        rows are true classes, columns predicted ones, the diagonal holds the hits.

    Raises
    ------
    ValueError
        If the arrays are empty, differ in length, hold negative or fractional ids, or ids
        of ``n_classes`` or more.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    y_true, y_pred, n_classes = _class_id_pair(y_true, y_pred, n_classes)
    # Each (true, predicted) pair gets one cell number; counting cell numbers fills the matrix.
    cells = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return cells.reshape(n_classes, n_classes)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Divide elementwise, giving 0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    result = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


def precision_recall_f1(y_true, y_pred, n_classes: int | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 score and support.

    For class ``k``, with ``tp`` samples of class ``k`` predicted as ``k``, ``fp`` samples of
    other classes predicted as ``k`` and ``fn`` samples of class ``k`` predicted as another:

    * precision ``tp / (tp + fp)``: of the samples predicted as ``k``, the fraction that are;
    * recall ``tp / (tp + fn)``: of the samples of class ``k``, the fraction found;
    * F1 ``2 tp / (2 tp + fp + fn)``, the harmonic mean of precision and recall;
    * support ``tp + fn``: the number of samples of class ``k``.

    A ratio whose denominator is zero (a class never predicted, or absent from ``y_true``)
    is reported as 0, as scikit-learn does with ``zero_division=0``.

    Parameters
    ----------
    y_true, y_pred, n_classes
        As in :func:`confusion_matrix`.

    Returns
    -------
    precision, recall, f1 : ndarray of float64, shape (n_classes,)
    support : ndarray of int64, shape (n_classes,)

    Examples
    --------
    >>> precision, recall, f1, support = precision_recall_f1([0, 0, 1], [0, 1, 1])
    >>> precision.tolist(), recall.tolist(), support.tolist()
    ([1.0, 0.5], [0.5, 1.0], [2, 1])
    """
    return _scores(confusion_matrix(y_true, y_pred, n_classes))


def _scores(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 and support of every class, from a confusion matrix."""
    true_positives = np.diag(matrix)
    predicted = matrix.sum(axis=0)  # tp + fp: the column sums
    support = matrix.sum(axis=1)  # tp + fn: the row sums
    precision = _safe_divide(true_positives, predicted)
    recall = _safe_divide(true_positives, support)
    # 2tp / (2tp + fp + fn) equals 2PR / (P + R) wherever both are defined, and needs no
    # special case when precision and recall are both 0.
    f1 = _safe_divide(2 * true_positives, predicted + support)
    return precision, recall, f1, support


def classification_report(y_true, y_pred, class_names=None, *, digits: int = 2) -> str:
    """Return a printable table of per-class precision, recall, F1 score and support.

    The layout is scikit-learn's ``classification_report``: one row per class, then the
    accuracy, the macro average (every class counts the same) and the weighted average
    (each class weighted by its support). Undefined ratios count as 0 (see
    :func:`precision_recall_f1`).

    Parameters
    ----------
    y_true, y_pred : array-like
        As in :func:`confusion_matrix`.
    class_names : sequence of str, optional
        One name per class, indexed by class id; their number fixes the number of classes.
        By default the class ids are the names.
    digits : int, default 2
        Decimal places of the scores.

    Returns
    -------
    str
        The table, ending with a newline.

    Examples
    --------
    >>> print(classification_report([0, 0, 1, 1], [0, 1, 1, 1], ["cat", "dog"]), end="")
                  precision    recall  f1-score   support
    <BLANKLINE>
             cat       1.00      0.50      0.67         2
             dog       0.67      1.00      0.80         2
    <BLANKLINE>
        accuracy                           0.75         4
       macro avg       0.83      0.75      0.73         4
    weighted avg       0.83      0.75      0.73         4
    """
    digits = check_positive_int(digits, "digits")
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if not class_names:
            raise ValueError("class_names is empty; expected one name per class")
    matrix = confusion_matrix(y_true, y_pred, None if class_names is None else len(class_names))
    if class_names is None:
        class_names = [str(class_id) for class_id in range(len(matrix))]
    precision, recall, f1, support = _scores(matrix)
    total = int(support.sum())
    scores = np.stack([precision, recall, f1])  # one row per score, one column per class
    accuracy = np.trace(matrix) / total

    width = max(len("weighted avg"), digits, *(len(name) for name in class_names))
    row = "{:>{width}} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"

    def line(heading: str, values) -> str:
        return row.format(heading, *values, width=width, digits=digits)

    header = " " * (width + 1) + "".join(
        f" {title:>9}" for title in ("precision", "recall", "f1-score", "support"))
    report = [header + "\n\n"]
    report += [line(name, (*column, count)) for name, column, count
               in zip(class_names, scores.T, support)]
    # The accuracy line leaves the precision and recall columns blank.
    report.append("\n" + f"{'accuracy':>{width}} " + " " * 20
                  + f" {accuracy:>9.{digits}f} {total:>9}\n")
    report.append(line("macro avg", (*scores.mean(axis=1), total)))
    report.append(line("weighted avg", (*(scores @ (support / total)), total)))
    return "".join(report)


# --- regression -----------------------------------------------------------------------------


def _regression_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Check a pair of regression arrays; return them as float64 (n_samples, n_outputs)."""
    arrays = []
    for values, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        values = check_array(values, name, dtype=np.float64)
        if values.ndim == 1:
            values = values.reshape(-1, 1)  # one output per sample
        if values.ndim != 2:
            raise ValueError(f"{name} must have shape (n_samples,) or (n_samples, n_outputs), "
                             f"got an array of shape {values.shape}")
        arrays.append(values)
    y_true, y_pred = arrays
    check_same_length(y_true, y_pred, "y_true", "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} "
                         f"and {y_pred.shape}")
    return y_true, y_pred


def mean_squared_error(y_true, y_pred) -> float:
    """Return the mean of ``(y_true - y_pred) ** 2`` over all samples and outputs.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets and predictions; ``(n,)`` and ``(n, 1)`` are the same thing.

    Returns
    -------
    float

    Examples
    --------
    >>> mean_squared_error([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    1.3333333333333333
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def mean_absolute_error(y_true, y_pred) -> float:
    """Return the mean of ``|y_true - y_pred|`` over all samples and outputs.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        As in :func:`mean_squared_error`.

    Returns
    -------
    float

    Examples
    --------
    >>> mean_absolute_error([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    0.6666666666666666
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def r2_score(y_true, y_pred) -> float:
    r"""Return the coefficient of determination :math:`R^2 = 1 - SS_{res} / SS_{tot}`.

    :math:`SS_{res} = \sum (y - \hat y)^2` and :math:`SS_{tot} = \sum (y - \bar y)^2`:
    1 is a perfect fit, 0 is no better than always predicting the mean of ``y_true``, and
    worse models go negative. With several outputs, the scores of the outputs are averaged.
    An output whose ``y_true`` is constant has :math:`SS_{tot} = 0`; it scores 1 if predicted
    exactly and 0 otherwise (scikit-learn's ``force_finite=True``).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        As in :func:`mean_squared_error`.

    Returns
    -------
    float

    Examples
    --------
    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    residual = np.sum((y_true - y_pred) ** 2, axis=0)
    total = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    constant = total == 0
    scores = 1.0 - _safe_divide(residual, total)
    scores[constant] = np.where(residual[constant] == 0, 1.0, 0.0)
    return float(np.mean(scores))


# --- a trained model on a data set ----------------------------------------------------------


def evaluation_report(model, X, y, *, class_names=None, batch_size: int | None = None) -> str:
    """Return a printable report of a trained model's predictions on ``X`` against ``y``.

    What it holds depends on the model's accuracy metric:

    * :class:`CategoricalAccuracy` (a classifier): :func:`classification_report`;
    * :class:`BinaryAccuracy`: the same table for classes 0 and 1, every output counted as
      one decision (as the accuracy does);
    * otherwise (a regression model): mean squared error, mean absolute error and
      :math:`R^2`.

    Parameters
    ----------
    model : squareone.Model
        A finalized model.
    X : array-like of shape (n_samples, n_features)
    y : array-like
        Targets, as ``model.evaluate`` takes them.
    class_names : sequence of str, optional
        Class names for a classifier (see :func:`classification_report`).
    batch_size : int, optional
        Samples per forward pass (bounds memory on large data sets).

    Returns
    -------
    str
    """
    outputs = model.predict(X, batch_size=batch_size)
    predictions = model.output_layer_activation.predictions(outputs)
    y = np.asarray(y)
    if isinstance(model.accuracy, CategoricalAccuracy):
        return classification_report(y, predictions, class_names)
    if isinstance(model.accuracy, BinaryAccuracy):
        return classification_report(y.reshape(-1), np.asarray(predictions).reshape(-1),
                                     class_names)
    return (f"mean squared error:  {mean_squared_error(y, outputs):.6g}\n"
            f"mean absolute error: {mean_absolute_error(y, outputs):.6g}\n"
            f"r2 score:            {r2_score(y, outputs):.6g}\n")
