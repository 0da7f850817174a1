"""The Model, split along its seams: building and checks (``core``), the training loop
(``training``), evaluation and prediction (``inference``), parameters and files
(``parameters``), and what training records (``history``)."""

from squareone.model.core import Model
from squareone.model.history import History, TrainingDivergedError
from squareone.model.inference import INFERENCE_BATCH_SIZE

__all__ = ["Model", "History", "TrainingDivergedError", "INFERENCE_BATCH_SIZE"]
