"""``squareone notebooks``: write the tutorial's steps as Jupyter notebooks (.ipynb)."""

from __future__ import annotations

import argparse
import os

from squareone.cli.common import EXIT_OK, UsageError


def add_parser(commands) -> None:
    """Add the ``notebooks`` command to the subcommands ``commands``."""
    notebooks = commands.add_parser(
        "notebooks", help="write the tutorial's steps as Jupyter notebooks",
        description="Write tutorial steps as .ipynb notebooks into DIR, with the _common.py "
        "they import. The scripts in tutorial/ are the source (Jupyter with jupytext and VS "
        "Code also open them directly); notebooks written here are replaced by the next run. "
        "Needs pip install squareone[docs].")
    notebooks.add_argument("folder", metavar="DIR", help="where to write the notebooks")
    notebooks.add_argument("steps", metavar="STEP", nargs="*", default=[],
                           help="steps to write, by number or name (5, 05, 05_loss); "
                           "default: all")
    notebooks.add_argument("--tutorial", metavar="PATH",
                           help="the tutorial folder (default: ./tutorial, else the one in "
                           "the squareone checkout)")
    notebooks.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from squareone import notebooks

    if os.path.exists(args.folder) and not os.path.isdir(args.folder):
        raise UsageError(f"DIR {args.folder!r} is a file; give a folder for the notebooks")
    try:
        tutorial = notebooks.find_tutorial(args.tutorial)
        notebooks.step_scripts(tutorial, args.steps or None)
    except (FileNotFoundError, ValueError) as error:
        option = "--tutorial" if isinstance(error, FileNotFoundError) else "STEP"
        raise UsageError(f"{option}: {error}") from None
    written = notebooks.write_notebooks(args.folder, args.steps or None, tutorial)
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} notebook{'s' * (len(written) != 1)} in {args.folder}, with "
          "_common.py; open them with Jupyter, e.g. jupyter lab " + args.folder)
    return EXIT_OK
