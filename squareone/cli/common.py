"""What every ``squareone`` command shares: exit statuses, usage errors, option types,
the data options, loading a model file and printing results."""

from __future__ import annotations

import argparse
import math
import stat
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import squareone as sq
from squareone._files import FileKind, check_output
from squareone._validation import shorten
from squareone.cli.data import DATASETS, Data
from squareone.metrics import r2_score

#: Exit statuses: success, a reported error, bad usage (as argparse), interrupted by Ctrl-C,
#: and the output pipe closed by its reader (128 + SIGPIPE, as a shell reports for ``cat``).
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141

#: The longest error line: values echoed from files and command lines are cut to fit.
MESSAGE_LIMIT = 1000


class UsageError(Exception):
    """A bad command line; reported in one line with exit status 2.

    ``command`` (e.g. ``"squareone train"``) names the ``--help`` to read.
    """

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command


def quoted(value: str) -> str:
    """A value as typed, quoted, with control characters escaped and its middle cut if long."""
    return shorten(repr(value), 200)


def printer(quiet: bool) -> Callable[[str], None]:
    """``print`` for progress messages, silenced by ``--quiet``."""
    return (lambda message: None) if quiet else print

def check_writable(path: str, option: str, kind: FileKind, force: bool) -> Path:
    """Fail before training, not after it, if a file cannot or must not be written at ``path``.

    Without ``--force`` only a file of ``kind`` (a squareone model, a PNG) is replaced; with
    it any regular file. Returns the file that will be written (a symbolic link's target).
    """
    try:
        return check_output(path, kind, overwrite=True if force else None,
                            hint="use --force to replace it")
    except (OSError, ValueError) as error:
        shown = path or repr(path)  # an empty path shows as ''
        raise UsageError(f"{option} {shown}: {getattr(error, 'reason', error)}") from None

def number(kind: type, low: float, high: float | None = None, *, low_inclusive: bool = True,
            high_inclusive: bool = False) -> Callable[[str], float]:
    """An argparse type: a ``kind`` number inside the given bounds."""
    left, right = "[" if low_inclusive else "(", "]" if high_inclusive else ")"
    bounds = f"in {left}{low}, {'inf' if high is None else high}{right}"

    expected = f"expected {'an integer' if kind is int else 'a number'} {bounds}"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{expected}, got {quoted(text)}") from None
        too_low = value < low if low_inclusive else value <= low
        too_high = high is not None and (value > high if high_inclusive else value >= high)
        if too_low or too_high or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{expected}, got {quoted(text)}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse

def folder(text: str) -> str:
    """An argparse type: a folder, which need not exist yet (data is downloaded into it)."""
    if not text:
        raise argparse.ArgumentTypeError("expected a folder, got an empty path")
    if Path(text).expanduser().exists() and not Path(text).expanduser().is_dir():
        raise argparse.ArgumentTypeError(f"{quoted(text)} is a file, not a folder")
    return text

def layer_sizes(text: str) -> tuple[int, ...]:
    """An argparse type: comma-separated positive layer widths, e.g. ``128,128``."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers such as "
                                         f"128,128, got {quoted(text)}")
    return sizes

class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become a UsageError (one line, exit status 2)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # On every command, before or after its name; main() looks for it before parsing.
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="show tracebacks and warnings in full (or set SQUAREONE_DEBUG=1)")

    def error(self, message: str):
        raise UsageError(message, self.prog)

def add_data_options(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--dataset", choices=DATASETS, default=default,
                        help=f"data set (default: {default or 'the one it was trained on'})")
    parser.add_argument("--data-dir", metavar="DIR", type=folder,
                        help="folder holding fashion-mnist/ and mnist/ (default: "
                             "$SQUAREONE_DATA, else ~/.cache/squareone)")
    parser.add_argument("--no-download", dest="download", action="store_false",
                        help="fail instead of downloading missing image files")
    parser.add_argument("--seed", type=number(int, 0), default=0,
                        help="seed of the synthetic data, the weights and the shuffling "
                             "(default: 0)")

def add_force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="go on even if --dataset is not the data set the model was "
                             "trained on")

def load_model_file(path: str) -> sq.Model:
    """Load the MODEL argument, saying in the user's terms what it is if not a model file."""
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"model file {quoted(path)} not found") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"model file {quoted(path)} is a folder; give the file "
                                "written by squareone train")
    if not stat.S_ISREG(mode):  # a pipe or a device: reading could block or never end
        raise ValueError(f"model file {quoted(path)} is not a regular file (a pipe, a device "
                         "or a socket)")
    if Path(path).suffix.lower() == ".onnx":
        return sq.io.import_onnx(path)
    return sq.Model.load(path)

def check_dataset(model: sq.Model, dataset: str | None, force: bool, path: str) -> None:
    """Refuse (or with ``force`` warn) when ``--dataset`` is not what the model learned from.

    A model file written before squareone recorded data sets gets a warning instead.
    """
    if dataset is None or model.dataset == dataset:
        return
    if model.dataset is None:
        warn(f"{path} does not record the data set it was trained on (files of squareone "
             f"0.1 do not); make sure --dataset {dataset} is that one")
        return
    message = (f"the model in {path} was trained on {model.dataset}, not --dataset "
               f"{dataset}; its classes and accuracy there would mean nothing")
    if not force:
        raise UsageError(f"{message}; add --force to go on anyway")
    warn(message)

class CommandWarning(UserWarning):
    """A warning of the command line itself, printed as its message alone."""


def warn(message: str) -> None:
    """Warn, through :mod:`warnings`, so that :func:`squareone.cli.main` decides when and how:
    one line after a run that succeeds, nothing after one that fails (only its error)."""
    warnings.warn(CommandWarning(message), stacklevel=2)


def print_warning(message: str) -> None:
    print(f"squareone: warning: {message}", file=sys.stderr)

def check_inputs(model: sq.Model, n_features: int, what: str) -> None:
    if model.n_features is not None and model.n_features != n_features:
        raise ValueError(f"the model takes {model.n_features} input features but --dataset "
                         f"{what} has {n_features}; was it trained on other data?")


def print_results(model: sq.Model, data: Data) -> None:
    """Print the loss and accuracy (and R-squared) on the evaluation set: the result lines."""
    result = model.evaluate(data.X_eval, data.y_eval)
    print(f"{data.eval_name} loss: {result['loss']:.4f}")
    print(f"{data.eval_name} accuracy: {result['accuracy']:.3f}")
    if data.regression:
        r2 = r2_score(data.y_eval, model.predict(data.X_eval))
        print(f"{data.eval_name} r2: {r2:.4f}")

def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line, at most ``MESSAGE_LIMIT`` characters."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        message = f"{error.strerror}: {error.filename}"
    elif isinstance(error, OSError) and error.strerror:  # e.g. a disk full while writing
        message = error.strerror
    else:
        message = str(error) or type(error).__name__
    return shorten(" ".join(message.split()), MESSAGE_LIMIT)

def fail(message: str, status: int) -> int:
    print(f"squareone: error: {message}", file=sys.stderr)
    return status
