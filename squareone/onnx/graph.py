"""Turn a parsed ONNX graph into squareone layers, or say which node cannot be expressed.

The graph must be a chain: one input, one output, and every node reads the previous node's
output (plus constants). Walking it node by node in file order (ONNX requires topological
order), each operator becomes a layer, is folded into the previous one (``MatMul`` + ``Add``;
``Greater`` + ``Cast``), or is the identity at inference (``Dropout``, 2-D ``Flatten``).
"""

from __future__ import annotations

import numpy as np

from squareone.activations import Linear, ReLU, Sigmoid, Softmax, Step, Tanh
from squareone.layers import Dense

__all__ = ["Invalid", "layers_from_graph"]

#: Element types of graph inputs and outputs (onnx.TensorProto.FLOAT and DOUBLE).
_FLOAT_TYPES = {1: np.dtype("float32"), 11: np.dtype("float64")}
_ACTIVATIONS = {"Relu": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh}
#: Attributes each operator may have; any other is refused, never ignored.
_ATTRIBUTES = {"Gemm": {"alpha", "beta", "transA", "transB"}, "Softmax": {"axis"},
               "Flatten": {"axis"}, "Dropout": {"seed", "ratio", "is_test"}, "Cast": {"to"},
               "Constant": {"value", "value_float"}, "Reshape": {"allowzero"}}
#: The operators read by a method of _Walk, and that method's name.
_HANDLERS = {op_type: f"_{op_type.lower()}" for op_type in (
    "Gemm", "MatMul", "Add", "Softmax", "Flatten", "Dropout", "Greater", "Cast", "Identity",
    "Reshape")}
#: Inputs each operator needs (one, the data, unless listed).
_MIN_INPUTS = {"Gemm": 2, "MatMul": 2, "Add": 2, "Greater": 2, "Reshape": 2}
_SUPPORTED = ("Gemm, MatMul + Add, Relu, Sigmoid, Tanh, Softmax, Identity, Greater + Cast, "
              "and as the identity Dropout, Flatten, Reshape and Cast of 2-D data")


class Invalid(Exception):
    """A problem with the file's content; import_onnx re-raises it as ValueError."""


def layers_from_graph(proto, read_tensor, output: str | None = None
                      ) -> tuple[np.dtype, list, list]:
    """Return the dtype, the layers and the ``(weights, biases)`` of each Dense layer.

    ``read_tensor(tensor_proto, where)`` returns a checked array (see ``reader.py``).
    ``output`` names the graph output to read when there are several; only the nodes it
    depends on are read.
    """
    _check_opsets(proto)
    graph = proto.graph
    if len(graph.sparse_initializer):
        raise Invalid("the graph has sparse initializers, which squareone does not read")
    constants = _Constants(graph.initializer, read_tensor)
    source, dtype, width = _graph_input(graph, constants)
    walk = _Walk(source, dtype, width, constants, read_tensor)
    target = _output_name(graph, output)
    for node in _needed_nodes(graph, target):
        walk.visit(node)
    walk.finish_pending()
    if target != walk.current:
        raise Invalid(f"the graph output {target!r} is not the end of the chain of nodes that "
                      f"starts at the input ({walk.current!r})")
    if not walk.layers:
        raise Invalid("the graph has no layers")
    if isinstance(walk.layers[-1], Dense):
        walk.layers.append(Linear())  # what squareone's regression models end in
    return dtype, walk.layers, walk.parameters


def _output_name(graph, output: str | None) -> str:
    names = [value.name for value in graph.output]
    if output is None and len(names) == 1:
        return names[0]
    if output is None:
        raise Invalid(f"the graph has {len(names)} outputs, {names}; pass output= to choose "
                      "the one to read (e.g. the probabilities of a classifier)")
    if output not in names:
        raise Invalid(f"the graph has no output {output!r}; its outputs are {names}")
    return output


def _needed_nodes(graph, target: str) -> list:
    """The nodes ``target`` depends on, in file order (others feed other outputs)."""
    needed, wanted = [], {target}
    for node in reversed(graph.node):
        if wanted.intersection(node.output):
            needed.append(node)
            wanted.update(name for name in node.input if name)
    return needed[::-1]


