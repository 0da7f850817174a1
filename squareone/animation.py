"""Animations of training: the decision boundary (or fitted curve) and the loss, over epochs.

:func:`animate_training` trains a model and writes a GIF (with Pillow, a core dependency) or an
MP4 (when the ``ffmpeg`` program is installed) in which each frame shows, on the left, what the
model predicts over the plane of a 2-D classification problem (or its curve, for a one-input
regression such as the book's sine) with the training points, and on the right the loss
curves up to that epoch. Frames are drawn with Pillow alone: no matplotlib, no display.

:class:`TrainingRecorder` is the piece underneath: ``capture(model, epoch)`` after some epochs,
then ``frames(history)``. ``squareone train --animate`` uses it inside its own training loop.
"""

from __future__ import annotations

import io as _bytes_io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from squareone._files import FileKind, check_output, write_atomically
from squareone._validation import check_number, check_positive_int
from squareone.metrics import _class_ids
from squareone.model.history import History

__all__ = ["animate_training", "TrainingRecorder", "prediction_grid", "save_animation",
           "check_animation_path", "ANIMATION"]

PathLike = str | os.PathLike[str]

#: What ``save_animation`` replaces without ``overwrite=True``: a GIF or an MP4 (whose "ftyp"
#: box starts at byte 4), never a model, a plot or a text file.
ANIMATION = FileKind("a GIF or MP4 animation",
                     lambda file: (lambda head: head[:4] == b"GIF8" or head[4:8] == b"ftyp")(
                         file.read(8)))

# matplotlib's tab10 colours, so the animation matches sq.plots' pictures.
CLASS_COLORS = np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                         (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                         (188, 189, 34), (23, 190, 207)], dtype=np.float64)
_PANEL = 360          # pixels: each frame is two square panels side by side
_MARGIN = 0.05        # of the data's range, added around it in the boundary panel
_DRAWN_POINTS = 600   # most training points drawn on a panel
_SUFFIXES = (".gif", ".mp4")


