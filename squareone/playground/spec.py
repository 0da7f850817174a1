"""What the playground trains: its settings, checked; the data, the model and their Python code.

Everything the browser sends goes through :func:`parse_settings`, which accepts a setting only
inside fixed limits (so no request can ask for a network or a data set that exhausts memory)
and raises :class:`SettingsError` with a message for the page otherwise.

The data and the network are described once, as a *recipe*: calls of squareone functions and
classes with their arguments. :func:`build` makes the objects from it and :func:`python_code`
writes the same calls as a Python script, so "Export code" shows exactly what trains.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

import squareone as sq

__all__ = ["Settings", "SettingsError", "PRESETS", "LIMITS", "parse_settings", "build",
           "python_code"]

#: The largest values a request may ask for.
LIMITS = {"hidden_layers": 4, "layer_size": 512, "samples": 6000, "classes": 6,
          "epochs": 100_000, "batch_size": 6000}
DATASETS = ("spiral", "vertical", "circles", "xor", "sine")
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
OPTIMIZERS = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam"}
OUTPUTS = ("softmax", "sigmoid")
WEIGHT_INITS = ("nnfs", "he", "glorot", "uniform")


class SettingsError(ValueError):
    """A setting from the browser that cannot be used; the message is shown on the page."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """One network, its data and its training, as the page's form sets them."""

    dataset: str = "spiral"
    samples: int = 100            # per class (in all, for sine)
    classes: int = 3
    noise: float = 0.2
    hidden: tuple[int, ...] = (64,)
    activation: str = "relu"
    output: str = "softmax"       # or "sigmoid": one output, binary cross-entropy (2 classes)
    weight_init: str | float = "nnfs"
    optimizer: str = "adam"
    learning_rate: float = 0.05
    decay: float = 5e-7
    momentum: float = 0.0         # SGD only
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    batch_size: int = 0           # 0: all samples in one batch, as the book's early chapters
    epochs: int = 10_000
    seed: int = 0

    @property
    def regression(self) -> bool:
        return self.dataset == "sine"

    @property
    def n_classes(self) -> int:
        return 2 if self.dataset == "xor" else self.classes


#: One click reproduces the network of a chapter of the book (with the book's data sizes).
PRESETS: dict[str, dict] = {
    "Chapter 10: Adam on the spiral": {},
    "Chapter 14: L2 regularization": {"samples": 1000, "hidden": (512,), "l2": 5e-4,
                                      "learning_rate": 0.02},
    "Chapter 15: dropout": {"samples": 1000, "hidden": (512,), "l2": 5e-4, "dropout": 0.1,
                            "learning_rate": 0.05, "decay": 5e-5},
    "Chapter 16: binary logistic regression": {"classes": 2, "output": "sigmoid", "l2": 5e-4,
                                               "learning_rate": 0.001},
    "Chapter 17: regression on sine": {"dataset": "sine", "samples": 1000, "noise": 0.0,
                                       "hidden": (64, 64), "weight_init": 0.1,
                                       "learning_rate": 0.005, "decay": 1e-3},
    "Circles": {"dataset": "circles", "classes": 2, "noise": 0.1, "hidden": (8, 8),
                "activation": "tanh", "learning_rate": 0.02, "batch_size": 32,
                "weight_init": "glorot", "epochs": 500},
    "XOR": {"dataset": "xor", "noise": 0.1, "hidden": (8,), "activation": "tanh",
            "learning_rate": 0.02, "batch_size": 32, "weight_init": "glorot", "epochs": 500},
}


