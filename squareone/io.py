"""Saving and loading models safely: one safetensors file, no pickle, nothing executed.

``model.save("model.squareone")`` writes a single `safetensors <https://huggingface.co/docs/
safetensors>`_ file: the parameters as named tensors, and the architecture as JSON text in the
file's metadata. ``squareone.Model.load("model.squareone")`` rebuilds an equivalent model:
``predict`` and ``evaluate`` give the very same numbers and, with the optimizer state saved
(the default), ``train`` continues exactly as if it had never stopped.

Loading is safe with files from anywhere. The file is data only: safetensors holds raw numbers
and JSON, never code, and the class names in the JSON are looked up in a fixed table of
squareone's own classes (never imported or evaluated), with their arguments restricted to
plain JSON numbers, strings, booleans and nulls and then checked by the constructors. Any
problem raises a ``ValueError`` that names the file and what is wrong. Only regular files are
read (a FIFO or a device is refused without waiting), and the header's declared sizes and the
metadata are checked before the tensors are read (:mod:`squareone._files`).

File format ``"squareone-model"``, version 2
--------------------------------------------
Metadata key ``"squareone"`` holds a JSON object::

    {"format": "squareone-model", "format_version": 2, "squareone_version": "0.1.0",
     "dtype": "float32",
     "dataset": "mnist" or null,
     "class_names": ["0", "1", ...] or null,
     "layers": [{"class": "Dense", "config": {"n_inputs": 2, "n_neurons": 64}},
                {"class": "ReLU", "config": {}}, ...],
     "loss": {"class": "CategoricalCrossentropy", "config": {}} or null,
     "accuracy": {"class": "RegressionAccuracy", "config": {}, "learned_precision": 0.002}
                 or null,
     "optimizer": {"class": "Adam", "config": {"learning_rate": 0.05, ...},
                   "iterations": 300, "current_learning_rate": 0.05} or null}

``config`` is what each object's ``config()`` returns: its constructor arguments, as JSON
numbers, strings, booleans, nulls, or lists of those.
``dataset`` and ``class_names`` are the model's attributes of those names: what it was trained
on and the name of each output class (null when unknown). Version 2 added them, and
Dense layers' optional ``activation`` and ``weight_bounds``; version 1 files load with both
None.
``learned_precision`` is present when a ``RegressionAccuracy`` learned its precision from the
training targets; ``iterations`` and ``current_learning_rate`` when the optimizer state was
saved. Tensors:

* ``layers.<i>.weights``, ``layers.<i>.biases``: parameters of the layer at index ``i`` of
  ``model.layers`` (activations count, so a Dense-ReLU-Dense model has ``layers.0.*`` and
  ``layers.2.*``), in the model's dtype.
* ``optimizer.layers.<i>.<parameter>.<buffer>``: optimizer state (``momentums``, ``cache``).

Version 2 (Keras-style layers) adds to version 1 two optional keys of a Dense layer's config:
``"activation"``, the name of the activation applied inside the layer (``"relu"``,
``"sigmoid"``, ``"tanh"``, ``"softmax"``, ``"linear"``, ``"step"``: looked up in a fixed table),
and ``"weight_bounds"``, a list ``[low, high]``. Files of version 1 load unchanged; a layer whose
input size was inferred is saved with it, so every file names every size.

``save_parameters`` writes format ``"squareone-parameters"``: the ``layers.*`` tensors alone,
with metadata ``format``, ``format_version``, ``squareone_version`` and ``dtype`` (each tensor's
shape is in the safetensors header).

Not saved: random generators. A loaded ``Dropout`` layer draws fresh masks (from the book's
stream after :func:`squareone.nnfs.init`), so training *with dropout* does not resume bit for
bit; without dropout it does.
"""

from __future__ import annotations

import inspect
import json
import os
from io import BytesIO
from pathlib import Path

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

import squareone
from squareone import _files
from squareone._validation import check_number, shorten
from squareone.activations import Linear, ReLU, Sigmoid, Softmax, Step, Tanh
from squareone.layers import Dense, Dropout
from squareone.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanSquaredError,
    SoftmaxCategoricalCrossentropy,
)
from squareone.metrics import BinaryAccuracy, CategoricalAccuracy, RegressionAccuracy
from squareone.model import Model
from squareone.optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop

