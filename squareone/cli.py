"""The ``squareone`` command: train, evaluate, inspect and use models from a shell.

::

    squareone train                                  # the spiral example: a few seconds
    squareone train --dataset fashion-mnist          # the book's Fashion-MNIST model
    squareone evaluate model.squareone --dataset fashion-mnist
    squareone predict model.squareone shirt.png --top 3
    squareone info model.squareone

``squareone <command> --help`` lists every option. Each data set has its own defaults
(:data:`PRESETS`); every option overrides them.

Problems (a missing file, a bad option, a corrupt model file, a data set that cannot be found)
are reported as one line on stderr, ``squareone: error: ...``, with exit status 1, or 2 for
bad usage. Ctrl-C during training stops after the current step; the model is still evaluated
and saved, and the exit status is 130. Set the environment variable ``SQUAREONE_DEBUG=1`` to
get a traceback instead of the one-line message.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

import squareone as sq
from squareone.datasets import mnist, preprocessing
from squareone.datasets.images import load_image
from squareone.metrics import evaluation_report, r2_score
from squareone.optimizers import Optimizer

__all__ = ["main", "build_parser", "build_model", "load_data", "Data", "Preset", "PRESETS"]

#: Exit statuses: success, a reported error, bad usage (as argparse), interrupted by Ctrl-C.
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

SYNTHETIC = ("spiral", "vertical", "sine")
DATASETS = (*SYNTHETIC, *mnist.DATASET_NAMES)
ACTIVATIONS: dict[str, Callable[[], sq.layers.Layer]] = {
    "relu": sq.ReLU, "tanh": sq.Tanh, "sigmoid": sq.Sigmoid}
OPTIMIZERS: dict[str, type] = {
    "adam": sq.Adam, "sgd": sq.SGD, "adagrad": sq.Adagrad, "rmsprop": sq.RMSprop}


@dataclasses.dataclass(frozen=True)
class Preset:
    """The default model and training of one data set (each field has a ``train`` option)."""

    hidden: tuple[int, ...]
    optimizer: str
    learning_rate: float
    decay: float
    epochs: int
    batch_size: int
    weight_init: str | float = "he"
    activation: str = "relu"


#: Defaults per data set, chosen to train in seconds on two CPU cores (minutes for the images).
#: Spiral is the book's Chapter 18 model with a second hidden layer and mini-batches, which
#: reach about 0.9 validation accuracy in seconds instead of 10,000 full-batch epochs; sine is
#: the book's regression model (``0.1 * randn`` weights); the images use the book's Chapter 19
#: network (128-128, Adam with decay 1e-3, batches of 128).
PRESETS: dict[str, Preset] = {
    "spiral": Preset((64, 64), "adam", 0.005, 5e-7, epochs=60, batch_size=64),
    "vertical": Preset((64,), "adam", 0.02, 5e-7, epochs=20, batch_size=32),
    "sine": Preset((64, 64), "adam", 0.002, 1e-3, epochs=100, batch_size=32, weight_init=0.1),
    "fashion-mnist": Preset((128, 128), "adam", 0.001, 1e-3, epochs=10, batch_size=128),
    "mnist": Preset((128, 128), "adam", 0.001, 1e-3, epochs=10, batch_size=128),
}

# The synthetic data sets: samples per class for training and for validation, and classes.
_SYNTHETIC_SAMPLES, _SYNTHETIC_VALIDATION_SAMPLES, _SYNTHETIC_CLASSES = 1000, 100, 3
# sine_data has no randomness: validation uses a different grid of x values.
_SINE_SAMPLES, _SINE_VALIDATION_SAMPLES = 1000, 300


class UsageError(Exception):
    """A bad command line; reported in one line with exit status 2."""


# --- data ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Data:
    """A data set split for the command line.

    ``X_eval``, ``y_eval`` is the set the final result is reported on: freshly generated
    validation data for the synthetic sets, the official test set for the images.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_eval: np.ndarray
    y_eval: np.ndarray
    eval_name: str  # "validation" or "test", for the printed results
    regression: bool = False
    class_names: tuple[str, ...] | None = None


