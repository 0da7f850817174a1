"""The ``squareone`` command: train, evaluate, inspect and use models from a shell.

::

    squareone train                                  # the spiral example: a few seconds
    squareone train --dataset fashion-mnist          # the book's Fashion-MNIST model
    squareone evaluate model.squareone --dataset fashion-mnist
    squareone predict model.squareone shirt.png --top 3
    squareone info model.squareone
    squareone export model.squareone model.onnx      # pip install squareone[onnx]
    squareone playground                             # watch a network learn in the browser
    squareone notebooks notebooks/                   # the tutorial as Jupyter notebooks

``squareone <command> --help`` lists every option. Each data set has its own defaults
(:data:`PRESETS`); every option overrides them.

Problems (a missing file, a bad option, a corrupt model file, a data set that cannot be found)
are reported as one line on stderr, ``squareone: error: ...``, naming the option and the value
as typed, with exit status 1, or 2 for bad usage; warnings are one line each, after the
results. Ctrl-C during training stops after the current step; the model is still evaluated
and saved (unless ``-o`` holds a model trained for more steps), and the exit status is 130.
``-o`` and ``--plot`` replace only a model and a PNG unless ``--force``. When the reader of
the output goes away (``| head``), the command stops quietly with status 141. ``--debug`` (or
the environment variable ``SQUAREONE_DEBUG=1``) shows tracebacks and warnings as Python prints
them.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

import squareone as sq
from squareone.cli import evaluate, export, info, notebooks, playground, predict, train
from squareone.cli.common import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CommandWarning,
    Parser,
    UsageError,
    fail,
    one_line,
    print_warning,
)
from squareone.cli.data import PRESETS, Data, Preset, load_data
from squareone.cli.train import build_model

__all__ = ["main", "build_parser", "build_model", "load_data", "Data", "Preset", "PRESETS"]

#: The subcommands, in the order ``--help`` lists them. Each module has ``add_parser(commands)``
#: and ``run(args)``; a new command is a new module here.
COMMANDS = (train, evaluate, predict, info, export, playground, notebooks)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``squareone`` command and its subcommands."""
    parser = Parser(prog="squareone", description="Neural networks from square one: train, "
                    "evaluate and use small NumPy networks.")
    parser.add_argument("--version", action="version", version=f"squareone {sq.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``squareone`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 1 after an error, 2 for bad usage, 130 after Ctrl-C,
        141 when the reader of the output went away (``squareone info m | head -1``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    options = argv[:argv.index("--")] if "--" in argv else argv
    if os.environ.get("SQUAREONE_DEBUG") or "--debug" in options:
        return _run(argv, debug=True)  # warnings and tracebacks as Python shows them
    # Otherwise warnings (NumPy's overflow warnings, with their source lines) must not come
    # between the user and the one-line result: each distinct one becomes one line at the end
    # of a run that succeeds, and is dropped when the run fails (the error says what matters).
    shown: dict[str, None] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # once per place in the code, not once per step
        warnings.showwarning = lambda message, category, *_, **__: shown.setdefault(
            one_line(message) if category is CommandWarning
            else f"{one_line(message)} ({category.__name__})")
        status = _run(argv, debug=False)
    if status in (EXIT_OK, EXIT_INTERRUPTED):
        for message in list(shown)[:_MAX_WARNINGS]:
            print_warning(message)
    return status


#: The most warnings printed after a run; the rest are left to ``--debug``.
_MAX_WARNINGS = 5


def _run(argv: list[str], debug: bool) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        args.argv = list(argv)  # to start workers with (squareone train --workers)
        status = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at exit as a traceback
        return status
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    except UsageError as error:
        command = error.command or (f"squareone {args.command}" if args else "squareone")
        return fail(f"{one_line(error)} (see {command} --help)", EXIT_USAGE)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except (OSError, ValueError, TypeError, RuntimeError, ArithmeticError,
            ImportError) as error:
        if debug:
            raise
        return fail(one_line(error), EXIT_ERROR)
    except Exception as error:  # a bug: still one line, but say what it was
        if debug:
            raise
        return fail(f"unexpected {type(error).__name__}: {one_line(error)} (run with --debug "
                    "for the traceback)", EXIT_ERROR)


def _discard_stdout() -> None:
    """Point stdout at the null device, so that Python's last flush at exit does not fail."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (captured by a test)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


if __name__ == "__main__":
    sys.exit(main())