__all__ = ["save_model", "load_model", "save_parameters", "load_parameters", "read_metadata",
           "model_to_bytes", "model_from_bytes", "export_onnx", "import_onnx",
           "MODEL_FILE", "PARAMETERS_FILE", "MODEL_FORMAT", "PARAMETERS_FORMAT", "FORMAT_VERSION"]

MODEL_FORMAT = "squareone-model"
PARAMETERS_FORMAT = "squareone-parameters"
#: The newest format version this squareone writes and reads (2: the data set and class
#: names, and Dense layers that hold an activation and weight bounds; see the module docstring).
FORMAT_VERSION = 2
#: The one safetensors metadata key we use (safetensors metadata maps strings to strings).
METADATA_KEY = "squareone"


def _by_name(*classes: type) -> dict[str, type]:
    return {cls.__name__: cls for cls in classes}


#: The only classes a file can name, per role. A name read from a file is looked up here and
#: nowhere else, so a file can never reach a module, a function or any other class.
_CLASSES: dict[str, dict[str, type]] = {
    "layer": _by_name(Dense, Dropout, ReLU, Softmax, Sigmoid, Tanh, Linear, Step),
    "loss": _by_name(CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError,
                     MeanAbsoluteError, SoftmaxCategoricalCrossentropy),
    "optimizer": _by_name(SGD, Adagrad, RMSprop, Adam),
    "accuracy": _by_name(CategoricalAccuracy, BinaryAccuracy, RegressionAccuracy),
}

#: Constructor arguments the loader sets itself, so a file may not: ``dtype`` is the model's,
#: and ``seed`` is fixed because a Dense layer draws initial weights when created and loading
#: must not advance the book's shared random stream; the weights are replaced from the file.
_SET_BY_LOADER: dict[type, dict] = {Dense: {"seed": 0}}
_RESERVED_ARGUMENTS = frozenset({"seed", "dtype"})

#: The state each optimizer keeps per parameter. Its other entries are not state: ``param``
#: ties the entry to its array, and ``scratch`` is work space overwritten before every read.
_OPTIMIZER_STATE: dict[type, tuple[str, ...]] = {
    SGD: ("momentums",), Adagrad: ("cache",), RMSprop: ("cache",), Adam: ("momentums", "cache"),
}

_JSON_SCALARS = (str, int, float, bool, type(None))


class _Invalid(Exception):
    """A problem with the file's content; the public functions re-raise it as ValueError."""


# --- public functions ---------------------------------------------------------------------------


def save_model(model: Model, path: str | os.PathLike, *, include_optimizer: bool = True,
               overwrite: bool | None = None) -> None:
    """Save a finalized model (architecture, parameters, optimizer state) to one file.

    The file is written next to ``path`` under a temporary name and then renamed over it, so
    ``path`` always holds either the previous file or the complete new one, even if saving
    fails or the machine stops halfway.

    Parameters
    ----------
    model : Model
        A finalized model built from squareone's own layers, loss, optimizer and accuracy.
    path : str or os.PathLike
        Where to write; any name works, ``model.squareone`` by convention. Its directory must
        exist. A symbolic link is written through: the file it points to is replaced.
    include_optimizer : bool, default True
        Also save the optimizer's step count, current learning rate and state (momentums,
        caches), so that training resumes exactly. With False only its class and
        hyperparameters are saved: a loaded model starts training with a fresh optimizer.
    overwrite : bool or None, default None
        ``None`` replaces an existing squareone model file that is not read-only, and refuses
        any other existing file (a text file, a PNG, a parameters file); ``True`` replaces any
        regular file, read-only ones included; ``False`` never replaces a file. A replaced
        file keeps its permissions. Directories, devices, FIFOs and sockets are never replaced.

    Raises
    ------
    RuntimeError
        If the model is not finalized.
    TypeError
        If the model holds a class that is not squareone's own (it could not be rebuilt).
    FileNotFoundError
        If the directory of ``path`` does not exist.
    FileExistsError, PermissionError, IsADirectoryError, ValueError
        If ``path`` holds something ``overwrite`` does not allow replacing (see above), or
        its directory is not writable. Nothing is written.

    Examples
    --------
    >>> model.save("model.squareone")                    # doctest: +SKIP
    >>> model = squareone.Model.load("model.squareone")  # doctest: +SKIP
    """
    _write_atomically(path, model_to_bytes(model, include_optimizer=include_optimizer),
                      MODEL_FILE, overwrite)


