"""The model's parameters: one flat vector, copies in and out, optimizer state, files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from squareone._validation import check_array
from squareone.layers import Layer

if TYPE_CHECKING:
    from squareone.model.core import Model

__all__ = ["ParameterVector", "ParametersMixin"]


class ParameterVector(Layer):
    """Every trainable parameter of a model in one flat array, every gradient in another.

    The layers keep their ``weights``, ``biases``, ``dweights`` and ``dbiases``, but as views
    into these two arrays, so the optimizer updates the whole network with one pass of
    ufuncs per formula instead of one per array: for small networks, Python call overhead
    costs more than the arithmetic. The update itself is the same, element by element.
    """

    def __init__(self, layers: list[Layer], dtype: np.dtype) -> None:
        named = {f"layers.{index}.{name}": (layer, name) for index, layer in enumerate(layers)
                 for name in layer.parameter_names}
        total = sum(getattr(layer, name).size for layer, name in named.values())
        self.values = np.empty(total, dtype=dtype)
        self.gradients = np.zeros(total, dtype=dtype)
        self.slices: dict[str, tuple[slice, tuple[int, ...]]] = {}
        offset = 0
        for key, (layer, name) in named.items():
            array = getattr(layer, name)
            part = slice(offset, offset + array.size)
            self.slices[key] = (part, array.shape)
            self.view(self.values, key)[...] = array
            setattr(layer, name, self.view(self.values, key))
            setattr(layer, "d" + name, self.view(self.gradients, key))
            offset += array.size

    def view(self, flat: np.ndarray, key: str) -> np.ndarray:
        """Return the part of ``flat`` (values, gradients or a state buffer) that is ``key``."""
        part, shape = self.slices[key]
        return flat[part].reshape(shape)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.values, self.gradients)]


class ParametersMixin:
    """Reading and writing a finalized model's parameters and optimizer state (used by Model)."""

    def get_parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return copies of ``(weights, biases)`` of every trainable layer, in order."""
        self._require_finalized("get_parameters")
        return [tuple(param.copy() for param, _ in layer.parameters())
                for layer in self.trainable_layers]

    def set_parameters(self, parameters) -> None:
        """Copy ``(weights, biases)`` pairs into the trainable layers, checking shapes.

        Values are copied into the existing arrays, so optimizer state stays attached.
        """
        self._require_finalized("set_parameters")
        parameters = list(parameters)
        if len(parameters) != len(self.trainable_layers):
            raise ValueError(f"expected parameters for {len(self.trainable_layers)} trainable "
                             f"layers, got {len(parameters)}")
        for index, (layer, values) in enumerate(zip(self.trainable_layers, parameters)):
            targets = [param for param, _ in layer.parameters()]
            if len(values) != len(targets):
                raise ValueError(f"layer {index} ({layer!r}) has {len(targets)} parameter "
                                 f"arrays, got {len(values)}")
            for target, value in zip(targets, values):
                value = check_array(value, f"parameters of layer {index}", dtype=self.dtype)
                if value.shape != target.shape:
                    raise ValueError(f"layer {index} ({layer!r}) expects a parameter of shape "
                                     f"{target.shape}, got {value.shape}")
        for layer, values in zip(self.trainable_layers, parameters):
            for (target, _), value in zip(layer.parameters(), values):
                np.copyto(target, np.asarray(value, dtype=self.dtype))

    def named_parameters(self) -> dict[str, np.ndarray]:
        """Return the parameter arrays by name, ``"layers.<index>.<name>"``, in order."""
        self._require_finalized("named_parameters")
        vector = self.parameter_vector
        return {key: vector.view(vector.values, key) for key in vector.slices}

    def optimizer_state(self) -> dict[str, dict[str, np.ndarray]]:
        """Return the optimizer's state per parameter name: ``{name: {buffer: array}}``.

        Work space (``scratch``) is left out: it holds nothing between steps.
        """
        self._require_finalized("optimizer_state")
        vector = self.parameter_vector
        state = self.optimizer.state_for(vector.values) if self.optimizer else {}
        buffers = {buffer: flat for buffer, flat in state.items()
                   if buffer not in ("param", "scratch")}
        return {key: {buffer: vector.view(flat, key) for buffer, flat in buffers.items()}
                for key in vector.slices}

    def set_optimizer_state(self, state: dict[str, dict[str, np.ndarray]]) -> None:
        """Copy per-parameter optimizer state (as from :meth:`optimizer_state`) into place."""
        self._require_finalized("set_optimizer_state")
        if not state:
            return
        if self.optimizer is None:
            raise RuntimeError("the model has no optimizer to take this state: call "
                               "model.set(optimizer=...) and finalize() first")
        vector = self.parameter_vector
        entry = self.optimizer.state_for(vector.values)
        for key, buffers in state.items():
            for buffer, value in buffers.items():
                (flat,) = self.optimizer.buffers(entry, vector.values, buffer)
                vector.view(flat, key)[...] = value

    def save(self, path, *, include_optimizer: bool = True, overwrite: bool | None = None
             ) -> None:
        """Save architecture, parameters and (optionally) optimizer state to one file.

        Replaces an existing squareone model, and no other file unless ``overwrite=True``.
        See :func:`squareone.io.save_model`.
        """
        from squareone.io import save_model

        save_model(self, path, include_optimizer=include_optimizer, overwrite=overwrite)

    @classmethod
    def load(cls, path) -> Model:
        """Rebuild a model saved with :meth:`save`. See :func:`squareone.io.load_model`."""
        from squareone.io import load_model

        return load_model(path)

    def export_onnx(self, path, *, opset: int | None = None, class_names=None,
                    overwrite: bool | None = None) -> None:
        """Write the model as an ONNX file. See :func:`squareone.onnx.export_onnx`."""
        from squareone.io import export_onnx

        export_onnx(self, path, opset=opset, class_names=class_names, overwrite=overwrite)

    def save_parameters(self, path, *, overwrite: bool | None = None) -> None:
        """Save the parameters alone. See :func:`squareone.io.save_parameters`."""
        from squareone.io import save_parameters

        save_parameters(self, path, overwrite=overwrite)

    def load_parameters(self, path) -> None:
        """Load parameters saved with :meth:`save_parameters`, checked against the layers."""
        from squareone.io import load_parameters

        load_parameters(self, path)
