"""Tests for squareone.io: saving and loading models and parameters, safely."""

from __future__ import annotations

import io
import json
import os
import pickle

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open

import squareone as sq
from squareone.io import FORMAT_VERSION, load_model

BATCH = 32


# --- helpers --------------------------------------------------------------------------------


def _spiral(classes: int = 3):
    return sq.datasets.spiral_data(samples=50, classes=classes, seed=0)


def _classifier(dtype: str = "float32", optimizer=None) -> sq.Model:
    """Dense-ReLU-Dense-Softmax on spiral data; seeded, so every call starts the same."""
    model = sq.Model(dtype=dtype)
    model.add(sq.Dense(2, 16, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(16, 3, seed=1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(),
              optimizer=optimizer or sq.Adam(learning_rate=0.05, decay=1e-3))
    model.finalize()
    return model


def _saved_classifier(tmp_path, **save_options):
    """Train a classifier for one epoch, save it; return its path."""
    model = _classifier()
    model.train(*_spiral(), epochs=1, batch_size=BATCH, verbose=0)
    path = tmp_path / "model.squareone"
    model.save(path, **save_options)
    return path


def _metadata(path) -> dict:
    with safe_open(path, framework="np") as file:
        return json.loads(file.metadata()["squareone"])


def _rewrite(path, *, metadata=None, tensors=None) -> None:
    """Apply ``metadata(dict)`` and ``tensors(dict)`` edits to a saved file, in place."""
    edited_metadata = _metadata(path)
    edited_tensors = {name: array.copy()
                      for name, array in safetensors.numpy.load(path.read_bytes()).items()}
    if metadata is not None:
        metadata(edited_metadata)
    if tensors is not None:
        tensors(edited_tensors)
    path.write_bytes(safetensors.numpy.save(
        edited_tensors, metadata={"squareone": json.dumps(edited_metadata)}))


def _assert_same_parameters(model_a: sq.Model, model_b: sq.Model) -> None:
    for pair_a, pair_b in zip(model_a.get_parameters(), model_b.get_parameters(), strict=True):
        for array_a, array_b in zip(pair_a, pair_b, strict=True):
            assert array_a.dtype == array_b.dtype
            np.testing.assert_array_equal(array_a, array_b)


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loaded_model_predicts_and_evaluates_identically(tmp_path, dtype) -> None:
    X, y = _spiral()
    model = _classifier(dtype)
    model.train(X, y, epochs=3, batch_size=BATCH, verbose=0)
    path = tmp_path / "model.squareone"
    model.save(path)

    loaded = sq.Model.load(path)

    assert loaded.finalized and loaded.dtype == np.dtype(dtype)
    assert [repr(layer) for layer in loaded.layers] == [repr(layer) for layer in model.layers]
    _assert_same_parameters(loaded, model)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.predict(X).dtype == np.dtype(dtype)
    assert loaded.evaluate(X, y) == model.evaluate(X, y)
    assert type(loaded.loss) is sq.CategoricalCrossentropy
    assert type(loaded.accuracy) is sq.CategoricalAccuracy
    assert type(loaded.optimizer) is sq.Adam
    assert loaded.optimizer.config() == model.optimizer.config()
    assert loaded.optimizer.iterations == model.optimizer.iterations == 15
    assert loaded.optimizer.current_learning_rate == model.optimizer.current_learning_rate


@pytest.mark.parametrize("make_optimizer", [
    lambda: sq.SGD(learning_rate=0.5, decay=1e-3, momentum=0.9),
    lambda: sq.SGD(learning_rate=0.5),
    lambda: sq.Adagrad(learning_rate=0.5, decay=1e-3),
    lambda: sq.RMSprop(learning_rate=0.01, decay=1e-3, rho=0.95),
    lambda: sq.Adam(learning_rate=0.05, decay=1e-3),
], ids=["sgd-momentum", "sgd", "adagrad", "rmsprop", "adam"])
def test_training_resumes_bit_for_bit(tmp_path, make_optimizer) -> None:
    X, y = _spiral()
    straight = _classifier(optimizer=make_optimizer())
    straight.train(X, y, epochs=2, batch_size=BATCH, verbose=0)

    first_half = _classifier(optimizer=make_optimizer())
    first_half.train(X, y, epochs=1, batch_size=BATCH, verbose=0)
    first_half.save(tmp_path / "checkpoint.squareone")
    resumed = sq.Model.load(tmp_path / "checkpoint.squareone")
    resumed.train(X, y, epochs=1, batch_size=BATCH, verbose=0)

    _assert_same_parameters(resumed, straight)
    assert resumed.optimizer.iterations == straight.optimizer.iterations
    assert resumed.optimizer.current_learning_rate == straight.optimizer.current_learning_rate


def test_without_optimizer_state_a_fresh_optimizer_with_the_same_settings(tmp_path) -> None:
    path = _saved_classifier(tmp_path, include_optimizer=False)
    with safe_open(path, framework="np") as file:
        assert not [name for name in file.keys() if name.startswith("optimizer.")]

    loaded = sq.Model.load(path)

    assert loaded.optimizer.config() == sq.Adam(learning_rate=0.05, decay=1e-3).config()
    assert loaded.optimizer.iterations == 0
    assert loaded.optimizer.current_learning_rate == 0.05
    loaded.train(*_spiral(), epochs=1, verbose=0)  # it trains


def test_dropout_l2_sigmoid_binary_crossentropy_round_trip(tmp_path) -> None:
    X, y = _spiral(classes=2)
    y = y.reshape(-1, 1)
    model = sq.Model()
    model.add(sq.Dense(2, 16, weight_regularizer_l2=5e-4, bias_regularizer_l1=1e-4,
                       weight_init="he", seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dropout(0.1, seed=2))
    model.add(sq.Dense(16, 1, seed=1))
    model.add(sq.Sigmoid())
    model.set(loss=sq.BinaryCrossentropy(), optimizer=sq.Adam(learning_rate=0.01))
    model.finalize()
    model.train(X, y, epochs=2, batch_size=BATCH, verbose=0)
    model.save(tmp_path / "binary.squareone")

    loaded = sq.Model.load(tmp_path / "binary.squareone")

    dense, dropout = loaded.layers[0], loaded.layers[2]
    assert (dense.weight_regularizer_l2, dense.bias_regularizer_l1) == (5e-4, 1e-4)
    assert dense.weight_init == "he" and dropout.rate == 0.1
    assert type(loaded.accuracy) is sq.BinaryAccuracy
    assert loaded.regularization_loss() == model.regularization_loss()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.evaluate(X, y) == model.evaluate(X, y)


def _regression_model(accuracy: sq.RegressionAccuracy) -> sq.Model:
    model = sq.Model()
    model.add(sq.Dense(1, 16, weight_init=0.1, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(16, 1, weight_init=0.1, seed=1))
    model.add(sq.Linear())
    model.set(loss=sq.MeanSquaredError(), optimizer=sq.Adam(learning_rate=0.005),
              accuracy=accuracy)
    model.finalize()
    return model


def test_regression_keeps_the_learned_precision(tmp_path) -> None:
    X, y = sq.datasets.sine_data(samples=200)
    model = _regression_model(sq.RegressionAccuracy())
    model.train(X, y, epochs=3, batch_size=BATCH, verbose=0)
    model.save(tmp_path / "sine.squareone")

    loaded = sq.Model.load(tmp_path / "sine.squareone")

    assert not loaded.accuracy.fixed_precision
    assert loaded.accuracy.precision == model.accuracy.precision == float(np.std(y)) / 250
    # A subset has another std: a loaded model that re-learned its precision would differ.
    assert loaded.evaluate(X[:50], y[:50]) == model.evaluate(X[:50], y[:50])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_regression_keeps_a_fixed_precision(tmp_path) -> None:
    model = _regression_model(sq.RegressionAccuracy(precision=0.05))
    model.save(tmp_path / "sine.squareone")

    loaded = sq.Model.load(tmp_path / "sine.squareone")

    assert loaded.accuracy.fixed_precision and loaded.accuracy.precision == 0.05


def test_inference_only_model(tmp_path) -> None:
    X, _ = _spiral()
    model = sq.Model()
    model.add(sq.Dense(2, 3, seed=0))
    model.add(sq.Softmax())
    model.finalize()
    model.save(tmp_path / "inference.squareone")

    loaded = sq.Model.load(tmp_path / "inference.squareone")

    assert loaded.loss is None and loaded.optimizer is None and loaded.accuracy is None
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_file_layout(tmp_path) -> None:
    path = _saved_classifier(tmp_path)

    metadata = _metadata(path)
    with safe_open(path, framework="np") as file:
        names = set(file.keys())

    assert metadata["format"] == "squareone-model"
    assert metadata["format_version"] == FORMAT_VERSION == 2
    assert metadata["squareone_version"] == sq.__version__
    assert metadata["dtype"] == "float32"
    assert metadata["layers"] == [
        {"class": "Dense", "config": {"n_inputs": 2, "n_neurons": 16}},
        {"class": "ReLU", "config": {}},
        {"class": "Dense", "config": {"n_inputs": 16, "n_neurons": 3}},
        {"class": "Softmax", "config": {}},
    ]
    assert metadata["loss"] == {"class": "CategoricalCrossentropy", "config": {}}
    assert metadata["optimizer"]["class"] == "Adam"
    assert metadata["optimizer"]["iterations"] == 5
    parameters = {f"layers.{i}.{name}" for i in (0, 2) for name in ("weights", "biases")}
    state = {f"optimizer.{name}.{buffer}" for name in parameters
             for buffer in ("momentums", "cache")}
    assert names == parameters | state  # no "scratch": work space is not state


def test_train_checkpoint_writes_a_loadable_model(tmp_path) -> None:
    model = _classifier()
    model.train(*_spiral(), epochs=2, batch_size=BATCH, verbose=0,
                checkpoint=tmp_path / "checkpoint.squareone")

    loaded = sq.Model.load(tmp_path / "checkpoint.squareone")

    _assert_same_parameters(loaded, model)
    assert os.listdir(tmp_path) == ["checkpoint.squareone"]


def test_loading_does_not_draw_from_the_book_stream(tmp_path) -> None:
    path = _saved_classifier(tmp_path)

    def first_weights_after_init(load: bool) -> np.ndarray:
        sq.nnfs.init(7)
        try:
            if load:
                sq.Model.load(path)
            return sq.Dense(2, 3).weights
        finally:
            sq.nnfs.reset()

    np.testing.assert_array_equal(first_weights_after_init(load=True),
                                  first_weights_after_init(load=False))


# --- errors when saving ----------------------------------------------------------------------


def test_save_before_finalize_is_an_error(tmp_path) -> None:
    model = sq.Model()
    model.add(sq.Dense(2, 3))
    with pytest.raises(RuntimeError, match="finalize"):
        model.save(tmp_path / "model.squareone")
    with pytest.raises(RuntimeError, match="finalize"):
        model.save_parameters(tmp_path / "model.squareone")
    assert os.listdir(tmp_path) == []


def test_saving_a_class_that_is_not_squareones_is_an_error(tmp_path) -> None:
    class MyReLU(sq.ReLU):
        pass

    model = sq.Model()
    model.add(sq.Dense(2, 3))
    model.add(MyReLU())
    model.finalize()
    with pytest.raises(TypeError, match="MyReLU.*only squareone's own classes"):
        model.save(tmp_path / "model.squareone")
    assert os.listdir(tmp_path) == []


def test_save_into_a_missing_directory_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="directory .*missing.* does not exist"):
        _classifier().save(tmp_path / "missing" / "model.squareone")


def test_save_replaces_an_existing_file(tmp_path) -> None:
    path = _saved_classifier(tmp_path)
    model = _classifier()  # untrained: other parameters than the saved ones
    model.save(path)

    _assert_same_parameters(sq.Model.load(path), model)
    assert os.listdir(tmp_path) == ["model.squareone"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_has_the_usual_permissions(tmp_path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    path = _saved_classifier(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("step, error", [
    ("fsync", OSError("disk full")),
    ("replace", OSError("permission denied")),
    ("fsync", KeyboardInterrupt()),
], ids=["fsync", "replace", "ctrl-c"])
def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch, step, error) -> None:
    path = _saved_classifier(tmp_path)
    previous = path.read_bytes()
    model = _classifier()  # other parameters: a finished save would change the file

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(type(error)):
        model.save(path)
    monkeypatch.undo()

    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == ["model.squareone"]  # no temporary file left behind


# --- errors when loading: files that are not squareone models -----------------------------------


def _npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.ones((2, 3)))
    return buffer.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"", "not a squareone file"),
    (np.random.default_rng(0).bytes(256), "not a squareone file"),
    (json.dumps({"format": "squareone-model", "format_version": 1}).encode(),
     "not a squareone file"),
    (_npz_bytes(), "not a squareone file"),
    (safetensors.numpy.save({"weights": np.ones((2, 3), np.float32)}),
     "without 'squareone' metadata"),
    (safetensors.numpy.save({"w": np.ones(2)}, metadata={"format": "pt"}),
     "without 'squareone' metadata"),
    (safetensors.numpy.save({}, metadata={"squareone": "{not json"}), "not valid JSON"),
    (safetensors.numpy.save({}, metadata={"squareone": '{"format": NaN}'}), "not valid JSON"),
    (safetensors.numpy.save({}, metadata={"squareone": "[1, 2]"}), "not a JSON object"),
    (safetensors.numpy.save({}, metadata={"squareone": '{"format": "keras"}'}),
     "unknown format 'keras'"),
], ids=["empty", "random", "json", "npz", "plain-safetensors", "other-metadata", "bad-json",
        "nan", "json-list", "other-format"])
def test_a_file_that_is_not_a_squareone_model(tmp_path, content, message) -> None:
    path = tmp_path / "model.squareone"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"cannot load '.*model.squareone': .*{message}"):
        load_model(path)