def parse_settings(values: Mapping) -> Settings:
    """Check the settings sent by the page (strings or JSON numbers) and return them.

    Missing settings keep their defaults. Raises SettingsError naming the first bad one.
    """
    if not isinstance(values, Mapping):
        raise SettingsError(f"expected a JSON object of settings, got {type(values).__name__}")
    known = {field.name for field in dataclasses.fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
    get = values.get
    defaults = Settings()
    dataset = _choice(get("dataset", defaults.dataset), "dataset", DATASETS)
    settings = Settings(
        dataset=dataset,
        samples=_integer(get("samples", defaults.samples), "samples", 2, LIMITS["samples"]),
        classes=_integer(get("classes", defaults.classes), "classes", 2, LIMITS["classes"]),
        noise=_real(get("noise", defaults.noise), "noise", 0.0, 1.0),
        hidden=_hidden(get("hidden", defaults.hidden)),
        activation=_choice(get("activation", defaults.activation), "activation", ACTIVATIONS),
        output=_choice(get("output", defaults.output), "output", OUTPUTS),
        weight_init=_weight_init(get("weight_init", defaults.weight_init)),
        optimizer=_choice(get("optimizer", defaults.optimizer), "optimizer", OPTIMIZERS),
        learning_rate=_real(get("learning_rate", defaults.learning_rate), "learning_rate",
                            0.0, 10.0, low_inclusive=False),
        decay=_real(get("decay", defaults.decay), "decay", 0.0, 1.0),
        momentum=_real(get("momentum", defaults.momentum), "momentum", 0.0, 0.999),
        l1=_real(get("l1", defaults.l1), "l1", 0.0, 1.0),
        l2=_real(get("l2", defaults.l2), "l2", 0.0, 1.0),
        dropout=_real(get("dropout", defaults.dropout), "dropout", 0.0, 0.9),
        batch_size=_integer(get("batch_size", defaults.batch_size), "batch_size", 0,
                            LIMITS["batch_size"]),
        epochs=_integer(get("epochs", defaults.epochs), "epochs", 1, LIMITS["epochs"]),
        seed=_integer(get("seed", defaults.seed), "seed", 0, 2**31 - 1),
    )
    total = settings.samples * (1 if settings.regression else settings.n_classes)
    if total > LIMITS["samples"]:
        raise SettingsError(f"samples x classes must be at most {LIMITS['samples']}, got "
                            f"{settings.samples} x {settings.n_classes} = {total}")
    if settings.output == "sigmoid" and not settings.regression and settings.n_classes != 2:
        raise SettingsError(f"a sigmoid output separates 2 classes, got classes = "
                            f"{settings.classes}; choose 2 classes or a softmax output")
    return settings


def _text(value, name: str) -> str:
    text = str(value).strip()
    if not text or len(text) > 40:
        raise SettingsError(f"{name}: expected a value, got {str(value)[:40]!r}")
    return text


def _choice(value, name: str, choices) -> str:
    text = _text(value, name).lower()
    if text not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {text!r}")
    return text


def _real(value, name: str, low: float, high: float, *, low_inclusive: bool = True) -> float:
    try:
        number = float(_text(value, name)) if not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    left = "[" if low_inclusive else "("
    too_low = number < low if low_inclusive else number <= low
    if not math.isfinite(number) or too_low or number > high:
        raise SettingsError(f"{name} must be a number in {left}{low:g}, {high:g}], got "
                            f"{str(value)[:40]!r}")
    return number


def _integer(value, name: str, low: int, high: int) -> int:
    text = _text(value, name)
    try:
        number = int(text)
    except ValueError:
        number = None
    if isinstance(value, bool) or number is None or not low <= number <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got "
                            f"{text!r}")
    return number


def _hidden(value) -> tuple[int, ...]:
    """Hidden layer sizes: a list, or text such as ``64,64`` (empty: no hidden layer)."""
    parts = value if isinstance(value, (list, tuple)) else str(value).replace(" ", "").split(",")
    parts = [part for part in parts if str(part) != ""]
    if len(parts) > LIMITS["hidden_layers"]:
        raise SettingsError(f"hidden: at most {LIMITS['hidden_layers']} hidden layers, got "
                            f"{len(parts)}")
    return tuple(_integer(part, "hidden layer size", 1, LIMITS["layer_size"]) for part in parts)


def _weight_init(value) -> str | float:
    text = _text(value, "weight_init").lower()
    if text in WEIGHT_INITS:
        return text
    try:
        return _real(text, "weight_init", 0.0, 10.0, low_inclusive=False)
    except SettingsError:
        raise SettingsError(f"weight_init must be one of {', '.join(WEIGHT_INITS)} or a "
                            f"scale in (0, 10], got {text!r}") from None


# --- the recipe: data and model as calls, made into objects or written as Python --------------


