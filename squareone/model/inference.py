"""Evaluation and prediction: the forward pass in chunks, without dropout."""

from __future__ import annotations

import numpy as np

from squareone import _random
from squareone._validation import all_finite, check_array, check_positive_int
from squareone.layers import Dense
from squareone.metrics import (
    BinaryAccuracy,
    CategoricalAccuracy,
    confusion_matrix,
    evaluation_report,
)
from squareone.model.history import validation_line

__all__ = ["InferenceMixin", "INFERENCE_BATCH_SIZE"]

# ``predict`` and ``evaluate`` pass at most this many samples through the network at once
# unless told otherwise. One chunk's outputs of a 128-neuron layer (512 KiB in float32) stay in
# the CPU's L2 cache while the next layer reads them, which measured 5-10% faster than one
# pass over 10,000 Fashion-MNIST images; memory use also stops growing with ``len(X)``.
INFERENCE_BATCH_SIZE = 1024


class InferenceMixin:
    """``evaluate``, ``predict``, ``predict_proba`` and ``predict_classes`` (used by Model)."""

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
            precision, recall and F1 as printable text (``class_names``, by default
            ``model.class_names``, label the rows); for
            regression MSE, MAE and R^2 (see :func:`squareone.metrics.evaluation_report`);
            for classifiers also ``"confusion_matrix"`` (rows true, columns predicted).

        Returns
        -------
        dict
            ``{"loss": float, "accuracy": float}``, plus ``"report"`` when asked. After
            :func:`squareone.nnfs.init` it also prints the book's
            ``validation, acc: ..., loss: ...`` line.
        """
        self._require_finalized("evaluate", X)
        X, y = self._check_Xy(X, y)
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size")
        result = self._evaluate_checked(X, y, batch_size)
        if _random.book_stream_active():  # the book's evaluate prints its result
            print(validation_line(result["accuracy"], result["loss"]))
        if report:
            if class_names is None:  # the names the model was trained with, if it knows them
                class_names = self.class_names
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
        loss_sum, correct, compared = self._evaluation_sums(X, y, batch_size)
        return {"loss": loss_sum / len(X), "accuracy": float(correct / compared)}

    def _evaluation_sums(self, X: np.ndarray, y: np.ndarray, batch_size: int | None):
        """Return the summed loss, the hits and the values compared, over ``X`` in chunks."""
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
        return loss_sum, correct, compared

    def predict(self, X, *, batch_size: int | None = None) -> np.ndarray:
        """Return the last layer's outputs for ``X`` (probabilities for a softmax model).

        ``model.output_layer_activation.predictions(outputs)`` turns them into class ids.
        ``X`` goes through the network ``batch_size`` rows at a time (by default
        ``INFERENCE_BATCH_SIZE``, 1024); the outputs do not depend on it beyond float rounding.
        """
        self._require_finalized("predict", X)
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
        first = self.layers[0]
        with np.errstate(invalid="ignore"):  # NaN or inf in X is reported just below instead
            output = first.forward(X, training=False)
        # A Dense layer's own activation can make inf finite (tanh, sigmoid): screen its
        # outputs before the activation, which the activation keeps as its inputs.
        screened = output if first.activation is None else first.activation.inputs
        if not all_finite(screened):
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
