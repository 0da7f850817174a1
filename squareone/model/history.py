"""What training records, and how training can end early."""

from __future__ import annotations

__all__ = ["History", "TrainingDivergedError", "summary_line", "validation_line"]


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


def summary_line(history: History, book: bool = False) -> str:
    """One line on the last epoch, printed by ``train`` every ``print_every`` epochs.

    ``book`` prints it as the book's Chapter 18 does: the learning rate in full, and no
    validation (printed on its own line by :func:`validation_line`).
    """
    learning_rate = history.learning_rate[-1]
    line = (f"epoch: {history.epoch[-1]}, acc: {history.accuracy[-1]:.3f}, "
            f"loss: {history.loss[-1]:.3f} (data_loss: {history.data_loss[-1]:.3f}, "
            f"reg_loss: {history.regularization_loss[-1]:.3f}), "
            f"lr: {learning_rate if book else format(learning_rate, '.6g')}")
    if history.val_loss and not book:
        line += (f", validation acc: {history.val_accuracy[-1]:.3f}, "
                 f"loss: {history.val_loss[-1]:.3f}")
    return line


def validation_line(accuracy: float, loss: float) -> str:
    """The book's line on validation data, printed in book mode by ``train`` and ``evaluate``."""
    return f"validation, acc: {accuracy:.3f}, loss: {loss:.3f}"