def load_data(name: str, *, seed: int | None = 0, data_dir: str | None = None,
              download: bool = True) -> Data:
    """Load or generate the data set ``name``, ready for a dense network.

    Parameters
    ----------
    name : {"spiral", "vertical", "sine", "fashion-mnist", "mnist"}
    seed : int, optional
        Seed of the synthetic data (validation data uses ``seed + 1``).
    data_dir : str, optional
        Where Fashion-MNIST and MNIST are (see :func:`squareone.datasets.load_dataset`).
    download : bool, default True
        Download missing image files.

    Returns
    -------
    Data
        Images are flattened and scaled to [-1, 1] as ``(x - 127.5) / 127.5``.
    """
    if name == "sine":
        X, y = sq.datasets.sine_data(_SINE_SAMPLES)
        X_eval, y_eval = sq.datasets.sine_data(_SINE_VALIDATION_SAMPLES)
        return Data(X, y, X_eval, y_eval, "validation", regression=True)
    if name in SYNTHETIC:
        generate = sq.datasets.spiral_data if name == "spiral" else sq.datasets.vertical_data
        eval_seed = None if seed is None else seed + 1
        X, y = generate(_SYNTHETIC_SAMPLES, _SYNTHETIC_CLASSES, seed=seed)
        X_eval, y_eval = generate(_SYNTHETIC_VALIDATION_SAMPLES, _SYNTHETIC_CLASSES,
                                  seed=eval_seed)
        return Data(X, y, X_eval, y_eval, "validation")
    (X, y), (X_test, y_test) = mnist.load_dataset(name, data_dir, download=download)
    return Data(preprocessing.prepare_images(X), y, preprocessing.prepare_images(X_test),
                y_test, "test", class_names=mnist.class_names(name))


# --- model --------------------------------------------------------------------------------------


def build_model(n_inputs: int, n_outputs: int, *, hidden: Sequence[int], activation: str = "relu",
                dropout: float = 0.0, l2: float = 0.0, weight_init: str | float = "he",
                regression: bool = False, optimizer=None, seed: int | None = None) -> sq.Model:
    """Build and finalize a multilayer perceptron.

    ``Dense - activation [- Dropout]`` for every hidden layer, then ``Dense - Softmax`` with
    categorical cross-entropy (a classifier, ``n_outputs`` classes) or ``Dense - Linear`` with
    mean squared error and regression accuracy (``regression=True``).

    Parameters
    ----------
    n_inputs, n_outputs : int
        Features per sample; classes (or outputs of a regression).
    hidden : sequence of int
        Neurons of each hidden layer.
    activation : {"relu", "tanh", "sigmoid"}
        Activation of the hidden layers.
    dropout : float
        Dropout rate after each hidden layer (0 adds no Dropout layer).
    l2 : float
        L2 penalty on the weights and biases of the hidden layers, as the book regularizes.
    weight_init : str or float
        See :class:`squareone.Dense`.
    regression : bool
        Build a regression model instead of a classifier.
    optimizer : squareone optimizer, optional
    seed : int, optional
        The Dense and Dropout layers get the seeds ``seed``, ``seed + 1``, ... in order, so a
        run can be repeated exactly.

    Returns
    -------
    squareone.Model
    """
    model = sq.Model()
    seeds = iter(range(seed, seed + 2 * len(hidden) + 1)) if seed is not None else None

    def next_seed() -> int | None:
        return next(seeds) if seeds is not None else None

    width = n_inputs
    for neurons in hidden:
        model.add(sq.Dense(width, neurons, weight_init=weight_init, weight_regularizer_l2=l2,
                           bias_regularizer_l2=l2, seed=next_seed()))
        model.add(ACTIVATIONS[activation]())
        if dropout:
            model.add(sq.Dropout(dropout, seed=next_seed()))
        width = neurons
    model.add(sq.Dense(width, n_outputs, weight_init=weight_init, seed=next_seed()))
    if regression:
        model.add(sq.Linear())
        model.set(loss=sq.MeanSquaredError(), accuracy=sq.RegressionAccuracy())
    else:
        model.add(sq.Softmax())
        model.set(loss=sq.CategoricalCrossentropy(), accuracy=sq.CategoricalAccuracy())
    if optimizer is not None:
        model.set(optimizer=optimizer)
    model.finalize()
    return model


