"""``squareone train``: build a network for a data set, train it, report, save and plot."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

import squareone as sq
from squareone import animation
from squareone._names import OPTIMIZERS
from squareone.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    add_data_options,
    check_writable,
    layer_sizes,
    number,
    print_results,
    printer,
)
from squareone.cli.data import PRESETS, Preset, load_data, subset, validation_split
from squareone.optimizers import Optimizer

#: The activations offered for hidden layers (names of squareone._names.ACTIVATIONS).
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid")
ANIMATED_DATASETS = ("spiral", "vertical", "sine")
_ANIMATION_FRAMES = 100


def add_parser(commands) -> None:
    """Add the ``train`` command to the subcommands ``commands``."""
    train = commands.add_parser("train", help="train a model and save it",
                                description="Train a network; without options, the built-in "
                                "spiral example. Prints the final validation (or test) loss "
                                "and accuracy, saves the model and plots the training curves.")
    add_data_options(train, "spiral")
    positive_int = number(int, 1)
    train.add_argument("--hidden", type=layer_sizes, metavar="N,N",
                       help="neurons of each hidden layer, e.g. 128,128")
    train.add_argument("--activation", choices=HIDDEN_ACTIVATIONS)
    train.add_argument("--dropout", type=number(float, 0.0, 1.0), default=0.0, metavar="RATE",
                       help="dropout rate after each hidden layer (default: 0)")
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument("--learning-rate", type=number(float, 0.0, low_inclusive=False),
                       metavar="LR")
    train.add_argument("--decay", type=number(float, 0.0), help="learning-rate decay per step")
    train.add_argument("--momentum", type=number(float, 0.0, 1.0), help="SGD momentum")
    train.add_argument("--l2", type=number(float, 0.0), default=0.0, metavar="LAMBDA",
                       help="L2 penalty on the hidden layers' weights and biases (default: 0)")
    train.add_argument("--epochs", type=positive_int)
    train.add_argument("--batch-size", type=positive_int)
    train.add_argument("--max-samples", type=positive_int, metavar="N",
                       help="train on a random N of the training samples (quick experiments)")
    train.add_argument("--validation-split", type=number(float, 0.0, 1.0, low_inclusive=False),
                       metavar="FRACTION", help="validate on this random part of the training "
                       "data (default: validate on the validation or test set)")
    train.add_argument("--output", "-o", default="model.squareone", metavar="PATH",
                       help="where to save the model (default: model.squareone)")
    plot = train.add_mutually_exclusive_group()
    plot.add_argument("--plot", default="curves.png", metavar="PATH",
                      help="where to save the training curves (default: curves.png); 2-D "
                      "data sets also get boundary.png, the decision boundary, beside it")
    plot.add_argument("--no-plot", dest="plot", action="store_const", const=None,
                      help="do not plot the training curves")
    train.add_argument("--animate", metavar="PATH", help="also save an animation of the "
                       "decision boundary (or sine's fitted curve) and the loss during "
                       "training: a .gif, or .mp4 when ffmpeg is installed")
    train.add_argument("--quiet", "-q", action="store_true",
                       help="print only the final result lines")
    train.set_defaults(handler=run)


def build_model(n_inputs: int, n_outputs: int, *, hidden: Sequence[int], activation: str = "relu",
                dropout: float = 0.0, l2: float = 0.0, weight_init: str | float = "he",
                regression: bool = False, optimizer=None, seed: int | None = None,
                dtype="float32") -> sq.Model:
    """Build and finalize a multilayer perceptron.

    ``Dense(activation=...) [- Dropout]`` for every hidden layer, then
    ``Dense(activation="softmax")`` with categorical cross-entropy (a classifier, ``n_outputs``
    classes) or ``Dense(activation="linear")`` with mean squared error and regression accuracy
    (``regression=True``). Each layer's input size is inferred from the one before.

    Parameters
    ----------
    n_inputs, n_outputs : int
        Features per sample; classes (or outputs of a regression).
    hidden : sequence of int
        Neurons of each hidden layer.
    activation : {"relu", "tanh", "sigmoid"} or Activation
        Activation of the hidden layers (any name or activation a Dense layer accepts).
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
    dtype : {"float32", "float64"}
        The model's dtype.

    Returns
    -------
    squareone.Model
    """
    seeds = iter(range(seed, seed + 2 * len(hidden) + 1)) if seed is not None else None

    def next_seed() -> int | None:
        return next(seeds) if seeds is not None else None

    layers = []
    for neurons in hidden:
        layers.append(sq.Dense(neurons, activation=activation, weight_init=weight_init,
                               weight_regularizer_l2=l2, bias_regularizer_l2=l2, seed=next_seed()))
        if dropout:
            layers.append(sq.Dropout(dropout, seed=next_seed()))
    layers.append(sq.Dense(n_outputs, activation="linear" if regression else "softmax",
                           weight_init=weight_init, seed=next_seed()))
    model = sq.Model(layers, dtype=dtype, input_size=n_inputs)
    model.set(loss="mse" if regression else "categorical_crossentropy",
              accuracy="regression" if regression else "categorical", optimizer=optimizer)
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


def run(args: argparse.Namespace) -> int:
    preset = PRESETS[args.dataset]
    check_writable(args.output, "--output")
    if args.plot:
        check_writable(args.plot, "--plot")
    if args.animate:
        _check_animate(args)
    data = load_data(args.dataset, seed=args.seed, data_dir=args.data_dir,
                     download=args.download)
    if args.max_samples is not None:
        data = subset(data, args.max_samples, args.seed)
    X, y, validation = validation_split(data, args.validation_split, args.seed)
    n_outputs = 1 if data.regression else int(max(data.y_train.max(), data.y_eval.max())) + 1
    model = build_model(
        X.shape[1], n_outputs, hidden=args.hidden or preset.hidden,
        activation=args.activation or preset.activation, dropout=args.dropout, l2=args.l2,
        weight_init=preset.weight_init, regression=data.regression,
        optimizer=_optimizer(args, preset), seed=args.seed)
    # Saved with the model, so that evaluate and predict know its data set and class names.
    model.dataset, model.class_names = args.dataset, data.class_names
    epochs = args.epochs or preset.epochs
    batch_size = args.batch_size or preset.batch_size
    say = printer(args.quiet)
    say(f"training a {_shape(model)} network on {args.dataset} ({len(X)} samples, "
        f"validation on {len(validation[0])}): {model.optimizer!r}, {epochs} "
        f"epoch{'s' if epochs > 1 else ''}, batches of {batch_size}")

    recorder = animation.TrainingRecorder(X, y) if args.animate else None
    every = -(-epochs // min(epochs, _ANIMATION_FRAMES))  # a frame every this many epochs

    def capture_frame(epoch: int) -> None:
        if recorder is not None and (epoch % every == 0 or epoch == epochs):
            recorder.capture(model, epoch)

    history = _fit(model, X, y, validation, epochs=epochs, batch_size=batch_size,
                   seed=args.seed, quiet=args.quiet, on_epoch=capture_frame)
    if history.interrupted:
        print(f"squareone: training interrupted after {len(history)} complete epoch(s); "
              "evaluating and saving the model as it is", file=sys.stderr)
    print_results(model, data)
    model.save(args.output, include_optimizer=True)
    say(f"model saved to {args.output}")
    if args.plot:
        _plot_curves(history, args.plot, say)
        if data.X_train.shape[1] == 2 and not data.regression:
            _plot_boundary(model, data, Path(args.plot).with_name("boundary.png"), say)
    if recorder is not None and recorder.captures:
        animation.save_animation(recorder.frames(history), args.animate)
        say(f"animation of {len(recorder.captures)} frames saved to {args.animate}")
    return EXIT_INTERRUPTED if history.interrupted else EXIT_OK

def _fit(model: sq.Model, X, y, validation, *, epochs: int, batch_size: int,
         seed: int | None, quiet: bool, on_epoch: Callable[[int], None] | None = None
         ) -> sq.History:
    """Train one epoch at a time under a progress bar showing the latest loss and accuracy.

    ``on_epoch(epoch)`` is called after each complete epoch (``--animate`` captures frames).

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
            if on_epoch is not None:
                on_epoch(epoch)
    return history

def _check_animate(args: argparse.Namespace) -> None:
    """Fail before training if ``--animate`` cannot be written for this data set."""
    if args.dataset not in ANIMATED_DATASETS:
        raise UsageError(f"--animate needs a data set with 2 features or sine "
                         f"({', '.join(ANIMATED_DATASETS)}), not {args.dataset}")
    check_writable(args.animate, "--animate")
    try:
        animation.check_animation_path(args.animate)
    except ValueError as error:
        raise UsageError(f"--animate: {error}") from None

def _plot_boundary(model: sq.Model, data, path: Path, say: Callable[[str], None]) -> None:
    from squareone import plots

    try:
        plots.plot_decision_boundary(model, data.X_eval, data.y_eval, path)
    except ImportError:
        return  # _plot_curves has already said that matplotlib is missing
    say(f"decision boundary saved to {path}")

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
