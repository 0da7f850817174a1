"""The Model: a stack of layers with a loss, an optimizer and an accuracy metric.

Read it top to bottom as the book's Chapter 18: ``add`` layers, ``set`` the loss, optimizer
and accuracy, ``finalize``, then ``train`` (``training.py``), ``evaluate`` and ``predict``
(``inference.py``); the parameters' flat vector and files live in ``parameters.py``.
"""

from __future__ import annotations

import numpy as np

from squareone._validation import as_float_dtype, check_array, check_same_length
from squareone.activations import Softmax
from squareone.layers import Layer
from squareone.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    SoftmaxCategoricalCrossentropy,
)
from squareone.metrics import Accuracy, BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from squareone.model.inference import InferenceMixin
from squareone.model.parameters import ParametersMixin, ParameterVector
from squareone.model.training import TrainingMixin
from squareone.optimizers import Optimizer

__all__ = ["Model"]


class Model(TrainingMixin, InferenceMixin, ParametersMixin):
    """A sequential neural network.

    Parameters
    ----------
    dtype : {"float32", "float64"}, default "float32"
        The dtype of parameters and of the data inside the model. Inputs are cast to it once,
        when they enter ``train``, ``evaluate`` or ``predict``.

    Attributes
    ----------
    dataset : str or None
        The name of the data set the model was trained on (e.g. ``"mnist"``), if known.
    class_names : tuple of str or None
        The name of each output class, in class-id order, if known. Both are saved with the
        model (:func:`squareone.io.save_model`) and used by ``squareone predict`` and
        ``squareone evaluate``; ``save`` checks there is one name per class.

    Examples
    --------
    >>> import squareone as sq
    >>> X, y = sq.datasets.spiral_data(samples=100, classes=3, seed=0)
    >>> model = sq.Model()
    >>> model.add(sq.Dense(2, 64, seed=0)); model.add(sq.ReLU())
    >>> model.add(sq.Dense(64, 3, seed=1)); model.add(sq.Softmax())
    >>> model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(learning_rate=0.05),
    ...           accuracy=sq.CategoricalAccuracy())
    >>> model.finalize()
    >>> history = model.train(X, y, epochs=10, verbose=0)
    """

    def __init__(self, dtype="float32") -> None:
        self.dtype = as_float_dtype(dtype)
        self.layers: list[Layer] = []
        self.loss: Loss | None = None
        self.optimizer: Optimizer | None = None
        self.accuracy: Accuracy | None = None
        self.finalized = False
        # What the model learned from, saved in its file so that predictions can be named
        # and data sets checked: set by ``squareone train`` or by the user; None if unknown.
        self.dataset: str | None = None
        self.class_names: tuple[str, ...] | None = None

    # --- building -------------------------------------------------------------------------

    def add(self, layer: Layer) -> None:
        """Append a layer (Dense, Dropout or an activation)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Model.add expects a squareone layer or activation, got "
                            f"{type(layer).__name__}")
        self.layers.append(layer)
        self.finalized = False

    def set(self, *, loss: Loss | None = None, optimizer: Optimizer | None = None,
            accuracy: Accuracy | None = None) -> None:
        """Set the loss, optimizer and accuracy (each optional; inference needs none)."""
        for value, kind, name in ((loss, Loss, "loss"), (optimizer, Optimizer, "optimizer"),
                                  (accuracy, Accuracy, "accuracy")):
            if value is not None and not isinstance(value, kind):
                raise TypeError(f"{name} must be a squareone {kind.__name__}, got "
                                f"{type(value).__name__}")
        if loss is not None:
            self.loss = loss
            if self.layers:
                self._check_loss_follows_output()
        if optimizer is not None:
            self.optimizer = optimizer
        if accuracy is not None:
            self.accuracy = accuracy
        self.finalized = False

    def finalize(self) -> None:
        """Connect the layers: dtypes, trainable layers, the fused softmax + loss gradient."""
        if not self.layers:
            raise ValueError("the model has no layers: call model.add(...) before finalize()")
        for layer in self.layers:
            if hasattr(layer, "set_dtype"):
                if layer.explicit_dtype and layer.dtype != self.dtype:
                    raise ValueError(f"{layer!r} was created with dtype={layer.dtype.name} but "
                                     f"the model's dtype is {self.dtype.name}; use one dtype")
                layer.set_dtype(self.dtype)
        self.trainable_layers = [layer for layer in self.layers if layer.parameters()]
        self.parameter_vector = ParameterVector(self.layers, self.dtype)
        self.output_layer_activation = self.layers[-1]
        sized = [layer for layer in self.layers if hasattr(layer, "n_inputs")]
        self.n_features = sized[0].n_inputs if sized else None
        self.n_outputs = sized[-1].n_neurons if sized else None
        # Layers before the first trainable one need no gradient at all, and the first
        # trainable layer needs none for its inputs: backpropagation stops there.
        self._first_trainable = next((index for index, layer in enumerate(self.layers)
                                      if layer.parameters()), len(self.layers))
        for index, layer in enumerate(self.layers):
            if hasattr(layer, "needs_input_gradient"):
                layer.needs_input_gradient = index != self._first_trainable
        self._backward_layers = self.layers[self._first_trainable:][::-1]
        self._softmax_classifier_output = None
        if self.loss is not None:
            self._check_loss_follows_output()
            if (isinstance(self.layers[-1], Softmax)
                    and type(self.loss) is CategoricalCrossentropy):
                self._softmax_classifier_output = SoftmaxCategoricalCrossentropy()
            if self.accuracy is None:
                self.accuracy = self._default_accuracy()
        self.finalized = True

    def _check_loss_follows_output(self) -> None:
        last = self.layers[-1]
        if not isinstance(last, self.loss.follows):
            allowed = ", ".join(kind.__name__ for kind in self.loss.follows)
            raise ValueError(f"{type(self.loss).__name__} cannot follow a {type(last).__name__} "
                             f"output layer; expected the last layer to be one of: {allowed}")

    def _default_accuracy(self) -> Accuracy:
        if isinstance(self.loss, CategoricalCrossentropy):
            return CategoricalAccuracy()
        if isinstance(self.loss, BinaryCrossentropy):
            return BinaryAccuracy()
        return RegressionAccuracy()

    # --- checking data ----------------------------------------------------------------------

    def _require_finalized(self, action: str) -> None:
        if not self.finalized:
            raise RuntimeError(f"call model.finalize() before model.{action}()")

    def _check_X(self, X, name: str = "X", finite: bool = True) -> np.ndarray:
        X = check_array(X, name, dtype=self.dtype, ndim=2, finite=finite)
        if self.n_features is not None and X.shape[1] != self.n_features:
            raise ValueError(f"{name} has {X.shape[1]} features per sample but the first layer "
                             f"expects {self.n_features} (shape (n_samples, {self.n_features})), "
                             f"got shape {X.shape}")
        return X

    def _check_Xy(self, X, y, x_name: str = "X", y_name: str = "y"):
        if self.loss is None:
            raise RuntimeError("the model has no loss: call model.set(loss=...) and finalize()")
        X = self._check_X(X, x_name)
        try:
            y = self.loss.prepare_targets(y, self.n_outputs, self.dtype)
        except ValueError as error:  # name the argument the user passed
            raise ValueError(str(error).replace("y ", f"{y_name} ", 1)) from None
        check_same_length(X, y, x_name, y_name)
        return X, y

    # --- forward and backward -----------------------------------------------------------------

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Pass ``X`` through every layer; return the last layer's output."""
        for layer in self.layers:
            X = layer.forward(X, training=training)
        return X

    def backward(self, output: np.ndarray, y: np.ndarray) -> None:
        """Backpropagate the loss gradient from the output down to the first trainable layer."""
        layers = self._backward_layers
        if self._softmax_classifier_output is not None:
            # Softmax + cross-entropy: the combined gradient replaces the softmax backward.
            dvalues = self._softmax_classifier_output.backward(output, y)
            self.layers[-1].dinputs = dvalues
            layers = layers[1:]
        else:
            dvalues = self.loss.backward(output, y)
        for layer in layers:
            dvalues = layer.backward(dvalues)

    def regularization_loss(self) -> float:
        """Return the summed L1/L2 penalties of all trainable layers."""
        return sum(layer.regularization_loss() for layer in self.trainable_layers)

    # --- describing ----------------------------------------------------------------------------

    def summary(self) -> str:
        """Return a printable table of layers and parameter counts."""
        lines = [f"Model (dtype={self.dtype.name})"]
        total = 0
        for index, layer in enumerate(self.layers):
            count = sum(param.size for param, _ in layer.parameters())
            total += count
            lines.append(f"  {index:>2}  {layer!r:<60} {count:>10,} parameters")
        lines.append(f"  total: {total:,} trainable parameters")
        for name in ("loss", "optimizer", "accuracy"):
            value = getattr(self, name)
            if value is not None:
                lines.append(f"  {name}: {type(value).__name__}{_arguments(value.config())}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Model(layers={len(self.layers)}, dtype={self.dtype.name!r})"


def _arguments(config: dict) -> str:
    return "(" + ", ".join(f"{key}={value!r}" for key, value in config.items()) + ")"