def model_to_bytes(model: Model, *, include_optimizer: bool = True) -> bytes:
    """Return the bytes :func:`save_model` writes to a file, without writing any file.

    For sending a model to another process (scikit-learn's parallel jobs pickle the estimators
    this way); :func:`model_from_bytes` reads them back, with the checks of :func:`load_model`.
    """
    model._require_finalized("save")
    metadata = {
        **_header(MODEL_FORMAT, model),
        **_describe_data(model),
        "layers": [_describe("layer", layer) for layer in model.layers],
        "loss": _describe("loss", model.loss),
        "accuracy": _describe_accuracy(model.accuracy),
        "optimizer": _describe_optimizer(model.optimizer, include_optimizer),
    }
    parameters = _named_parameters(model)
    tensors = dict(parameters)
    if include_optimizer and model.optimizer is not None:
        tensors.update(_optimizer_state(model))
    return _serialize(tensors, metadata)


def load_model(path: str | os.PathLike) -> Model:
    """Rebuild a finalized model saved with :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_model` (``Model.save``).

    Returns
    -------
    Model
        A finalized model with the saved layers, parameters, loss, accuracy and optimizer
        (with its state, when it was saved).

    Raises
    ------
    ValueError
        If the file is not a squareone model, is truncated or corrupt, was written by a newer
        squareone, names a class squareone does not have, or holds tensors that do not match
        its architecture, or if ``path`` is a FIFO, a device or a socket. Nothing from the
        file is ever executed.
    FileNotFoundError, IsADirectoryError
        If there is no file at ``path``, or it is a directory.
    """
    path = Path(path)
    try:
        return _load_model(path)
    except _Invalid as problem:
        raise ValueError(f"cannot load {str(path)!r}: {shorten(str(problem))}") from None


def model_from_bytes(data: bytes) -> Model:
    """Rebuild a model from the bytes of :func:`model_to_bytes` (or of a model file).

    Raises
    ------
    ValueError
        As :func:`load_model` does, for anything but a valid squareone model.
    """
    try:
        return _load_model(bytes(data))
    except _Invalid as problem:
        raise ValueError(f"cannot load the model: {problem}") from None


def save_parameters(model: Model, path: str | os.PathLike, *,
                    overwrite: bool | None = None) -> None:
    """Save the parameters of a finalized model alone (no architecture, no optimizer).

    Load them with :func:`load_parameters` into a model built with the same layers. The file
    is written atomically, as by :func:`save_model`.

    Parameters
    ----------
    model : Model
        A finalized model.
    path : str or os.PathLike
        Where to write; its directory must exist.
    overwrite : bool or None, default None
        As for :func:`save_model`, with a parameters file as the kind ``None`` replaces.
    """
    model._require_finalized("save_parameters")
    _write_atomically(path, _serialize(_named_parameters(model),
                                       _header(PARAMETERS_FORMAT, model)),
                      PARAMETERS_FILE, overwrite)


def load_parameters(model: Model, path: str | os.PathLike) -> None:
    """Copy parameters from a file into a finalized model with the same architecture.

    Reads files from :func:`save_parameters` and the parameters of files from
    :func:`save_model`. Every tensor is checked against the model (names, count, shapes)
    before anything is copied, so a failed load leaves the model unchanged. Float32 and
    float64 files load into models of either dtype.

    Parameters
    ----------
    model : Model
        A finalized model whose layers match those the parameters were saved from.
    path : str or os.PathLike
        The file to read.

    Raises
    ------
    RuntimeError
        If the model is not finalized.
    ValueError
        If the file is not a squareone file, is corrupt, or its tensors do not match the
        model's parameters (missing, extra, or of another shape).
    """
    model._require_finalized("load_parameters")
    path = Path(path)
    try:
        values = _read_parameters(model, path)
    except _Invalid as problem:
        raise ValueError(f"cannot load parameters from {str(path)!r}: "
                         f"{shorten(str(problem))}") from None
    for name, param in _named_parameters(model).items():
        np.copyto(param, values[name], casting="same_kind")


