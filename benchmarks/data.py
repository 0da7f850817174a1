"""Benchmark data: Fashion-MNIST decoded from its IDX files (or random data of the same shape).

Images are decoded in chunks straight into one float32 array, scaled to [-1, 1] as the book
does, ``(x - 127.5) / 127.5``, and flattened to 784 features. No float64 temporary is made,
so loading peaks at the size of the float32 array itself (this matters for the memory
workload, which measures everything above the RSS after imports).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

# <repo>/../shared/datasets/fashion-mnist
DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "fashion-mnist"
SPLITS = {"train": ("train", 60_000), "test": ("t10k", 10_000)}
N_FEATURES = 28 * 28
N_CLASSES = 10


def load_fashion_mnist(split: str = "train", data_dir: Path | str = DATA_DIR):
    """Return ``(X, y, source)``: X float32 (n, 784) in [-1, 1], y int64 (n,) class ids.

    ``source`` is ``"real"`` when the IDX files were found, else ``"random"`` (uniform
    [-1, 1] features and uniform labels, same shapes and dtypes).
    """
    prefix, n_samples = SPLITS[split]
    images = Path(data_dir) / f"{prefix}-images-idx3-ubyte.gz"
    labels = Path(data_dir) / f"{prefix}-labels-idx1-ubyte.gz"
    if not (images.exists() and labels.exists()):
        rng = np.random.default_rng(0 if split == "train" else 1)
        X = rng.random((n_samples, N_FEATURES), dtype=np.float32)
        X *= 2
        X -= 1
        return X, rng.integers(0, N_CLASSES, n_samples), "random"
    with gzip.open(labels, "rb") as file:
        y = np.frombuffer(file.read(), np.uint8, offset=8).astype(np.int64)
    X = np.empty((len(y), N_FEATURES), dtype=np.float32)
    chunk = 5_000  # images per read: about 4 MB of bytes at a time
    with gzip.open(images, "rb") as file:
        file.read(16)  # IDX header: magic, count, rows, cols
        for start in range(0, len(y), chunk):
            raw = np.frombuffer(file.read(chunk * N_FEATURES), np.uint8)
            X[start:start + chunk] = raw.reshape(-1, N_FEATURES)
    X -= 127.5
    X /= 127.5
    return X, y, "real"
