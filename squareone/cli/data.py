"""The data sets of the command line: their defaults (presets) and how each is loaded."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

import squareone as sq
from squareone.datasets import mnist, preprocessing

SYNTHETIC = ("spiral", "vertical", "sine")
DATASETS = (*SYNTHETIC, *mnist.DATASET_NAMES)


@dataclasses.dataclass(frozen=True)
class Preset:
    """The default model and training of one data set (each field has a ``train`` option)."""

    hidden: tuple[int, ...]
    optimizer: str
    learning_rate: float
    decay: float
    epochs: int
    batch_size: int
    weight_init: str | float = "he"
    activation: str = "relu"


#: Defaults per data set, chosen to train in seconds on two CPU cores (minutes for the images).
#: Spiral is the book's Chapter 18 model with a second hidden layer and mini-batches, which
#: reach about 0.9 validation accuracy in seconds instead of 10,000 full-batch epochs; sine is
#: the book's regression model (``0.1 * randn`` weights); the images use the book's Chapter 19
#: network (128-128, Adam with decay 1e-3, batches of 128).
PRESETS: dict[str, Preset] = {
    "spiral": Preset((64, 64), "adam", 0.005, 5e-7, epochs=60, batch_size=64),
    "vertical": Preset((64,), "adam", 0.02, 5e-7, epochs=20, batch_size=32),
    "sine": Preset((64, 64), "adam", 0.002, 1e-3, epochs=100, batch_size=32, weight_init=0.1),
    "fashion-mnist": Preset((128, 128), "adam", 0.001, 1e-3, epochs=10, batch_size=128),
    "mnist": Preset((128, 128), "adam", 0.001, 1e-3, epochs=10, batch_size=128),
}

# The synthetic data sets: samples per class for training and for validation, and classes.
_SYNTHETIC_SAMPLES, _SYNTHETIC_VALIDATION_SAMPLES, _SYNTHETIC_CLASSES = 1000, 100, 3
# sine_data has no randomness: validation uses a different grid of x values.
_SINE_SAMPLES, _SINE_VALIDATION_SAMPLES = 1000, 300


@dataclasses.dataclass
class Data:
    """A data set split for the command line.

    ``X_eval``, ``y_eval`` is the set the final result is reported on: freshly generated
    validation data for the synthetic sets, the official test set for the images.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_eval: np.ndarray
    y_eval: np.ndarray
    eval_name: str  # "validation" or "test", for the printed results
    regression: bool = False
    class_names: tuple[str, ...] | None = None


def load_data(name: str, *, seed: int | None = 0, data_dir: str | None = None,
              download: bool = True) -> Data:
    """Load or generate the data set ``name``, ready for a dense network.

    Parameters
    ----------
    name : {"spiral", "vertical", "sine", "fashion-mnist", "mnist"}
    seed : int, optional
        Seed of the synthetic data (validation data uses ``seed + 1``).
    data_dir : str, optional
        Where Fashion-MNIST and MNIST are (see :func:`squareone.datasets.load_dataset`).
    download : bool, default True
        Download missing image files.

    Returns
    -------
    Data
        Images are flattened and scaled to [-1, 1] as ``(x - 127.5) / 127.5``.
    """
    if name == "sine":
        X, y = sq.datasets.sine_data(_SINE_SAMPLES)
        X_eval, y_eval = sq.datasets.sine_data(_SINE_VALIDATION_SAMPLES)
        return Data(X, y, X_eval, y_eval, "validation", regression=True)
    if name in SYNTHETIC:
        generate = sq.datasets.spiral_data if name == "spiral" else sq.datasets.vertical_data
        eval_seed = None if seed is None else seed + 1
        X, y = generate(_SYNTHETIC_SAMPLES, _SYNTHETIC_CLASSES, seed=seed)
        X_eval, y_eval = generate(_SYNTHETIC_VALIDATION_SAMPLES, _SYNTHETIC_CLASSES,
                                  seed=eval_seed)
        return Data(X, y, X_eval, y_eval, "validation")
    try:
        (X, y), (X_test, y_test) = mnist.load_dataset(name, data_dir, download=download)
    except mnist.DatasetNotFoundError as error:
        raise mnist.DatasetNotFoundError(_missing_message(error, name)) from error
    return Data(preprocessing.prepare_images(X), y, preprocessing.prepare_images(X_test),
                y_test, "test", class_names=mnist.class_names(name))

def _missing_message(error: mnist.DatasetNotFoundError, name: str) -> str:
    """The data set loader's message about missing files, in the command line's terms."""
    reason = ("--no-download is set" if error.download_failure is None
              else f"downloading failed: {error.download_failure}")
    return (f"{error.title} files missing from {error.folder}: {', '.join(error.missing)} "
            f"({reason}). Put the official files there (gzip-compressed, or uncompressed "
            f"without the .gz), or give --data-dir the folder holding them or a folder "
            f"holding a '{name}' folder with them (or set SQUAREONE_DATA to such a folder). "
            f"Get them from {error.source}")

def subset(data: Data, n_samples: int, seed: int | None) -> Data:
    """``data`` with a random ``n_samples`` of its training samples (all if fewer)."""
    if n_samples >= len(data.X_train):
        return data
    # Random rather than the first ones: the synthetic sets are ordered by class.
    keep = np.sort(np.random.default_rng(seed).choice(len(data.X_train), n_samples,
                                                      replace=False))
    return dataclasses.replace(data, X_train=data.X_train[keep], y_train=data.y_train[keep])

def validation_split(data: Data, fraction: float | None, seed: int | None):
    """Training data and the per-epoch validation data.

    With ``fraction``, a random part of the training data (it may be ordered by class);
    otherwise the evaluation set, as the book validates on its test data.
    """
    if fraction is None:
        return data.X_train, data.y_train, (data.X_eval, data.y_eval)
    try:
        X, X_val, y, y_val = preprocessing.train_test_split(
            data.X_train, data.y_train, test_size=fraction, seed=seed)
    except ValueError:  # its message speaks of test_size, an argument the user never saw
        from squareone.cli.common import UsageError  # common imports this module

        n = len(data.X_train)
        if n < 2:
            raise UsageError(f"--validation-split {fraction!r} needs at least 2 training "
                             f"samples to split, there is {n}") from None
        largest = math.floor((n - 1) / n * 1e4) / 1e4  # rounded down, so that it works
        raise UsageError(f"--validation-split {fraction!r} leaves no sample for training "
                         f"among the {n} training samples; give a fraction of at most "
                         f"{largest}") from None
    return X, y, (X_val, y_val)