def export_onnx(model: Model, path: str | os.PathLike, *, opset: int | None = None,
                class_names=None, overwrite: bool | None = None) -> None:
    """Write ``model`` as an ONNX file (``pip install squareone[onnx]``).

    See :func:`squareone.onnx.export_onnx`.
    """
    from squareone.onnx import export_onnx as export  # the onnx extra: imported on use only

    export(model, path, opset=opset, class_names=class_names, overwrite=overwrite)


def import_onnx(path: str | os.PathLike, **options) -> Model:
    """Read a dense network from an ONNX file. See :func:`squareone.onnx.import_onnx`."""
    from squareone.onnx import import_onnx as import_

    return import_(path, **options)


def read_metadata(path: str | os.PathLike) -> dict:
    """Return the squareone metadata of a model or parameters file, without its tensors.

    Only the file's header is read, so this is quick for files of any size; the JSON object
    is described at the top of this module (for example ``metadata["optimizer"]
    ["iterations"]``: the steps a saved model was trained for).

    Raises
    ------
    ValueError
        If the file is not a squareone file or was written by a newer squareone.
    FileNotFoundError
        If there is no file at ``path``.
    """
    try:
        with _files.open_regular_file(path, "model file") as file:
            metadata = _metadata(_files.read_safetensors_header(file))
        _check_format(metadata)
    except (_Invalid, _files.SafetensorsLayoutError) as problem:
        raise ValueError(f"cannot read {os.fspath(path)!r}: {problem}") from None
    return metadata


def _is_squareone_file(file_format: str):
    """A FileKind test: is an open file a squareone file of ``file_format``?"""
    def recognise(file) -> bool:
        try:
            return _metadata(_files.read_safetensors_header(file)).get("format") == file_format
        except (_Invalid, _files.SafetensorsLayoutError):
            return False
    return recognise


#: What ``save_model`` replaces without ``overwrite=True``: an existing squareone model.
MODEL_FILE = _files.FileKind("a squareone model", _is_squareone_file(MODEL_FORMAT))
#: What ``save_parameters`` replaces without ``overwrite=True``: a squareone parameters file.
PARAMETERS_FILE = _files.FileKind("a squareone parameters file",
                                  _is_squareone_file(PARAMETERS_FORMAT))


# --- describing a model -------------------------------------------------------------------------


def _header(file_format: str, model: Model) -> dict:
    return {"format": file_format, "format_version": FORMAT_VERSION,
            "squareone_version": squareone.__version__, "dtype": model.dtype.name}


def _describe(role: str, obj) -> dict | None:
    """Return ``{"class": name, "config": constructor arguments}`` for a squareone object."""
    if obj is None:
        return None
    name = type(obj).__name__
    if _CLASSES[role].get(name) is not type(obj):
        raise TypeError(f"cannot save a model whose {role} is {type(obj).__module__}.{name}: "
                        f"only squareone's own classes can be rebuilt from a file "
                        f"({', '.join(_CLASSES[role])})")
    return {"class": name, "config": _json_config(obj.config(), name)}


def _json_config(config: dict, name: str) -> dict:
    """Return ``config`` with NumPy scalars turned into Python ones and tuples into lists,
    checking it holds only scalars and flat lists of scalars."""
    plain = {}
    for key, value in config.items():
        if isinstance(value, (tuple, list)):
            value = [item.item() if isinstance(item, np.generic) else item for item in value]
        elif isinstance(value, np.generic):
            value = value.item()
        if not _is_json_value(value):
            raise TypeError(f"cannot save {name}: its argument {key}={value!r} is not a number, "
                            "string, boolean, None or a list of those")
        plain[key] = value
    return plain


def _describe_data(model: Model) -> dict:
    """Return ``{"dataset": ..., "class_names": [...]}``, checking the model's attributes."""
    dataset = getattr(model, "dataset", None)
    class_names = getattr(model, "class_names", None)
    try:
        _check_data(dataset, None if class_names is None else list(class_names), model)
    except _Invalid as problem:
        raise ValueError(f"cannot save the model: {problem}") from None
    return {"dataset": dataset,
            "class_names": None if class_names is None else list(class_names)}