def prediction_grid(model, low, high, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate a 2-D classifier on a ``resolution`` x ``resolution`` grid over the plane.

    Parameters
    ----------
    model : squareone.Model
        A classifier with two inputs: softmax outputs (one per class) or one sigmoid output.
    low, high : (float, float)
        The corners of the area, ``(x_min, y_min)`` and ``(x_max, y_max)``.
    resolution : int
        Grid points per axis.

    Returns
    -------
    classes : ndarray of shape (resolution, resolution), int
        The predicted class at each point; row 0 is ``y_min`` (the bottom).
    confidence : ndarray of shape (resolution, resolution), float in [0, 1]
        How sure the model is there: 0 when all classes are equally likely, 1 when one has
        probability 1 ($(p_{max} - 1/K) / (1 - 1/K)$ for $K$ classes).
    """
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    outputs = np.asarray(model.predict(np.column_stack([grid_x.ravel(), grid_y.ravel()])),
                         dtype=np.float64)
    if outputs.shape[1] == 1:  # a sigmoid: the probability of class 1
        probability = outputs[:, 0]
        classes = (probability > 0.5).astype(np.int64)
        top, n_classes = np.maximum(probability, 1 - probability), 2
    else:
        classes = outputs.argmax(axis=1)
        top, n_classes = outputs.max(axis=1), outputs.shape[1]
    confidence = np.clip((top - 1 / n_classes) / (1 - 1 / n_classes), 0.0, 1.0)
    shape = (resolution, resolution)
    return classes.reshape(shape), confidence.reshape(shape)


class TrainingRecorder:
    """Capture what a model predicts at chosen epochs, then draw the frames of an animation.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2) or (n_samples, 1)
        Training inputs: 2 features for a classifier's decision boundary, 1 for a regression
        curve.
    y : array-like
        Class ids (or one-hot rows) for 2 features; target values for 1 feature.
    resolution : int, default 120
        Grid points per axis of the decision boundary (or points along the curve).
    """

    def __init__(self, X, y, *, resolution: int = 120) -> None:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] not in (1, 2) or len(X) == 0:
            raise ValueError("animations need X of shape (n_samples, 2) (a 2-D classifier) or "
                             f"(n_samples, 1) (a one-input regression), got shape {X.shape}")
        self.regression = X.shape[1] == 1
        self.resolution = check_positive_int(resolution, "resolution")
        self.X = X
        if self.regression:
            self.y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)[:, 0]
            self.y = self.y.reshape(-1)
            if len(self.y) != len(X):
                raise ValueError(f"X has {len(X)} samples but y has {len(self.y)}")
            low = np.array([X.min(), self.y.min()])
            high = np.array([X.max(), self.y.max()])
        else:
            self.y = _class_ids(y, "y")
            if len(self.y) != len(X):
                raise ValueError(f"X has {len(X)} samples but y has {len(self.y)}")
            low, high = X.min(axis=0), X.max(axis=0)
        margin = _MARGIN * np.maximum(high - low, 1e-9)
        self.low, self.high = low - margin, high + margin
        self.captures: list[tuple[int, np.ndarray, np.ndarray | None]] = []

    def capture(self, model, epoch: int) -> None:
        """Record what ``model`` predicts now, after ``epoch`` epochs."""
        if self.regression:
            xs = np.linspace(self.low[0], self.high[0], self.resolution).reshape(-1, 1)
            curve = np.asarray(model.predict(xs), dtype=np.float64)[:, 0]
            self.captures.append((epoch, curve, None))
        else:
            classes, confidence = prediction_grid(model, self.low, self.high, self.resolution)
            self.captures.append((epoch, classes, confidence))

    def frames(self, history) -> list[Image.Image]:
        """Draw one RGB image per capture, with the loss curves of ``history`` up to it."""
        if not self.captures:
            raise ValueError("nothing was captured: call capture(model, epoch) during training")
        epochs = list(history.epoch) or [capture[0] for capture in self.captures]
        curves = {"training": list(history.loss),
                  "validation": list(history.history.get("val_loss", []))}
        return [self._frame(epoch, grid, confidence, epochs, curves)
                for epoch, grid, confidence in self.captures]

    # --- drawing ---------------------------------------------------------------------------

    def _frame(self, epoch, grid, confidence, epochs, curves) -> Image.Image:
        image = Image.new("RGB", (2 * _PANEL, _PANEL), "white")
        left = self._curve_panel(grid) if self.regression else self._boundary_panel(
            grid, confidence)
        image.paste(left, (0, 0))
        image.paste(_loss_panel(epoch, epochs, curves), (_PANEL, 0))
        ImageDraw.Draw(image).text((8, 6), f"epoch {epoch}", fill="black",
                                   font=ImageFont.load_default())
        return image

    def _to_pixels(self, points: np.ndarray) -> np.ndarray:
        """Plane coordinates to panel pixels (y grows downwards on screen)."""
        scaled = (points - self.low) / (self.high - self.low)
        return np.c_[scaled[:, 0] * (_PANEL - 1), (1 - scaled[:, 1]) * (_PANEL - 1)]

    def _boundary_panel(self, classes, confidence) -> Image.Image:
        colors = CLASS_COLORS[classes % len(CLASS_COLORS)]
        # Pale where the model hesitates, stronger where it is sure.
        strength = (0.15 + 0.45 * confidence)[..., None]
        pixels = (255 * (1 - strength) + colors * strength)[::-1].astype(np.uint8)
        panel = Image.fromarray(pixels, "RGB").resize((_PANEL, _PANEL), Image.NEAREST)
        draw = ImageDraw.Draw(panel)
        # At most about _DRAWN_POINTS points (every k-th: all classes keep their share), so
        # the regions stay visible under them.
        every = max(1, len(self.X) // _DRAWN_POINTS)
        for (px, py), class_id in zip(self._to_pixels(self.X[::every]), self.y[::every]):
            color = CLASS_COLORS[class_id % len(CLASS_COLORS)]
            # A darker rim of the same colour: points stand out and keep their class's hue.
            draw.ellipse((px - 2.5, py - 2.5, px + 2.5, py + 2.5),
                         fill=tuple(int(c) for c in color),
                         outline=tuple(int(c * 0.55) for c in color))
        return panel

    def _curve_panel(self, curve) -> Image.Image:
        panel = Image.new("RGB", (_PANEL, _PANEL), "white")
        draw = ImageDraw.Draw(panel)
        truth = self._to_pixels(np.c_[self.X[:, 0], self.y])
        for px, py in truth[:: max(1, len(truth) // _DRAWN_POINTS)]:
            draw.ellipse((px - 1.5, py - 1.5, px + 1.5, py + 1.5), fill=(31, 119, 180))
        xs = np.linspace(self.low[0], self.high[0], len(curve))
        fitted = self._to_pixels(np.c_[xs, np.clip(curve, self.low[1], self.high[1])])
        draw.line([tuple(point) for point in fitted], fill=(255, 127, 14), width=3)
        return panel


def _loss_panel(epoch: int, epochs: list[int], curves: dict[str, list[float]]) -> Image.Image:
    """The loss curves up to ``epoch``, on axes fixed for the whole animation."""
    panel = Image.new("RGB", (_PANEL, _PANEL), "white")
    draw = ImageDraw.Draw(panel)
    font = ImageFont.load_default()
    left, top, right, bottom = 40, 24, _PANEL - 10, _PANEL - 24
    draw.rectangle((left, top, right, bottom), outline=(160, 160, 160))
    values = [value for series in curves.values() for value in series if np.isfinite(value)]
    highest = max(values, default=1.0) * 1.05 or 1.0
    first, last = epochs[0], max(epochs[-1], epochs[0] + 1)
    shown = sum(1 for e in epochs if e <= epoch)
    now = curves["training"][shown - 1] if shown and curves["training"] else float("nan")
    draw.text((left, 6), f"loss {now:.4f}", fill="black", font=font)
    draw.text((left - 34, top - 4), f"{highest:.2f}", fill="black", font=font)
    draw.text((left - 12, bottom - 8), "0", fill="black", font=font)
    draw.text((right - 60, bottom + 6), f"epoch {last}", fill="black", font=font)
    for (name, series), color in zip(curves.items(), ((31, 119, 180), (255, 127, 14))):
        points = [(left + (e - first) / (last - first) * (right - left),
                   bottom - value / highest * (bottom - top))
                  for e, value in zip(epochs[:shown], series[:shown]) if np.isfinite(value)]
        if len(points) > 1:
            draw.line(points, fill=color, width=2)
        if series:
            legend_y = top + 6 + 14 * (name == "validation")
            draw.line((right - 90, legend_y + 6, right - 75, legend_y + 6), fill=color, width=2)
            draw.text((right - 70, legend_y), name, fill="black", font=font)
    return panel


def check_animation_path(path: PathLike) -> Path:
    """Fail before training if the file type cannot be written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f"the animation path must end in .gif or .mp4, got {str(path)!r}")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise RuntimeError(f"writing {str(path)!r} needs the ffmpeg program, which was not "
                           "found; install ffmpeg or write a .gif instead")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save the animation to {str(path)!r}: the directory "
                                f"{str(path.parent)!r} does not exist")
    return path


