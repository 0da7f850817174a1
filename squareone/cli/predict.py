"""``squareone predict``: classify image files with a saved model."""

from __future__ import annotations

import argparse
import math

import numpy as np

import squareone as sq
from squareone.cli.common import (
    EXIT_OK,
    add_force_option,
    check_dataset,
    load_model_file,
    number,
    warn,
)
from squareone.datasets import mnist, preprocessing
from squareone.datasets.images import load_image

#: Whose class names a model file that records none gets (files of squareone 0.1).
DEFAULT_DATASET = "fashion-mnist"


def add_parser(commands) -> None:
    """Add the command to the subcommands ``commands``."""
    predict = commands.add_parser("predict", help="classify image files",
                                  description="Classify images with a model trained on "
                                  "Fashion-MNIST or MNIST (images are converted to 28x28 "
                                  "grayscale, inverted if their background is light, and "
                                  "scaled as in training).")
    predict.add_argument("model", help="a model file written by squareone train, or an "
                         "ONNX file (.onnx) of a dense network")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG...)")
    predict.add_argument("--top", type=number(int, 1), default=1, metavar="K",
                         help="show the K most likely classes (default: 1)")
    predict.add_argument("--dataset", choices=mnist.DATASET_NAMES,
                         help="the data set the model was trained on, whose class names to "
                              "print (default: the one its file records)")
    add_force_option(predict)
    predict.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model = load_model_file(args.model)
    if not isinstance(model.output_layer_activation, sq.Softmax):
        raise ValueError("predict needs a classifier (a model ending in Softmax); this model "
                         f"ends in {type(model.output_layer_activation).__name__}")
    check_dataset(model, args.dataset, args.force, args.model)
    side = math.isqrt(model.n_features)
    if side * side != model.n_features:
        raise ValueError(f"the model takes {model.n_features} input features, which is not "
                         "a square image")
    names = _class_names(model, args)
    images = np.stack([load_image(path, size=(side, side)) for path in args.images])
    probabilities = model.predict(preprocessing.prepare_images(images))
    top = min(args.top, probabilities.shape[1])
    for path, row in zip(args.images, probabilities):
        best = np.argsort(row)[::-1][:top]
        if top == 1:
            print(f"{path}: {names[best[0]]} ({row[best[0]]:.1%})")
            continue
        print(f"{path}:")
        for rank, class_id in enumerate(best, start=1):
            print(f"  {rank}. {names[class_id]} ({row[class_id]:.1%})")
    return EXIT_OK


def _class_names(model: sq.Model, args: argparse.Namespace) -> tuple[str, ...]:
    """The model's own class names; else (older files) those of ``--dataset``; else ids."""
    if model.class_names is not None and (args.dataset in (None, model.dataset)):
        return model.class_names
    dataset = args.dataset or model.dataset
    if dataset is None:
        dataset = DEFAULT_DATASET
        warn(f"{args.model} does not record its class names (files of squareone 0.1 do "
             f"not); printing those of {dataset} (give --dataset mnist for digits)")
    names = mnist.class_names(dataset) if dataset in mnist.DATASET_NAMES else ()
    if len(names) != model.n_outputs:
        return tuple(str(class_id) for class_id in range(model.n_outputs))
    return names