#: Longest data set name and class name a file may hold: names are printed, not paragraphs.
_MAX_NAME_LENGTH = 100


def _check_data(dataset, class_names, model: Model) -> None:
    """Check ``model.dataset`` and ``model.class_names`` (when saving or loading)."""
    names = [] if dataset is None else [("dataset", dataset)]
    names += [(f"class_names[{index}]", name) for index, name in enumerate(class_names or ())]
    for where, name in names:
        # Names are printed to terminals: no control characters (escape sequences).
        if not (isinstance(name, str) and 0 < len(name) <= _MAX_NAME_LENGTH
                and name.isprintable()):
            raise _Invalid(f"{where} must be a printable string of 1 to {_MAX_NAME_LENGTH} "
                           f"characters, got {shorten(repr(name), 80)}")
    if class_names is None:
        return
    output = model.output_layer_activation
    if not isinstance(output, (Softmax, Sigmoid)):
        raise _Invalid(f"class_names are for classifiers; this model's output layer is "
                       f"{type(output).__name__}, not Softmax or Sigmoid")
    # A binary classifier has one sigmoid output and two classes.
    expected = 2 if model.n_outputs == 1 else model.n_outputs
    if len(class_names) != expected:
        raise _Invalid(f"class_names has {len(class_names)} names but the model has "
                       f"{expected} classes")


def _restore_data(model: Model, metadata: dict) -> None:
    """Set ``model.dataset`` and ``model.class_names`` from the file (None in version 1)."""
    dataset = _field(metadata, "dataset", (str, type(None)), "metadata") \
        if "dataset" in metadata else None
    class_names = _field(metadata, "class_names", (list, type(None)), "metadata") \
        if "class_names" in metadata else None
    _check_data(dataset, class_names, model)
    model.dataset = dataset
    model.class_names = None if class_names is None else tuple(class_names)


def _is_json_value(value) -> bool:
    """A JSON scalar, or a flat list of them (never deeper: nothing needs it)."""
    if isinstance(value, list):
        return all(isinstance(item, _JSON_SCALARS) for item in value)
    return isinstance(value, _JSON_SCALARS)


def _describe_accuracy(accuracy) -> dict | None:
    description = _describe("accuracy", accuracy)
    # A precision learned from the training targets is not a constructor argument, but
    # evaluate() must use the same one after loading, not learn another from new targets.
    if (isinstance(accuracy, RegressionAccuracy) and not accuracy.fixed_precision
            and accuracy.precision is not None):
        description["learned_precision"] = accuracy.precision
    return description


def _describe_optimizer(optimizer: Optimizer | None, include_state: bool) -> dict | None:
    description = _describe("optimizer", optimizer)
    if optimizer is not None and include_state:
        description["iterations"] = int(optimizer.iterations)
        description["current_learning_rate"] = float(optimizer.current_learning_rate)
    return description


def _parameter_shapes(cls: type, config: dict) -> dict[str, tuple]:
    """Return the names and shapes of the parameters of a ``cls`` layer built from ``config``.

    In ``layer.parameters()`` order. Computed from the config, so that loading can compare
    the file's tensors with the layer before building it (a tiny file must not be able to
    make us allocate a huge weight matrix).
    """
    if cls is Dense:
        return {"weights": (config["n_inputs"], config["n_neurons"]),
                "biases": (1, config["n_neurons"])}
    return {}


def _named_parameters(model: Model) -> dict[str, np.ndarray]:
    """Map tensor names (``"layers.0.weights"``) to the model's parameter arrays, in order."""
    named = {}
    for index, layer in enumerate(model.layers):
        arrays = [param for param, _ in layer.parameters()]
        names = list(_parameter_shapes(type(layer), layer.config()))
        if len(names) != len(arrays):
            raise TypeError(f"cannot save or load the parameters of {layer!r}: only the "
                            "parameters of squareone's own layers have names in a file")
        named.update((f"layers.{index}.{name}", array) for name, array in zip(names, arrays))
    return named


