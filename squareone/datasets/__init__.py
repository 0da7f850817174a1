"""Datasets: the book's synthetic data, Fashion-MNIST and MNIST, images and preprocessing."""

from squareone.datasets import images, mnist, preprocessing
from squareone.datasets.images import load_image, load_images
from squareone.datasets.mnist import (
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    DatasetIntegrityError,
    DatasetNotFoundError,
    class_names,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
)
from squareone.datasets.preprocessing import (
    flatten,
    prepare_images,
    scale,
    shuffle,
    train_test_split,
)
from squareone.datasets.synthetic import (
    circles_data,
    sine_data,
    spiral_data,
    vertical_data,
    xor_data,
)

__all__ = [
    "images", "mnist", "preprocessing",
    "spiral_data", "vertical_data", "sine_data", "circles_data", "xor_data",
    "load_fashion_mnist", "load_mnist", "load_dataset", "class_names",
    "FASHION_MNIST_CLASSES", "MNIST_CLASSES", "DatasetNotFoundError", "DatasetIntegrityError",
    "flatten", "scale", "shuffle", "train_test_split", "prepare_images",
    "load_image", "load_images",
]
