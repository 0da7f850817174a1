"""Pictures of training and of trained models, written as PNG files.

matplotlib is an optional dependency (``pip install squareone[plot]``), imported only when one
of these functions is called. Figures are drawn with matplotlib's object-oriented API (a
``Figure`` rendered by the Agg backend), never with ``pyplot``: nothing opens a window or needs
a display, no figure is left behind in pyplot's global list, and the image is exactly
``figsize * dpi`` pixels.

``animate_training`` (from :mod:`squareone.animation`, drawn with Pillow alone) trains a model
and writes a GIF or MP4 of its decision boundary and loss forming.

Every function returns the path it wrote. The PNG is first written to a temporary file in the
same directory and then renamed over ``path``, so ``path`` never holds half an image. An
existing PNG is replaced (keeping its permissions; a symbolic link is written through); any
other existing file, a model for instance, only with ``overwrite=True``, and a directory or
device never (the checks of :func:`squareone.io.save_model`, from the same code).

Examples
--------
>>> history = model.train(X, y, epochs=100, validation_data=(X_val, y_val))  # doctest: +SKIP
>>> plot_history(history, "curves.png")                                     # doctest: +SKIP
PosixPath('curves.png')
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from squareone._extras import require
from squareone._files import PNG, write_atomically
from squareone._validation import check_positive_int, check_same_length
from squareone.animation import animate_training
from squareone.metrics import _class_ids, r2_score

__all__ = ["plot_history", "plot_decision_boundary", "plot_regression",
           "plot_confusion_matrix", "show_images", "animate_training"]

PathLike = str | os.PathLike[str]

# Up to 10 classes get tab10's colours, up to 20 tab20's; beyond that colours repeat.
_FEW_CLASSES = 10
# Image grids without figsize: inches per image, width and height (room for a 2-line title).
_CELL_INCHES = (1.5, 1.8)


# --- drawing and saving -------------------------------------------------------------------------


def _new_figure(figsize: tuple[float, float], dpi: float):
    """Return a matplotlib Figure of ``figsize`` inches at ``dpi``, or explain how to get one."""
    Figure = require("matplotlib.figure", "plot", "squareone.plots").Figure
    return Figure(figsize=figsize, dpi=dpi, layout="constrained")


def _save(figure, path: PathLike, overwrite: bool | None) -> Path:
    """Write ``figure`` to ``path`` as a PNG with squareone's one atomic writer; return it."""
    # bbox_inches=None keeps the size exactly figsize * dpi ("tight" would crop).
    write_atomically(path, lambda file: figure.savefig(file, format="png", dpi=figure.dpi,
                                                       bbox_inches=None),
                     PNG, overwrite=overwrite)
    return Path(path)


def _class_colors(n_classes: int):
    """Return a ListedColormap with one distinct colour per class id."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    palette = colormaps["tab10" if n_classes <= _FEW_CLASSES else "tab20"].colors
    return ListedColormap([palette[index % len(palette)] for index in range(n_classes)])


def _class_name(class_id: int, class_names: Sequence[str] | None) -> str:
    return str(class_names[class_id]) if class_names is not None else str(class_id)


def _check_class_names(class_names, n_classes: int) -> list[str] | None:
    """Return ``class_names`` as a list, checked to name the ``n_classes`` classes."""
    if class_names is None:
        return None
    class_names = [str(name) for name in class_names]
    if len(class_names) < n_classes:
        raise ValueError(f"class_names has {len(class_names)} names, but the data holds class "
                         f"ids up to {n_classes - 1}")
    return class_names


def _predicted_classes(model, X: np.ndarray) -> np.ndarray:
    """Return the model's class ids for ``X`` as a 1-D array."""
    predictions = model.output_layer_activation.predictions(model.predict(X))
    predictions = np.asarray(predictions)
    if predictions.ndim == 2 and predictions.shape[1] != 1:
        raise ValueError("plot_decision_boundary needs a classifier with one prediction per "
                         f"sample, got predictions of shape {predictions.shape}")
    return predictions.reshape(len(X)).astype(np.int64)


# --- training curves ------------------------------------------------------------------------------


def _series(history, key: str) -> list[float]:
    """One per-epoch list of a History (or of its ``.history`` dict); empty if absent."""
    values = history.get(key) if isinstance(history, dict) else getattr(history, key, None)
    return list(values or [])