def _data_calls(settings: Settings) -> list[tuple[str, str, dict]]:
    """``(names, squareone function, arguments)`` for the training and validation data."""
    if settings.regression:
        return [("X, y", "datasets.sine_data", {"samples": settings.samples}),
                ("X_val, y_val", "datasets.sine_data",
                 {"samples": max(settings.samples // 3, 10)})]
    function = f"datasets.{settings.dataset}_data"
    calls = []
    for names, seed in (("X, y", settings.seed), ("X_val, y_val", settings.seed + 1)):
        arguments = {"samples": settings.samples}
        if settings.dataset != "xor":
            arguments["classes"] = settings.classes
        arguments.update(noise=settings.noise, seed=seed)
        calls.append((names, function, arguments))
    return calls


def _layer_calls(settings: Settings) -> list[tuple[str, dict]]:
    """``(squareone class, arguments)`` for every layer, Dense seeds counting up from seed."""
    seeds = iter(range(settings.seed, settings.seed + 2 * len(settings.hidden) + 1))
    regularizers = {key: value for key, value in (
        ("weight_regularizer_l1", settings.l1), ("bias_regularizer_l1", settings.l1),
        ("weight_regularizer_l2", settings.l2), ("bias_regularizer_l2", settings.l2)) if value}
    layers, width = [], 1 if settings.regression else 2
    for neurons in settings.hidden:
        layers.append(("Dense", {"n_inputs": width, "n_neurons": neurons, **regularizers,
                                 "weight_init": settings.weight_init, "seed": next(seeds)}))
        layers.append((ACTIVATIONS[settings.activation], {}))
        if settings.dropout:
            layers.append(("Dropout", {"rate": settings.dropout, "seed": next(seeds)}))
        width = neurons
    outputs = 1 if settings.regression or settings.output == "sigmoid" else settings.n_classes
    layers.append(("Dense", {"n_inputs": width, "n_neurons": outputs,
                             "weight_init": settings.weight_init, "seed": next(seeds)}))
    layers.append(("Linear" if settings.regression else
                   "Sigmoid" if settings.output == "sigmoid" else "Softmax", {}))
    return layers


def _set_calls(settings: Settings) -> dict[str, tuple[str, dict]]:
    """The loss, optimizer and accuracy of ``model.set``."""
    optimizer = {"learning_rate": settings.learning_rate, "decay": settings.decay}
    if settings.optimizer == "sgd" and settings.momentum:
        optimizer["momentum"] = settings.momentum
    if settings.regression:
        loss, accuracy = "MeanSquaredError", "RegressionAccuracy"
    elif settings.output == "sigmoid":
        loss, accuracy = "BinaryCrossentropy", "BinaryAccuracy"
    else:
        loss, accuracy = "CategoricalCrossentropy", "CategoricalAccuracy"
    return {"loss": (loss, {}), "optimizer": (OPTIMIZERS[settings.optimizer], optimizer),
            "accuracy": (accuracy, {})}


def _make(name: str, arguments: dict):
    """Call ``sq.<name>`` (a dotted name from the recipe above, never from the browser)."""
    target = sq
    for part in name.split("."):
        target = getattr(target, part)
    return target(**arguments)


def _reshape_binary(settings: Settings) -> bool:
    # Binary cross-entropy compares one output column with a column of 0/1 targets.
    return settings.output == "sigmoid" and not settings.regression


def build(settings: Settings):
    """Make the data and the finalized model of ``settings``.

    Returns
    -------
    (X, y), (X_val, y_val), model
    """
    data = [_make(function, arguments) for _, function, arguments in _data_calls(settings)]
    if settings.regression and settings.noise:
        rng = np.random.default_rng(settings.seed)
        data = [(X, (y + settings.noise * rng.standard_normal(y.shape)).astype(y.dtype))
                for X, y in data]
    if _reshape_binary(settings):
        data = [(X, y.reshape(-1, 1)) for X, y in data]
    model = sq.Model()
    for name, arguments in _layer_calls(settings):
        model.add(_make(name, arguments))
    model.set(**{role: _make(*call) for role, call in _set_calls(settings).items()})
    model.finalize()
    return data[0], data[1], model


# Written without their names, as the book writes them: Dense(2, 64), Dropout(0.1).
_POSITIONAL = ("n_inputs", "n_neurons", "rate")


def _call_text(name: str, arguments: dict) -> str:
    parts = [repr(value) if key in _POSITIONAL else f"{key}={value!r}"
             for key, value in arguments.items()]
    return f"sq.{name}({', '.join(parts)})"


def python_code(settings: Settings) -> str:
    """A Python script that builds and trains the same network on the same data."""
    lines = ['"""Made by the squareone playground: the same data, network and training."""', ""]
    if settings.regression and settings.noise:
        lines.append("import numpy as np")
    lines += ["import squareone as sq", ""]
    for names, function, arguments in _data_calls(settings):
        lines.append(f"{names} = {_call_text(function, arguments)}")
    if settings.regression and settings.noise:
        lines += [f"rng = np.random.default_rng({settings.seed})",
                  f"y = (y + {settings.noise!r} * rng.standard_normal(y.shape)).astype(y.dtype)",
                  f"y_val = (y_val + {settings.noise!r} * rng.standard_normal(y_val.shape))"
                  ".astype(y_val.dtype)"]
    if _reshape_binary(settings):
        lines.append("y, y_val = y.reshape(-1, 1), y_val.reshape(-1, 1)  # one 0/1 column")
    lines += ["", "model = sq.Model()"]
    lines += [f"model.add({_call_text(name, arguments)})"
              for name, arguments in _layer_calls(settings)]
    set_arguments = ",\n          ".join(f"{role}={_call_text(*call)}"
                                         for role, call in _set_calls(settings).items())
    lines += [f"model.set({set_arguments})", "model.finalize()", ""]
    batch = settings.batch_size or None
    lines.append(f"history = model.train(X, y, epochs={settings.epochs}, batch_size={batch}, "
                 f"validation_data=(X_val, y_val),\n                      "
                 f"shuffle={batch is not None}, seed={settings.seed}, print_every=100)")
    lines += ["print(model.evaluate(X_val, y_val))", ""]
    return "\n".join(lines)
