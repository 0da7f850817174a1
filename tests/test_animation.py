"""Animations of training: frame by frame, through the library and through the command line."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
from conftest import IN_CI
from PIL import Image, ImageSequence

import squareone as sq
from squareone import animation
from squareone.cli import main

FRAME_SIZE = (720, 360)  # two 360 x 360 panels: boundary or curve, and the loss
PANEL = 360


def _small_classifier(n_outputs: int = 3, seed: int = 0) -> sq.Model:
    model = sq.Model()
    model.add(sq.Dense(2, 32, seed=seed))
    model.add(sq.ReLU())
    model.add(sq.Dense(32, n_outputs, seed=seed + 1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(learning_rate=0.05),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


def _frames(path) -> list[np.ndarray]:
    with Image.open(path) as image:
        return [np.asarray(frame.convert("RGB"), dtype=np.int16)
                for frame in ImageSequence.Iterator(image)]


def test_spiral_animation_has_the_frames_asked_for_and_the_boundary_moves(tmp_path):
    X, y = sq.datasets.spiral_data(60, 3, seed=0)
    model = _small_classifier()
    path = tmp_path / "spiral.gif"
    history = sq.plots.animate_training(model, X, y, path, epochs=300, frames=12, seed=0)
    assert len(history) == 300 and history.epoch == list(range(1, 301))
    frames = _frames(path)
    assert len(frames) == 12
    assert all(frame.shape == (FRAME_SIZE[1], FRAME_SIZE[0], 3) for frame in frames)
    boundary = [frame[:, :PANEL] for frame in frames]
    changed = [np.mean(np.any(a != b, axis=2)) for a, b in zip(boundary, boundary[1:])]
    assert min(changed[:4]) > 0.001  # early on, every frame's boundary differs from the last
    assert np.mean(np.any(boundary[0] != boundary[-1], axis=2)) > 0.05
    # The loss panel draws a longer curve as training goes on: more coloured pixels.
    blue = [np.sum((f[:, PANEL:, 2] > 150) & (f[:, PANEL:, 0] < 80)) for f in frames]
    assert blue[-1] > blue[0]


def test_the_books_10000_epoch_spiral_as_100_frames_takes_well_under_a_minute(tmp_path):
    X, y = sq.datasets.spiral_data(100, 3, seed=0)  # Chapter 10: 2-64-3, Adam, full batch
    model = sq.Model()
    model.add(sq.Dense(2, 64, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(64, 3, seed=1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(),
              optimizer=sq.Adam(learning_rate=0.05, decay=5e-7),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    started = time.perf_counter()
    history = sq.plots.animate_training(model, X, y, tmp_path / "book.gif", epochs=10_000,
                                        frames=100)
    seconds = time.perf_counter() - started
    assert seconds < 60, f"{seconds:.1f} s"  # about 5 s on 2 idle cores
    assert len(_frames(tmp_path / "book.gif")) == 100
    assert history.accuracy[-1] > 0.9


def test_last_frame_colours_the_plane_with_the_models_classes(tmp_path):
    X, y = sq.datasets.vertical_data(50, 3, seed=0)
    model = _small_classifier()
    path = tmp_path / "vertical.gif"
    sq.plots.animate_training(model, X, y, path, epochs=60, frames=3, seed=0)
    last = _frames(path)[-1][:, :PANEL].astype(float)
    # Pixels of the panel back to points of the plane: the data's range plus a 5 % margin.
    low, high = X.min(axis=0), X.max(axis=0)
    low, high = low - 0.05 * (high - low), high + 0.05 * (high - low)
    rows, columns = np.mgrid[20:PANEL - 20:23, 20:PANEL - 20:23]
    points = np.c_[low[0] + columns.ravel() / (PANEL - 1) * (high[0] - low[0]),
                   high[1] - rows.ravel() / (PANEL - 1) * (high[1] - low[1])]
    probabilities = model.predict(points)
    sure = probabilities.max(axis=1) > 0.95
    assert sure.sum() > 50
    # A region's tint is white mixed with its class colour: the direction away from white
    # tells the class. tab10's first three colours: blue, orange, green.
    tint = 255 - last[rows.ravel(), columns.ravel()]
    palette = 255 - np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44)], dtype=float)
    cosine = (tint @ palette.T) / (np.linalg.norm(tint, axis=1, keepdims=True)
                                   * np.linalg.norm(palette, axis=1) + 1e-9)
    seen = cosine.argmax(axis=1)
    agree = np.mean(seen[sure] == probabilities.argmax(axis=1)[sure])
    assert agree > 0.9  # a few pixels are covered by the drawn points


def test_sine_animation_draws_the_fitted_curve(tmp_path):
    X, y = sq.datasets.sine_data(200)
    model = sq.Model()
    model.add(sq.Dense(1, 32, weight_init=0.1, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(32, 1, weight_init=0.1, seed=1))
    model.add(sq.Linear())
    model.set(loss=sq.MeanSquaredError(), optimizer=sq.Adam(learning_rate=0.01),
              accuracy=sq.RegressionAccuracy())
    model.finalize()
    history = animation.animate_training(model, X, y, tmp_path / "sine.gif", epochs=40,
                                         frames=40, batch_size=32, shuffle=True, seed=0)
    assert history.loss[-1] < history.loss[0]
    frames = _frames(tmp_path / "sine.gif")
    assert len(frames) == 40
    orange = [np.sum((f[:, :PANEL, 0] > 200) & (f[:, :PANEL, 2] < 100)) for f in frames]
    assert min(orange) > 100  # the fitted curve is drawn in every frame
    assert np.any(frames[0][:, :PANEL] != frames[-1][:, :PANEL])


def test_more_frames_than_epochs_gives_one_frame_per_epoch(tmp_path):
    X, y = sq.datasets.spiral_data(20, 3, seed=0)
    sq.plots.animate_training(_small_classifier(), X, y, tmp_path / "a.gif", epochs=5,
                              frames=100)
    assert len(_frames(tmp_path / "a.gif")) == 5


@pytest.mark.parametrize("path, error, match", [
    ("a.png", ValueError, "must end in .gif or .mp4"),
    ("missing/a.gif", FileNotFoundError, "does not exist"),
])
def test_bad_paths_fail_before_training(tmp_path, path, error, match):
    X, y = sq.datasets.spiral_data(10, 3, seed=0)
    model = _small_classifier()
    before = model.get_parameters()[0][0].copy()
    with pytest.raises(error, match=match):
        animation.animate_training(model, X, y, tmp_path / path, epochs=3)
    np.testing.assert_array_equal(model.get_parameters()[0][0], before)


def test_mp4_without_ffmpeg_names_the_program(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    X, y = sq.datasets.spiral_data(10, 3, seed=0)
    with pytest.raises(RuntimeError, match="needs the ffmpeg program"):
        animation.animate_training(_small_classifier(), X, y, tmp_path / "a.mp4", epochs=3)


def test_mp4_when_ffmpeg_is_installed(tmp_path):
    if shutil.which("ffmpeg") is None:
        message = "ffmpeg is not installed (apt-get install ffmpeg)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    X, y = sq.datasets.spiral_data(20, 3, seed=0)
    path = tmp_path / "a.mp4"
    animation.animate_training(_small_classifier(), X, y, path, epochs=10, frames=10)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 1000  # an MP4 container


def test_data_that_cannot_be_drawn_is_rejected():
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        animation.TrainingRecorder(np.zeros((10, 3)), np.zeros(10, dtype=int))
    recorder = animation.TrainingRecorder(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="nothing was captured"):
        recorder.frames(sq.History())


# --- the command line ----------------------------------------------------------------------------


def test_train_animate_writes_one_frame_per_epoch_and_the_boundary(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--epochs", "8", "--animate", "spiral.gif", "--quiet"])
    assert status == 0
    frames = _frames(tmp_path / "spiral.gif")
    assert len(frames) == 8 and frames[0].shape == (FRAME_SIZE[1], FRAME_SIZE[0], 3)
    boundary = [frame[:, :PANEL] for frame in frames]
    assert all(np.any(a != b) for a, b in zip(boundary, boundary[1:]))
    # The default spiral run saves the final decision boundary next to the curves.
    with Image.open(tmp_path / "boundary.png") as picture:
        assert picture.format == "PNG" and picture.size == (600, 600)


@pytest.mark.parametrize("argv, message", [
    (["--animate", "a.avi"], "must end in .gif or .mp4"),
    (["--dataset", "mnist", "--animate", "a.gif"], "--animate needs a data set"),
    (["--animate", "nowhere/a.gif"], "does not exist"),
])
def test_train_animate_usage_errors(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("squareone: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "model.squareone").exists()  # failed before training
