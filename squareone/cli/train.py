"""``squareone train``: build a network for a data set, train it, report, save and plot."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

import squareone as sq
from squareone import animation
from squareone._files import PNG
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
from squareone.io import MODEL_FILE
from squareone.model.training import interrupt_after_step
from squareone.optimizers import Optimizer

#: The activations offered for hidden layers (names of squareone._names.ACTIVATIONS).
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid")
ANIMATED_DATASETS = ("spiral", "vertical", "sine")
#: The 2-D classification sets, whose decision boundary is drawn beside the curves.
BOUNDARY_DATASETS = ("spiral", "vertical")
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
    train.add_argument("--force", "-f", action="store_true",
                       help="replace an existing file at --output or --plot even if it is not "
                       "a squareone model or a PNG, or is read-only (directories and devices "
                       "are never replaced)")
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
        The model's float type.

    Returns
    -------
    squareone.Model
    """
    model = sq.Model(dtype=dtype)
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
    if args.workers > 1:
        from squareone import distributed

        if not distributed.is_worker():  # start the workers, each of which runs this again
            _check_outputs(args)  # once, before any worker starts
            return distributed.run_on_workers(args.workers, args.argv)
        if not _is_root():  # the other workers train silently
            with open(os.devnull, "w") as silent, contextlib.redirect_stdout(silent):
                return _train(args, preset)
    return _train(args, preset)


def _is_root() -> bool:
    from squareone import distributed

    return distributed.mpi().COMM_WORLD.Get_rank() == 0