def plot_history(history, path: PathLike, *, figsize: tuple[float, float] = (12, 4),
                 dpi: float = 100,
                 overwrite: bool | None = None) -> Path:
    """Plot the loss, the accuracy and the learning rate of every epoch of training.

    Three panels side by side: training and validation loss (and the data loss alone, when
    regularization adds to it), training and validation accuracy, and the learning rate.

    Parameters
    ----------
    history : squareone.History or dict
        What ``Model.train`` returned (or its ``.history`` dict). Validation curves are drawn
        when it has them.
    path : str or os.PathLike
        The PNG file to write; its directory must exist.
    figsize : (float, float), default (12, 4)
        Size in inches; the image is ``figsize * dpi`` pixels (1200 x 400 by default).
    dpi : float, default 100
        Pixels per inch.

    overwrite : bool or None, default None
        ``None`` replaces an existing PNG only, ``True`` any regular file, ``False`` nothing.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If the history has no epochs.
    ImportError
        If matplotlib is not installed.
    """
    loss = _series(history, "loss")
    if not loss:
        raise ValueError("the history has no epochs to plot; train for at least one epoch")
    epochs = _series(history, "epoch") or list(range(1, len(loss) + 1))
    # A single epoch would be an invisible line of one point: mark the points of short runs.
    style = {"marker": "o", "markersize": 3} if len(epochs) <= 20 else {}
    figure = _new_figure(figsize, dpi)
    loss_axes, accuracy_axes, rate_axes = figure.subplots(1, 3)

    loss_axes.plot(epochs, loss, label="training", **style)
    regularization = _series(history, "regularization_loss")
    if any(regularization):
        loss_axes.plot(epochs, _series(history, "data_loss"), "--", label="training (data)",
                       **style)
    accuracy_axes.plot(epochs, _series(history, "accuracy"), label="training", **style)
    validation_epochs = epochs[:len(_series(history, "val_loss"))]
    if validation_epochs:
        loss_axes.plot(validation_epochs, _series(history, "val_loss"), label="validation",
                       **style)
        accuracy_axes.plot(validation_epochs, _series(history, "val_accuracy"),
                           label="validation", **style)
    rate_axes.plot(epochs, _series(history, "learning_rate"), color="tab:green", **style)

    for axes, title in ((loss_axes, "Loss"), (accuracy_axes, "Accuracy"),
                        (rate_axes, "Learning rate")):
        axes.set_title(title)
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
    loss_axes.legend()
    accuracy_axes.legend()
    rate_axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    return _save(figure, path, overwrite)


# --- trained models -------------------------------------------------------------------------------


