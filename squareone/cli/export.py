"""``squareone export``: write a saved model as an ONNX file, to run it without squareone."""

from __future__ import annotations

import argparse
from pathlib import Path

import squareone as sq
from squareone.cli.common import EXIT_OK, UsageError, check_writable, load_model_file, number
from squareone.datasets import mnist
from squareone.onnx import DEFAULT_OPSET, MIN_OPSET


def add_parser(commands) -> None:
    """Add the command to the subcommands ``commands``."""
    export = commands.add_parser(
        "export", help="write a saved model as an ONNX file",
        description="Write a model as ONNX, for ONNX Runtime (Python, C++, C#, Java, the "
        "browser, phones) and other frameworks. Needs pip install squareone[onnx].")
    export.add_argument("model", help="a model file written by squareone train")
    export.add_argument("output", help="the ONNX file to write, e.g. model.onnx")
    export.add_argument("--opset", type=number(int, MIN_OPSET), default=None,
                        help=f"ONNX opset to write (default: {DEFAULT_OPSET}, read by "
                             "ONNX Runtime 1.6 and later)")
    export.add_argument("--dataset", choices=mnist.DATASET_NAMES,
                        help="whose class names to store in the file's metadata (default: "
                             "those the model file records, if any)")
    export.add_argument("--force", "-f", action="store_true",
                        help="replace an existing file at OUTPUT even if it is not an ONNX file")
    export.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if Path(args.output).suffix.lower() != ".onnx":
        raise UsageError(f"the output file must end in .onnx, got {args.output!r}")
    from squareone.onnx.reader import ONNX_FILE  # the onnx extra, checked when exporting

    check_writable(args.output, "output", ONNX_FILE, args.force)
    model = load_model_file(args.model)
    class_names = None
    if args.dataset is not None:
        class_names = mnist.class_names(args.dataset)
        if len(class_names) != model.n_outputs:
            raise UsageError(f"--dataset {args.dataset} has {len(class_names)} classes but the "
                             f"model has {model.n_outputs} outputs")
    sq.io.export_onnx(model, args.output, opset=args.opset, class_names=class_names,
                      overwrite=True if args.force else None)
    names_from = args.dataset or model.dataset or "the model's"
    stored = class_names or model.class_names
    print(f"wrote {args.output} ({Path(args.output).stat().st_size:,} bytes, opset "
          f"{args.opset or DEFAULT_OPSET}{', ' + names_from + ' class names' if stored else ''})")
    return EXIT_OK
