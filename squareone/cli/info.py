"""``squareone info``: a saved model's layers and parameter counts."""

from __future__ import annotations

import argparse
from pathlib import Path

from squareone.cli.common import EXIT_OK, load_model_file


def add_parser(commands) -> None:
    """Add the command to the subcommands ``commands``."""
    info = commands.add_parser("info", help="show a saved model's layers and parameters")
    info.add_argument("model", help="a model file written by squareone train")
    info.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model = load_model_file(args.model)
    print(f"{args.model} ({Path(args.model).stat().st_size:,} bytes)")
    print(model.summary())
    if model.dataset is not None:
        print(f"  trained on: {model.dataset}")
    if model.class_names is not None:
        print(f"  classes: {', '.join(model.class_names)}")
    return EXIT_OK