def save_animation(frames: list[Image.Image], path: PathLike, *, fps: float = 10,
                   overwrite: bool | None = None) -> Path:
    """Write ``frames`` as a looping GIF or, for a ``.mp4`` path, an H.264 video (ffmpeg).

    The file is written atomically, as model files are, and replaces only an existing GIF or
    MP4 unless ``overwrite=True`` (see :func:`squareone.io.save_model`). Returns ``path``.
    """
    path = check_animation_path(path)
    check_output(path, ANIMATION, overwrite=overwrite)  # before the frames are encoded
    fps = check_number(fps, "fps", low=0.0, low_inclusive=False, high=100.0, high_inclusive=True)
    if not frames:
        raise ValueError("no frames to save")
    if path.suffix.lower() == ".gif":
        buffer = _bytes_io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                       duration=round(1000 / fps), loop=0)
        data = buffer.getvalue()
    else:
        data = _encode_mp4(frames, fps)
    write_atomically(path, lambda file: file.write(data), ANIMATION, overwrite=overwrite)
    return path


def _encode_mp4(frames: list[Image.Image], fps: float) -> bytes:
    width, height = frames[0].size
    with tempfile.TemporaryDirectory() as directory:
        output = Path(directory) / "animation.mp4"
        command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                   "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-",
                   "-pix_fmt", "yuv420p", "-vcodec", "libx264", str(output)]
        raw = b"".join(frame.convert("RGB").tobytes() for frame in frames)
        completed = subprocess.run(command, input=raw, capture_output=True, check=False)
        if completed.returncode != 0:
            message = completed.stderr.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg failed: {message[-1] if message else 'no message'}")
        return output.read_bytes()


def animate_training(model, X, y, path: PathLike, *, epochs: int, frames: int = 100,
                     fps: float = 10, resolution: int = 120, **train_options) -> History:
    """Train ``model`` for ``epochs`` and save an animation of it learning to ``path``.

    The model trains in ``frames`` equal stretches of epochs (the last may be shorter); after
    each, a frame shows the decision boundary (2-D classifier) or the fitted curve (one-input
    regression) with the training points, and the loss so far.

    Parameters
    ----------
    model : squareone.Model
        A finalized model with an optimizer.
    X, y
        The training data, as :class:`TrainingRecorder` takes them.
    path : str or os.PathLike
        A ``.gif`` file, or ``.mp4`` when ``ffmpeg`` is installed; its directory must exist.
    epochs : int
        Epochs of training in total.
    frames : int, default 100
        Frames of the animation (at most ``epochs``): one every ``ceil(epochs / frames)``
        epochs.
    fps : float, default 10
        Frames per second when played.
    resolution : int, default 120
        Grid points per axis of the decision boundary.
    **train_options
        Passed to ``model.train`` (``batch_size``, ``validation_data``, ``shuffle``, ...);
        ``seed`` may be an int, and shuffling then continues one stream across the stretches.

    Returns
    -------
    History
        Every epoch's loss and accuracy, as ``model.train`` returns them.
    """
    epochs = check_positive_int(epochs, "epochs")
    frames = check_positive_int(frames, "frames")
    check_animation_path(path)
    recorder = TrainingRecorder(X, y, resolution=resolution)
    every = -(-epochs // min(frames, epochs))
    # One generator for all the stretches, so each epoch gets a new order of the samples.
    train_options["seed"] = np.random.default_rng(train_options.get("seed"))
    train_options.setdefault("verbose", 0)
    history = History()
    done = 0
    while done < epochs:
        stretch = min(every, epochs - done)
        result = model.train(X, y, epochs=stretch, **train_options)
        for index in range(len(result)):
            history.append(**{key: values[index] for key, values in result.history.items()
                              if values})
            history.epoch[-1] = done + index + 1
        done += len(result)
        recorder.capture(model, done)
        if result.interrupted:
            history.interrupted = True
            break
    save_animation(recorder.frames(history), path, fps=fps)
    return history