class _Payload:
    """Unpickling this runs ``function(*arguments)``: what a malicious model file would do."""

    def __init__(self, function, *arguments) -> None:
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


@pytest.mark.parametrize("payload", [
    lambda marker: _Payload(open, str(marker), "w"),
    lambda marker: _Payload(exec, f"open({str(marker)!r}, 'w').close()"),
    lambda marker: _Payload(os.system, f"touch '{marker}'"),
], ids=["open", "exec", "os.system"])
def test_a_pickle_payload_is_rejected_and_never_run(tmp_path, payload) -> None:
    # The payload is live: unpickling it does create its marker file.
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(payload(control)))
    assert control.exists()

    marker = tmp_path / "marker"
    path = tmp_path / "model.squareone"
    path.write_bytes(pickle.dumps(payload(marker)))
    with pytest.raises(ValueError, match="not a squareone file"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("keep", [0, 8, 40, -7], ids=["nothing", "length", "header", "data"])
def test_a_truncated_file(tmp_path, keep) -> None:
    path = _saved_classifier(tmp_path)
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_model(path)


def test_a_missing_file_is_file_not_found(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nothing.squareone")


@given(content=st.binary(max_size=300))
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_bytes_raise_only_value_error(tmp_path, content) -> None:
    path = tmp_path / "fuzz.squareone"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        load_model(path)


@given(data=st.data())
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_corrupted_byte_loads_or_raises_value_error(tmp_path, data) -> None:
    path = tmp_path / "model.squareone"
    if not path.exists():
        _saved_classifier(tmp_path)
    content = bytearray(path.read_bytes())
    index = data.draw(st.integers(0, len(content) - 1))
    content[index] = data.draw(st.integers(0, 255))
    corrupted = tmp_path / "corrupted.squareone"
    corrupted.write_bytes(bytes(content))
    try:
        load_model(corrupted)
    except ValueError as error:
        assert "cannot load" in str(error)


# --- errors when loading: squareone files with bad content ---------------------------------------


def _set(*keys_and_value):
    """Return an edit that sets ``metadata[k1][k2]... = value``."""
    *keys, last, value = keys_and_value

    def edit(metadata: dict) -> None:
        for key in keys:
            metadata = metadata[key]
        metadata[last] = value

    return edit


@pytest.mark.parametrize("edit, message", [
    (_set("format_version", FORMAT_VERSION + 1),
     rf"written by a newer squareone \(0\.1\.0\); format version {FORMAT_VERSION + 1}, this "
     rf"version reads up to {FORMAT_VERSION}"),
    (_set("format_version", 0), "format_version must be a positive integer"),
    (_set("format_version", "1"), "format_version must be a positive integer"),
    (_set("format", "squareone-parameters"), "parameters only.*load_parameters"),
    (_set("dtype", "float16"), "dtype must be 'float32' or 'float64'"),
    (lambda m: m.pop("layers"), "'layers' is missing"),
    (_set("layers", []), "no layers"),
    (_set("layers", 0, "Dense"), "layers\\[0\\] must be a JSON object"),
    (_set("layers", 0, "class", "os.system"), "layers\\[0\\]: unknown layer class 'os.system'"),
    (_set("layers", 1, "class", "__import__"), "unknown layer class '__import__'"),
    (_set("layers", 1, "class", "Model"), "unknown layer class 'Model'"),
    (_set("layers", 1, "class", "Layer"), "unknown layer class 'Layer'"),
    (_set("layers", 1, "class", ["ReLU"]), "unknown layer class"),
    (_set("loss", "class", "builtins.eval"), "loss: unknown loss class 'builtins.eval'"),
    (_set("optimizer", "class", "Optimizer"), "unknown optimizer class 'Optimizer'"),
    (_set("accuracy", "class", "RegressionAccuracy.__init__"), "unknown accuracy class"),
    (_set("layers", 0, "config", "n_inputs", {"a": 2}),
     "must be a number, string, boolean, null or a list of those"),
    (_set("layers", 0, "config", "n_inputs", [2]), "the sizes of Dense must be integers"),
    (_set("layers", 0, "config", "weight_bounds", [1, [2]]), "or a list of those"),
    (_set("layers", 0, "config", "activation", "os.system"), "activation must be one of"),
    (_set("layers", 0, "config", "sizes", [2, 3]), "Dense has no argument 'sizes'"),
    (_set("layers", 0, "config", "__class__", "x"), "Dense has no argument '__class__'"),
    (_set("layers", 0, "config", "seed", 1), "Dense has no argument 'seed'"),
    (_set("layers", 1, "config", "inplace", True), "ReLU has no argument 'inplace'"),
    (lambda m: m["layers"][0]["config"].pop("n_neurons"), "Dense needs the argument"),
    (_set("layers", 0, "config", "n_inputs", 3), "layers.0.weights' has shape \\(2, 16\\)"),
    (_set("layers", 0, "config", "n_neurons", 10**9), "layers.0.weights' has shape"),
    (_set("layers", 0, "config", "weight_init", "zeros"), "invalid arguments for Dense"),
    (_set("layers", 1, "class", "Dropout"), "invalid arguments for Dropout"),
    (_set("optimizer", "config", "learning_rate", -1.0), "invalid arguments for Adam"),
    (_set("loss", "class", "BinaryCrossentropy"), "do not fit together"),
    (_set("optimizer", "iterations", -1), "'iterations' must be a non-negative integer"),
    (_set("optimizer", "current_learning_rate", "fast"), "current_learning_rate"),
    (_set("accuracy", "learned_precision", 0.1), "only a RegressionAccuracy"),
], ids=lambda value: None if callable(value) else value[:40])
def test_bad_metadata_is_a_clear_value_error(tmp_path, edit, message) -> None:
    path = _saved_classifier(tmp_path)
    _rewrite(path, metadata=edit)
    with pytest.raises(ValueError, match=f"cannot load '.*model.squareone': .*{message}"):
        load_model(path)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.pop("layers.0.weights"), "tensor 'layers.0.weights' is missing"),
    (lambda t: t.pop("layers.2.biases"), "tensor 'layers.2.biases' is missing"),
    (lambda t: t.update({"layers.1.weights": np.ones((2, 2), np.float32)}),
     "unexpected layers.1.weights"),
    (lambda t: t.update({"optimizer.layers.0.weights.scratch": np.ones((2, 16), np.float32)}),
     "unexpected optimizer.layers.0.weights.scratch"),
    (lambda t: t.update({"layers.2.biases": np.zeros((3, 1), np.float32)}),
     r"'layers.2.biases' has shape \(3, 1\), the model expects \(1, 3\)"),
    (lambda t: t.update({"layers.0.biases": np.zeros((1, 16), np.float64)}),
     "'layers.0.biases' has dtype float64, the model expects float32"),
    (lambda t: t.update({"layers.0.biases": np.zeros((1, 16), np.int32)}), "has dtype int32"),
    (lambda t: t["layers.2.weights"].__setitem__((0, 0), np.nan), "NaN or infinite"),
    (lambda t: t.update({"optimizer.layers.0.weights.cache": np.ones((16, 2), np.float32)}),
     "'optimizer.layers.0.weights.cache' has shape"),
    (lambda t: t["optimizer.layers.0.biases.momentums"].__setitem__((0, 0), np.inf),
     "NaN or infinite"),
], ids=["missing-weights", "missing-biases", "extra", "scratch", "shape", "float64", "int",
        "nan", "state-shape", "state-inf"])
