"""ONNX export and import, checked against ONNX Runtime, PyTorch and ``squareone predict``.

Every exported file is run by ONNX Runtime (the reference runtime), never by our own importer
alone, so an error shared by the exporter and the importer cannot hide.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT, real_data, require_extra

import squareone as sq
from squareone.cli import main
from squareone.onnx import DEFAULT_OPSET, MIN_OPSET

ACTIVATIONS = [sq.ReLU, sq.Sigmoid, sq.Tanh, sq.Softmax, sq.Linear, sq.Step]
TOLERANCE = {"float32": 1e-6, "float64": 1e-12}


@pytest.fixture(scope="module")
def onnx():
    return require_extra("onnx", "onnx")


@pytest.fixture(scope="module")
def ort():
    return require_extra("onnxruntime", "onnx")


def _run_onnx(ort, path, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": X})[0]


def _model(activation, dtype: str, n_inputs: int = 5) -> sq.Model:
    model = sq.Model(dtype=dtype)
    model.add(sq.Dense(n_inputs, 16, weight_init="he", seed=1))
    model.add(activation())
    model.add(sq.Dropout(0.3))
    model.add(sq.Dense(16, 4, weight_init="he", seed=2))
    model.add(activation())
    model.finalize()
    # Non-zero biases, so that a bias dropped or misplaced shows in the outputs.
    model.set_parameters([(w, b + np.linspace(-0.5, 0.5, b.size, dtype=dtype))
                          for w, b in model.get_parameters()])
    return model


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda cls: cls.__name__)
def test_onnx_runtime_matches_predict_for_every_activation(onnx, ort, tmp_path, activation,
                                                           dtype):
    model = _model(activation, dtype)
    path = tmp_path / "model.onnx"
    sq.io.export_onnx(model, path)
    onnx.checker.check_model(str(path), full_check=True)
    X = np.random.default_rng(0).normal(scale=2.0, size=(257, 5)).astype(dtype)
    expected = model.predict(X)
    outputs = _run_onnx(ort, path, X)
    assert outputs.dtype == np.dtype(dtype) and outputs.shape == expected.shape
    np.testing.assert_allclose(outputs, expected, rtol=0, atol=TOLERANCE[dtype])
    # The batch dimension is dynamic: one row and another batch size work too.
    np.testing.assert_allclose(_run_onnx(ort, path, X[:1]), expected[:1], rtol=0,
                               atol=TOLERANCE[dtype])
    if activation is sq.Step:  # a step's outputs are exactly 0 or 1: nothing to round
        np.testing.assert_array_equal(outputs, expected)


@pytest.mark.parametrize("opset", [MIN_OPSET, DEFAULT_OPSET, "newest"])
def test_every_opset_in_range_is_written_checked_and_run(onnx, ort, tmp_path, opset):
    opset = onnx.defs.onnx_opset_version() if opset == "newest" else opset
    model = sq.Model()
    for layer in (sq.Dense(3, 8, seed=1), sq.Tanh(), sq.Dense(8, 8, seed=2), sq.Step(),
                  sq.Dense(8, 4, seed=3), sq.Softmax()):
        model.add(layer)
    model.finalize()
    path = tmp_path / "model.onnx"
    model.export_onnx(path, opset=opset)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [(entry.domain, entry.version) for entry in proto.opset_import] == [("", opset)]
    X = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    np.testing.assert_allclose(_run_onnx(ort, path, X), model.predict(X), rtol=0, atol=1e-6)


def test_graph_names_shapes_and_metadata(onnx, tmp_path):
    model = _model(sq.Softmax, "float64")
    path = tmp_path / "model.onnx"
    model.export_onnx(path, class_names=[f"class {i}" for i in range(4)])
    proto = onnx.load(str(path))
    graph = proto.graph
    assert [node.op_type for node in graph.node] == ["Gemm", "Softmax", "Gemm", "Softmax"]
    assert proto.opset_import[0].version == DEFAULT_OPSET == 13 and proto.ir_version == 7
    (graph_input,), (graph_output,) = graph.input, graph.output
    assert (graph_input.name, graph_output.name) == ("input", "output")
    dims = graph_input.type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 5
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    properties = {entry.key: entry.value for entry in proto.metadata_props}
    assert properties["squareone_version"] == sq.__version__
    assert json.loads(properties["class_names"]) == ["class 0", "class 1", "class 2", "class 3"]
    assert proto.producer_name == "squareone"


def test_the_models_data_set_and_class_names_travel_through_onnx(onnx, tmp_path):
    model = _model(sq.Softmax, "float32")
    model.dataset, model.class_names = "toys", ("ball", "kite", "yo-yo", "top")
    model.export_onnx(tmp_path / "named.onnx")
    properties = {entry.key: entry.value for entry in onnx.load(str(tmp_path / "named.onnx"))
                  .metadata_props}
    assert properties["dataset"] == "toys"
    assert json.loads(properties["class_names"]) == ["ball", "kite", "yo-yo", "top"]
    imported = sq.io.import_onnx(tmp_path / "named.onnx")
    assert (imported.dataset, imported.class_names) == ("toys", ("ball", "kite", "yo-yo", "top"))
    model.export_onnx(tmp_path / "given.onnx", class_names=["a", "b", "c", "d"])
    assert sq.io.import_onnx(tmp_path / "given.onnx").class_names == ("a", "b", "c", "d")
    model.dataset = model.class_names = None
    model.export_onnx(tmp_path / "plain.onnx")
    plain = sq.io.import_onnx(tmp_path / "plain.onnx")
    assert (plain.dataset, plain.class_names) == (None, None)


def test_export_refuses_what_it_cannot_write(onnx, tmp_path):
    class Scale(sq.layers.Layer):
        def forward(self, inputs, training=False):
            return 2 * inputs

    model = _model(sq.ReLU, "float32")
    model.add(Scale())
    model.finalize()
    with pytest.raises(TypeError, match=r"layer 5, Scale\(\).*no ONNX form"):
        sq.io.export_onnx(model, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()
    ok = _model(sq.ReLU, "float32")
    with pytest.raises(ValueError, match="opset must be from 9 to"):
        ok.export_onnx(tmp_path / "x.onnx", opset=8)
    with pytest.raises(TypeError, match="opset must be an integer"):
        ok.export_onnx(tmp_path / "x.onnx", opset=13.0)
    with pytest.raises(ValueError, match=r"one name per output \(4\), got 3"):
        ok.export_onnx(tmp_path / "x.onnx", class_names=["a", "b", "c"])
    with pytest.raises(RuntimeError, match="finalize"):
        sq.io.export_onnx(sq.Model(), tmp_path / "x.onnx")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda cls: cls.__name__)
def test_round_trip_gives_identical_parameters_and_predictions(onnx, tmp_path, activation,
                                                               dtype):
    model = _model(activation, dtype)
    path = tmp_path / "model.onnx"
    model.export_onnx(path)
    loaded = sq.io.import_onnx(path)
    assert loaded.dtype == np.dtype(dtype)
    assert [type(layer) for layer in loaded.layers] == [
        type(layer) for layer in model.layers if not isinstance(layer, sq.Dropout)]
    for (w0, b0), (w1, b1) in zip(model.get_parameters(), loaded.get_parameters(), strict=True):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)
    X = np.random.default_rng(2).normal(size=(64, 5)).astype(dtype)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_an_imported_model_evaluates_and_trains_further(onnx, tmp_path):
    model = _model(sq.Sigmoid, "float64")
    model.export_onnx(tmp_path / "model.onnx")
    loaded = sq.io.import_onnx(tmp_path / "model.onnx")
    X = np.random.default_rng(2).normal(size=(64, 5))
    y = (X[:, :4] > 0).astype(int)
    assert isinstance(loaded.loss, sq.BinaryCrossentropy)
    before = loaded.evaluate(X, y)["loss"]
    loaded.set(optimizer=sq.Adam(learning_rate=0.01))
    loaded.finalize()
    loaded.train(X, y, epochs=30, verbose=0)
    assert loaded.evaluate(X, y)["loss"] < before


@pytest.fixture(scope="module")
def fashion(tmp_path_factory):
    """A Fashion-MNIST model trained briefly, saved as a squareone file, and the test set."""
    (X, y), (X_test, y_test) = sq.datasets.load_fashion_mnist(real_data("fashion-mnist"),
                                                              download=False)
    X, X_test = sq.datasets.prepare_images(X), sq.datasets.prepare_images(X_test)
    model = sq.Model()
    for layer in (sq.Dense(784, 128, weight_init="he", seed=1), sq.ReLU(),
                  sq.Dense(128, 128, weight_init="he", seed=2), sq.ReLU(),
                  sq.Dense(128, 10, weight_init="he", seed=3), sq.Softmax()):
        model.add(layer)
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(decay=1e-3))
    model.finalize()
    # One epoch over a third of the data: quick, and trained enough (about 0.8 accuracy).
    model.train(X[:20_000], y[:20_000], epochs=1, batch_size=128, shuffle=True, seed=0,
                verbose=0)
    # What `squareone train --dataset fashion-mnist` records, and export stores by default.
    model.dataset = "fashion-mnist"
    model.class_names = tuple(sq.datasets.mnist.class_names("fashion-mnist"))
    folder = tmp_path_factory.mktemp("fashion")
    model.save(folder / "fashion.squareone")
    return model, folder, X_test, y_test


def test_fashion_mnist_onnx_runtime_agrees_on_every_test_image(ort, fashion):
    model, folder, X_test, y_test = fashion
    assert main(["export", str(folder / "fashion.squareone"), str(folder / "fashion.onnx")]) == 0
    probabilities = _run_onnx(ort, folder / "fashion.onnx", X_test)
    expected = model.predict(X_test)
    # 784-long float32 dot products summed in another order differ by a few float32 ulps of
    # the logits (measured: up to 1.4e-6 in the probabilities); the classes must not differ.
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-5)
    classes = probabilities.argmax(axis=1)
    np.testing.assert_array_equal(classes, expected.argmax(axis=1))  # all 10,000 images
    assert len(classes) == 10_000
    accuracy = float(np.mean(classes == y_test))
    assert accuracy == model.evaluate(X_test, y_test)["accuracy"] and accuracy > 0.75


def _predict_lines(capsys, model_file: Path, images: list[str]) -> list[str]:
    assert main(["predict", str(model_file), *images]) == 0
    return capsys.readouterr().out.splitlines()


def test_cli_predict_reads_onnx_files_like_squareone_files(ort, fashion, capsys):
    _, folder, _, _ = fashion
    onnx_file = folder / "cli.onnx"
    assert main(["export", str(folder / "fashion.squareone"), str(onnx_file)]) == 0
    assert "fashion-mnist class names" in capsys.readouterr().out
    images = sorted(str(path) for path in (REPO_ROOT / "examples" / "images").glob("*.png"))
    assert len(images) == 5
    expected = _predict_lines(capsys, folder / "fashion.squareone", images)
    assert _predict_lines(capsys, onnx_file, images) == expected
    assert re.fullmatch(r".*trousers\.png: Trouser \(\d+\.\d%\)", expected[3])


def test_cli_export_errors_are_one_line(onnx, tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing.squareone"), str(tmp_path / "m.onnx")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("squareone: error: model file '") and error.endswith("not found\n")
    assert main(["export", "model.squareone", str(tmp_path / "model.txt")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err
    assert main(["export", "model.squareone", "model.onnx", "--opset", "3"]) == 2
    assert "--opset" in capsys.readouterr().err


def _readme_snippet() -> str:
    """The onnxruntime + Pillow snippet of the README's section on ONNX."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Deploy anywhere: ONNX"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_snippet_classifies_like_squareone_predict(ort, fashion, capsys):
    _, folder, _, _ = fashion
    assert main(["export", str(folder / "fashion.squareone"), str(folder / "fashion.onnx")]) == 0
    capsys.readouterr()
    snippet = _readme_snippet()
    assert "import squareone" not in snippet and len(snippet.strip().splitlines()) <= 6
    images = sorted(str(path) for path in (REPO_ROOT / "examples" / "images").glob("*.png"))
    result = subprocess.run([sys.executable, "-c", snippet, *images], cwd=folder,
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.splitlines() == _predict_lines(capsys, folder / "fashion.squareone",
                                                        images)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_pytorch_sequential_mlp_imports_and_predicts_the_same(ort, tmp_path, dtype, dynamo):
    torch = require_extra("torch", "bench")
    if dynamo:  # torch's newer exporter needs onnxscript
        require_extra("onnxscript", "test")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16),
                              torch.nn.Tanh(), torch.nn.Linear(16, 8), torch.nn.Sigmoid(),
                              torch.nn.Linear(8, 3), torch.nn.Softmax(dim=1))
    net = net.to(getattr(torch, dtype)).eval()
    example = torch.zeros((2, 6), dtype=getattr(torch, dtype))
    path = tmp_path / "torch.onnx"
    if dynamo:
        torch.onnx.export(net, (example,), str(path), input_names=["x"], dynamo=True,
                          external_data=False,  # one self-contained file
                          dynamic_shapes=({0: torch.export.Dim("batch")},))
    else:
        torch.onnx.export(net, (example,), str(path), input_names=["x"], dynamo=False,
                          dynamic_axes={"x": {0: "batch"}})
    model = sq.io.import_onnx(path)
    assert [type(layer) for layer in model.layers] == [
        sq.Dense, sq.ReLU, sq.Dense, sq.Tanh, sq.Dense, sq.Sigmoid, sq.Dense, sq.Softmax]
    assert model.dtype == np.dtype(dtype)
    X = np.random.default_rng(3).normal(size=(100, 6)).astype(dtype)
    with torch.no_grad():
        expected = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model.predict(X), expected, rtol=0, atol=TOLERANCE[dtype])
    np.testing.assert_array_equal(model.predict_classes(X), expected.argmax(axis=1))


def test_onnx_stays_optional(monkeypatch, tmp_path):
    code = ("import sys, squareone, squareone.cli, squareone.onnx; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'onnxruntime')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120)
    assert result.stdout.strip() == "[]"
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install squareone\[onnx\]"):
        _model(sq.ReLU, "float32").export_onnx(tmp_path / "model.onnx")
    with pytest.raises(ImportError, match=r"import_onnx needs onnx.*squareone\[onnx\]"):
        sq.io.import_onnx(tmp_path / "model.onnx")
