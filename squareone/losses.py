"""Loss functions and the fused softmax + categorical cross-entropy gradient.

A loss has ``forward(y_pred, y_true)`` (one loss per sample), ``calculate(output, y)`` (their
mean, after checking ``y``) and ``backward(output, y)`` (the gradient with respect to
``output``, divided by the number of samples because the loss is a mean).
"""

from __future__ import annotations

import numpy as np

from squareone._validation import check_array
from squareone.activations import Linear, ReLU, Sigmoid, Softmax, Tanh
from squareone.layers import Dense

__all__ = ["Loss", "CategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError",
           "MeanAbsoluteError", "SoftmaxCategoricalCrossentropy"]

# Probabilities are clipped to [EPSILON, 1 - EPSILON] before the log: log(0) is -inf.
EPSILON = 1e-7


class Loss:
    """Base class of losses."""

    #: The layers whose outputs this loss can follow (checked by ``Model.set``/``finalize``).
    follows: tuple[type, ...] = ()

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dvalues: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def prepare_targets(self, y, n_outputs: int, dtype) -> np.ndarray:
        """Check ``y`` against an output of width ``n_outputs``; return it in working form."""
        y = check_array(y, "y", dtype=dtype)
        if y.ndim == 1 and n_outputs == 1:
            y = y.reshape(-1, 1)  # one value per sample for a one-neuron output
        if y.ndim != 2 or y.shape[1] != n_outputs:
            raise ValueError(f"y must have shape (n_samples, {n_outputs}) to match the model's "
                             f"{n_outputs} output(s), got shape {y.shape}")
        return y

    def calculate(self, output: np.ndarray, y) -> np.floating:
        """Return the mean loss of ``output`` against targets ``y`` (checked first).

        The mean is ``np.mean`` of the per-sample losses, as in the book, and comes back as a
        NumPy scalar of the output's dtype: a float32 model's loss prints as the book's
        ``1.0986104``, not as the 17 digits of a Python float.
        """
        output = np.asarray(output)
        y = self.prepare_targets(y, output.shape[-1], output.dtype)
        if len(y) != len(output):
            raise ValueError(f"output and y must hold the same number of samples, got "
                             f"{len(output)} and {len(y)}")
        return np.mean(self.forward(output, y))

    def regularization_loss(self, layer) -> float:
        """Return ``layer``'s L1/L2 penalty (the book's ``Loss.regularization_loss``)."""
        return layer.regularization_loss()

    def config(self) -> dict:
        return {}


