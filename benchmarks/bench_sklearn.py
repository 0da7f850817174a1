"""scikit-learn MLPClassifier equivalents, where one applies (no dropout, no lr decay).

``alpha=0`` (no L2 term) and ``epsilon=1e-7`` make the arithmetic the same as squareone's;
sklearn still computes the L2 norm of all weights and the loss at every batch, and adds
``alpha * W`` to every weight gradient, whatever ``alpha`` is.
"""

from __future__ import annotations

import warnings

import numpy as np
from harness import timed
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

CLASSES = np.arange(10)


def fashion_model() -> MLPClassifier:
    return MLPClassifier(hidden_layer_sizes=(128, 128), solver="adam", batch_size=128,
                         max_iter=1, shuffle=False, learning_rate_init=0.001, alpha=0.0,
                         epsilon=1e-7, random_state=0)


def fashion_epoch(X, y, *, timer=timed) -> float:
    """One ``partial_fit`` epoch of a fresh model (so it includes sklearn's initialisation)."""
    model = fashion_model()
    return timer(lambda: model.partial_fit(X, y, classes=CLASSES))


def inference(X) -> float:
    """``predict_proba`` of a model initialised by one untimed ``partial_fit`` step."""
    model = fashion_model()
    model.partial_fit(X[:128], np.arange(128) % 10, classes=CLASSES)
    return timed(lambda: model.predict_proba(X))


def spiral(X, y, epochs: int) -> float:
    """Chapter 10 without lr decay: hidden layer of 64, Adam(0.05), full batch, no early stop."""
    model = MLPClassifier(hidden_layer_sizes=(64,), solver="adam", batch_size=len(X),
                          max_iter=epochs, shuffle=False, learning_rate_init=0.05, alpha=0.0,
                          epsilon=1e-7, tol=0.0, n_iter_no_change=epochs + 1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return timed(lambda: model.fit(X, y))
