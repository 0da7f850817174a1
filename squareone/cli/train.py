"""``squareone train``: build a network for a data set, train it, report, save and plot."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

import numpy as np
from tqdm import tqdm

import squareone as sq
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

ACTIVATIONS: dict[str, Callable[[], sq.layers.Layer]] = {
    "relu": sq.ReLU, "tanh": sq.Tanh, "sigmoid": sq.Sigmoid}
OPTIMIZERS: dict[str, type] = {
    "adam": sq.Adam, "sgd": sq.SGD, "adagrad": sq.Adagrad, "rmsprop": sq.RMSprop}


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
    train.add_argument("--activation", choices=ACTIVATIONS)
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
                      help="where to save the training curves (default: curves.png)")
    plot.add_argument("--no-plot", dest="plot", action="store_const", const=None,
                      help="do not plot the training curves")
    train.add_argument("--quiet", "-q", action="store_true",
                       help="print only the final result lines")
    train.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                       help="the model's float type (default: float32)")
    train.add_argument("--workers", type=positive_int, default=1, metavar="N",
                       help="train on N MPI processes, each on its share of every batch, "
                            "with the same result (needs pip install squareone[mpi])")
    train.set_defaults(handler=run)


def build_model(n_inputs: int, n_outputs: int, *, hidden: Sequence[int], activation: str = "relu",
                dropout: float = 0.0, l2: float = 0.0, weight_init: str | float = "he",
                regression: bool = False, optimizer=None, seed: int | None = None,
                dtype: str = "float32") -> sq.Model:
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
    dtype : {"float32", "float64"}
        The model's float type.

    Returns
    -------
    squareone.Model
    """
    model = sq.Model(dtype=dtype)
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


def run(args: argparse.Namespace) -> int:
    preset = PRESETS[args.dataset]
    check_writable(args.output, "--output")
    if args.plot:
        check_writable(args.plot, "--plot")
    if args.workers > 1:
        from squareone import distributed

        if not distributed.is_worker():  # start the workers, each of which runs this again
            return distributed.run_on_workers(args.workers, args.argv)
        if not _is_root():  # the other workers train silently
            with open(os.devnull, "w") as silent, contextlib.redirect_stdout(silent):
                return _train(args, preset)
    return _train(args, preset)


def _is_root() -> bool:
    from squareone import distributed

    return distributed.mpi().COMM_WORLD.Get_rank() == 0


def _train(args: argparse.Namespace, preset: Preset) -> int:
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
        optimizer=_optimizer(args, preset), seed=args.seed, dtype=args.dtype)
    trainer = model
    if args.workers > 1:  # every worker loads the data; rank 0 alone prints, plots and saves
        from squareone.distributed import DataParallel

        trainer = DataParallel(model)
        args.quiet = args.quiet or not trainer.is_root
    epochs = args.epochs or preset.epochs
    batch_size = args.batch_size or preset.batch_size
    say = printer(args.quiet)
    say(f"training a {_shape(model)} network on {args.dataset} ({len(X)} samples, "
        f"validation on {len(validation[0])}): {model.optimizer!r}, {epochs} "
        f"epoch{'s' if epochs > 1 else ''}, batches of {batch_size}")

    history = _fit(trainer, X, y, validation, epochs=epochs, batch_size=batch_size,
                   seed=args.seed, quiet=args.quiet)
    if history.interrupted:
        print(f"squareone: training interrupted after {len(history)} complete epoch(s); "
              "evaluating and saving the model as it is", file=sys.stderr)
    print_results(model, data)
    trainer.save(args.output, include_optimizer=True)
    say(f"model saved to {args.output}")
    if args.plot and (trainer is model or trainer.is_root):
        _plot_curves(history, args.plot, say)
    return EXIT_INTERRUPTED if history.interrupted else EXIT_OK

def _fit(model, X, y, validation, *, epochs: int, batch_size: int,
         seed: int | None, quiet: bool) -> sq.History:
    """Train one epoch at a time under a progress bar showing the latest loss and accuracy.

    ``model`` is a Model or a :class:`squareone.distributed.DataParallel` wrapping one.

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