class CategoricalCrossentropy(Loss):
    r"""Categorical cross-entropy :math:`L_i = -\sum_j y_{i,j}\log\hat y_{i,j}`.

    Targets are class ids (sparse, shape ``(n,)``) or one-hot rows (shape ``(n, classes)``);
    for class ids the sum reduces to :math:`-\log\hat y_{i,k}` at the true class ``k``.
    Derivative: :math:`\partial L_i/\partial\hat y_{i,j} = -y_{i,j}/\hat y_{i,j}`.
    """

    follows = (Softmax,)

    def prepare_targets(self, y, n_outputs: int, dtype) -> np.ndarray:
        y = check_array(y, "y")
        if y.ndim == 2:
            if y.shape[1] != n_outputs:
                raise ValueError(f"one-hot y must have {n_outputs} columns (one per class), got "
                                 f"shape {y.shape}")
            if not np.isin(y, (0, 1)).all() or not (y.sum(axis=1) == 1).all():
                raise ValueError("one-hot y must hold a single 1 per row and 0 elsewhere")
            return y.astype(dtype)
        if y.ndim != 1:
            raise ValueError(f"y must be class ids of shape (n_samples,) or one-hot of shape "
                             f"(n_samples, {n_outputs}), got shape {y.shape}")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.array_equal(y, np.round(y)):
                raise ValueError(f"class ids in y must be whole numbers, got dtype {y.dtype} "
                                 "with fractional values")
        low, high = y.min(), y.max()
        if low < 0 or high >= n_outputs:
            raise ValueError(f"class ids in y must be in [0, {n_outputs - 1}] for a model with "
                             f"{n_outputs} outputs, got values from {low} to {high}")
        return y.astype(np.intp)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        if y_true.ndim == 1:
            confidences = y_pred[np.arange(len(y_pred), like=y_pred), y_true]
        else:
            confidences = np.sum(y_pred * y_true, axis=1)
        return -np.log(np.clip(confidences, EPSILON, 1 - EPSILON))

    def backward(self, dvalues: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        samples, labels = dvalues.shape
        if y_true.ndim == 1:
            y_true = np.eye(labels, dtype=dvalues.dtype, like=dvalues)[y_true]
        self.dinputs = -y_true / np.clip(dvalues, EPSILON, 1 - EPSILON) / samples
        return self.dinputs


class BinaryCrossentropy(Loss):
    r"""Binary cross-entropy per output, averaged over outputs:
    :math:`L_i = -\frac{1}{J}\sum_j [y_{i,j}\log\hat y_{i,j} + (1-y_{i,j})\log(1-\hat y_{i,j})]`.
    """

    follows = (Sigmoid,)

    def prepare_targets(self, y, n_outputs: int, dtype) -> np.ndarray:
        y = super().prepare_targets(y, n_outputs, dtype)
        if y.min() < 0 or y.max() > 1:
            raise ValueError(f"binary targets y must be in [0, 1], got values from {y.min()} "
                             f"to {y.max()}")
        return y

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        y_pred = np.clip(y_pred, EPSILON, 1 - EPSILON)
        losses = -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
        return np.mean(losses, axis=-1)

    def backward(self, dvalues: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        samples, outputs = dvalues.shape
        clipped = np.clip(dvalues, EPSILON, 1 - EPSILON)
        self.dinputs = -(y_true / clipped - (1 - y_true) / (1 - clipped)) / outputs / samples
        return self.dinputs


class MeanSquaredError(Loss):
    r"""Mean squared error :math:`L_i = \frac{1}{J}\sum_j (y_{i,j} - \hat y_{i,j})^2`."""

    follows = (Linear, Sigmoid, Tanh, ReLU, Dense)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, dvalues: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        samples, outputs = dvalues.shape
        self.dinputs = -2 * (y_true - dvalues) / outputs / samples
        return self.dinputs


class MeanAbsoluteError(Loss):
    r"""Mean absolute error :math:`L_i = \frac{1}{J}\sum_j |y_{i,j} - \hat y_{i,j}|`.

    Its derivative is :math:`\mathrm{sign}(\hat y - y)/J`; the book prints
    ``sign(y - y_hat)``, which has the wrong sign (a gradient check catches it).
    """

    follows = (Linear, Sigmoid, Tanh, ReLU, Dense)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def backward(self, dvalues: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        samples, outputs = dvalues.shape
        self.dinputs = np.sign(dvalues - y_true) / outputs / samples
        return self.dinputs


class SoftmaxCategoricalCrossentropy(CategoricalCrossentropy):
    r"""Softmax followed by categorical cross-entropy, with their combined gradient.

    With :math:`\hat y = \mathrm{softmax}(z)`, :math:`\partial L_i/\partial z_{i,k} =
    \hat y_{i,k} - y_{i,k}`: subtract 1 at the true class. One subtraction instead of a
    Jacobian per sample, and no division by a small probability.
    ``backward(dvalues, y_true)`` takes the softmax *outputs* as ``dvalues``, as in the book.
    ``Model.finalize`` uses it whenever a Softmax output meets CategoricalCrossentropy.
    """

    def __init__(self) -> None:
        # The book's parts, under the book's names: its scripts call
        # ``loss_activation.loss.regularization_loss(layer)``.
        self.activation = Softmax()
        self.loss = CategoricalCrossentropy()

    def forward(self, inputs: np.ndarray, y_true: np.ndarray) -> np.floating:
        """Apply softmax to ``inputs`` (kept as ``.output``) and return the mean loss.

        As the book's ``Activation_Softmax_Loss_CategoricalCrossentropy.forward``, this returns
        the mean over samples (the other losses' ``forward`` returns one loss per sample), as
        a NumPy scalar of the inputs' dtype.
        """
        self.output = self.activation.forward(inputs)
        return np.mean(super().forward(self.output, y_true))

    def backward(self, dvalues: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        samples = len(dvalues)
        self.dinputs = dvalues.copy()
        if y_true.ndim == 1:
            self.dinputs[np.arange(samples, like=dvalues), y_true] -= 1
        else:
            self.dinputs -= y_true
        self.dinputs /= samples
        return self.dinputs