def _optimizer(args: argparse.Namespace, preset: Preset) -> Optimizer:
    """The optimizer the options ask for.

    The data set's learning rate and decay apply to its own optimizer; another optimizer
    starts from its book defaults, which each option overrides.
    """
    name = args.optimizer or preset.optimizer
    options = {"learning_rate": preset.learning_rate,
               "decay": preset.decay} if name == preset.optimizer else {}
    if args.learning_rate is not None:
        options["learning_rate"] = args.learning_rate
    if args.decay is not None:
        options["decay"] = args.decay
    if args.momentum is not None:
        if name != "sgd":
            raise UsageError(f"--momentum applies to --optimizer sgd only, not {name}")
        options["momentum"] = args.momentum
    return OPTIMIZERS[name](**options)


def _shape(model: sq.Model) -> str:
    """The widths of a model's layers, e.g. ``2-64-64-3``."""
    dense = [layer for layer in model.layers if isinstance(layer, sq.Dense)]
    return "-".join(str(width) for width in [dense[0].n_inputs, *(d.n_neurons for d in dense)])


# --- train --------------------------------------------------------------------------------------


def _train(args: argparse.Namespace) -> int:
    preset = PRESETS[args.dataset]
    _check_writable(args.output, "--output")
    if args.plot:
        _check_writable(args.plot, "--plot")
    data = load_data(args.dataset, seed=args.seed, data_dir=args.data_dir,
                     download=args.download)
    if args.max_samples is not None:
        data = _subset(data, args.max_samples, args.seed)
    X, y, validation = _validation_split(data, args.validation_split, args.seed)
    n_outputs = 1 if data.regression else int(max(data.y_train.max(), data.y_eval.max())) + 1
    model = build_model(
        X.shape[1], n_outputs, hidden=args.hidden or preset.hidden,
        activation=args.activation or preset.activation, dropout=args.dropout, l2=args.l2,
        weight_init=preset.weight_init, regression=data.regression,
        optimizer=_optimizer(args, preset), seed=args.seed)
    epochs = args.epochs or preset.epochs
    batch_size = args.batch_size or preset.batch_size
    say = _printer(args.quiet)
    say(f"training a {_shape(model)} network on {args.dataset} ({len(X)} samples, "
        f"validation on {len(validation[0])}): {model.optimizer!r}, {epochs} "
        f"epoch{'s' if epochs > 1 else ''}, batches of {batch_size}")

    history = _fit(model, X, y, validation, epochs=epochs, batch_size=batch_size,
                   seed=args.seed, quiet=args.quiet)
    if history.interrupted:
        print(f"squareone: training interrupted after {len(history)} complete epoch(s); "
              "evaluating and saving the model as it is", file=sys.stderr)
    _print_results(model, data)
    model.save(args.output, include_optimizer=True)
    say(f"model saved to {args.output}")
    if args.plot:
        _plot_curves(history, args.plot, say)
    return EXIT_INTERRUPTED if history.interrupted else EXIT_OK


def _subset(data: Data, n_samples: int, seed: int | None) -> Data:
    """``data`` with a random ``n_samples`` of its training samples (all if fewer)."""
    if n_samples >= len(data.X_train):
        return data
    # Random rather than the first ones: the synthetic sets are ordered by class.
    keep = np.sort(np.random.default_rng(seed).choice(len(data.X_train), n_samples,
                                                      replace=False))
    return dataclasses.replace(data, X_train=data.X_train[keep], y_train=data.y_train[keep])