def _train(args: argparse.Namespace, preset: Preset) -> int:
    try:  # start-up: Ctrl-C here stops at once, before anything is trained or written
        _check_outputs(args)
        data = load_data(args.dataset, seed=args.seed, data_dir=args.data_dir,
                         download=args.download)
        if args.max_samples is not None:
            data = subset(data, args.max_samples, args.seed)
        X, y, validation = validation_split(data, args.validation_split, args.seed)
        n_outputs = 1 if data.regression else int(max(data.y_train.max(),
                                                      data.y_eval.max())) + 1
        model = build_model(
            X.shape[1], n_outputs, hidden=args.hidden or preset.hidden,
            activation=args.activation or preset.activation, dropout=args.dropout, l2=args.l2,
            weight_init=preset.weight_init, regression=data.regression,
            optimizer=_optimizer(args, preset), seed=args.seed, dtype=args.dtype)
        # Saved with the model, so that evaluate and predict know its data set and class names.
        model.dataset, model.class_names = args.dataset, data.class_names
        trainer, root = model, True
        if args.workers > 1:  # every worker loads the data; rank 0 alone prints, plots, saves
            from squareone.distributed import DataParallel

            trainer = DataParallel(model)
            root = trainer.is_root
            args.quiet = args.quiet or not root
        epochs = args.epochs or preset.epochs
        batch_size = args.batch_size or preset.batch_size
        say = printer(args.quiet)
        say(f"training a {_shape(model)} network on {args.dataset} ({len(X)} samples, "
            f"validation on {len(validation[0])}): {model.optimizer!r}, {epochs} "
            f"epoch{'s' if epochs > 1 else ''}, batches of {batch_size}")
    except KeyboardInterrupt:
        print("squareone: training interrupted before it started; nothing was saved",
              file=sys.stderr)
        return EXIT_INTERRUPTED

    recorder = animation.TrainingRecorder(X, y) if args.animate and root else None
    every = -(-epochs // min(epochs, _ANIMATION_FRAMES))  # a frame every this many epochs

    def capture_frame(epoch: int) -> None:
        if recorder is not None and (epoch % every == 0 or epoch == epochs):
            recorder.capture(model, epoch)

    # From here Ctrl-C is a flag, wherever it lands: training stops after the current step,
    # and the model is still evaluated, saved (unless that would lose a model that learned
    # more) and plotted. Evaluating, saving and plotting take well under a second.
    with interrupt_after_step() as pressed:
        history = _fit(trainer, X, y, validation, epochs=epochs, batch_size=batch_size,
                       seed=args.seed, quiet=args.quiet, on_epoch=capture_frame)
        if history.interrupted:
            print(f"squareone: training interrupted after {len(history)} complete epoch(s) "
                  f"({model.optimizer.iterations} steps)", file=sys.stderr)
        print_results(model, data)
        _save_model(trainer, model, history, args, say)
        if args.plot and root:
            _plot_curves(history, args.plot, say, args.force)
            if args.dataset in BOUNDARY_DATASETS:
                _plot_boundary(model, data, Path(args.plot).with_name("boundary.png"), say,
                               args.force)
        if recorder is not None and recorder.captures:
            animation.save_animation(recorder.frames(history), args.animate,
                                     overwrite=True if args.force else None)
            say(f"animation of {len(recorder.captures)} frames saved to {args.animate}")
    if history.interrupted:
        return EXIT_INTERRUPTED
    if pressed():
        print("squareone: interrupted after training had finished; nothing was cut short",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _check_outputs(args: argparse.Namespace) -> None:
    """Check --output and --plot before any work: one line naming the option if refused."""
    if args.plot and os.path.realpath(args.plot) == os.path.realpath(args.output):
        raise UsageError(f"--output and --plot are the same file {args.output}; the plot "
                         "would replace the model")
    check_writable(args.output, "--output", MODEL_FILE, args.force)
    if args.plot:
        check_writable(args.plot, "--plot", PNG, args.force)
        if args.dataset in BOUNDARY_DATASETS:
            boundary = str(Path(args.plot).with_name("boundary.png"))
            if os.path.realpath(boundary) == os.path.realpath(args.output):
                raise UsageError(f"--output {args.output} is where --plot puts the decision "
                                 "boundary (boundary.png beside the curves)")
            check_writable(boundary, "--plot", PNG, args.force)
    if args.animate:
        _check_animate(args)


def _save_model(trainer, model: sq.Model, history: sq.History, args: argparse.Namespace,
                say: Callable[[str], None]) -> None:
    """Save through ``trainer`` (the model, or the DataParallel that saves from rank 0)."""
    if history.interrupted:
        reason = _reason_to_keep(model, args.output)
        if reason:
            print(f"squareone: the model was not saved to {args.output}: {reason}",
                  file=sys.stderr)
            return
    trainer.save(args.output, include_optimizer=True, overwrite=True if args.force else None)
    say(f"model saved to {args.output}")


def _reason_to_keep(model: sq.Model, output: str) -> str | None:
    """Why an interrupted run must not save to ``output``, or None.

    An interrupted run never replaces a model that was trained for at least as many steps:
    Ctrl-C early in a run must not turn yesterday's trained model into today's untrained one.
    """
    steps = model.optimizer.iterations
    if steps == 0:
        return "no training step finished"
    if not os.path.exists(output):
        return None
    try:
        saved = sq.io.read_metadata(output)
    except (OSError, ValueError):
        return None  # not a squareone file: only --force lets us here, checked before training
    saved_steps = (saved.get("optimizer") or {}).get("iterations")
    if not isinstance(saved_steps, int):
        return ("it holds a model whose training steps are not recorded, and an interrupted "
                "run replaces only a model that trained less")
    if saved_steps >= steps:
        return (f"it holds a model trained for {saved_steps} steps, and this interrupted run "
                f"made only {steps}")
    return None


def _fit(model, X, y, validation, *, epochs: int, batch_size: int,
         seed: int | None, quiet: bool, on_epoch: Callable[[int], None] | None = None
         ) -> sq.History:
    """Train one epoch at a time under a progress bar showing the latest loss and accuracy.

    ``model`` is a Model or a :class:`squareone.distributed.DataParallel` wrapping one.
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
            except KeyboardInterrupt:  # only if the caller did not catch Ctrl-C as a flag
                result = sq.History()
                result.interrupted = True
            if len(result):  # complete, even if Ctrl-C came during its validation
                history.append(**{key: values[0] for key, values in result.history.items()})
                history.epoch[-1] = epoch
            if result.interrupted:
                history.interrupted = True
                break
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
    if os.path.realpath(args.animate) in (os.path.realpath(args.output),
                                          os.path.realpath(args.plot or args.output)):
        raise UsageError(f"--animate {args.animate} is the same file as --output or --plot")
    check_writable(args.animate, "--animate", animation.ANIMATION, args.force)
    try:
        animation.check_animation_path(args.animate)
    except (ValueError, RuntimeError) as error:  # not .gif/.mp4, or .mp4 without ffmpeg
        raise UsageError(f"--animate: {error}") from None


def _plot_boundary(model: sq.Model, data, path: Path, say: Callable[[str], None],
                   force: bool) -> None:
    from squareone import plots

    try:
        plots.plot_decision_boundary(model, data.X_eval, data.y_eval, path,
                                     overwrite=True if force else None)
    except ImportError:
        return  # _plot_curves has already said that matplotlib is missing
    say(f"decision boundary saved to {path}")


def _plot_curves(history: sq.History, path: str, say: Callable[[str], None],
                 force: bool) -> None:
    if not len(history):
        say(f"no complete epoch, so no {path}")
        return
    from squareone import plots

    try:
        plots.plot_history(history, path, overwrite=True if force else None)
    except ImportError:
        print(f"squareone: note: matplotlib is not installed, so {path} was not drawn "
              "(pip install squareone[plot])", file=sys.stderr)
        return
    say(f"training curves saved to {path}")