def _check_opsets(proto) -> None:
    versions = {entry.domain: entry.version for entry in proto.opset_import}
    # The version itself matters little: the operators read here mean the same in every
    # opset (Softmax's default axis moved from 1 to -1 in 13, both the last of two axes).
    if versions.get("", versions.get("ai.onnx")) is None:
        raise Invalid("the model imports no version of the standard ONNX operators")


class _Constants(dict):
    """Constant arrays by name, each read (and checked) from its TensorProto on first use.

    Lazily, because a graph may hold tensors squareone never reads (skl2onnx's class labels).
    """

    def __init__(self, initializers, read_tensor) -> None:
        super().__init__()
        self.protos = {tensor.name: tensor for tensor in initializers}
        self.read_tensor = read_tensor

    def __contains__(self, name) -> bool:
        return super().__contains__(name) or name in self.protos

    def __missing__(self, name: str) -> np.ndarray:
        value = self.read_tensor(self.protos[name], f"initializer {name!r}")
        self[name] = value
        return value

    def get(self, name, default=None):
        return self[name] if name in self else default


def _graph_input(graph, constants: dict) -> tuple[str, np.dtype, int | None]:
    """Return the name, dtype and feature count (if declared) of the one true input."""
    # Before IR version 4 the initializers were listed among the inputs too.
    inputs = [value for value in graph.input if value.name not in constants]
    if len(inputs) != 1:
        raise Invalid(f"the graph has {len(inputs)} inputs; squareone models have one")
    value = inputs[0]
    if not value.type.HasField("tensor_type"):
        raise Invalid(f"input {value.name!r} is not a tensor")
    tensor_type = value.type.tensor_type
    if tensor_type.elem_type not in _FLOAT_TYPES:
        raise Invalid(f"input {value.name!r} has element type {tensor_type.elem_type}; "
                      "squareone reads float32 (1) and float64 (11) models")
    dims = tensor_type.shape.dim
    if tensor_type.HasField("shape") and len(dims) != 2:
        raise Invalid(f"input {value.name!r} has {len(dims)} dimensions; squareone models "
                      "take 2-D inputs (batch, features)")
    width = dims[1].dim_value if len(dims) == 2 and dims[1].HasField("dim_value") else None
    return value.name, _FLOAT_TYPES[tensor_type.elem_type], width


