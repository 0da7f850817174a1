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

__all__ = ["TrainingMixin", "OneProcess", "interrupt_after_step"]


class OneProcess:
    """How ``train`` shares its work between processes when it runs in one: it does not.

    ``squareone.distributed.DataParallel`` puts its own object with these three methods on the
    model (as ``model._parallel``) while it trains, to spread every batch over MPI processes;
    the training loop itself is the same.
    """

    def share(self, start: int, stop: int) -> tuple[int, int]:
        """Return this process's part ``[first, last)`` of the samples ``[start, stop)``."""
        return start, stop

    def reduce_step(self, gradients: np.ndarray, sums: tuple, rows: int, batch_rows: int):
        """Make ``gradients`` (in place) and ``sums`` those of the whole batch.

        ``gradients`` come from this process's ``rows`` of the ``batch_rows`` samples, and
        ``sums`` are its loss sum, hits and values compared; returns the whole batch's sums.
        One process already has the whole batch: nothing to do.
        """
        return sums

    def reduce_sums(self, sums: tuple) -> tuple:
        """Return the sums of ``sums`` over all processes (validation metrics)."""
        return sums


class TrainingMixin:
    """``train`` and its single step (used by Model)."""

    #: Replaced on the model by squareone.distributed while it trains on many processes.
    _parallel = OneProcess()

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
            Save the model (with optimizer state) there at the end of every epoch. It is checked
            before training starts: an existing file there must be a squareone model.

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

        Notes
        -----
        Ctrl-C (SIGINT, in the main thread) stops training after the step it lands in, or
        before the next step when it lands in validation or a checkpoint; the model keeps the
        parameters of its last step and the History is marked ``interrupted``.
        """
        self._require_finalized("train", X)
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
        if checkpoint is not None:  # a bad path fails now, not after the first epoch
            from squareone._files import check_output
            from squareone.io import MODEL_FILE

            check_output(checkpoint, MODEL_FILE)
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

        with interrupt_after_step() as interrupted:
            for epoch in range(1, epochs + 1):
                if interrupted():  # pressed during the last validation or checkpoint
                    history.interrupted = True
                    break
                order = order_rng.permutation(n_samples) if shuffle else None
                np.copyto(self._snapshot, self.parameter_vector.values)
                loss_sum = correct = compared = 0.0
                for step in _progress(range(steps), verbose, f"epoch {epoch}/{epochs}"):
                    start = step * batch_size
                    stop = min(start + batch_size, n_samples)
                    first, last = self._parallel.share(start, stop)  # all rows in one process
                    if order is None:
                        batch_X, batch_y = X[first:last], y[first:last]
                    else:
                        index = order[first:last]
                        batch_X, batch_y = X[index], y[index]
                    batch_loss, batch_correct, batch_compared = self._train_step(
                        batch_X, batch_y, epoch, step + 1, stop - start)
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
                    first, last = self._parallel.share(0, len(X_val))
                    val_loss, val_correct, val_compared = self._parallel.reduce_sums(
                        self._evaluation_sums(X_val[first:last], y_val[first:last], batch_size))
                    history.append(val_loss=val_loss / len(X_val),
                                   val_accuracy=float(val_correct / val_compared))
                if checkpoint is not None:
                    self.save(checkpoint, include_optimizer=True)
                if verbose and (epoch % print_every == 0 or epoch == epochs
                                or (epoch == 1 and not book)):
                    print(summary_line(history, book=book))
            # Pressed after the last step: training is complete, but say Ctrl-C was seen.
            history.interrupted = history.interrupted or interrupted()
        if book and verbose and history.val_loss:  # the book validates once, at the end
            print(validation_line(history.val_accuracy[-1], history.val_loss[-1]))
        del self._snapshot
        return history

    def _train_step(self, X: np.ndarray, y: np.ndarray, epoch: int, step: int,
                    batch_rows: int | None = None):
        """One forward pass, backward pass and optimizer update; return loss and hits.

        ``X`` holds ``batch_rows`` samples, or this process's part of them when training is
        spread over processes; the gradients are then reduced to the whole batch's before the
        update, and the loss is checked after that, so every process stops at the same step.
        """
        output = self.forward(X, training=True)
        batch_loss = float(self.loss.forward(output, y).sum())
        hits = self.accuracy.compare(self.output_layer_activation.predictions(output), y)
        self.backward(output, y)
        batch_loss, correct, compared = self._parallel.reduce_step(
            self.parameter_vector.gradients, (batch_loss, int(np.count_nonzero(hits)), hits.size),
            len(X), len(X) if batch_rows is None else batch_rows)
        if not math.isfinite(batch_loss):
            np.copyto(self.parameter_vector.values, self._snapshot)
            raise TrainingDivergedError(
                f"the loss became {batch_loss} at epoch {epoch}, step {step}; training stopped "
                f"and the parameters were restored to those at the start of epoch {epoch}. Try "
                "a smaller learning rate, or check the data for extreme values")
        self.optimizer.pre_update_params()
        self.optimizer.update_params(self.parameter_vector)
        self.optimizer.post_update_params()
        return batch_loss, correct, compared


def _progress(steps, verbose: int, description: str):
    """Wrap ``steps`` in a tqdm progress bar when ``verbose >= 2``."""
    if verbose < 2:
        return steps
    from tqdm.auto import tqdm

    return tqdm(steps, desc=description, leave=False, unit="step")


#: (flag, handler) of each interrupt_after_step in force, innermost last.
_active_flags: list[tuple[list[bool], object]] = []


@contextlib.contextmanager
def interrupt_after_step():
    """Turn Ctrl-C into a flag checked after each step, so an update is never cut in half.

    Yields a function that tells whether Ctrl-C was pressed. Nested uses share the outer
    flag, so a caller (the command line) that trains epoch by epoch keeps a press that lands
    between two ``train`` calls, in validation or while saving. Outside the main thread
    signal handlers cannot be installed, and Ctrl-C keeps its usual behaviour.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    if _active_flags and signal.getsignal(signal.SIGINT) is _active_flags[-1][1]:
        pressed = _active_flags[-1][0]
        yield lambda: bool(pressed)
        return
    pressed: list[bool] = []

    def press(signum, frame) -> None:
        pressed.append(True)

    previous = signal.signal(signal.SIGINT, press)
    _active_flags.append((pressed, press))
    try:
        yield lambda: bool(pressed)
    finally:
        _active_flags.pop()
        signal.signal(signal.SIGINT, previous)
