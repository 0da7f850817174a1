"""Right answers or a clear refusal (issue 15).

A model file records the data set and class names it was trained with, and ``predict`` and
``evaluate`` use them (refusing another data set unless ``--force``); images of every bit
depth and mode Pillow reads are scaled to 0..255; arrays of non-real numbers get a TypeError.
Every expected value is derived from how the input was built, never from the code under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from conftest import real_data
from PIL import Image
from safetensors import safe_open

import squareone as sq
from squareone._validation import check_array
from squareone.cli import main
from squareone.datasets import FASHION_MNIST_CLASSES, MNIST_CLASSES
from squareone.datasets.images import load_image


def data_root(name: str) -> str:
    """The folder holding ``name``'s folder, as --data-dir takes it (see conftest.real_data)."""
    return str(real_data(name).parent)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main([*argv])
    out, err = capsys.readouterr()
    return status, out, err


def _classifier(n_outputs: int = 3, output=sq.Softmax) -> sq.Model:
    model = sq.Model()
    model.add(sq.Dense(2, 8, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(8, n_outputs, seed=1))
    model.add(output())
    loss = sq.CategoricalCrossentropy() if output is sq.Softmax else (
        sq.BinaryCrossentropy() if output is sq.Sigmoid else sq.MeanSquaredError())
    model.set(loss=loss, optimizer=sq.Adam())
    model.finalize()
    return model


def _metadata(path: Path) -> dict:
    with safe_open(path, framework="np") as file:
        return json.loads(file.metadata()["squareone"])


def _rewrite_metadata(path: Path, edit) -> None:
    metadata = _metadata(path)
    edit(metadata)
    tensors = {name: array.copy()
               for name, array in safetensors.numpy.load(path.read_bytes()).items()}
    path.write_bytes(safetensors.numpy.save(tensors,
                                            metadata={"squareone": json.dumps(metadata)}))


def _as_version_1(metadata: dict) -> None:
    """What squareone 0.1 wrote: format version 1, no data set, no class names."""
    metadata["format_version"] = 1
    del metadata["dataset"], metadata["class_names"]


# --- the model file records what the model learned from ---------------------------------------


@pytest.mark.parametrize("dataset, class_names, n_outputs, output", [
    ("spiral", ("red", "green", "blue"), 3, sq.Softmax),
    ("mnist", MNIST_CLASSES, 10, sq.Softmax),
    ("my pets", ("cat", "dog"), 1, sq.Sigmoid),        # one sigmoid output: two classes
    ("Étiquettes", ("été", "hiver", "日本"), 3, sq.Softmax),  # any printable text
    (None, ("a", "b", "c"), 3, sq.Softmax),
    ("sine", None, 1, sq.Linear),                      # regression: no classes
    (None, None, 3, sq.Softmax),
])
def test_data_set_and_class_names_round_trip(tmp_path, dataset, class_names, n_outputs, output):
    model = _classifier(n_outputs, output)
    model.dataset, model.class_names = dataset, class_names
    path = tmp_path / "model.squareone"
    model.save(path)

    loaded = sq.Model.load(path)

    assert loaded.dataset == dataset
    assert loaded.class_names == (None if class_names is None else tuple(class_names))
    assert _metadata(path)["format_version"] == 2


def test_a_new_model_knows_neither():
    model = sq.Model()
    assert model.dataset is None and model.class_names is None


def test_version_1_files_still_load(tmp_path):
    model = _classifier()
    model.dataset, model.class_names = "spiral", ("a", "b", "c")
    path = tmp_path / "old.squareone"
    model.save(path)
    _rewrite_metadata(path, _as_version_1)

    loaded = sq.Model.load(path)

    assert (loaded.dataset, loaded.class_names) == (None, None)
    X = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("field, value, message", [
    ("class_names", ["a", "b"], "class_names has 2 names but the model has 3 classes"),
    ("class_names", ["a", "b", "c", "d"], "has 4 names but the model has 3 classes"),
    ("class_names", ["a", 1, "c"], r"class_names\[1\] must be a printable string"),
    ("class_names", ["a", "", "c"], r"class_names\[1\] must be a printable string"),
    ("class_names", ["a", "\x1b[31mred", "c"], "printable"),  # a terminal escape sequence
    ("class_names", ["a", "b" * 101, "c"], "1 to 100 characters"),
    ("class_names", ["a", "b" * 1_000_000, "c"], "1 to 100 characters"),
    ("class_names", "abc", "'class_names' is missing or is not a JSON list or null"),
    ("dataset", 7, "'dataset' is missing or is not a string or null"),
    ("dataset", "line\nbreak", "dataset must be a printable string"),
    ("dataset", "x" * 101, "dataset must be a printable string of 1 to 100"),
])
def test_bad_names_in_a_file_are_refused(tmp_path, field, value, message):
    path = tmp_path / "model.squareone"
    _classifier().save(path)
    _rewrite_metadata(path, lambda metadata: metadata.__setitem__(field, value))

    with pytest.raises(ValueError, match=message) as error:
        sq.Model.load(path)
    assert len(str(error.value)) < 1000  # a 1 MB name is not echoed


@pytest.mark.parametrize("dataset, class_names, message", [
    (None, ("a", "b"), "class_names has 2 names but the model has 3 classes"),
    (None, ("a", "b", 3), r"class_names\[2\] must be a printable string"),
    ("", None, "dataset must be a printable string"),
    (b"mnist", None, "dataset must be a printable string"),
])
def test_bad_names_are_refused_when_saving(tmp_path, dataset, class_names, message):
    model = _classifier()
    model.dataset, model.class_names = dataset, class_names
    path = tmp_path / "model.squareone"
    with pytest.raises(ValueError, match=f"cannot save the model: {message}"):
        model.save(path)
    assert not path.exists()


def test_class_names_need_a_classifier(tmp_path):
    model = _classifier(1, sq.Linear)
    model.class_names = ("a", "b")
    with pytest.raises(ValueError, match="class_names are for classifiers.*Linear"):
        model.save(tmp_path / "model.squareone")


# --- the command line uses them -----------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_model(tmp_path_factory) -> str:
    """A small MNIST model trained by the command line (a few seconds)."""
    path = tmp_path_factory.mktemp("mnist") / "digits.squareone"
    status = main(["train", "--dataset", "mnist", "--data-dir", data_root("mnist"), "--epochs", "1",
                   "--max-samples", "2000", "--no-plot", "--quiet", "--output", str(path)])
    assert status == 0
    return str(path)


@pytest.fixture(scope="module")
def digit_image(tmp_path_factory) -> str:
    """A white digit-like stroke on black: any MNIST model gives it some digit."""
    pixels = np.zeros((28, 28), np.uint8)
    pixels[4:24, 13:16] = 255
    path = tmp_path_factory.mktemp("images") / "one.png"
    Image.fromarray(pixels).save(path)
    return str(path)


def test_train_records_the_data_set_and_its_class_names(mnist_model):
    metadata = _metadata(Path(mnist_model))
    assert metadata["dataset"] == "mnist"
    assert metadata["class_names"] == [str(digit) for digit in range(10)]


def test_train_on_synthetic_data_records_the_data_set_only(tmp_path):
    path = tmp_path / "spiral.squareone"
    assert main(["train", "--epochs", "1", "--no-plot", "-q", "-o", str(path)]) == 0
    assert (sq.Model.load(path).dataset, sq.Model.load(path).class_names) == ("spiral", None)


def test_predict_names_digits_for_a_digit_model(capsys, mnist_model, digit_image):
    status, out, err = _run(capsys, "predict", mnist_model, digit_image, "--top", "3")
    assert status == 0, err
    names = re.findall(r"\d\. (.+) \(\d+\.\d%\)", out)
    assert len(names) == 3 and set(names) <= set(MNIST_CLASSES), out
    assert not set(names) & set(FASHION_MNIST_CLASSES)


@pytest.mark.parametrize("command", [
    ["predict", "{model}", "{image}", "--dataset", "fashion-mnist"],
    ["evaluate", "{model}", "--dataset", "fashion-mnist"],
    ["evaluate", "{model}", "--dataset", "spiral"],
])
def test_another_data_set_is_refused(capsys, mnist_model, digit_image, command):
    argv = [arg.format(model=mnist_model, image=digit_image) for arg in command]
    status, out, err = _run(capsys, *argv, "--data-dir", data_root("fashion-mnist")) \
        if argv[0] == "evaluate" else _run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "trained on mnist, not --dataset" in err and "--force" in err


def test_force_evaluates_on_another_data_set_with_a_warning(capsys, mnist_model):
    status, out, err = _run(capsys, "evaluate", mnist_model, "--dataset", "fashion-mnist",
                            "--data-dir", data_root("fashion-mnist"), "--force")
    assert status == 0
    assert "test accuracy" in out
    assert "squareone: warning: the model in" in err and "trained on mnist" in err


def test_force_predicts_with_the_named_data_sets_classes(capsys, mnist_model, digit_image):
    status, out, _ = _run(capsys, "predict", mnist_model, digit_image, "--dataset",
                          "fashion-mnist", "--force")
    assert status == 0
    assert out.split(": ")[1].rsplit(" (", 1)[0] in FASHION_MNIST_CLASSES


def test_evaluate_defaults_to_the_recorded_data_set(capsys, mnist_model):
    status, out, _ = _run(capsys, "evaluate", mnist_model, "--data-dir", data_root("mnist"))
    assert status == 0
    accuracy = float(re.search(r"test accuracy: (\d\.\d+)", out).group(1))
    assert accuracy > 0.5  # far above the 6% of the wrong data set
    assert re.search(r"^\s*9\s", out, re.MULTILINE)  # the report's rows are the digits


def test_an_old_file_gets_a_warning_naming_the_assumed_classes(capsys, tmp_path, mnist_model,
                                                              digit_image):
    old = tmp_path / "old.squareone"
    old.write_bytes(Path(mnist_model).read_bytes())
    _rewrite_metadata(old, _as_version_1)

    status, out, err = _run(capsys, "predict", str(old), digit_image)

    assert status == 0
    assert out.split(": ")[1].rsplit(" (", 1)[0] in FASHION_MNIST_CLASSES  # as before
    assert err.count("\n") == 1
    assert "does not record its class names" in err and "--dataset mnist" in err


def test_info_shows_the_data_set_and_classes(capsys, mnist_model):
    status, out, _ = _run(capsys, "info", mnist_model)
    assert status == 0
    assert "trained on: mnist" in out
    assert "classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in out


# --- images of every mode and bit depth ------------------------------------------------------

LEVELS = np.array([0, 51, 102, 153, 204, 255])  # the gray levels each test image shows
FULL = np.full(len(LEVELS), 255)
MID = np.full(len(LEVELS), 128)


def _image(mode: str, channels) -> Image.Image:
    """A 1 x 6 image in ``mode`` from per-channel rows."""
    array = np.stack(channels, axis=-1)[None] if len(channels) > 1 else channels[0][None]
    return Image.fromarray(array, mode) if len(channels) > 1 else Image.fromarray(array)


def _palette_image() -> Image.Image:
    image = Image.new("P", (len(LEVELS), 1))
    image.putpalette([channel for level in LEVELS for channel in (level, level, level)])
    image.putdata(list(range(len(LEVELS))))
    return image


def _big_endian_16_bit() -> Image.Image:
    return Image.frombytes("I;16B", (len(LEVELS), 1), (LEVELS * 257).astype(">u2").tobytes())


@pytest.mark.parametrize("name, build, file_format, expected", [
    ("1-bit", lambda: Image.fromarray(LEVELS[None] > 127), "PNG", np.where(LEVELS > 127, 255, 0)),
    ("L", lambda: _image("L", [LEVELS.astype(np.uint8)]), "PNG", LEVELS),
    ("LA opaque", lambda: _image("LA", [LEVELS.astype(np.uint8), FULL.astype(np.uint8)]),
     "PNG", LEVELS),
    ("LA transparent", lambda: _image("LA", [LEVELS.astype(np.uint8), 0 * FULL.astype(np.uint8)]),
     "PNG", FULL),  # transparent areas show the (white) background
    ("P", _palette_image, "PNG", LEVELS),
    ("RGB", lambda: _image("RGB", [LEVELS.astype(np.uint8)] * 3), "PNG", LEVELS),
    ("RGBA opaque", lambda: _image("RGBA", [LEVELS.astype(np.uint8)] * 3
                                   + [FULL.astype(np.uint8)]), "PNG", LEVELS),
    ("RGBA transparent", lambda: _image("RGBA", [LEVELS.astype(np.uint8)] * 3
                                        + [0 * FULL.astype(np.uint8)]), "PNG", FULL),
    ("CMYK", lambda: _image("CMYK", [0 * FULL.astype(np.uint8)] * 3
                            + [(255 - LEVELS).astype(np.uint8)]), "TIFF", LEVELS),
    ("YCbCr", lambda: _image("YCbCr", [LEVELS.astype(np.uint8), MID.astype(np.uint8),
                                       MID.astype(np.uint8)]), "TIFF", LEVELS),
    ("LAB", lambda: _image("LAB", [LEVELS.astype(np.uint8), MID.astype(np.uint8),
                                   MID.astype(np.uint8)]), "TIFF", LEVELS),
    ("16-bit PNG", lambda: _image("I;16", [(LEVELS * 257).astype(np.uint16)]), "PNG", LEVELS),
    ("16-bit TIFF", lambda: _image("I;16", [(LEVELS * 257).astype(np.uint16)]), "TIFF", LEVELS),
    ("16-bit big-endian", _big_endian_16_bit, "PNG", LEVELS),
    ("16-bit dark", lambda: _image("I;16", [(LEVELS * 2).astype(np.uint16)]), "PNG",
     LEVELS * 2 / 257),  # 0..510 of 65535 is near black, not 2 gray levels
    ("32-bit int", lambda: _image("I", [(LEVELS * 257).astype(np.int32)]), "TIFF", LEVELS),
    ("32-bit int, wide", lambda: _image("I", [(LEVELS * 10**6 - 10**8).astype(np.int32)]),
     "TIFF", LEVELS),  # beyond 16 bits: its own range
    ("float 0..1", lambda: _image("F", [(LEVELS / 255).astype(np.float32)]), "TIFF", LEVELS),
    ("float, wide", lambda: _image("F", [(LEVELS / 255 * 8 - 3).astype(np.float32)]), "TIFF",
     LEVELS),
])
def test_every_mode_scales_to_0_255(tmp_path, name, build, file_format, expected):
    path = tmp_path / f"image.{file_format.lower()}"
    build().save(path, format=file_format)

    pixels = load_image(path, size=None, invert=False)

    assert pixels.dtype == np.uint8 and pixels.shape == (1, len(LEVELS))
    np.testing.assert_allclose(pixels.ravel(), expected, atol=1)


def test_a_16_bit_photo_keeps_its_gray_levels(tmp_path):
    ramp = np.linspace(0, 65535, 256 * 4).reshape(32, 32).astype(np.uint16)
    path = tmp_path / "ramp16.png"
    Image.fromarray(ramp).save(path)
    pixels = load_image(path, size=None, invert=False)
    assert len(np.unique(pixels)) == 256  # not the 2 levels of clipping


# --- arrays of numbers that are not real -----------------------------------------------------


@pytest.mark.parametrize("values", [
    np.ones((2, 2), np.complex64),
    np.ones((2, 2), np.complex128),
    np.ones((2, 2), np.clongdouble),
    np.array([[1 + 0j, 2]]),                     # complex with zero imaginary parts: still refused
    np.array([[1, "2"]], dtype=object),
    np.array([["a", "b"]]),
    np.array([[b"a", b"b"]]),
    np.array([["2020-01-01"]], dtype="datetime64[D]"),
    np.array([[1]], dtype="timedelta64[s]"),
    np.zeros((2, 2), dtype="V4"),
    [[{"a": 1}]],
])
def test_non_real_dtypes_get_the_type_error(values):
    with pytest.raises(TypeError, match=r"X must hold numbers \(real: integers, floats or "
                                        r"booleans\), got an array of dtype"):
        check_array(values, "X")


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint64, np.float16, np.float32,
                                   np.longdouble])
