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
import os
import sys
from collections.abc import Sequence

import squareone as sq
from squareone.cli import evaluate, info, predict, train
from squareone.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
    fail,
    one_line,
)
from squareone.cli.data import PRESETS, Data, Preset, load_data
from squareone.cli.train import build_model

__all__ = ["main", "build_parser", "build_model", "load_data", "Data", "Preset", "PRESETS"]

#: The subcommands, in the order ``--help`` lists them. Each module has ``add_parser(commands)``
#: and ``run(args)``; a new command is a new module here.
COMMANDS = (train, evaluate, predict, info)


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
        The exit status: 0 on success, 1 after an error, 2 for bad usage, 130 after Ctrl-C.
    """
    debug = bool(os.environ.get("SQUAREONE_DEBUG"))
    try:
        args = build_parser().parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)  # to start workers with
        return args.handler(args)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    except UsageError as error:
        return fail(f"{one_line(error)} (see squareone --help)", EXIT_USAGE)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_INTERRUPTED)
    except (OSError, ValueError, TypeError, RuntimeError, ArithmeticError,
            ImportError) as error:
        if debug:
            raise
        return fail(one_line(error), EXIT_ERROR)
    except Exception as error:  # a bug: still one line, but say what it was
        if debug:
            raise
        return fail(f"unexpected {type(error).__name__}: {one_line(error)} (set "
                     "SQUAREONE_DEBUG=1 for the traceback)", EXIT_ERROR)


if __name__ == "__main__":
    sys.exit(main())