def test_tensors_that_do_not_match_the_architecture(tmp_path, edit, message) -> None:
    path = _saved_classifier(tmp_path)
    _rewrite(path, tensors=edit)
    with pytest.raises(ValueError, match=f"cannot load '.*model.squareone': .*{message}"):
        load_model(path)


def test_optimizer_state_without_saved_progress_is_unexpected(tmp_path) -> None:
    path = _saved_classifier(tmp_path, include_optimizer=False)
    _rewrite(path, tensors=lambda t: t.update(
        {"optimizer.layers.0.weights.cache": np.ones((2, 16), np.float32)}))
    with pytest.raises(ValueError, match="unexpected optimizer.layers.0.weights.cache"):
        load_model(path)


# --- parameters alone ----------------------------------------------------------------------


def _other_classifier(n_hidden: int = 16, extra_layer: bool = False,
                      dtype: str = "float32") -> sq.Model:
    """The classifier's architecture (or a variant) with other initial weights."""
    model = sq.Model(dtype=dtype)
    model.add(sq.Dense(2, n_hidden, seed=10))
    model.add(sq.ReLU())
    if extra_layer:
        model.add(sq.Dense(n_hidden, n_hidden, seed=12))
    model.add(sq.Dense(n_hidden, 3, seed=11))
    model.add(sq.Softmax())
    model.finalize()
    return model


