"""``squareone evaluate``: a saved model's loss, accuracy and report on a data set."""

from __future__ import annotations

import argparse

from squareone.cli.common import (
    EXIT_OK,
    add_data_options,
    add_force_option,
    check_dataset,
    check_inputs,
    load_model_file,
    print_results,
)
from squareone.cli.data import load_data
from squareone.metrics import evaluation_report

#: The data set of a model file that does not record its own (saved by squareone 0.1).
DEFAULT_DATASET = "spiral"


def add_parser(commands) -> None:
    """Add the command to the subcommands ``commands``."""
    evaluate = commands.add_parser("evaluate", help="evaluate a saved model on a data set",
                                   description="Print the loss, the accuracy and a "
                                   "classification report (or regression errors) on the test "
                                   "set, or on fresh validation data for the synthetic sets.")
    evaluate.add_argument("model", help="a model file written by squareone train")
    add_data_options(evaluate, None)
    add_force_option(evaluate)
    evaluate.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model = load_model_file(args.model)
    # By default the data set the model was trained on, as its file records.
    dataset = args.dataset or model.dataset or DEFAULT_DATASET
    check_dataset(model, dataset, args.force, args.model)
    data = load_data(dataset, seed=args.seed, data_dir=args.data_dir, download=args.download)
    check_inputs(model, data.X_eval.shape[1], dataset)
    print_results(model, data)
    print()
    names = data.class_names or model.class_names
    print(evaluation_report(model, data.X_eval, data.y_eval, class_names=names), end="")
    return EXIT_OK
