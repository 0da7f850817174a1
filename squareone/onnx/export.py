"""Write a finalized squareone model as an ONNX graph (see :mod:`squareone.onnx`)."""

from __future__ import annotations

import json
import os

import numpy as np

import squareone
from squareone._extras import require
from squareone._files import check_output, write_atomically
from squareone.activations import Linear, ReLU, Sigmoid, Softmax, Step, Tanh
from squareone.layers import Dense, Dropout
from squareone.model import Model
from squareone.onnx.reader import ONNX_FILE

__all__ = ["export_onnx", "to_onnx", "DEFAULT_OPSET", "MIN_OPSET", "INPUT_NAME", "OUTPUT_NAME"]

#: Read by ONNX Runtime 1.6 (2020) and later; see the module docstring of squareone.onnx.
DEFAULT_OPSET = 13
#: The oldest opset written: Gemm broadcasts its bias since 7, Relu takes float64 since 6,
#: and opset 9 is the oldest that current ONNX Runtime releases still test.
MIN_OPSET = 9
INPUT_NAME, OUTPUT_NAME = "input", "output"

#: Activations that are one ONNX operator with no attributes.
_ONE_OPERATOR = {ReLU: "Relu", Sigmoid: "Sigmoid", Tanh: "Tanh", Linear: "Identity"}


def export_onnx(model: Model, path: str | os.PathLike, *, opset: int | None = None,
                class_names=None, overwrite: bool | None = None) -> None:
    """Write ``model`` to ``path`` as an ONNX file that ONNX Runtime and others can run.

    The file is checked with ``onnx.checker.check_model(full_check=True)`` (which also infers
    every shape) before it is written, and written atomically like ``Model.save``.

    Parameters
    ----------
    model : Model
        A finalized model of squareone's own layers (see the table in :mod:`squareone.onnx`).
    path : str or os.PathLike
        Where to write, ``model.onnx`` by convention; its directory must exist.
    opset : int, optional
        The ONNX opset to write, from :data:`MIN_OPSET` to the newest the installed ``onnx``
        knows; default :data:`DEFAULT_OPSET` (13), which older runtimes also read.
    class_names : sequence of str, optional
        Names of the output classes, stored as a JSON list under the metadata key
        ``"class_names"`` (one per output); by default ``model.class_names``, the names the
        model recorded when it was trained. ``model.dataset``, when known, is stored as
        ``"dataset"``. :func:`import_onnx` reads both back.
    overwrite : bool or None, default None
        None replaces only an existing ONNX file, True any regular file, False nothing
        (directories and devices never), as :func:`squareone.io.save_model`.

    Raises
    ------
    RuntimeError
        If the model is not finalized.
    TypeError
        If a layer has no ONNX form (the message names it), or ``class_names`` is not a
        sequence of strings.
    ValueError
        If ``opset`` is out of range or ``class_names`` does not have one name per output.
    ImportError
        If the ``onnx`` package is not installed (``pip install squareone[onnx]``).
    """
    check_output(path, ONNX_FILE, overwrite=overwrite)  # before the work, as model.save does
    data = to_onnx(model, opset=opset, class_names=class_names).SerializeToString()
    write_atomically(path, lambda file: file.write(data), ONNX_FILE, overwrite=overwrite)


def to_onnx(model: Model, *, opset: int | None = None, class_names=None):
    """Return ``model`` as a checked ``onnx.ModelProto`` (what :func:`export_onnx` writes)."""
    onnx = require("onnx", "onnx", "squareone.onnx.export_onnx")
    if not isinstance(model, Model):
        raise TypeError(f"model must be a squareone Model, got {type(model).__name__}")
    model._require_finalized("export_onnx")
    opset = _check_opset(onnx, opset)
    metadata = {"squareone_version": squareone.__version__}
    if model.dataset is not None:
        metadata["dataset"] = model.dataset
    if class_names is None:
        class_names = model.class_names
    if class_names is not None:
        metadata["class_names"] = json.dumps(_check_class_names(class_names, model.n_outputs))
    # Last: the file's final bytes, which the importer requires, so it can tell a truncated
    # file (a protocol buffer cut at a field boundary still parses) from a complete one.
    metadata["dtype"] = model.dtype.name
    graph = _Graph(onnx, model.dtype, opset)
    current = INPUT_NAME
    for index, layer in enumerate(model.layers):
        current = graph.add_layer(layer, index, current)
    graph.name_output(current)
    proto = onnx.helper.make_model(
        graph.make(model.n_features, model.n_outputs),
        producer_name="squareone", producer_version=squareone.__version__,
        opset_imports=[onnx.helper.make_opsetid("", opset)],
        ir_version=onnx.helper.find_min_ir_version_for([onnx.helper.make_opsetid("", opset)]))
    onnx.helper.set_model_props(proto, metadata)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _check_opset(onnx, opset) -> int:
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        return DEFAULT_OPSET
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise TypeError(f"opset must be an integer, got {type(opset).__name__}")
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be from {MIN_OPSET} to {newest} (the newest this onnx "
                         f"{onnx.__version__} knows), got {opset}")
    return int(opset)


