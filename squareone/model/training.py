"""The training loop: batches, the optimizer step, validation, checkpoints, Ctrl-C."""

from __future__ import annotations

import contextlib
import math
import signal
import threading

import numpy as np

from squareone import _random
from squareone._validation import check_number, check_positive_int
from squareone.model.history import History, TrainingDivergedError, summary_line, validation_line

__all__ = ["TrainingMixin"]


class TrainingMixin:
    """``train`` and its single step (used by Model)."""

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
        # After squareone.nnfs.init() the lines look like the book's Chapter 18 output.
        book = _random.book_stream_active()
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
                if verbose and (epoch % print_every == 0 or epoch == epochs
                                or (epoch == 1 and not book)):
                    print(summary_line(history, book=book))
        if book and verbose and history.val_loss:  # the book validates once, at the end
            print(validation_line(history.val_accuracy[-1], history.val_loss[-1]))
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