def test_real_dtypes_are_accepted(dtype):
    assert check_array(np.ones((2, 2), dtype), "X", dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("method", ["train", "evaluate", "predict"])
def test_complex_data_is_refused_by_the_model(method):
    model = _classifier()
    X = np.ones((4, 2), np.complex128)
    y = np.zeros(4, int)
    call = {"train": lambda: model.train(X, y, epochs=1, verbose=0),
            "evaluate": lambda: model.evaluate(X, y),
            "predict": lambda: model.predict(X)}[method]
    with pytest.raises(TypeError, match="X must hold numbers.*complex128"):
        call()


def test_complex_targets_are_refused():
    with pytest.raises(TypeError, match="y must hold numbers.*complex"):
        _classifier().train(np.ones((4, 2)), np.zeros(4, complex), epochs=1, verbose=0)


def test_ragged_input_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="X must be a rectangular array of numbers"):
        check_array([[1.0, 2.0], [3.0]], "X")


def test_evaluate_reports_with_the_models_class_names():
    model = _classifier()
    model.class_names = ("alpha", "beta", "gamma")
    X, y = sq.datasets.spiral_data(samples=20, classes=3, seed=0)
    report = model.evaluate(X, y, report=True)["report"]
    assert all(name in report for name in model.class_names)
    other = model.evaluate(X, y, report=True, class_names=["x1", "x2", "x3"])["report"]
    assert "x2" in other and "beta" not in other  # names passed in win
