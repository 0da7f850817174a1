"""Activation functions: ReLU, Softmax, Sigmoid, Tanh, Linear and Step.

Each has ``forward``/``backward`` like a layer, and ``predictions(outputs)``, which turns the
activation's outputs into what the model predicts (class ids, 0/1 labels or values).
"""

from __future__ import annotations

import numpy as np

from squareone.layers import Layer

__all__ = ["Activation", "ReLU", "Softmax", "Sigmoid", "Tanh", "Linear", "Step"]


class Activation(Layer):
    """Base class of activations: no parameters, a ``predictions`` rule."""

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Return the model's predictions for these outputs (the outputs themselves here)."""
        return outputs


class ReLU(Activation):
    r"""Rectified linear unit: :math:`y = \max(0, x)`, derivative 1 where :math:`x > 0`, else 0."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self.inputs = inputs
        self.output = np.maximum(inputs, 0)
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        # Pass the gradient through where the input was positive; zero it elsewhere
        # (multiplying by the boolean mask is several times faster than np.where here).
        self.dinputs = dvalues * (self.inputs > 0)
        return self.dinputs


class Softmax(Activation):
    r"""Softmax over each row: :math:`S_{i,j} = e^{z_{i,j}} / \sum_l e^{z_{i,l}}`.

    The row maximum is subtracted before exponentiating; it cancels in the ratio and keeps
    :math:`e^z` from overflowing.
    """

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self.inputs = inputs
        # The same formula, computed on a transposed copy (one row per class): NumPy reduces
        # many short rows slowly, one small loop each, but combines a few long rows element
        # by element, so with the usual handful of classes the row max and sum below are
        # several times faster this way. The output is a transposed view of that copy.
        exp_values = inputs.T.copy()  # C order: one contiguous row per class
        exp_values -= exp_values.max(axis=0)
        np.exp(exp_values, out=exp_values)
        exp_values /= exp_values.sum(axis=0)
        self.output = exp_values.T
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        # The Jacobian of row i is diag(S_i) - S_i S_i^T, so the Jacobian-vector product
        # is S_i * (dvalues_i - S_i . dvalues_i): one line for all rows, no loop.
        S = self.output
        self.dinputs = S * (dvalues - np.sum(dvalues * S, axis=1, keepdims=True))
        return self.dinputs

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Return the class with the highest probability in each row."""
        return np.argmax(outputs, axis=1)


class Sigmoid(Activation):
    r"""Logistic sigmoid :math:`\sigma(x) = 1/(1 + e^{-x})`, derivative :math:`\sigma(1-\sigma)`.

    Computed as :math:`e^{x}/(1 + e^{x})` for negative inputs, so that :math:`e^{-x}` never
    overflows.
    """

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self.inputs = inputs
        exp_minus_abs = np.exp(-np.abs(inputs))
        self.output = np.where(inputs >= 0, 1, exp_minus_abs) / (1 + exp_minus_abs)
        self.output = self.output.astype(inputs.dtype, copy=False)
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        self.dinputs = dvalues * (1 - self.output) * self.output
        return self.dinputs

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Return 1 where the probability exceeds 0.5, else 0."""
        return (outputs > 0.5).astype(np.int64)


class Tanh(Activation):
    r"""Hyperbolic tangent, derivative :math:`1 - \tanh^2(x)`; predictions are the outputs."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self.inputs = inputs
        self.output = np.tanh(inputs)
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        self.dinputs = dvalues * (1 - self.output * self.output)
        return self.dinputs


class Linear(Activation):
    """Identity, for regression outputs: derivative 1, predictions are the outputs."""

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self.inputs = inputs
        self.output = inputs
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        self.dinputs = dvalues.copy()
        return self.dinputs


class Step(Activation):
    """Heaviside step: 1 where the input is positive, else 0. Forward only.

    Its derivative is 0 everywhere (undefined at 0), so no gradient can flow through it;
    ``backward`` raises instead of silently returning zeros.
    """

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self.inputs = inputs
        self.output = (inputs > 0).astype(inputs.dtype)
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        raise TypeError("Step cannot be trained by backpropagation: its derivative is 0 "
                        "everywhere, so no gradient reaches earlier layers; use Sigmoid for a "
                        "trainable 0-to-1 output")

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Return the 0/1 outputs as integers."""
        return outputs.astype(np.int64)