def plot_decision_boundary(model, X, y, path: PathLike, *, class_names=None,
                           resolution: int = 300, figsize: tuple[float, float] = (6, 6),
                           dpi: float = 100,
                           overwrite: bool | None = None) -> Path:
    """Colour the plane by the class a 2-D classifier predicts, with the samples on top.

    Parameters
    ----------
    model : squareone.Model
        A finalized classifier with two input features (e.g. trained on ``spiral_data``).
    X : array-like of shape (n_samples, 2)
        The samples to draw; the plotted area is their range plus a 5 % margin.
    y : array-like of shape (n_samples,)
        Their class ids (or one-hot rows), which colour the points.
    path : str or os.PathLike
        The PNG file to write.
    class_names : sequence of str, optional
        Legend names, indexed by class id.
    resolution : int, default 300
        Grid points per axis at which the model is evaluated.
    figsize, dpi
        As in :func:`plot_history`; 600 x 600 pixels by default.

    overwrite : bool or None, default None
        ``None`` replaces an existing PNG only, ``True`` any regular file, ``False`` nothing.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs X of shape (n_samples, 2), got shape "
                         f"{X.shape}")
    y = _class_ids(y, "y")
    check_same_length(X, y)
    resolution = check_positive_int(resolution, "resolution")
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.05 * np.maximum(high - low, 1e-9)
    low, high = low - margin, high + margin
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], resolution),
                                 np.linspace(low[1], high[1], resolution))
    regions = _predicted_classes(model, np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    regions = regions.reshape(resolution, resolution)
    accuracy = float(np.mean(_predicted_classes(model, X) == y))
    n_classes = int(max(regions.max(), y.max())) + 1
    class_names = _check_class_names(class_names, n_classes)
    colors = _class_colors(n_classes)

    figure = _new_figure(figsize, dpi)
    axes = figure.subplots()
    # Class ids sit in the middle of their colour's bin: vmin -0.5 and vmax n - 0.5.
    bins = {"cmap": colors, "vmin": -0.5, "vmax": n_classes - 0.5}
    axes.imshow(regions, origin="lower", extent=(low[0], high[0], low[1], high[1]),
                aspect="auto", interpolation="nearest", alpha=0.35, **bins)
    for class_id in np.unique(y):
        members = y == class_id
        axes.scatter(X[members, 0], X[members, 1], s=10, color=colors(int(class_id)),
                     edgecolors="black", linewidths=0.3,
                     label=_class_name(int(class_id), class_names))
    axes.set_title(f"Decision boundary (accuracy on these points: {accuracy:.3f})")
    axes.legend(loc="upper right", fontsize="small")
    return _save(figure, path, overwrite)


def plot_regression(model, X, y, path: PathLike, *, figsize: tuple[float, float] = (8, 6),
                    dpi: float = 100,
                    overwrite: bool | None = None) -> Path:
    """Plot a one-input regression model's predictions against the true values.

    Parameters
    ----------
    model : squareone.Model
        A finalized model with one input and one output (e.g. trained on ``sine_data``).
    X : array-like of shape (n_samples, 1)
        Inputs, drawn along the horizontal axis.
    y : array-like of shape (n_samples,) or (n_samples, 1)
        True values.
    path : str or os.PathLike
        The PNG file to write.
    figsize, dpi
        As in :func:`plot_history`; 800 x 600 pixels by default.

    overwrite : bool or None, default None
        ``None`` replaces an existing PNG only, ``True`` any regular file, ``False`` nothing.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"plot_regression needs X with one feature, shape (n_samples, 1), got "
                         f"shape {X.shape}")
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    check_same_length(X, y)
    outputs = np.asarray(model.predict(X), dtype=np.float64)
    if outputs.shape[1:] != (1,) or y.shape[1] != 1:
        raise ValueError(f"plot_regression needs one output per sample, got model outputs of "
                         f"shape {outputs.shape} and y of shape {y.shape}")
    order = np.argsort(X[:, 0], kind="stable")  # draw the lines from left to right

    figure = _new_figure(figsize, dpi)
    axes = figure.subplots()
    axes.plot(X[order, 0], y[order, 0], color="tab:blue", linewidth=3, alpha=0.5, label="truth")
    axes.plot(X[order, 0], outputs[order, 0], color="tab:orange", label="prediction")
    axes.set_title(f"Predictions against truth (R\N{SUPERSCRIPT TWO} = "
                   f"{r2_score(y, outputs):.4f})")
    axes.set_xlabel("x")
    axes.set_ylabel("y")
    axes.grid(alpha=0.3)
    axes.legend()
    return _save(figure, path, overwrite)


