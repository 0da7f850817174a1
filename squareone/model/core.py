"""The Model: a stack of layers with a loss, an optimizer and an accuracy metric.

Read it top to bottom as the book's Chapter 18: ``add`` layers, ``set`` the loss, optimizer
and accuracy, ``finalize``, then ``train`` (``training.py``), ``evaluate`` and ``predict``
(``inference.py``); the parameters' flat vector and files live in ``parameters.py``. The
Keras way is the same model written shorter: ``Model([...layers])``, names instead of
objects, ``compile`` and ``fit``, and input sizes inferred at ``finalize`` (see
:meth:`Model.finalize`).
"""

from __future__ import annotations

import numpy as np

from squareone._names import ACCURACIES, LOSSES, OPTIMIZERS, resolve
from squareone._validation import (
    as_float_dtype,
    check_array,
    check_positive_int,
    check_same_length,
)
from squareone.activations import Softmax
from squareone.layers import Dense, Layer
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
    layers : list of layers, optional
        The layers in order, as if passed to :meth:`add` one by one.
    dtype : {"float32", "float64"}, default "float32"
        The dtype of parameters and of the data inside the model. Inputs are cast to it once,
        when they enter ``train``, ``evaluate`` or ``predict``.
    input_size : int, optional
        Features per sample, for a first ``Dense(n_neurons)`` layer that does not say; without
        it the first data given to ``train``, ``predict`` or ``evaluate`` sets it.

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

    The same network the short way (sizes of later layers inferred; ``train`` finalizes):

    >>> model = sq.Model([sq.Dense(64, activation="relu", seed=0),
    ...                   sq.Dense(3, activation="softmax", seed=1)])
    >>> model.set(loss="categorical_crossentropy", optimizer=sq.Adam(learning_rate=0.05))
    >>> history = model.train(X, y, epochs=10, verbose=0)
    """

    def __init__(self, layers=None, dtype="float32", *, input_size: int | None = None) -> None:
        self.dtype = as_float_dtype(dtype)
        self.input_size = None if input_size is None else check_positive_int(input_size,
                                                                             "input_size")
        self.layers: list[Layer] = []
        self.loss: Loss | None = None
        self.optimizer: Optimizer | None = None
        self.accuracy: Accuracy | None = None
        self.finalized = False
        # What the model learned from, saved in its file so that predictions can be named
        # and data sets checked: set by ``squareone train`` or by the user; None if unknown.
        self.dataset: str | None = None
        self.class_names: tuple[str, ...] | None = None
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"layers must be a list of squareone layers, got "
                                f"{type(layers).__name__}")
            for index, layer in enumerate(layers):
                if not isinstance(layer, Layer):
                    raise TypeError(f"layers[{index}] must be a squareone layer or "
                                    f"activation, got {type(layer).__name__}")
                self.add(layer)

    # --- building -------------------------------------------------------------------------

    def add(self, layer: Layer) -> None:
        """Append a layer (Dense, Dropout or an activation)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Model.add expects a squareone layer or activation, got "
                            f"{type(layer).__name__}")
        self.layers.append(layer)
        self.finalized = False

    def set(self, *, loss: Loss | str | None = None, optimizer: Optimizer | str | None = None,
            accuracy: Accuracy | str | None = None) -> None:
        """Set the loss, optimizer and accuracy (each optional; inference needs none).

        Each is an object or its name: losses ``"categorical_crossentropy"``,
        ``"binary_crossentropy"``, ``"mse"``, ``"mae"``; optimizers ``"sgd"``, ``"adagrad"``,
        ``"rmsprop"``, ``"adam"`` (with the book's default hyperparameters); accuracies
        ``"categorical"``, ``"binary"``, ``"regression"``.
        """
        loss, optimizer, accuracy = (
            None if value is None else resolve(value, table, name)
            for value, table, name in ((loss, LOSSES, "loss"), (optimizer, OPTIMIZERS, "optimizer"),
                                       (accuracy, ACCURACIES, "accuracy")))
        if loss is not None:
            self.loss = loss
            if self.layers:
                self._check_loss_follows_output()
        if optimizer is not None:
            self.optimizer = optimizer
        if accuracy is not None:
            self.accuracy = accuracy
        self.finalized = False

    def finalize(self, input_size: int | None = None) -> None:
        """Connect the layers: sizes, dtypes, trainable layers, the fused softmax + loss gradient.

        A ``Dense(n_neurons)`` layer gets its input size here: the previous Dense layer's
        ``n_neurons`` (activations and dropout keep the width), or for the first layer
        ``input_size`` (this argument, else ``Model(input_size=...)``). Only then can its
        weight matrix, of shape ``(n_inputs, n_neurons)``, be drawn. ``train``, ``evaluate``
        and ``predict`` call ``finalize`` themselves when it was not called, with the number
        of columns of their data as ``input_size``.
        """
        if not self.layers:
            raise ValueError("the model has no layers: call model.add(...) before finalize()")
        if input_size is not None:
            self.input_size = check_positive_int(input_size, "input_size")
        self._connect_sizes()
        for layer in self.layers:
            if hasattr(layer, "set_dtype"):
                if layer.explicit_dtype and layer.dtype != self.dtype:
                    raise ValueError(f"{layer!r} was created with dtype={layer.dtype.name} but "
                                     f"the model's dtype is {self.dtype.name}; use one dtype")
                layer.set_dtype(self.dtype)
        self.trainable_layers = [layer for layer in self.layers if layer.parameters()]
        self.parameter_vector = ParameterVector(self.layers, self.dtype)
        self.output_layer_activation = self._output_layer()
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
            if (isinstance(self.output_layer_activation, Softmax)
                    and type(self.loss) is CategoricalCrossentropy):
                self._softmax_classifier_output = SoftmaxCategoricalCrossentropy()
            if self.accuracy is None:
                self.accuracy = self._default_accuracy()
        self.finalized = True

    # --- the same, with Keras' names -----------------------------------------------------------

    def compile(self, loss: Loss | str | None = None, optimizer: Optimizer | str | None = None,
                accuracy: Accuracy | str | None = None, *, input_size: int | None = None) -> None:
        """:meth:`set` then :meth:`finalize`, as Keras' ``compile``.

        When the first layer's input size is not known yet (no ``input_size`` here, in
        ``Model`` or in the layer), finalizing waits for the first data given to
        ``fit``/``train``, ``predict`` or ``evaluate``.
        """
        self.set(loss=loss, optimizer=optimizer, accuracy=accuracy)
        if input_size is not None:
            self.input_size = check_positive_int(input_size, "input_size")
        if not self._needs_input_size():
            self.finalize()

    def fit(self, X, y, **options):
        """:meth:`train` under Keras' name: the same arguments, the same :class:`History`.

        Unlike Keras, ``shuffle`` is False unless asked for, as in ``train``.
        """
        return self.train(X, y, **options)

    def _connect_sizes(self) -> None:
        """Build every Dense layer without an input size from the width that reaches it."""
        width, source = self.input_size, "input_size"
        for index, layer in enumerate(self.layers):
            if not isinstance(layer, Dense):
                continue  # activations and dropout keep the width
            if not layer.built:
                if width is None:
                    raise ValueError(
                        f"layers[{index}] {layer!r} has no input size yet: pass data to train, "
                        "fit, predict or evaluate (they finalize the model), or call "
                        "finalize(input_size=...), or give Model(input_size=...) or "
                        "Dense(..., n_inputs=...)")
                layer.build(width)
            elif width is not None and layer.n_inputs != width:
                raise ValueError(f"layers[{index}] {layer!r} expects {layer.n_inputs} inputs, "
                                 f"but {source} gives {width}")
            width, source = layer.n_neurons, f"layers[{index}] (n_neurons={layer.n_neurons})"

    def _output_layer(self) -> Layer:
        """The layer whose outputs the loss sees: the last one, or the activation inside it."""
        last = self.layers[-1]
        activation = getattr(last, "activation", None)
        return last if activation is None else activation

    def _needs_input_size(self) -> bool:
        """Whether the first Dense layer waits for an input size nobody has given yet."""
        first = next((layer for layer in self.layers if isinstance(layer, Dense)), None)
        return first is not None and not first.built and self.input_size is None

    def _check_loss_follows_output(self) -> None:
        last = self._output_layer()
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

    def _require_finalized(self, action: str, X=None) -> None:
        """Raise unless finalized; with data ``X`` (train, evaluate, predict), finalize now.

        The input size of a first ``Dense(n_neurons)`` layer is then the number of columns
        of ``X``.
        """
        if self.finalized:
            return
        if X is None:
            raise RuntimeError(f"call model.finalize() before model.{action}()")
        input_size = None
        if self._needs_input_size():
            input_size = check_array(X, "X", ndim=2, finite=False).shape[1]
        self.finalize(input_size=input_size)

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
            self.output_layer_activation.dinputs = dvalues
            if self.output_layer_activation is not self.layers[-1]:  # a Dense's own softmax
                dvalues = self.layers[-1].backward(dvalues, skip_activation=True)
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
            if isinstance(layer, Dense) and not layer.built:
                lines.append(f"  {index:>2}  {layer!r:<60} input size not known yet")
                continue
            count = sum(param.size for param, _ in layer.parameters())
            total += count
            inferred = "  (n_inputs inferred)" if getattr(layer, "inferred_inputs", False) else ""
            lines.append(f"  {index:>2}  {layer!r:<60} {count:>10,} parameters{inferred}")
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