def _optimizer_state(model: Model) -> dict[str, np.ndarray]:
    """Return the optimizer's state tensors, named ``optimizer.<parameter name>.<buffer>``."""
    known = _OPTIMIZER_STATE[type(model.optimizer)]
    tensors = {}
    for name, buffers in model.optimizer_state().items():
        for buffer, value in buffers.items():
            if buffer not in known:  # a new optimizer buffer must be saved, not dropped
                raise RuntimeError(f"{type(model.optimizer).__name__} keeps state {buffer!r} "
                                   "that squareone.io does not know; add it to _OPTIMIZER_STATE")
            tensors[f"optimizer.{name}.{buffer}"] = value
    return tensors


# --- writing ------------------------------------------------------------------------------------


def _serialize(tensors: dict[str, np.ndarray], metadata: dict) -> bytes:
    # allow_nan=False: NaN and Infinity are not JSON, and no valid setting needs them.
    text = json.dumps(metadata, allow_nan=False)
    # safetensors copies raw memory, so every array must be contiguous.
    contiguous = {name: np.ascontiguousarray(array) for name, array in tensors.items()}
    return safetensors.numpy.save(contiguous, metadata={METADATA_KEY: text})


def _write_atomically(path, data: bytes, kind: _files.FileKind, overwrite: bool | None) -> None:
    """Write ``data`` atomically with squareone's one writer (see :mod:`squareone._files`)."""
    _files.write_atomically(path, lambda file: file.write(data), kind, overwrite=overwrite)


# --- reading ------------------------------------------------------------------------------------