def plot_confusion_matrix(matrix, class_names, path: PathLike, *,
                          figsize: tuple[float, float] = (8, 8), dpi: float = 100,
                          overwrite: bool | None = None) -> Path:
    """Draw a confusion matrix as a heat map with the count in each cell.

    Parameters
    ----------
    matrix : array-like of shape (n_classes, n_classes)
        Counts, rows true classes and columns predicted ones, as
        :func:`squareone.metrics.confusion_matrix` returns.
    class_names : sequence of str or None
        One name per class; ``None`` labels the classes by id.
    path : str or os.PathLike
        The PNG file to write.
    figsize, dpi
        As in :func:`plot_history`; 800 x 800 pixels by default.

    overwrite : bool or None, default None
        ``None`` replaces an existing PNG only, ``True`` any regular file, ``False`` nothing.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(f"matrix must be a square (n_classes, n_classes) array, got shape "
                         f"{matrix.shape}")
    if not np.issubdtype(matrix.dtype, np.number) or (matrix < 0).any():
        raise ValueError("matrix must hold counts (numbers >= 0)")
    n_classes = len(matrix)
    class_names = _check_class_names(class_names, n_classes)
    if class_names is not None and len(class_names) != n_classes:
        raise ValueError(f"class_names has {len(class_names)} names for a {n_classes}-class "
                         "matrix")
    labels = class_names or [str(class_id) for class_id in range(n_classes)]

    figure = _new_figure(figsize, dpi)
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="Blues", interpolation="nearest")
    figure.colorbar(image, ax=axes, shrink=0.8)
    threshold = matrix.max() / 2  # dark cells get white text
    for (row, column), count in np.ndenumerate(matrix):
        text = f"{count:g}" if np.issubdtype(matrix.dtype, np.floating) else f"{count:d}"
        axes.text(column, row, text, ha="center", va="center", fontsize="small",
                  color="white" if count > threshold else "black")
    axes.set_xticks(range(n_classes), labels, rotation=45, ha="right")
    axes.set_yticks(range(n_classes), labels)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title("Confusion matrix")
    return _save(figure, path, overwrite)


def _as_image_stack(images) -> np.ndarray:
    """Return ``images`` as (N, height, width); flat rows of a square size are reshaped."""
    images = np.asarray(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"flat images must have a square number of pixels, got "
                             f"{images.shape[1]} per image")
        images = images.reshape(len(images), side, side)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must have shape (N, height, width) or (N, pixels) with "
                         f"N >= 1, got shape {images.shape}")
    return images


def show_images(images, labels, predictions, class_names, path: PathLike, *,
                columns: int | None = None, figsize: tuple[float, float] | None = None,
                dpi: float = 100,
                overwrite: bool | None = None) -> Path:
    """Draw a grid of grayscale images, titled with their labels and/or predictions.

    With both labels and predictions, each title is the predicted class with the true one
    under it, in green when they agree and in red when they do not.

    Parameters
    ----------
    images : array-like of shape (N, height, width) or (N, pixels)
        Any pixel range (uint8 0-255 or scaled floats): all images share one gray scale, from
        the smallest to the largest value. Flat rows of a square size (784) are reshaped.
    labels, predictions : array-like of shape (N,) or None
        True class ids and predicted ones (or probability rows, reduced with ``argmax``).
    class_names : sequence of str or None
        Names of the class ids; ``None`` shows the ids.
    path : str or os.PathLike
        The PNG file to write.
    columns : int, optional
        Images per row; ``min(N, 10)`` by default.
    figsize : (float, float), optional
        Size in inches; by default 1.5 by 1.8 inches per image.
    dpi : float, default 100
        Pixels per inch.

    overwrite : bool or None, default None
        ``None`` replaces an existing PNG only, ``True`` any regular file, ``False`` nothing.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    images = _as_image_stack(images)
    given = {name: _class_ids(values, name) for name, values
             in (("labels", labels), ("predictions", predictions)) if values is not None}
    for name, values in given.items():
        check_same_length(images, values, "images", name)
    if given:
        largest = max(int(values.max()) for values in given.values())
        class_names = _check_class_names(class_names, largest + 1)
    columns = min(len(images), 10) if columns is None else check_positive_int(columns, "columns")
    rows = math.ceil(len(images) / columns)
    if figsize is None:
        figsize = (_CELL_INCHES[0] * columns, _CELL_INCHES[1] * rows)

    figure = _new_figure(figsize, dpi)
    grid = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    scale = {"vmin": float(images.min()), "vmax": float(images.max())}
    for index, axes in enumerate(grid):
        axes.set_axis_off()
        if index >= len(images):
            continue  # an empty cell at the end of the last row
        axes.imshow(images[index], cmap="gray", interpolation="nearest", **scale)
        title, color = _image_title(index, given, class_names)
        axes.set_title(title, fontsize="small", color=color)
    return _save(figure, path, overwrite)


def _image_title(index: int, given: dict[str, np.ndarray],
                 class_names: Sequence[str] | None) -> tuple[str, str]:
    """The title and its colour for image ``index`` of :func:`show_images`."""
    names = {key: _class_name(int(values[index]), class_names) for key, values in given.items()}
    if len(names) == 2:
        right = given["labels"][index] == given["predictions"][index]
        return (f"{names['predictions']}\n(true: {names['labels']})",
                "tab:green" if right else "tab:red")
    return next(iter(names.values()), ""), "black"
