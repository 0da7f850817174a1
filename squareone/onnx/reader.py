"""Read an ONNX file safely into a squareone Model (see :mod:`squareone.onnx`).

An ONNX file is a protocol buffer: data only, which parsing never executes. Everything read
from it is then checked before it is used: the file must be a regular file no larger than
``max_bytes`` (checked before reading it), every tensor's declared shape must match the data
it holds (checked before any array is made, so a tiny file cannot declare a huge matrix), no
tensor may point to external data files, and the graph must be a plain chain of operators
squareone has (:mod:`squareone.onnx.graph`). Any problem raises a ``ValueError`` that names the
file and the node or tensor at fault.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from squareone._extras import require
from squareone._files import FileKind, open_regular_file
from squareone._validation import check_positive_int
from squareone.model import Model
from squareone.onnx.graph import Invalid, layers_from_graph

__all__ = ["import_onnx", "MAX_FILE_BYTES", "ONNX_FILE"]

#: The largest file :func:`import_onnx` reads unless told otherwise: 1 GiB, a dense network
#: of 250 million float32 parameters (a protocol buffer cannot exceed 2 GiB anyway).
MAX_FILE_BYTES = 1 << 30

#: The first byte of a serialized ModelProto is the tag of one of its fields (writers emit
#: ``ir_version``, tag 0x08, first); anything else is not an ONNX model (a squareone file
#: starts with the length of its JSON header, a text file with a letter).
_MODEL_FIELD_TAGS = frozenset({0x08, 0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72, 0xA2,
                               0xCA, 0xD2})


def import_onnx(path: str | os.PathLike, *, output: str | None = None,
                max_bytes: int = MAX_FILE_BYTES) -> Model:
    """Read an ONNX file holding a dense network into a finalized squareone Model.

    Reads the graphs squareone can express: a chain of ``Gemm`` (or ``MatMul`` + ``Add``)
    layers with ``Relu``, ``Sigmoid``, ``Tanh``, ``Softmax`` (last axis), ``Identity`` and
    ``Greater`` + ``Cast`` (a step) between them, as written by :func:`export_onnx`, by
    PyTorch's ``torch.onnx.export`` of an ``nn.Sequential`` MLP, skl2onnx's ``MLPRegressor``
    and multi-class ``MLPClassifier`` (``output="probabilities"``), or other converters.
    ``Dropout``, ``Flatten``, and ``Reshape`` or ``Cast`` that leave 2-D data as it is, are
    read as the identity they are at inference.

    The model gets the loss its output suggests (``CategoricalCrossentropy`` after Softmax,
    ``BinaryCrossentropy`` after Sigmoid, ``MeanSquaredError`` otherwise, none after a step)
    and no optimizer: ``predict`` and ``evaluate`` work at once; to train it further, call
    ``model.set(optimizer=sq.Adam())`` and ``model.finalize()``. A graph that ends in a
    ``Gemm`` gets a ``Linear`` output layer (the identity), as squareone's regression models.

    Parameters
    ----------
    path : str or os.PathLike
        The ONNX file.
    output : str, optional
        The graph output to read, when the graph has several (a classifier's
        ``"probabilities"`` beside its ``"label"``); only the nodes it depends on are read.
        By default the graph must have exactly one output.
    max_bytes : int, default MAX_FILE_BYTES (1 GiB)
        Refuse larger files before reading them.

    Returns
    -------
    Model
        A finalized model in float32 or float64, the dtype of the graph.

    Raises
    ------
    ValueError
        If the file is not a regular file, is larger than ``max_bytes``, is not ONNX, is
        truncated or corrupt, refers to external data, or holds an operator, attribute or
        graph shape that squareone cannot express (the message names the node).
    FileNotFoundError
        If there is no file at ``path``.
    ImportError
        If the ``onnx`` package is not installed (``pip install squareone[onnx]``).
    """
    onnx = require("onnx", "onnx", "squareone.onnx.import_onnx")
    max_bytes = check_positive_int(max_bytes, "max_bytes")
    if output is not None and not isinstance(output, str):
        raise TypeError(f"output must be the name of a graph output (a string), got "
                        f"{type(output).__name__}")
    path = Path(path)
    try:
        proto = _parse(onnx, _read_bytes(path, max_bytes))
        dtype, layers, parameters = layers_from_graph(proto, _tensor_reader(onnx), output)
        _check_complete(proto, dtype)
        model = _build_model(dtype, layers, parameters)
        _restore_names(model, proto)
        return model
    except Invalid as problem:
        raise ValueError(f"cannot import {str(path)!r}: {problem}") from None


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """Return the file's bytes after checking it is a regular file of at most ``max_bytes``."""
    try:
        file = open_regular_file(path, "ONNX file")  # never blocks on a FIFO or a device
    except (ValueError, IsADirectoryError) as error:
        raise Invalid(str(error)) from None
    with file:
        size = os.fstat(file.fileno()).st_size
        if size > max_bytes:
            raise Invalid(f"the file has {size:,} bytes, more than max_bytes={max_bytes:,}")
        first = file.read(1)
        if not first:
            raise Invalid("the file is empty")
        if not _looks_like_onnx(first):
            raise Invalid("not an ONNX model file (it does not start like a serialized "
                          "ModelProto)")
        # Read at most one byte more than allowed, in case the file grew since fstat.
        data = first + file.read(max_bytes)
    if len(data) > max_bytes:
        raise Invalid(f"the file has more than max_bytes={max_bytes:,} bytes")
    return data