def _validation_split(data: Data, fraction: float | None, seed: int | None):
    """Training data and the per-epoch validation data.

    With ``fraction``, a random part of the training data (it may be ordered by class);
    otherwise the evaluation set, as the book validates on its test data.
    """
    if fraction is None:
        return data.X_train, data.y_train, (data.X_eval, data.y_eval)
    X, X_val, y, y_val = preprocessing.train_test_split(
        data.X_train, data.y_train, test_size=fraction, seed=seed)
    return X, y, (X_val, y_val)


def _fit(model: sq.Model, X, y, validation, *, epochs: int, batch_size: int,
         seed: int | None, quiet: bool) -> sq.History:
    """Train one epoch at a time under a progress bar showing the latest loss and accuracy.

    Returns the History of the complete epochs, ``interrupted`` after Ctrl-C (the model stops
    after the current step and keeps its parameters).
    """
    history = sq.History()
    # One generator for the whole run, so every epoch gets a new order of the samples.
    order = np.random.default_rng(seed)
    with tqdm(total=epochs, desc="training", unit="epoch", disable=quiet,
              file=sys.stderr) as bar:
        for epoch in range(1, epochs + 1):
            try:
                result = model.train(X, y, epochs=1, batch_size=batch_size,
                                     validation_data=validation, shuffle=True, seed=order,
                                     verbose=0)
            except KeyboardInterrupt:  # pressed between two epochs, outside model.train
                result = sq.History()
                result.interrupted = True
            if result.interrupted:
                history.interrupted = True
                break
            history.append(**{key: values[0] for key, values in result.history.items()})
            history.epoch[-1] = epoch
            bar.set_postfix(loss=f"{history.loss[-1]:.4f}", acc=f"{history.accuracy[-1]:.3f}",
                            val_loss=f"{history.val_loss[-1]:.4f}",
                            val_acc=f"{history.val_accuracy[-1]:.3f}", refresh=False)
            bar.update()  # redraws the bar, with the new numbers
    return history


def _print_results(model: sq.Model, data: Data) -> None:
    """Print the loss and accuracy (and R-squared) on the evaluation set: the result lines."""
    result = model.evaluate(data.X_eval, data.y_eval)
    print(f"{data.eval_name} loss: {result['loss']:.4f}")
    print(f"{data.eval_name} accuracy: {result['accuracy']:.3f}")
    if data.regression:
        r2 = r2_score(data.y_eval, model.predict(data.X_eval))
        print(f"{data.eval_name} r2: {r2:.4f}")


def _plot_curves(history: sq.History, path: str, say: Callable[[str], None]) -> None:
    if not len(history):
        say(f"no complete epoch, so no {path}")
        return
    from squareone import plots

    try:
        plots.plot_history(history, path)
    except ImportError:
        print(f"squareone: note: matplotlib is not installed, so {path} was not drawn "
              "(pip install squareone[plot])", file=sys.stderr)
        return
    say(f"training curves saved to {path}")


# --- evaluate, predict, info ----------------------------------------------------------------------


def _load_model(path: str) -> sq.Model:
    if not Path(path).is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    return sq.Model.load(path)


def _check_inputs(model: sq.Model, n_features: int, what: str) -> None:
    if model.n_features is not None and model.n_features != n_features:
        raise ValueError(f"the model takes {model.n_features} input features but {what} has "
                         f"{n_features}; was it trained on other data?")


