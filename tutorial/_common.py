"""The tutorial's incidental machinery, written once: settings, figures and the data of 18-21.

Nothing here is a step's idea. Each step writes out what it teaches and imports from this
module only what every step needs around it: the fast-mode switch, where figures go, a
matplotlib that may be missing, the plane on which steps 12-15 draw decision boundaries, and
step 18's Fashion-MNIST data and model, which steps 19-21 reuse. A step imports what it needs
(``from _common import FAST, ...``): Python puts the folder of the script it runs on ``sys.path``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

import squareone as sq

FAST = os.environ.get("SQUAREONE_FAST") == "1"
"""``SQUAREONE_FAST=1``: train about a tenth as long (what the tests use)."""
BOOK = os.environ.get("SQUAREONE_BOOK") == "1"
"""``SQUAREONE_BOOK=1``: the book's full-length runs where the default is shortened to seconds."""

OUT = Path(os.environ.get("SQUAREONE_TUTORIAL_OUT", Path(__file__).parent / "out"))
"""Where figures and saved models go: ``tutorial/out`` unless ``SQUAREONE_TUTORIAL_OUT``."""

FASHION_MNIST_EPOCHS = 2 if FAST else 10
FASHION_MNIST_BATCH_SIZE = 128


# --- Figures -------------------------------------------------------------------------------------

def pyplot():
    """Return ``matplotlib.pyplot`` on the file-only Agg backend, or None without matplotlib.

    Without matplotlib it prints ``plot: skipped ...`` and the step goes on without its plot.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: skipped (matplotlib is not installed)")
        return None
    return plt


def save_figure(fig, name: str) -> Path:
    """Write ``fig`` as ``OUT/name`` at 100 dpi, close it and print ``plot saved: <path>``."""
    import matplotlib.pyplot as plt

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print("plot saved:", os.path.relpath(path))
    return path


def plane(function, limit: float = 1.1, steps: int = 300):
    """Evaluate ``function`` on a ``steps`` x ``steps`` grid over [-limit, limit]^2.

    ``function`` takes float32 points of shape (steps * steps, 2) (a forward pass) and returns
    one row per point. Returns ``xx, yy`` (the grid, as ``np.meshgrid``) and the outputs with
    shape (steps, steps, outputs), ready for ``contourf``.
    """
    grid = np.linspace(-limit, limit, steps, dtype=np.float32)
    xx, yy = np.meshgrid(grid, grid)
    outputs = np.asarray(function(np.c_[xx.ravel(), yy.ravel()]))
    return xx, yy, outputs.reshape(*xx.shape, -1)


def draw_class_regions(ax, function, n_classes: int = 3) -> None:
    """Colour the plane around spiral_data by the class ``function`` scores highest (argmax)."""
    xx, yy, outputs = plane(function)
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(xx, yy, np.argmax(outputs, axis=-1), levels=levels, cmap="brg", alpha=0.25)


# --- Steps 18-21: Fashion-MNIST ------------------------------------------------------------------

class StepArguments(argparse.ArgumentParser):
    """A step's command line; in a notebook, where Jupyter's own ``-f`` fills ``sys.argv``,
    the step runs with its defaults."""

    def parse_args(self, args=None, namespace=None):
        in_notebook = args is None and "ipykernel" in sys.modules
        return super().parse_args([] if in_notebook else args, namespace)


def argument_parser(doc: str | None) -> StepArguments:
    """A command line with ``--data-dir``, described by the first line of the step's title.

    ``doc`` is the step's ``__doc__``; in a notebook it is IPython's own (the step's docstring
    is the first cell's text there), and the command line goes without a description.
    """
    lines = (doc or "").splitlines()
    parser = StepArguments(description=lines[1] if lines[:1] == ["TITLE"] else None)
    parser.add_argument("--data-dir", help="folder holding the Fashion-MNIST files (default: "
                        "$SQUAREONE_DATA/fashion-mnist, else ~/.cache/squareone/fashion-mnist)")
    return parser


def prepared_fashion_mnist(data_dir=None, *, raw=None):
    """Step 18's data: ``(X, y), (X_test, y_test)``, images flattened and scaled to [-1, 1].

    Loads the files from ``data_dir`` (see ``sq.datasets.load_fashion_mnist``) unless ``raw``
    holds what that function returned, and shuffles the training set (seed 0). With
    ``SQUAREONE_FAST=1`` keeps 6,000 training and 1,000 test images.
    """
    (X, y), (X_test, y_test) = raw if raw is not None else sq.datasets.load_fashion_mnist(data_dir)
    X, X_test = sq.datasets.prepare_images(X), sq.datasets.prepare_images(X_test)
    X, y = sq.datasets.shuffle(X, y, seed=0)
    if FAST:
        X, y, X_test, y_test = X[:6000], y[:6000], X_test[:1000], y_test[:1000]
    return (X, y), (X_test, y_test)


def fashion_mnist_model() -> sq.Model:
    """Step 18's model (the book's chapter 19), finalized and not trained yet."""
    model = sq.Model()
    model.add(sq.Dense(784, 128))
    model.add(sq.ReLU())
    model.add(sq.Dense(128, 128))
    model.add(sq.ReLU())
    model.add(sq.Dense(128, 10))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(decay=1e-3),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


def trained_fashion_mnist_model(X, y) -> sq.Model:
    """Step 18's training: the book's starting weights, then batches of 128 for a few epochs."""
    sq.nnfs.init()
    model = fashion_mnist_model()
    model.train(X, y, epochs=FASHION_MNIST_EPOCHS, batch_size=FASHION_MNIST_BATCH_SIZE)
    return model