def _looks_like_onnx(first: bytes) -> bool:
    return len(first) == 1 and first[0] in _MODEL_FIELD_TAGS


#: What ``export_onnx`` replaces without ``overwrite=True``: an existing ONNX model file.
ONNX_FILE = FileKind("an ONNX model", lambda file: _looks_like_onnx(file.read(1)))


def _parse(onnx, data: bytes):
    from google.protobuf.message import DecodeError

    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except (DecodeError, ValueError, RecursionError) as error:
        raise Invalid(f"not an ONNX model, or the file is truncated or corrupt ({error})") \
            from None
    if not proto.HasField("graph"):
        raise Invalid("the file holds no graph: not an ONNX model, or it is truncated")
    return proto


def _check_complete(proto, dtype: np.dtype) -> None:
    """Refuse a squareone file cut short at a field boundary, which parses without error.

    A protocol buffer has no length or checksum, and its last fields are the metadata; the
    exporter writes ``dtype`` as the very last entry, so a file from squareone without it (or
    with another dtype than its graph) was truncated or altered.
    """
    if proto.producer_name != "squareone":
        return
    properties = {entry.key: entry.value for entry in proto.metadata_props}
    if properties.get("dtype") != dtype.name:
        raise Invalid(f"a squareone file without its final metadata entry dtype={dtype.name!r} "
                      f"(found {properties.get('dtype')!r}): the file is truncated or altered")


def _restore_names(model: Model, proto) -> None:
    """Set ``model.dataset`` and ``model.class_names`` from the metadata, checked as io does."""
    from squareone.io import _Invalid, _restore_data

    try:  # JSONDecodeError and UnicodeDecodeError (bytes that are not UTF-8) are ValueErrors
        properties = {entry.key: entry.value for entry in proto.metadata_props}
        names = properties.get("class_names")
        names = None if names is None else json.loads(names)
    except ValueError:
        raise Invalid("metadata class_names is not a JSON list of strings") from None
    try:
        _restore_data(model, {"dataset": properties.get("dataset"), "class_names": names})
    except _Invalid as problem:
        raise Invalid(f"metadata: {problem}") from None


def _tensor_reader(onnx):
    """Return ``read(tensor, where)``: a TensorProto's values, checked before any allocation."""
    dtypes = {onnx.TensorProto.FLOAT: np.dtype("<f4"), onnx.TensorProto.DOUBLE: np.dtype("<f8"),
              onnx.TensorProto.INT64: np.dtype("<i8")}
    fields = {onnx.TensorProto.FLOAT: "float_data", onnx.TensorProto.DOUBLE: "double_data",
              onnx.TensorProto.INT64: "int64_data"}
    external = onnx.TensorProto.EXTERNAL

    def read(tensor, where: str) -> np.ndarray:
        if tensor.data_location == external or len(tensor.external_data):
            raise Invalid(f"{where} refers to external data; squareone reads self-contained "
                          "files only (nothing outside the file is opened)")
        if tensor.HasField("segment"):
            raise Invalid(f"{where} is a segment of a tensor, which squareone does not read")
        if tensor.data_type not in dtypes:
            name = onnx.TensorProto.DataType.Name(tensor.data_type) \
                if tensor.data_type in onnx.TensorProto.DataType.values() else tensor.data_type
            raise Invalid(f"{where} has element type {name}; squareone reads FLOAT, DOUBLE "
                          "(and INT64 constants)")
        shape = tuple(tensor.dims)
        if any(size < 0 for size in shape):
            raise Invalid(f"{where} declares a negative dimension: shape {shape}")
        count, dtype = math.prod(shape), dtypes[tensor.data_type]
        # The declared shape must match the data actually in the file before any array of
        # that shape exists: the data is bounded by the file size, the declaration is not.
        if tensor.raw_data:
            if len(tensor.raw_data) != count * dtype.itemsize:
                raise Invalid(f"{where} declares shape {shape} ({count:,} values) but holds "
                              f"{len(tensor.raw_data):,} bytes")
            values = np.frombuffer(tensor.raw_data, dtype=dtype)
        else:
            stored = getattr(tensor, fields[tensor.data_type])
            if len(stored) != count:
                raise Invalid(f"{where} declares shape {shape} ({count:,} values) but holds "
                              f"{len(stored):,}")
            values = np.array(stored, dtype=dtype)
        values = values.astype(dtype.newbyteorder("="), copy=True).reshape(shape)
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise Invalid(f"{where} holds NaN or infinite values")
        return values

    return read


def _build_model(dtype: np.dtype, layers: list, parameters: list) -> Model:
    """Build and finalize the model, with a loss that fits its output, then copy parameters."""
    from squareone.activations import Sigmoid, Softmax, Step
    from squareone.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError

    model = Model(dtype=dtype)
    for layer in layers:
        model.add(layer)
    last = type(layers[-1])
    if last is Softmax:
        model.set(loss=CategoricalCrossentropy())
    elif last is Sigmoid:
        model.set(loss=BinaryCrossentropy())
    elif last is not Step:
        model.set(loss=MeanSquaredError())
    model.finalize()
    model.set_parameters(parameters)
    return model