def _evaluate(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    data = load_data(args.dataset, seed=args.seed, data_dir=args.data_dir,
                     download=args.download)
    _check_inputs(model, data.X_eval.shape[1], args.dataset)
    _print_results(model, data)
    print()
    print(evaluation_report(model, data.X_eval, data.y_eval, class_names=data.class_names), end="")
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    if not isinstance(model.output_layer_activation, sq.Softmax):
        raise ValueError("predict needs a classifier (a model ending in Softmax); this model "
                         f"ends in {type(model.output_layer_activation).__name__}")
    side = math.isqrt(model.n_features)
    if side * side != model.n_features:
        raise ValueError(f"the model takes {model.n_features} input features, which is not "
                         "a square image")
    images = np.stack([load_image(path, size=(side, side)) for path in args.images])
    probabilities = model.predict(preprocessing.prepare_images(images))
    names = mnist.class_names(args.dataset)
    if len(names) != probabilities.shape[1]:
        names = [str(class_id) for class_id in range(probabilities.shape[1])]
    top = min(args.top, probabilities.shape[1])
    for path, row in zip(args.images, probabilities):
        best = np.argsort(row)[::-1][:top]
        if top == 1:
            print(f"{path}: {names[best[0]]} ({row[best[0]]:.1%})")
            continue
        print(f"{path}:")
        for rank, class_id in enumerate(best, start=1):
            print(f"  {rank}. {names[class_id]} ({row[class_id]:.1%})")
    return EXIT_OK


def _info(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    print(f"{args.model} ({Path(args.model).stat().st_size:,} bytes)")
    print(model.summary())
    return EXIT_OK


# --- command line -------------------------------------------------------------------------------


def _printer(quiet: bool) -> Callable[[str], None]:
    """``print`` for progress messages, silenced by ``--quiet``."""
    return (lambda message: None) if quiet else print


def _check_writable(path: str, option: str) -> None:
    """Fail before training, not after it, if the file cannot be written where asked."""
    directory = Path(path).parent
    if not directory.is_dir():
        raise UsageError(f"{option} {path}: the directory {str(directory)!r} does not exist")


def _number(kind: type, low: float, high: float | None = None, *, low_inclusive: bool = True,
            high_inclusive: bool = False) -> Callable[[str], float]:
    """An argparse type: a ``kind`` number inside the given bounds."""
    left, right = "[" if low_inclusive else "(", "]" if high_inclusive else ")"
    bounds = f"in {left}{low}, {'inf' if high is None else high}{right}"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {kind.__name__} {bounds}, got {text!r}") from None
        too_low = value < low if low_inclusive else value <= low
        too_high = high is not None and (value > high if high_inclusive else value >= high)
        if too_low or too_high or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a number {bounds}, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def _layer_sizes(text: str) -> tuple[int, ...]:
    """An argparse type: comma-separated positive layer widths, e.g. ``128,128``."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers such as "
                                         f"128,128, got {text!r}")
    return sizes


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become a UsageError (one line, exit status 2)."""

    def error(self, message: str):
        raise UsageError(message)


def _add_data_options(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--dataset", choices=DATASETS, default=default,
                        help=f"data set (default: {default})" if default else "data set")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder holding fashion-mnist/ and mnist/ (default: "
                             "$SQUAREONE_DATA, else ~/.cache/squareone)")
    parser.add_argument("--no-download", dest="download", action="store_false",
                        help="fail instead of downloading missing image files")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the synthetic data, the weights and the shuffling "
                             "(default: 0)")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``squareone`` command and its subcommands."""
    parser = _Parser(prog="squareone", description="Neural networks from square one: train, "
                     "evaluate and use small NumPy networks.")
    parser.add_argument("--version", action="version", version=f"squareone {sq.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a model and save it",
                                description="Train a network; without options, the built-in "
                                "spiral example. Prints the final validation (or test) loss "
                                "and accuracy, saves the model and plots the training curves.")
    _add_data_options(train, "spiral")
    positive_int = _number(int, 1)
    train.add_argument("--hidden", type=_layer_sizes, metavar="N,N",
                       help="neurons of each hidden layer, e.g. 128,128")
    train.add_argument("--activation", choices=ACTIVATIONS)
    train.add_argument("--dropout", type=_number(float, 0.0, 1.0), default=0.0, metavar="RATE",
                       help="dropout rate after each hidden layer (default: 0)")
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument("--learning-rate", type=_number(float, 0.0, low_inclusive=False),
                       metavar="LR")
    train.add_argument("--decay", type=_number(float, 0.0), help="learning-rate decay per step")
    train.add_argument("--momentum", type=_number(float, 0.0, 1.0), help="SGD momentum")
    train.add_argument("--l2", type=_number(float, 0.0), default=0.0, metavar="LAMBDA",
                       help="L2 penalty on the hidden layers' weights and biases (default: 0)")
    train.add_argument("--epochs", type=positive_int)
    train.add_argument("--batch-size", type=positive_int)
    train.add_argument("--max-samples", type=positive_int, metavar="N",
                       help="train on a random N of the training samples (quick experiments)")
    train.add_argument("--validation-split", type=_number(float, 0.0, 1.0, low_inclusive=False),
                       metavar="FRACTION", help="validate on this random part of the training "
                       "data (default: validate on the validation or test set)")
    train.add_argument("--output", "-o", default="model.squareone", metavar="PATH",
                       help="where to save the model (default: model.squareone)")
    plot = train.add_mutually_exclusive_group()
    plot.add_argument("--plot", default="curves.png", metavar="PATH",
                      help="where to save the training curves (default: curves.png)")
    plot.add_argument("--no-plot", dest="plot", action="store_const", const=None,
                      help="do not plot the training curves")
    train.add_argument("--quiet", "-q", action="store_true",
                       help="print only the final result lines")
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser("evaluate", help="evaluate a saved model on a data set",
                                   description="Print the loss, the accuracy and a "
                                   "classification report (or regression errors) on the test "
                                   "set, or on fresh validation data for the synthetic sets.")
    evaluate.add_argument("model", help="a model file written by squareone train")
    _add_data_options(evaluate, "spiral")
    evaluate.set_defaults(handler=_evaluate)

    predict = commands.add_parser("predict", help="classify image files",
                                  description="Classify images with a model trained on "
                                  "Fashion-MNIST or MNIST (images are converted to 28x28 "
                                  "grayscale, inverted if their background is light, and "
                                  "scaled as in training).")
    predict.add_argument("model", help="a model file written by squareone train")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG...)")
    predict.add_argument("--top", type=positive_int, default=1, metavar="K",
                         help="show the K most likely classes (default: 1)")
    predict.add_argument("--dataset", choices=mnist.DATASET_NAMES, default="fashion-mnist",
                         help="whose class names to print (default: fashion-mnist)")
    predict.set_defaults(handler=_predict)

    info = commands.add_parser("info", help="show a saved model's layers and parameters")
    info.add_argument("model", help="a model file written by squareone train")
    info.set_defaults(handler=_info)
    return parser


def _one_line(error: BaseException) -> str:
    """The message of ``error`` on one line."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        message = f"{error.strerror}: {error.filename}"
    else:
        message = str(error) or type(error).__name__
    return " ".join(message.split())


def _fail(message: str, status: int) -> int:
    print(f"squareone: error: {message}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``squareone`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 1 after an error, 2 for bad usage, 130 after Ctrl-C.
    """
    debug = bool(os.environ.get("SQUAREONE_DEBUG"))
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    except UsageError as error:
        return _fail(f"{_one_line(error)} (see squareone --help)", EXIT_USAGE)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except (OSError, ValueError, TypeError, RuntimeError, ArithmeticError,
            ImportError) as error:
        if debug:
            raise
        return _fail(_one_line(error), EXIT_ERROR)
    except Exception as error:  # a bug: still one line, but say what it was
        if debug:
            raise
        return _fail(f"unexpected {type(error).__name__}: {_one_line(error)} (set "
                     "SQUAREONE_DEBUG=1 for the traceback)", EXIT_ERROR)


if __name__ == "__main__":
    sys.exit(main())
