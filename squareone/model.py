"""The Model: a stack of layers with a loss, an optimizer and an accuracy metric.

Read it top to bottom as the book's Chapter 18: ``add`` layers, ``set`` the loss, optimizer
and accuracy, ``finalize``, then ``train``, ``evaluate`` and ``predict``.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading

import numpy as np

from squareone._validation import (
    all_finite,
    as_float_dtype,
    check_array,
    check_number,
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
from squareone.metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    RegressionAccuracy,
    confusion_matrix,
    evaluation_report,
)
from squareone.optimizers import Optimizer

__all__ = ["Model", "History", "TrainingDivergedError", "INFERENCE_BATCH_SIZE"]

# ``predict`` and ``evaluate`` pass at most this many samples through the network at once
# unless told otherwise. One chunk's outputs of a 128-neuron layer (512 KiB in float32) stay in
# the CPU's L2 cache while the next layer reads them, which measured 5-10% faster than one
# pass over 10,000 Fashion-MNIST images; memory use also stops growing with ``len(X)``.
INFERENCE_BATCH_SIZE = 1024


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during training."""


class History:
    """Per-epoch training record, as lists: ``history.loss[-1]`` is the last epoch's loss.

    Attributes
    ----------
    epoch, loss, data_loss, regularization_loss, accuracy, learning_rate, val_loss, val_accuracy
        One entry per finished epoch (the validation lists stay empty without validation data).
    interrupted : bool
        True if training was stopped early with Ctrl-C.
    """

    KEYS = ("epoch", "loss", "data_loss", "regularization_loss", "accuracy", "learning_rate",
            "val_loss", "val_accuracy")

    def __init__(self) -> None:
        for key in self.KEYS:
            setattr(self, key, [])
        self.interrupted = False

    @property
    def history(self) -> dict[str, list[float]]:
        """The same lists as a dict, as in Keras."""
        return {key: getattr(self, key) for key in self.KEYS}

    def append(self, **values: float) -> None:
        for key, value in values.items():
            getattr(self, key).append(value)

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        last = {key: values[-1] for key, values in self.history.items() if values}
        return f"History(epochs={len(self)}, last={last})"


class ParameterVector(Layer):
    """Every trainable parameter of a model in one flat array, every gradient in another.

    The layers keep their ``weights``, ``biases``, ``dweights`` and ``dbiases``, but as views
    into these two arrays, so the optimizer updates the whole network with one pass of
    ufuncs per formula instead of one per array: for small networks, Python call overhead
    costs more than the arithmetic. The update itself is the same, element by element.
    """

    def __init__(self, layers: list[Layer], dtype: np.dtype) -> None:
        named = {f"layers.{index}.{name}": (layer, name) for index, layer in enumerate(layers)
                 for name in layer.parameter_names}
        total = sum(getattr(layer, name).size for layer, name in named.values())
        self.values = np.empty(total, dtype=dtype)
        self.gradients = np.zeros(total, dtype=dtype)
        self.slices: dict[str, tuple[slice, tuple[int, ...]]] = {}
        offset = 0
        for key, (layer, name) in named.items():
            array = getattr(layer, name)
            part = slice(offset, offset + array.size)
            self.slices[key] = (part, array.shape)
            self.view(self.values, key)[...] = array
            setattr(layer, name, self.view(self.values, key))
            setattr(layer, "d" + name, self.view(self.gradients, key))
            offset += array.size

    def view(self, flat: np.ndarray, key: str) -> np.ndarray:
        """Return the part of ``flat`` (values, gradients or a state buffer) that is ``key``."""
        part, shape = self.slices[key]
        return flat[part].reshape(shape)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.values, self.gradients)]