def test_parameters_round_trip(tmp_path) -> None:
    X, y = _spiral()
    model = _classifier()
    model.train(X, y, epochs=2, batch_size=BATCH, verbose=0)
    path = tmp_path / "weights.squareone"
    model.save_parameters(path)
    other = _other_classifier()

    other.load_parameters(path)

    _assert_same_parameters(other, model)
    np.testing.assert_array_equal(other.predict(X), model.predict(X))
    metadata = _metadata(path)
    assert metadata == {"format": "squareone-parameters", "format_version": FORMAT_VERSION,
                        "squareone_version": sq.__version__, "dtype": "float32"}
    with safe_open(path, framework="np") as file:
        assert sorted(file.keys()) == ["layers.0.biases", "layers.0.weights",
                                       "layers.2.biases", "layers.2.weights"]


def test_load_parameters_from_a_model_file(tmp_path) -> None:
    path = _saved_classifier(tmp_path)
    other = _other_classifier()
    other.load_parameters(path)
    _assert_same_parameters(other, sq.Model.load(path))


def test_load_parameters_casts_between_float32_and_float64(tmp_path) -> None:
    model = _classifier()
    model.save_parameters(tmp_path / "weights.squareone")
    other = _other_classifier(dtype="float64")

    other.load_parameters(tmp_path / "weights.squareone")

    for (weights, biases), (weights64, biases64) in zip(model.get_parameters(),
                                                        other.get_parameters()):
        assert weights64.dtype == np.float64
        np.testing.assert_array_equal(weights64, weights)
        np.testing.assert_array_equal(biases64, biases)


