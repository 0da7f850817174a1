"""Tests of squareone.plots: every plot renders a valid PNG of the promised size, atomically.

Each image is opened with Pillow, an independent PNG reader, and checked for its pixel size
(``figsize * dpi``) and for content that a broken plot would lack.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

import squareone as sq
from squareone import plots
from squareone.cli import build_model
from squareone.metrics import confusion_matrix


def _png(path) -> Image.Image:
    """Open ``path``, check that it is a complete PNG, and return it as RGB."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()  # reads the whole file: checksums, chunks, end marker
    with Image.open(path) as image:
        return image.convert("RGB")


def _main_colours(image: Image.Image, share: float) -> int:
    """The number of colours that each cover at least ``share`` of the image."""
    pixels = np.asarray(image).reshape(-1, 3)
    _, counts = np.unique(pixels, axis=0, return_counts=True)
    return int(np.sum(counts >= share * len(pixels)))


def _no_temporary_files(directory) -> bool:
    return not [path for path in directory.iterdir() if path.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def classifier():
    """A small classifier trained on vertical data, and that data."""
    X, y = sq.datasets.vertical_data(100, 3, seed=0)
    model = build_model(2, 3, hidden=(16,), seed=0, optimizer=sq.Adam(learning_rate=0.02))
    history = model.train(X, y, epochs=30, batch_size=32, validation_data=(X, y), verbose=0)
    return model, X, y, history


@pytest.fixture(scope="module")
def regressor():
    X, y = sq.datasets.sine_data(200)
    model = build_model(1, 1, hidden=(32,), regression=True, seed=0,
                               optimizer=sq.Adam(learning_rate=0.01))
    model.train(X, y, epochs=100, batch_size=32, verbose=0)
    return model, X, y


# --- plot_history -------------------------------------------------------------------------------


def test_plot_history_default_size(classifier, tmp_path):
    *_, history = classifier
    path = plots.plot_history(history, tmp_path / "curves.png")
    assert path == tmp_path / "curves.png"
    image = _png(path)
    assert image.size == (1200, 400)
    assert len(image.getcolors(maxcolors=1 << 16) or []) > 10  # curves, text, not a blank page
    assert _no_temporary_files(tmp_path)


def test_plot_history_without_validation_and_from_a_dict(tmp_path):
    X, y = sq.datasets.vertical_data(20, 3, seed=1)
    model = build_model(2, 3, hidden=(8,), seed=0, optimizer=sq.Adam(),
                        l2=1e-3)  # a regularization loss: the data loss is drawn too
    history = model.train(X, y, epochs=1, verbose=0)
    with_validation = model.train(X, y, epochs=1, validation_data=(X, y), verbose=0)
    small = {"figsize": (8, 6), "dpi": 50}
    one = _png(plots.plot_history(history, str(tmp_path / "one.png"), **small))
    two = _png(plots.plot_history(with_validation.history, tmp_path / "two.png", **small))
    assert one.size == two.size == (400, 300)
    assert one.tobytes() != two.tobytes()  # the validation curves are drawn


def test_plot_history_rejects_an_empty_history(tmp_path):
    with pytest.raises(ValueError, match="no epochs"):
        plots.plot_history(sq.History(), tmp_path / "empty.png")
    assert list(tmp_path.iterdir()) == []


# --- plots of trained models ---------------------------------------------------------------------


def test_plot_decision_boundary_shows_the_class_regions(classifier, tmp_path):
    model, X, y, _ = classifier
    image = _png(plots.plot_decision_boundary(model, X, y, tmp_path / "boundary.png",
                                              class_names=["left", "middle", "right"]))
    assert image.size == (600, 600)
    # Three predicted regions, each a large patch of its own colour; a flat or empty
    # plot has at most one such colour (plus the white margin).
    assert _main_colours(image, share=0.05) >= 3
    # The vertical clusters lie side by side: the left and right of the plot differ.
    pixels = np.asarray(image, dtype=np.int64)
    assert np.abs(pixels[:, 100:200].mean(axis=(0, 1))
                  - pixels[:, 450:550].mean(axis=(0, 1))).sum() > 30


def test_plot_decision_boundary_needs_two_features(regressor, tmp_path):
    model, X, y = regressor
    with pytest.raises(ValueError, match=r"\(n_samples, 2\)"):
        plots.plot_decision_boundary(model, X, y, tmp_path / "bad.png")


def test_plot_regression(regressor, tmp_path):
    model, X, y = regressor
    image = _png(plots.plot_regression(model, X, y, tmp_path / "sine.png"))
    assert image.size == (800, 600)
    assert _main_colours(image, share=0.001) >= 3  # background, truth, prediction


def test_plot_regression_needs_one_feature(classifier, tmp_path):
    model, X, y, _ = classifier
    with pytest.raises(ValueError, match="one feature"):
        plots.plot_regression(model, X, y, tmp_path / "bad.png")


def test_plot_confusion_matrix(classifier, tmp_path):
    model, X, y, _ = classifier
    matrix = confusion_matrix(y, model.predict(X))
    image = _png(plots.plot_confusion_matrix(matrix, ["a", "b", "c"], tmp_path / "cm.png"))
    assert image.size == (800, 800)
    assert _main_colours(image, share=0.01) >= 3  # white, and shades of blue for the counts


@pytest.mark.parametrize("matrix, names, message", [
    (np.zeros((2, 3)), None, "square"),
    (np.array([[1, -1], [0, 1]]), None, "counts"),
    (np.eye(3, dtype=int), ["a", "b"], "names"),
])
def test_plot_confusion_matrix_checks(matrix, names, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        plots.plot_confusion_matrix(matrix, names, tmp_path / "bad.png")


# --- show_images ---------------------------------------------------------------------------------


def test_show_images_grid_size(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (12, 28, 28)).astype(np.uint8)
    labels = np.arange(12) % 10
    path = plots.show_images(images, labels, labels[::-1], sq.datasets.FASHION_MNIST_CLASSES,
                             tmp_path / "grid.png", columns=6)
    # 6 columns x 2 rows of 1.5 x 1.8 inches at 100 dpi.
    assert _png(path).size == (900, 360)


def test_show_images_takes_flat_rows_and_optional_titles(tmp_path):
    images = np.random.default_rng(1).random((3, 784))
    for labels, predictions in ((None, None), ([0, 1, 2], None), (None, np.eye(3))):
        path = plots.show_images(images, labels, predictions, None, tmp_path / "flat.png",
                                 figsize=(3, 1), dpi=100)
        assert _png(path).size == (300, 100)


@pytest.mark.parametrize("images, labels, names, message", [
    (np.zeros((2, 10)), None, None, "square"),
    (np.zeros((0, 28, 28)), None, None, "N >= 1"),
    (np.zeros((2, 28, 28)), [0], None, "same number"),
    (np.zeros((2, 28, 28)), [0, 5], ["a", "b"], "class_names"),
])
def test_show_images_checks(images, labels, names, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        plots.show_images(images, labels, None, names, tmp_path / "bad.png")


# --- saving --------------------------------------------------------------------------------------


def test_a_missing_directory_is_reported(classifier, tmp_path):
    *_, history = classifier
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plots.plot_history(history, tmp_path / "missing" / "curves.png")


def test_a_failed_save_leaves_the_old_file_and_no_temporary(classifier, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    *_, history = classifier
    path = tmp_path / "curves.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n the previous image")  # a PNG is replaced

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        plots.plot_history(history, path)
    assert path.read_bytes() == b"\x89PNG\r\n\x1a\n the previous image"
    assert _no_temporary_files(tmp_path)


def test_an_existing_png_is_replaced(tmp_path):
    path = tmp_path / "images.png"
    plots.show_images(np.zeros((1, 28, 28)), None, None, None, path, figsize=(1, 1), dpi=20)
    plots.show_images(np.zeros((1, 28, 28)), None, None, None, path, figsize=(1, 1), dpi=30)
    assert _png(path).size == (30, 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images.png"]


def test_another_file_is_replaced_only_with_overwrite(tmp_path):
    path = tmp_path / "images.png"
    path.write_bytes(b"old")
    with pytest.raises(FileExistsError, match="not a PNG image.*overwrite=True"):
        plots.show_images(np.zeros((1, 28, 28)), None, None, None, path, figsize=(1, 1))
    assert path.read_bytes() == b"old"
    plots.show_images(np.zeros((1, 28, 28)), None, None, None, path, figsize=(1, 1), dpi=30,
                      overwrite=True)
    assert _png(path).size == (30, 30)


def test_without_matplotlib_the_error_says_what_to_install(classifier, tmp_path, monkeypatch):
    *_, history = classifier
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install squareone\[plot\]"):
        plots.plot_history(history, tmp_path / "curves.png")
    assert list(tmp_path.iterdir()) == []
