"""import_onnx with files from anywhere: other writers' graphs, unsupported graphs, hostile files.

Loading an ONNX file must be as safe as loading a squareone file: nothing runs, nothing outside
the file is opened, and every problem is a ValueError naming what is wrong, before any large
allocation.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import require_extra

import squareone as sq


@pytest.fixture(scope="module")
def onnx():
    return require_extra("onnx", "onnx")


def _weights(rows: int, columns: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, columns)).astype(np.float32)


def _write(onnx, path, nodes, initializers, *, features=4, inputs=None, outputs=None,
           opset=13) -> str:
    """Write a graph from input ``x`` (batch, features) to output ``y``; return the path."""
    helper, FLOAT = onnx.helper, onnx.TensorProto.FLOAT
    inputs = inputs or [helper.make_tensor_value_info("x", FLOAT, ["batch", features])]
    outputs = outputs or [helper.make_tensor_value_info("y", FLOAT, None)]
    tensors = [onnx.numpy_helper.from_array(value, name) for name, value in initializers.items()]
    graph = helper.make_graph(nodes, "test", inputs, outputs, initializer=tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = str(path / "model.onnx")
    onnx.save(model, path)
    return path


def _node(onnx, op_type, inputs, output, name=None, **attributes):
    return onnx.helper.make_node(op_type, inputs, [output], name=name or output, **attributes)


# --- other writers' forms of the same layers ---------------------------------------------------


def test_matmul_add_and_gemm_with_transposed_weights_are_dense_layers(onnx, tmp_path):
    W1, b1, W2 = _weights(4, 6, 1), _weights(1, 6, 2)[0], _weights(3, 6, 3)  # W2: (out, in)
    nodes = [_node(onnx, "MatMul", ["x", "W1"], "h"), _node(onnx, "Add", ["b1", "h"], "a"),
             _node(onnx, "Relu", ["a"], "r"), _node(onnx, "Gemm", ["r", "W2"], "y", transB=1)]
    path = _write(onnx, tmp_path, nodes, {"W1": W1, "b1": b1, "W2": W2})
    model = sq.io.import_onnx(path)
    assert [type(layer) for layer in model.layers] == [sq.Dense, sq.ReLU, sq.Dense, sq.Linear]
    X = _weights(10, 4, 4)
    expected = np.maximum(X @ W1 + b1, 0) @ W2.T  # the ONNX operators' definitions
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-6, atol=1e-6)
    assert isinstance(model.loss, sq.MeanSquaredError)


def test_flatten_dropout_and_matmul_without_add_are_read_as_the_identity(onnx, tmp_path):
    W = _weights(4, 2)
    nodes = [_node(onnx, "Flatten", ["x"], "f", axis=1), _node(onnx, "Dropout", ["f"], "d"),
             _node(onnx, "MatMul", ["d", "W"], "m"), _node(onnx, "Softmax", ["m"], "y", axis=1)]
    model = sq.io.import_onnx(_write(onnx, tmp_path, nodes, {"W": W}, opset=11))
    X = _weights(5, 4, 1)
    logits = X @ W
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(model.get_parameters()[0][1], np.zeros((1, 2)))


# --- graphs squareone cannot express: refused, naming the node -----------------------------------


@pytest.mark.parametrize(("node_args", "message"), [
    (("Gemm", ["x", "W"], "y", "dense", {"transA": 1}), r"'dense' \(Gemm\) has transA=1"),
    (("Gemm", ["x", "W"], "y", "dense", {"alpha": 2.0}), r"'dense' \(Gemm\) has alpha=2"),
    (("Relu", ["x"], "y", "act", {"alpha": 0.1}), r"'act' \(Relu\) has the attribute 'alpha'"),
    (("LeakyRelu", ["x"], "y", "leaky", {}), r"'leaky' \(LeakyRelu\) is not supported"),
    (("Softmax", ["x"], "y", "soft", {"axis": 0}), r"'soft' \(Softmax\) has axis=0"),
    (("Greater", ["x", "W"], "y", "cmp", {}), r"'cmp' \(Greater\) compares with"),
    (("Greater", ["x", ""], "y", "cmp", {}), r"'cmp' \(Greater\): its second input must be"),
    # Operator names that spell the importer's own helpers are just unknown operators.
    (("Set_biases", ["x", "W"], "y", "sneaky", {}), r"'sneaky' \(Set_biases\) is not supported"),
    (("Matrix", ["x", "W"], "y", "sneaky", {}), r"'sneaky' \(Matrix\) is not supported"),
])
def test_unsupported_operators_and_attributes_are_refused_by_node(onnx, tmp_path, node_args,
                                                                  message):
    op_type, inputs, output, name, attributes = node_args
    path = _write(onnx, tmp_path, [_node(onnx, op_type, inputs, output, name, **attributes)],
                  {"W": _weights(4, 3)})
    with pytest.raises(ValueError, match=message):
        sq.io.import_onnx(path)


def test_convolutions_branches_and_foreign_domains_are_refused(onnx, tmp_path):
    helper, FLOAT = onnx.helper, onnx.TensorProto.FLOAT
    image = [helper.make_tensor_value_info("x", FLOAT, ["batch", 1, 4, 4])]
    conv = _write(onnx, tmp_path, [_node(onnx, "Conv", ["x", "K"], "y", "conv")],
                  {"K": _weights(1, 9).reshape(1, 1, 3, 3)}, inputs=image)
    with pytest.raises(ValueError, match="4 dimensions"):
        sq.io.import_onnx(conv)
    branches = [_node(onnx, "Relu", ["x"], "a"), _node(onnx, "Tanh", ["x"], "b"),
                _node(onnx, "Add", ["a", "b"], "y", "join")]
    with pytest.raises(ValueError, match=r"'b' \(Tanh\) reads \['x'\].*without branches"):
        sq.io.import_onnx(_write(onnx, tmp_path, branches, {}))
    custom = [helper.make_node("Relu", ["x"], ["y"], name="mine", domain="com.example")]
    with pytest.raises(ValueError, match=r"'mine' \(Relu\) is from the operator set"):
        sq.io.import_onnx(_write(onnx, tmp_path, custom, {}))
    two_outputs = [helper.make_tensor_value_info(name, FLOAT, None) for name in ("y", "x")]
    with pytest.raises(ValueError, match="2 outputs"):
        sq.io.import_onnx(_write(onnx, tmp_path, [_node(onnx, "Relu", ["x"], "y")], {},
                                 outputs=two_outputs))


# --- hostile and broken files ------------------------------------------------------------------


def test_declared_shapes_must_match_the_data_before_anything_is_allocated(onnx, tmp_path):
    huge = onnx.TensorProto(name="W", data_type=onnx.TensorProto.FLOAT, dims=[10**6, 10**6],
                            raw_data=b"\0" * 16)  # declares 4 TB, holds 16 bytes
    graph = onnx.helper.make_graph(
        [_node(onnx, "Gemm", ["x", "W"], "y")], "huge",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["batch", 10**6])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        initializer=[huge])
    path = tmp_path / "huge.onnx"
    onnx.save(onnx.helper.make_model(graph), str(path))
    with pytest.raises(ValueError, match=r"initializer 'W' declares shape \(1000000, 1000000\)"):
        sq.io.import_onnx(path)
    wide = _write(onnx, tmp_path, [_node(onnx, "Gemm", ["x", "W"], "y", "dense")],
                  {"W": _weights(4, 3)}, features=10**12)
    with pytest.raises(ValueError, match=r"'dense' \(Gemm\).*fit the 1000000000000 features"):
        sq.io.import_onnx(wide)


def test_external_data_is_refused_without_opening_it(onnx, tmp_path):
    tensor = onnx.numpy_helper.from_array(_weights(4, 3), "W")
    onnx.external_data_helper.set_external_data(tensor, location="/etc/passwd")
    tensor.ClearField("raw_data")
    graph = onnx.helper.make_graph(
        [_node(onnx, "Gemm", ["x", "W"], "y")], "external",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["batch", 4])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        initializer=[tensor])
    path = tmp_path / "external.onnx"
    path.write_bytes(onnx.helper.make_model(graph).SerializeToString())
    with pytest.raises(ValueError, match="initializer 'W' refers to external data"):
        sq.io.import_onnx(path)


def test_nan_weights_and_wrong_dtypes_are_refused(onnx, tmp_path):
    nodes = [_node(onnx, "Gemm", ["x", "W"], "y", "dense")]
    W = _weights(4, 3)
    W[1, 2] = np.nan
    with pytest.raises(ValueError, match="initializer 'W' holds NaN"):
        sq.io.import_onnx(_write(onnx, tmp_path, nodes, {"W": W}))
    with pytest.raises(ValueError, match=r"weights 'W' must be a 2-D float32 constant"):
        sq.io.import_onnx(_write(onnx, tmp_path, nodes, {"W": _weights(4, 3).astype("f8")}))


def test_files_that_are_not_onnx_models_give_a_clear_error(onnx, tmp_path):
    model = sq.Model()
    model.add(sq.Dense(2, 2, seed=0))
    model.finalize()
    model.save(tmp_path / "model.squareone")
    (tmp_path / "text.onnx").write_text("hello, world\n")
    (tmp_path / "empty.onnx").write_bytes(b"")
    for name, message in [("model.squareone", "not an ONNX model"),
                          ("text.onnx", "not an ONNX model"), ("empty.onnx", "empty")]:
        with pytest.raises(ValueError, match=message):
            sq.io.import_onnx(tmp_path / name)
    with pytest.raises(ValueError, match="is a directory, not an ONNX file"):
        sq.io.import_onnx(tmp_path)
    with pytest.raises(FileNotFoundError):
        sq.io.import_onnx(tmp_path / "missing.onnx")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(onnx, tmp_path):
    os.mkfifo(tmp_path / "pipe.onnx")
    with pytest.raises(ValueError, match="not a regular file"):
        sq.io.import_onnx(tmp_path / "pipe.onnx")


@pytest.fixture
def exported(onnx, tmp_path) -> bytes:
    model = sq.Model()
    for layer in (sq.Dense(4, 8, seed=1), sq.ReLU(), sq.Dense(8, 3, seed=2), sq.Softmax()):
        model.add(layer)
    model.finalize()
    model.export_onnx(tmp_path / "model.onnx", class_names=["a", "b", "c"])
    return (tmp_path / "model.onnx").read_bytes()


def test_larger_files_than_max_bytes_are_refused(exported, tmp_path):
    (tmp_path / "model.onnx").write_bytes(exported)
    assert len(sq.io.import_onnx(tmp_path / "model.onnx").layers) == 4
    with pytest.raises(ValueError, match=f"has {len(exported):,} bytes, more than max_bytes"):
        sq.io.import_onnx(tmp_path / "model.onnx", max_bytes=len(exported) - 1)


def test_every_truncation_gives_a_value_error(exported, tmp_path):
    # Cuts in the trailing metadata too: a protocol buffer cut at a field boundary parses.
    path = tmp_path / "cut.onnx"
    for length in range(1, len(exported)):
        path.write_bytes(exported[:length])
        with pytest.raises(ValueError, match="cannot import"):
            sq.io.import_onnx(path)


def test_corrupted_bytes_give_a_value_error_or_a_valid_model(exported, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "corrupt.onnx"
    outcomes = {"refused": 0, "read": 0}
    for _ in range(300):
        data = bytearray(exported)
        for position in rng.integers(0, len(data), size=3):
            data[position] = int(rng.integers(0, 256))
        path.write_bytes(bytes(data))
        try:  # any other exception type fails the test
            model = sq.io.import_onnx(path)
        except ValueError as error:
            assert str(error).startswith("cannot import")
            outcomes["refused"] += 1
        else:
            assert model.finalized and model.predict(np.zeros((1, 4))).shape == (1, 3)
            outcomes["read"] += 1
    assert outcomes["refused"] > 0 and outcomes["read"] > 0  # both paths were exercised


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 20 steps
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_scikit_learn_mlps_converted_by_skl2onnx_import_and_predict_the_same(onnx, tmp_path,
                                                                            kind):
    skl2onnx = require_extra("skl2onnx", "test")
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    X = _weights(60, 4, 5)
    if kind == "regressor":
        estimator = MLPRegressor(hidden_layer_sizes=(8, 8), max_iter=20, random_state=0)
        estimator.fit(X, X.sum(axis=1))
        options, output, expected = None, None, estimator.predict(X)[:, None]
    else:
        estimator = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
        estimator.fit(X, np.digitize(X.sum(axis=1), [-1, 0, 1]))  # 4 classes
        options, output = {"zipmap": False}, "probabilities"
        expected = estimator.predict_proba(X)
    proto = skl2onnx.to_onnx(estimator, X[:1], options=options and {id(estimator): options})
    path = tmp_path / "sklearn.onnx"
    path.write_bytes(proto.SerializeToString())
    model = sq.io.import_onnx(path, output=output)
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)
    if output:  # the label output beside it is a branch: the file needs output= to be read
        with pytest.raises(ValueError, match=r"2 outputs, \['label', 'probabilities'\]"):
            sq.io.import_onnx(path)


def test_reshapes_that_change_the_data_and_unknown_outputs_are_refused(onnx, tmp_path):
    nodes = [_node(onnx, "Gemm", ["x", "W"], "h"), _node(onnx, "Reshape", ["h", "S"], "y", "r")]
    keep = _write(onnx, tmp_path, nodes, {"W": _weights(4, 3), "S": np.array([-1, 3])})
    layers = sq.io.import_onnx(keep).layers  # the reshape to (batch, 3) is a no-op
    assert [type(layer) for layer in layers] == [sq.Dense, sq.Linear]
    with pytest.raises(ValueError, match="the graph has no output 'probabilities'"):
        sq.io.import_onnx(keep, output="probabilities")
    change = _write(onnx, tmp_path, nodes, {"W": _weights(4, 3), "S": np.array([3, -1])})
    with pytest.raises(ValueError, match=r"'r' \(Reshape\) reshapes to \[3, -1\]"):
        sq.io.import_onnx(change)