class Model:
    """A sequential neural network.

    Parameters
    ----------
    dtype : {"float32", "float64"}, default "float32"
        The dtype of parameters and of the data inside the model. Inputs are cast to it once,
        when they enter ``train``, ``evaluate`` or ``predict``.

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

    # --- training -------------------------------------------------------------------------------

    def train(self, X, y, *, epochs: int = 1, batch_size: int | None = None,
              validation_data: tuple | None = None, validation_split: float | None = None,
              shuffle: bool = False, seed: int | None = None, print_every: int = 1,
              verbose: int = 1, checkpoint=None) -> History:
        """Train on ``X``, ``y`` for ``epochs`` passes, in batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like
            Class ids ``(n_samples,)`` or one-hot rows for categorical cross-entropy;
            ``(n_samples, n_outputs)`` targets otherwise.
        epochs : int
            Passes over the data.
        batch_size : int, optional
            Samples per step; ``None`` trains on all samples at once (the book's early chapters).
        validation_data : (X_val, y_val), optional
            Evaluated after every epoch.
        validation_split : float in (0, 1), optional
            Hold out this fraction of the *last* samples as validation data (as Keras does).
        shuffle : bool
            Visit the samples in a new random order every epoch (drawn from ``seed``).
        print_every : int
            Print a summary every this many epochs (with ``verbose >= 1``).
        verbose : {0, 1, 2}
            0 silent, 1 summaries, 2 summaries and a progress bar per epoch.
        checkpoint : str or Path, optional
            Save the model (with optimizer state) there at the end of every epoch.

        Returns
        -------
        History
            Per-epoch loss, data loss, regularization loss, accuracy, learning rate and, with
            validation data, validation loss and accuracy.

        Raises
        ------
        TrainingDivergedError
            If the loss becomes NaN or infinite; the parameters are restored to those at the
            start of that epoch, and the message names the epoch and step.
        """
        self._require_finalized("train")
        if self.optimizer is None:
            raise RuntimeError("the model has no optimizer: call model.set(optimizer=...) and "
                               "finalize() before train()")
        epochs = check_positive_int(epochs, "epochs")
        print_every = check_positive_int(print_every, "print_every")
        X, y = self._check_Xy(X, y)
        if validation_data is not None and validation_split is not None:
            raise ValueError("pass validation_data or validation_split, not both")
        if validation_split is not None:
            fraction = check_number(validation_split, "validation_split", low=0.0,
                                    low_inclusive=False, high=1.0)
            n_val = int(round(len(X) * fraction))
            if not 0 < n_val < len(X):
                raise ValueError(f"validation_split={fraction} leaves {n_val} validation and "
                                 f"{len(X) - n_val} training samples; both must be at least 1")
            X, X_val, y, y_val = X[:-n_val], X[-n_val:], y[:-n_val], y[-n_val:]
        elif validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (X_val, y_val)")
            X_val, y_val = self._check_Xy(*validation_data, "X_val", "y_val")
        else:
            X_val = y_val = None
        n_samples = len(X)
        batch_size = n_samples if batch_size is None else check_positive_int(batch_size,
                                                                             "batch_size")
        steps = math.ceil(n_samples / batch_size)
        order_rng = np.random.default_rng(seed)
        self.accuracy.init(y)
        history = History()
        # The parameters at the start of the epoch, restored if the loss diverges in it (one
        # copy per epoch: a copy per step would cost as much as a ReLU layer).
        self._snapshot = np.empty_like(self.parameter_vector.values)

        with _interrupt_after_step() as interrupted:
            for epoch in range(1, epochs + 1):
                order = order_rng.permutation(n_samples) if shuffle else None
                np.copyto(self._snapshot, self.parameter_vector.values)
                loss_sum = correct = compared = 0.0
                for step in _progress(range(steps), verbose, f"epoch {epoch}/{epochs}"):
                    start = step * batch_size
                    if order is None:
                        batch_X, batch_y = X[start:start + batch_size], y[start:start + batch_size]
                    else:
                        index = order[start:start + batch_size]
                        batch_X, batch_y = X[index], y[index]
                    batch_loss, batch_correct, batch_compared = self._train_step(
                        batch_X, batch_y, epoch, step + 1)
                    loss_sum += batch_loss
                    correct += batch_correct
                    compared += batch_compared
                    if interrupted():
                        break
                if interrupted():
                    history.interrupted = True
                    if verbose:
                        print(f"training interrupted in epoch {epoch}, step {step + 1}: "
                              f"the model keeps its parameters from that step")
                    break
                data_loss = loss_sum / n_samples
                regularization_loss = self.regularization_loss()
                history.append(epoch=epoch, loss=data_loss + regularization_loss,
                               data_loss=data_loss, regularization_loss=regularization_loss,
                               accuracy=float(correct / compared),
                               learning_rate=self.optimizer.current_learning_rate)
                if X_val is not None:
                    val = self._evaluate_checked(X_val, y_val, batch_size)
                    history.append(val_loss=val["loss"], val_accuracy=val["accuracy"])
                if checkpoint is not None:
                    self.save(checkpoint, include_optimizer=True)
                if verbose and (epoch % print_every == 0 or epoch == epochs or epoch == 1):
                    print(_summary(history))
        del self._snapshot
        return history

    def _train_step(self, X: np.ndarray, y: np.ndarray, epoch: int, step: int):
        """One forward pass, backward pass and optimizer update; return loss and hits."""
        output = self.forward(X, training=True)
        batch_loss = float(self.loss.forward(output, y).sum())
        if not math.isfinite(batch_loss):
            np.copyto(self.parameter_vector.values, self._snapshot)
            raise TrainingDivergedError(
                f"the loss became {batch_loss} at epoch {epoch}, step {step}; training stopped "
                f"and the parameters were restored to those at the start of epoch {epoch}. Try "
                "a smaller learning rate, or check the data for extreme values")
        hits = self.accuracy.compare(self.output_layer_activation.predictions(output), y)
        self.backward(output, y)
        self.optimizer.pre_update_params()
        self.optimizer.update_params(self.parameter_vector)
        self.optimizer.post_update_params()
        return batch_loss, int(np.count_nonzero(hits)), hits.size

    # --- evaluation and prediction -------------------------------------------------------

    def evaluate(self, X, y, *, batch_size: int | None = None, report: bool = False,
                 class_names=None) -> dict:
        """Return the mean data loss and the accuracy on ``X``, ``y`` (no dropout).

        Parameters
        ----------
        batch_size : int, optional
            Samples per forward pass; by default ``INFERENCE_BATCH_SIZE`` (1024). The results
            do not depend on it beyond float rounding.
        report : bool
            Also return ``"report"``: for a classifier the confusion matrix and per-class
            precision, recall and F1 as printable text (``class_names`` label the rows); for
            regression MSE, MAE and R^2 (see :func:`squareone.metrics.evaluation_report`);
            for classifiers also ``"confusion_matrix"`` (rows true, columns predicted).

        Returns
        -------
        dict
            ``{"loss": float, "accuracy": float}``, plus ``"report"`` when asked.
        """
        self._require_finalized("evaluate")
        X, y = self._check_Xy(X, y)
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size")
        result = self._evaluate_checked(X, y, batch_size)
        if report:
            result["report"] = evaluation_report(self, X, y, class_names=class_names,
                                                 batch_size=batch_size)
            if isinstance(self.accuracy, BinaryAccuracy):
                predicted = self.predict_classes(X, batch_size=batch_size)
                result["confusion_matrix"] = confusion_matrix(y.ravel(), predicted.ravel(), 2)
            elif isinstance(self.accuracy, CategoricalAccuracy):
                predicted = self.predict_classes(X, batch_size=batch_size)
                result["confusion_matrix"] = confusion_matrix(y, predicted, self.n_outputs)
        return result

    def _evaluate_checked(self, X: np.ndarray, y: np.ndarray, batch_size: int | None) -> dict:
        if getattr(self.accuracy, "precision", 0) is None:
            self.accuracy.init(y)
        batch_size = batch_size or INFERENCE_BATCH_SIZE
        loss_sum = correct = compared = 0.0
        for start in range(0, len(X), batch_size):
            batch_y = y[start:start + batch_size]
            output = self.forward(X[start:start + batch_size], training=False)
            loss_sum += float(self.loss.forward(output, batch_y).sum())
            hits = self.accuracy.compare(self.output_layer_activation.predictions(output),
                                         batch_y)
            correct += np.count_nonzero(hits)
            compared += hits.size
        return {"loss": loss_sum / len(X), "accuracy": float(correct / compared)}

    def predict(self, X, *, batch_size: int | None = None) -> np.ndarray:
        """Return the last layer's outputs for ``X`` (probabilities for a softmax model).

        ``model.output_layer_activation.predictions(outputs)`` turns them into class ids.
        ``X`` goes through the network ``batch_size`` rows at a time (by default
        ``INFERENCE_BATCH_SIZE``, 1024); the outputs do not depend on it beyond float rounding.
        """
        self._require_finalized("predict")
        screen = self._screens_inputs()
        X = self._check_X(X, finite=not screen)
        batch_size = (INFERENCE_BATCH_SIZE if batch_size is None
                      else check_positive_int(batch_size, "batch_size"))
        outputs = None
        for start in range(0, len(X), batch_size):
            output = self._predict_batch(X[start:start + batch_size], screen)
            if batch_size >= len(X):
                return output.copy()
            if outputs is None:
                outputs = np.empty((len(X), *output.shape[1:]), dtype=output.dtype)
            outputs[start:start + len(output)] = output
        return outputs

    def _predict_batch(self, X: np.ndarray, screen: bool) -> np.ndarray:
        """The forward pass of ``predict``; with ``screen``, it also proves ``X`` finite."""
        if not screen:
            return self.forward(X, training=False)
        with np.errstate(invalid="ignore"):  # NaN or inf in X is reported just below instead
            output = self.layers[0].forward(X, training=False)
        if not all_finite(output):
            check_array(X, "X")  # raises, counting the NaN and infinite values, if any
        for layer in self.layers[1:]:
            output = layer.forward(output, training=False)
        return output

    def _screens_inputs(self) -> bool:
        """Whether ``predict`` checks the first layer's outputs for NaN and inf instead of X.

        A NaN or an infinity anywhere in a row of X makes every output of a Dense layer in
        that row NaN or infinite (inf * w is +-inf, or NaN where w = 0), so when the first
        layer is Dense its outputs are finite only if X is. They are the cheaper check when
        the layer has fewer neurons than inputs (6 times fewer values for Fashion-MNIST).
        """
        first = self.layers[0]
        return isinstance(first, Dense) and first.n_neurons < first.n_inputs

    def predict_proba(self, X, *, batch_size: int | None = None) -> np.ndarray:
        """Return class probabilities for ``X`` (softmax or sigmoid outputs), as in scikit-learn."""
        return self.predict(X, batch_size=batch_size)

    def predict_classes(self, X, *, batch_size: int | None = None) -> np.ndarray:
        """Return predicted class ids (or values, for regression) for ``X``.

        The same as ``model.output_layer_activation.predictions(model.predict(X))``.
        """
        return self.output_layer_activation.predictions(self.predict(X, batch_size=batch_size))

    # --- parameters -----------------------------------------------------------------------

    def get_parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return copies of ``(weights, biases)`` of every trainable layer, in order."""
        self._require_finalized("get_parameters")
        return [tuple(param.copy() for param, _ in layer.parameters())
                for layer in self.trainable_layers]

    def set_parameters(self, parameters) -> None:
        """Copy ``(weights, biases)`` pairs into the trainable layers, checking shapes.

        Values are copied into the existing arrays, so optimizer state stays attached.
        """
        self._require_finalized("set_parameters")
        parameters = list(parameters)
        if len(parameters) != len(self.trainable_layers):
            raise ValueError(f"expected parameters for {len(self.trainable_layers)} trainable "
                             f"layers, got {len(parameters)}")
        for index, (layer, values) in enumerate(zip(self.trainable_layers, parameters)):
            targets = [param for param, _ in layer.parameters()]
            if len(values) != len(targets):
                raise ValueError(f"layer {index} ({layer!r}) has {len(targets)} parameter "
                                 f"arrays, got {len(values)}")
            for target, value in zip(targets, values):
                value = check_array(value, f"parameters of layer {index}", dtype=self.dtype)
                if value.shape != target.shape:
                    raise ValueError(f"layer {index} ({layer!r}) expects a parameter of shape "
                                     f"{target.shape}, got {value.shape}")
        for layer, values in zip(self.trainable_layers, parameters):
            for (target, _), value in zip(layer.parameters(), values):
                np.copyto(target, np.asarray(value, dtype=self.dtype))

    def named_parameters(self) -> dict[str, np.ndarray]:
        """Return the parameter arrays by name, ``"layers.<index>.<name>"``, in order."""
        self._require_finalized("named_parameters")
        vector = self.parameter_vector
        return {key: vector.view(vector.values, key) for key in vector.slices}

    def optimizer_state(self) -> dict[str, dict[str, np.ndarray]]:
        """Return the optimizer's state per parameter name: ``{name: {buffer: array}}``.

        Work space (``scratch``) is left out: it holds nothing between steps.
        """
        self._require_finalized("optimizer_state")
        vector = self.parameter_vector
        state = self.optimizer.state_for(vector.values) if self.optimizer else {}
        buffers = {buffer: flat for buffer, flat in state.items()
                   if buffer not in ("param", "scratch")}
        return {key: {buffer: vector.view(flat, key) for buffer, flat in buffers.items()}
                for key in vector.slices}

    def set_optimizer_state(self, state: dict[str, dict[str, np.ndarray]]) -> None:
        """Copy per-parameter optimizer state (as from :meth:`optimizer_state`) into place."""
        self._require_finalized("set_optimizer_state")
        if not state:
            return
        if self.optimizer is None:
            raise RuntimeError("the model has no optimizer to take this state: call "
                               "model.set(optimizer=...) and finalize() first")
        vector = self.parameter_vector
        entry = self.optimizer.state_for(vector.values)
        for key, buffers in state.items():
            for buffer, value in buffers.items():
                (flat,) = self.optimizer.buffers(entry, vector.values, buffer)
                vector.view(flat, key)[...] = value

    def save(self, path, *, include_optimizer: bool = True) -> None:
        """Save architecture, parameters and (optionally) optimizer state to one file.

        See :func:`squareone.io.save_model`.
        """
        from squareone.io import save_model

        save_model(self, path, include_optimizer=include_optimizer)

    @classmethod
    def load(cls, path) -> Model:
        """Rebuild a model saved with :meth:`save`. See :func:`squareone.io.load_model`."""
        from squareone.io import load_model

        return load_model(path)

    def save_parameters(self, path) -> None:
        """Save the parameters alone. See :func:`squareone.io.save_parameters`."""
        from squareone.io import save_parameters

        save_parameters(self, path)

    def load_parameters(self, path) -> None:
        """Load parameters saved with :meth:`save_parameters`, checked against the layers."""
        from squareone.io import load_parameters

        load_parameters(self, path)

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


def _summary(history: History) -> str:
    line = (f"epoch: {history.epoch[-1]}, acc: {history.accuracy[-1]:.3f}, "
            f"loss: {history.loss[-1]:.3f} (data_loss: {history.data_loss[-1]:.3f}, "
            f"reg_loss: {history.regularization_loss[-1]:.3f}), "
            f"lr: {history.learning_rate[-1]:.6g}")
    if history.val_loss:
        line += (f", validation acc: {history.val_accuracy[-1]:.3f}, "
                 f"loss: {history.val_loss[-1]:.3f}")
    return line


def _progress(steps, verbose: int, description: str):
    """Wrap ``steps`` in a tqdm progress bar when ``verbose >= 2``."""
    if verbose < 2:
        return steps
    from tqdm.auto import tqdm

    return tqdm(steps, desc=description, leave=False, unit="step")


@contextlib.contextmanager
def _interrupt_after_step():
    """Turn Ctrl-C into a flag checked after each step, so an update is never cut in half.

    Yields a function that tells whether Ctrl-C was pressed. Outside the main thread signal
    handlers cannot be installed, and Ctrl-C keeps its usual behaviour.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    pressed: list[bool] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(True))
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)
