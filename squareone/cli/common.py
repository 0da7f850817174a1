"""What every ``squareone`` command shares: exit statuses, usage errors, option types,
the data options, loading a model file and printing results."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

import squareone as sq
from squareone._files import FileKind, check_output
from squareone.cli.data import DATASETS, Data
from squareone.metrics import r2_score

#: Exit statuses: success, a reported error, bad usage (as argparse), interrupted by Ctrl-C.
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A bad command line; reported in one line with exit status 2."""


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

def layer_sizes(text: str) -> tuple[int, ...]:
    """An argparse type: comma-separated positive layer widths, e.g. ``128,128``."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers such as "
                                         f"128,128, got {text!r}")
    return sizes

class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become a UsageError (one line, exit status 2)."""

    def error(self, message: str):
        raise UsageError(message)

def add_data_options(parser: argparse.ArgumentParser, default: str | None) -> None:
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

def load_model_file(path: str) -> sq.Model:
    if not Path(path).is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    return sq.Model.load(path)

def check_inputs(model: sq.Model, n_features: int, what: str) -> None:
    if model.n_features is not None and model.n_features != n_features:
        raise ValueError(f"the model takes {model.n_features} input features but {what} has "
                         f"{n_features}; was it trained on other data?")


def print_results(model: sq.Model, data: Data) -> None:
    """Print the loss and accuracy (and R-squared) on the evaluation set: the result lines."""
    result = model.evaluate(data.X_eval, data.y_eval)
    print(f"{data.eval_name} loss: {result['loss']:.4f}")
    print(f"{data.eval_name} accuracy: {result['accuracy']:.3f}")
    if data.regression:
        r2 = r2_score(data.y_eval, model.predict(data.X_eval))
        print(f"{data.eval_name} r2: {r2:.4f}")

def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        message = f"{error.strerror}: {error.filename}"
    else:
        message = str(error) or type(error).__name__
    return " ".join(message.split())

def fail(message: str, status: int) -> int:
    print(f"squareone: error: {message}", file=sys.stderr)
    return status