class _Walk:
    """The state of the walk along the chain: the current value, the layers so far."""

    def __init__(self, source: str, dtype: np.dtype, width: int | None, constants: dict,
                 read_tensor) -> None:
        self.current, self.dtype, self.width = source, dtype, width
        self.constants, self.read_tensor = constants, read_tensor
        self.layers: list = []
        self.parameters: list = []
        self.pending: tuple[str, str] | None = None  # ("MatMul" or "Greater", its output)
        self.seen: set[str] = {source}  # values made by the chain, to refuse branches

    def visit(self, node) -> None:
        where = f"node {node.name or '(unnamed)'!r} ({node.op_type})"
        if node.domain not in ("", "ai.onnx"):
            raise Invalid(f"{where} is from the operator set {node.domain!r}; squareone reads "
                          "standard ONNX operators only")
        allowed = _ATTRIBUTES.get(node.op_type, set())
        for attribute in node.attribute:
            if attribute.name not in allowed:
                raise Invalid(f"{where} has the attribute {attribute.name!r}, which squareone "
                              "cannot express")
        if not len(node.output) or not node.output[0]:
            raise Invalid(f"{where} has no output")
        if node.op_type == "Constant":
            return self._constant(node, where)
        if len(node.input) < _MIN_INPUTS.get(node.op_type, 1):
            raise Invalid(f"{where} has {len(node.input)} inputs; {node.op_type} needs "
                          f"{_MIN_INPUTS.get(node.op_type, 1)}")
        data = [name for name in node.input if name and name not in self.constants]
        first_is_data = node.input[0] == self.current or node.op_type == "Add"
        if data != [self.current] or not first_is_data:
            raise Invalid(f"{where} reads {list(node.input)}, not the previous node's output "
                          f"{self.current!r} and constants: squareone imports plain chains of "
                          "layers, without branches")
        extra_outputs = [name for name in node.output[1:] if name]
        if extra_outputs and node.op_type != "Dropout":
            raise Invalid(f"{where} has {len(node.output)} outputs; squareone expects one")
        if self.pending and (node.op_type, self.pending[0]) not in {("Add", "MatMul"),
                                                                     ("Cast", "Greater")}:
            self.finish_pending()
        # The operator name from the file is looked up in fixed tables, never used to find
        # a method by name.
        if node.op_type in _ACTIVATIONS:
            self.layers.append(_ACTIVATIONS[node.op_type]())
        elif node.op_type in _HANDLERS:
            getattr(self, _HANDLERS[node.op_type])(node, where)
        else:
            raise Invalid(f"{where} is not supported: squareone imports {_SUPPORTED} "
                          "(dense networks; no convolutions, branches or other operators)")
        if node.output[0] in self.seen:
            raise Invalid(f"{where} writes {node.output[0]!r}, which an earlier node wrote")
        self.current = node.output[0]
        self.seen.add(self.current)

    def finish_pending(self) -> None:
        """A MatMul without Add keeps its zero biases; a Greater without Cast is refused."""
        if self.pending and self.pending[0] == "Greater":
            raise Invalid(f"Greater output {self.pending[1]!r} is not cast to a float: "
                          "squareone reads Greater only as Greater + Cast (a Step)")
        self.pending = None

    # --- one method per operator, named after it ---------------------------------------------

    def _constant(self, node, where: str) -> None:
        attribute = node.attribute[0] if len(node.attribute) == 1 else None
        if attribute is None:
            raise Invalid(f"{where} must have exactly one of 'value', 'value_float'")
        if attribute.name == "value":
            value = self.read_tensor(attribute.t, where)
        else:
            value = np.array(attribute.f, dtype=np.float32)
        if len(node.output) != 1 or node.output[0] in self.constants:
            raise Invalid(f"{where} must have one output with a new name")
        self.constants[node.output[0]] = value

    def _gemm(self, node, where: str) -> None:
        attributes = {attribute.name: attribute for attribute in node.attribute}
        for name, expected in (("alpha", 1.0), ("beta", 1.0)):
            if name in attributes and attributes[name].f != expected:
                raise Invalid(f"{where} has {name}={attributes[name].f}; squareone reads "
                              f"{name}=1 only")
        if "transA" in attributes and attributes["transA"].i != 0:
            raise Invalid(f"{where} has transA={attributes['transA'].i}; squareone reads "
                          "transA=0 only (the batch in rows)")
        transpose = "transB" in attributes and attributes["transB"].i != 0
        if len(node.input) < 2:
            raise Invalid(f"{where} has no weight input")
        weights = self._matrix(node.input[1], where)
        self._add_dense(weights.T if transpose else weights, where)
        if len(node.input) > 2 and node.input[2]:
            self._set_biases(node.input[2], where)

    def _matmul(self, node, where: str) -> None:
        self._add_dense(self._matrix(node.input[1], where), where)
        self.pending = ("MatMul", node.output[0])

    def _add(self, node, where: str) -> None:
        if not self.pending or self.pending[0] != "MatMul":
            raise Invalid(f"{where} does not follow a MatMul: squareone reads Add only as the "
                          "biases of a Dense layer")
        other = node.input[1] if node.input[0] == self.current else node.input[0]
        self.pending = None
        self._set_biases(other, where)

    def _softmax(self, node, where: str) -> None:
        attributes = {attribute.name: attribute.i for attribute in node.attribute}
        # The default axis is 1 before opset 13 and -1 from 13 on: both the last of 2 axes.
        if attributes.get("axis", -1) not in (-1, 1):
            raise Invalid(f"{where} has axis={attributes['axis']}; squareone's Softmax is over "
                          "the last axis (-1 or 1 for 2-D data)")
        self.layers.append(Softmax())

    def _flatten(self, node, where: str) -> None:
        attributes = {attribute.name: attribute.i for attribute in node.attribute}
        if attributes.get("axis", 1) != 1:
            raise Invalid(f"{where} has axis={attributes['axis']}; only axis=1, the identity "
                          "on 2-D data, has a squareone equivalent")

    def _dropout(self, node, where: str) -> None:
        if len(node.input) > 2 and node.input[2]:
            training = self.constants[node.input[2]]
            if training.size != 1 or bool(training.reshape(-1)[0]):
                raise Invalid(f"{where} is in training mode; squareone imports inference graphs")

    def _greater(self, node, where: str) -> None:
        threshold = self._required_constant(node.input[1], where)
        if threshold.size != 1 or threshold.reshape(-1)[0] != 0:
            raise Invalid(f"{where} compares with {threshold.reshape(-1)[:3]}, not 0: only "
                          "Greater(x, 0) + Cast, a Step, has a squareone equivalent")
        self.pending = ("Greater", node.output[0])

    def _cast(self, node, where: str) -> None:
        attributes = {attribute.name: attribute.i for attribute in node.attribute}
        if _FLOAT_TYPES.get(attributes.get("to")) != self.dtype:
            raise Invalid(f"{where} casts to element type {attributes.get('to')}, not the "
                          f"model's {self.dtype.name}")
        if self.pending and self.pending[0] == "Greater":
            self.pending = None
            self.layers.append(Step())
        # Otherwise a cast of the model's floats to their own type (skl2onnx starts with one).

    def _identity(self, node, where: str) -> None:
        # squareone's Linear layer: kept where it is the output layer of a regression model
        # (after a Dense layer), left out after an activation, where it changes nothing.
        if not self.layers or isinstance(self.layers[-1], Dense):
            self.layers.append(Linear())

    def _reshape(self, node, where: str) -> None:
        shape = self._required_constant(node.input[1], where).reshape(-1)
        allow_zero = any(attribute.i for attribute in node.attribute)
        keeps = {(-1, self.width), (0, self.width), (0, -1)} - ({(0, self.width), (0, -1)}
                                                                if allow_zero else set())
        if len(shape) != 2 or self.width is None or tuple(shape.tolist()) not in keeps:
            raise Invalid(f"{where} reshapes to {shape.tolist()}; only a reshape of (batch, "
                          f"{self.width}) data to itself has a squareone equivalent")

    # --- helpers -------------------------------------------------------------------------------

    def _required_constant(self, name: str, where: str) -> np.ndarray:
        if not name or name not in self.constants:
            raise Invalid(f"{where}: its second input must be a constant, got {name!r}")
        return self.constants[name]

    def _matrix(self, name: str, where: str) -> np.ndarray:
        value = self.constants.get(name)
        if value is None or value.ndim != 2 or value.dtype != self.dtype:
            described = "missing" if value is None else f"{value.dtype} of shape {value.shape}"
            raise Invalid(f"{where}: the weights {name!r} must be a 2-D {self.dtype.name} "
                          f"constant, got {described}")
        return value

    def _add_dense(self, weights: np.ndarray, where: str) -> None:
        n_inputs, n_neurons = weights.shape
        if self.width is not None and n_inputs != self.width:
            raise Invalid(f"{where}: weights of shape {weights.shape} do not fit the "
                          f"{self.width} features that reach them")
        if n_inputs == 0 or n_neurons == 0:
            raise Invalid(f"{where}: weights of shape {weights.shape} are empty")
        # seed=0: building the layer must not advance the book's shared random stream; its
        # initial weights are replaced by the file's.
        self.layers.append(Dense(n_inputs, n_neurons, seed=0, dtype=self.dtype))
        self.parameters.append((weights, np.zeros((1, n_neurons), self.dtype)))
        self.width = n_neurons

    def _set_biases(self, name: str, where: str) -> None:
        biases = self.constants.get(name)
        n_neurons = self.width
        if biases is None or biases.dtype != self.dtype or biases.size not in (1, n_neurons) \
                or biases.ndim > 2 or (biases.ndim == 2 and biases.shape[0] != 1):
            described = "missing" if biases is None else f"{biases.dtype} of shape {biases.shape}"
            raise Invalid(f"{where}: the biases {name!r} must be a {self.dtype.name} constant "
                          f"of shape ({n_neurons},) or (1, {n_neurons}), got {described}")
        weights = self.parameters[-1][0]
        self.parameters[-1] = (weights, np.broadcast_to(biases.reshape(1, -1), (1, n_neurons)))