def _read_file(source: Path | bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """Return the squareone metadata and the tensors of the file at ``source`` (or its bytes).

    The layout, the metadata and the format are checked before the tensors are read, so a
    large file that is not ours is refused after reading its first bytes.
    """
    def check(header: dict) -> dict:
        metadata = _metadata(header)
        _check_format(metadata)
        return metadata

    try:
        if isinstance(source, bytes):  # model_from_bytes: already in memory
            metadata, data = check(_files.read_safetensors_header(BytesIO(source))), source
        else:
            metadata, data = _files.read_safetensors(source, check, "model file")
        # safetensors checks the whole layout (header, offsets, sizes) again before returning.
        tensors = safetensors.numpy.load(data)
    except (SafetensorError, KeyError, _files.SafetensorsLayoutError) as error:
        # KeyError: a dtype NumPy does not have
        raise _Invalid(f"not a squareone file, or the file is truncated or corrupt "
                       f"({error})") from None
    return metadata, tensors


def _metadata(header: dict) -> dict:
    """Return the JSON object stored under our key in the file's safetensors metadata."""
    # The safetensors header's "__metadata__" maps strings to strings.
    metadata_strings = header.get("__metadata__")
    text = metadata_strings.get(METADATA_KEY) if isinstance(metadata_strings, dict) else None
    if not isinstance(text, str):
        raise _Invalid(f"a safetensors file without {METADATA_KEY!r} metadata: it was not "
                       "written by squareone")
    try:
        metadata = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise _Invalid("its squareone metadata is not valid JSON") from None
    if not isinstance(metadata, dict):
        raise _Invalid("its squareone metadata is not a JSON object")
    return metadata


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed")  # NaN and Infinity: not JSON, never valid here


def _check_format(metadata: dict) -> str:
    """Check the format name and version; return the format name."""
    file_format = metadata.get("format")
    if file_format not in (MODEL_FORMAT, PARAMETERS_FORMAT):
        raise _Invalid(f"unknown format {file_format!r}; expected {MODEL_FORMAT!r} or "
                       f"{PARAMETERS_FORMAT!r}")
    version = metadata.get("format_version")
    if not _is_int(version) or version < 1:
        raise _Invalid(f"format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise _Invalid(f"written by a newer squareone "
                       f"({metadata.get('squareone_version', 'unknown version')}); format "
                       f"version {version}, this version reads up to {FORMAT_VERSION}. "
                       "Upgrade squareone to load it")
    return file_format


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _field(mapping: dict, key: str, types, where: str):
    """Return ``mapping[key]`` if it is present and of ``types``."""
    value = mapping.get(key)
    if not isinstance(value, types):
        raise _Invalid(f"{where}: {key!r} is missing or is not a {_type_names(types)}, got "
                       f"{value!r}")
    return value


def _type_names(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    names = {dict: "JSON object", list: "JSON list", str: "string", type(None): "null"}
    return " or ".join(names.get(kind, kind.__name__) for kind in types)


def _load_model(source: Path | bytes) -> Model:
    metadata, tensors = _read_file(source)
    if _check_format(metadata) == PARAMETERS_FORMAT:
        raise _Invalid("it holds parameters only (written by save_parameters); build the model "
                       "and call model.load_parameters(path)")
    dtype = _field(metadata, "dtype", str, "metadata")
    if dtype not in ("float32", "float64"):
        raise _Invalid(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    specs = _field(metadata, "layers", list, "metadata")
    if not specs:
        raise _Invalid("the model has no layers")
    model = Model(dtype=dtype)
    for index, spec in enumerate(specs):
        model.add(_build_layer(spec, index, tensors, np.dtype(dtype)))
    roles = {role: _field(metadata, role, (dict, type(None)), "metadata")
             for role in ("loss", "optimizer", "accuracy")}
    try:
        model.set(**{role: _build(role, spec, role) for role, spec in roles.items()
                     if spec is not None})
        model.finalize()
    except (TypeError, ValueError) as error:
        problem = f"the saved layers, loss and accuracy do not fit together: {error}"
        raise _Invalid(problem) from None
    if roles["accuracy"] is not None:
        _restore_accuracy(model.accuracy, roles["accuracy"])
    resumable = roles["optimizer"] is not None and "iterations" in roles["optimizer"]
    if resumable:
        _restore_progress(model.optimizer, roles["optimizer"])
    _restore_tensors(model, tensors, resumable)
    _restore_data(model, metadata)
    return model


def _build_layer(spec, index: int, tensors: dict[str, np.ndarray], dtype: np.dtype):
    where = f"layers[{index}]"
    cls, config = _class_and_config("layer", spec, where)
    try:
        shapes = _parameter_shapes(cls, config)
    except KeyError as error:
        raise _Invalid(f"{where}: {cls.__name__} needs the argument {error}") from None
    for name, shape in shapes.items():
        if not all(_is_int(size) for size in shape):  # sizes come from the config
            raise _Invalid(f"{where}: the sizes of {cls.__name__} must be integers, got "
                           f"{name} of shape {shape!r}")
        _check_tensor(tensors, f"layers.{index}.{name}", shape, dtype)
    return _construct(cls, config, where)


def _build(role: str, spec, where: str):
    return _construct(*_class_and_config(role, spec, where), where)


def _class_and_config(role: str, spec, where: str) -> tuple[type, dict]:
    """Look up the class named by ``spec`` among squareone's own; check its arguments."""
    if not isinstance(spec, dict):
        raise _Invalid(f"{where} must be a JSON object with 'class' and 'config', got {spec!r}")
    name = spec.get("class")
    cls = _CLASSES[role].get(name) if isinstance(name, str) else None
    if cls is None:
        raise _Invalid(f"{where}: unknown {role} class {name!r}; the {role} classes a file "
                       f"can name are {', '.join(_CLASSES[role])}")
    config = _field(spec, "config", dict, where)
    accepted = {argument for argument, parameter in inspect.signature(cls).parameters.items()
                if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)}
    accepted -= _RESERVED_ARGUMENTS
    for key, value in config.items():
        if key not in accepted:
            raise _Invalid(f"{where}: {name} has no argument {key!r} (arguments: "
                           f"{', '.join(sorted(accepted)) or 'none'})")
        if not _is_json_value(value):
            raise _Invalid(f"{where}: argument {key!r} of {name} must be a number, string, "
                           f"boolean, null or a list of those, got {value!r}")
    return cls, config


def _construct(cls: type, config: dict, where: str):
    try:
        return cls(**config, **_SET_BY_LOADER.get(cls, {}))
    except (TypeError, ValueError) as error:  # the constructor checks every value
        raise _Invalid(f"{where}: invalid arguments for {cls.__name__}: {error}") from None


def _restore_accuracy(accuracy, spec: dict) -> None:
    if "learned_precision" not in spec:
        return
    if not isinstance(accuracy, RegressionAccuracy) or accuracy.fixed_precision:
        raise _Invalid("accuracy: only a RegressionAccuracy without a fixed precision has a "
                       "learned_precision")
    accuracy.precision = _number(spec["learned_precision"], "accuracy.learned_precision")


def _restore_progress(optimizer: Optimizer, spec: dict) -> None:
    iterations = spec.get("iterations")
    if not _is_int(iterations) or iterations < 0:
        raise _Invalid(f"optimizer: 'iterations' must be a non-negative integer, got "
                       f"{iterations!r}")
    optimizer.iterations = iterations
    optimizer.current_learning_rate = _number(spec.get("current_learning_rate"),
                                              "optimizer.current_learning_rate")


def _number(value, where: str) -> float:
    try:
        return check_number(value, where, low_inclusive=False)
    except (TypeError, ValueError) as error:
        raise _Invalid(str(error)) from None


def _restore_tensors(model: Model, tensors: dict[str, np.ndarray], resumable: bool) -> None:
    """Check every tensor of the file against the rebuilt model, then copy them in."""
    parameters = _named_parameters(model)
    state = {}
    if resumable:
        buffers = _OPTIMIZER_STATE[type(model.optimizer)]
        state = {f"optimizer.{name}.{buffer}": (param, buffer)
                 for name, param in parameters.items() for buffer in buffers}
    _check_names(tensors, parameters, allowed=state)
    values = {name: _tensor(tensors, name, param.shape, param.dtype)
              for name, param in parameters.items()}
    saved_state = {name: _tensor(tensors, name, param.shape, param.dtype)
                   for name, (param, _) in state.items() if name in tensors}
    for name, param in parameters.items():
        np.copyto(param, values[name])
    by_parameter: dict[str, dict[str, np.ndarray]] = {}
    for name, value in saved_state.items():
        parameter = name[len("optimizer."):name.rindex(".")]
        by_parameter.setdefault(parameter, {})[state[name][1]] = value
    model.set_optimizer_state(by_parameter)


def _read_parameters(model: Model, path: Path) -> dict[str, np.ndarray]:
    """Return the file's parameters by name, each checked against the model's."""
    metadata, tensors = _read_file(path)
    if _check_format(metadata) == MODEL_FORMAT:  # a full model file: take its parameters
        tensors = {name: value for name, value in tensors.items()
                   if not name.startswith("optimizer.")}
    parameters = _named_parameters(model)
    _check_names(tensors, parameters)
    return {name: _tensor(tensors, name, param.shape) for name, param in parameters.items()}


def _check_names(tensors: dict, required: dict, allowed: dict | None = None) -> None:
    """Raise unless ``tensors`` holds every ``required`` name and no name outside both."""
    missing = [name for name in required if name not in tensors]
    unexpected = sorted(name for name in tensors
                        if name not in required and name not in (allowed or {}))
    if missing or unexpected:
        problems = [f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(unexpected)}" if unexpected else ""]
        found = sum(name in required or name.startswith("layers.") for name in tensors)
        raise _Invalid(f"its tensors do not match the model: the file holds {found} parameter "
                       f"arrays, the model has {len(required)}; "
                       f"{'; '.join(filter(None, problems))}")


def _check_tensor(tensors: dict[str, np.ndarray], name: str, shape: tuple,
                  dtype: np.dtype | None = None) -> None:
    """Raise unless tensor ``name`` exists with ``shape`` and ``dtype`` (any float if None)."""
    if name not in tensors:
        raise _Invalid(f"tensor {name!r} is missing")
    tensor = tensors[name]
    if tensor.shape != tuple(shape):
        raise _Invalid(f"tensor {name!r} has shape {tensor.shape}, the model expects "
                       f"{tuple(shape)}")
    allowed = (np.dtype(np.float32), np.dtype(np.float64)) if dtype is None else (dtype,)
    if tensor.dtype not in allowed:
        raise _Invalid(f"tensor {name!r} has dtype {tensor.dtype}, the model expects "
                       f"{' or '.join(kind.name for kind in allowed)}")


def _tensor(tensors: dict[str, np.ndarray], name: str, shape: tuple,
            dtype: np.dtype | None = None) -> np.ndarray:
    """Return tensor ``name`` after checking its shape, dtype and values."""
    _check_tensor(tensors, name, shape, dtype)
    if not np.isfinite(tensors[name]).all():
        raise _Invalid(f"tensor {name!r} holds NaN or infinite values")
    return tensors[name]