def _check_class_names(class_names, n_outputs: int | None) -> list[str]:
    if isinstance(class_names, str) or not all(isinstance(name, str) for name in class_names):
        raise TypeError(f"class_names must be a sequence of strings, got {class_names!r}")
    names = list(class_names)
    if len(names) != n_outputs:
        raise ValueError(f"class_names must have one name per output ({n_outputs}), got "
                         f"{len(names)}")
    return names


class _Graph:
    """The nodes and initializers of the graph being built, one layer after another."""

    def __init__(self, onnx, dtype: np.dtype, opset: int) -> None:
        self.onnx, self.dtype, self.opset = onnx, dtype, opset
        self.element_type = onnx.helper.np_dtype_to_tensor_dtype(dtype)
        self.nodes, self.initializers = [], []

    def add_node(self, op_type: str, inputs: list[str], outputs: list[str], name: str,
                 **attributes) -> str:
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, outputs, name=name,
                                                     **attributes))
        return outputs[0]

    def name_output(self, current: str) -> None:
        """Call the graph's last value ``"output"``: rename it, or copy the input with Identity."""
        if current == INPUT_NAME:  # no layer with an ONNX node, e.g. a lone Dropout
            self.add_node("Identity", [current], [OUTPUT_NAME], OUTPUT_NAME)
        else:  # the layers form a chain, so the value is the last node's output
            self.nodes[-1].output[0] = OUTPUT_NAME

    def add_initializer(self, name: str, array: np.ndarray) -> str:
        array = np.ascontiguousarray(array, dtype=self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def add_layer(self, layer, index: int, current: str) -> str:
        """Add the nodes of ``layer``, which reads ``current``; return its output's name."""
        prefix, kind = f"layers.{index}", type(layer)
        if kind is Dense:
            weights = self.add_initializer(f"{prefix}.weights", layer.weights)
            # ONNX wants a 1-D bias (n_neurons,); Gemm broadcasts it over the batch.
            biases = self.add_initializer(f"{prefix}.biases", layer.biases.reshape(-1))
            return self.add_node("Gemm", [current, weights, biases], [prefix], prefix)
        if kind is Dropout:
            return current
        if kind in _ONE_OPERATOR:
            return self.add_node(_ONE_OPERATOR[kind], [current], [prefix], prefix)
        if kind is Softmax:
            # Before opset 13 Softmax flattened its input to 2-D around ``axis`` (default 1);
            # our inputs are 2-D, so axis 1 is the last axis in every opset.
            axis = -1 if self.opset >= 13 else 1
            return self.add_node("Softmax", [current], [prefix], prefix, axis=axis)
        if kind is Step:
            zero = self.add_initializer(f"{prefix}.zero", np.zeros((), dtype=self.dtype))
            positive = self.add_node("Greater", [current, zero], [f"{prefix}.positive"],
                                     f"{prefix}.greater")
            return self.add_node("Cast", [positive], [prefix], prefix, to=self.element_type)
        raise TypeError(f"cannot export layer {index}, {layer!r}: it has no ONNX form; ONNX "
                        "export supports Dense, Dropout, ReLU, Sigmoid, Tanh, Softmax, Linear "
                        "and Step (squareone's own classes, not subclasses)")

    def make(self, n_features: int | None, n_outputs: int | None):
        helper = self.onnx.helper
        # The batch dimension is symbolic, so any number of rows runs through the graph.
        graph_input = helper.make_tensor_value_info(INPUT_NAME, self.element_type,
                                                    ["batch", n_features])
        graph_output = helper.make_tensor_value_info(OUTPUT_NAME, self.element_type,
                                                     ["batch", n_outputs])
        return helper.make_graph(self.nodes, "squareone", [graph_input], [graph_output],
                                 initializer=self.initializers)