@pytest.mark.parametrize("other, message", [
    (lambda: _other_classifier(n_hidden=32),
     r"'layers.0.weights' has shape \(2, 16\), the model expects \(2, 32\)"),
    (lambda: _other_classifier(extra_layer=True),
     "the file holds 4 parameter arrays, the model has 6; "
     "missing layers.3.weights, layers.3.biases"),
], ids=["shape", "count"])
def test_load_parameters_into_another_architecture(tmp_path, other, message) -> None:
    _classifier().save_parameters(tmp_path / "weights.squareone")
    model = other()
    before = model.get_parameters()

    with pytest.raises(ValueError, match=f"cannot load parameters from '.*weights.squareone': "
                                         f".*{message}"):
        model.load_parameters(tmp_path / "weights.squareone")

    for (weights, biases), (weights_after, biases_after) in zip(before,
                                                                model.get_parameters()):
        np.testing.assert_array_equal(weights, weights_after)  # a failed load changes nothing
        np.testing.assert_array_equal(biases, biases_after)


def test_load_parameters_checks_the_file(tmp_path) -> None:
    path = tmp_path / "weights.squareone"
    path.write_bytes(pickle.dumps({"layers.0.weights": np.ones((2, 16))}))
    with pytest.raises(ValueError, match="not a squareone file"):
        _other_classifier().load_parameters(path)


def test_load_parameters_needs_a_finalized_model(tmp_path) -> None:
    _classifier().save_parameters(tmp_path / "weights.squareone")
    model = sq.Model()
    model.add(sq.Dense(2, 16))
    with pytest.raises(RuntimeError, match="finalize"):
        model.load_parameters(tmp_path / "weights.squareone")
