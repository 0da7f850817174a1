"""squareone: one function per workload, each returning the seconds of its timed part.

``timer`` is the function that runs and times the measured part (``harness.timed``); the
memory workload passes one that only runs it.
"""

from __future__ import annotations

from harness import timed

import squareone as sq


def fashion_model(dtype="float32") -> sq.Model:
    """784-128-128-10 ReLU MLP with a softmax output, He initialisation."""
    model = sq.Model(dtype=dtype)
    model.add(sq.Dense(784, 128, weight_init="he", seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(128, 128, weight_init="he", seed=1))
    model.add(sq.ReLU())
    model.add(sq.Dense(128, 10, weight_init="he", seed=2))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(learning_rate=0.001),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


def fashion_epoch(X, y, *, timer=timed) -> float:
    """One epoch of Adam in batches of 128, in order, in X's dtype."""
    model = fashion_model(X.dtype)
    return timer(lambda: model.train(X, y, epochs=1, batch_size=128, verbose=0))


def inference(X) -> float:
    """Forward pass + softmax over all of X in one call."""
    model = fashion_model(X.dtype)
    return timed(lambda: model.predict(X))


def spiral_model() -> sq.Model:
    """Chapter 10: Dense(2, 64)-ReLU-Dense(64, 3)-Softmax, Adam(0.05, decay 5e-7)."""
    model = sq.Model()
    model.add(sq.Dense(2, 64, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(64, 3, seed=1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(),
              optimizer=sq.Adam(learning_rate=0.05, decay=5e-7),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


def spiral_regularized_model() -> sq.Model:
    """Chapter 18: Dense(2, 512, L2 5e-4)-ReLU-Dropout(0.1)-Dense(512, 3)-Softmax."""
    model = sq.Model()
    model.add(sq.Dense(2, 512, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dropout(0.1, seed=1))
    model.add(sq.Dense(512, 3, seed=2))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(),
              optimizer=sq.Adam(learning_rate=0.05, decay=5e-5),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


def spiral(X, y, epochs: int) -> float:
    """Chapter 10 network, full batch, ``epochs`` epochs in one ``train`` call."""
    model = spiral_model()
    return timed(lambda: model.train(X, y, epochs=epochs, verbose=0))


def spiral_regularized(X, y, epochs: int) -> float:
    """Chapter 18 network, full batch, ``epochs`` epochs in one ``train`` call."""
    model = spiral_regularized_model()
    return timed(lambda: model.train(X, y, epochs=epochs, verbose=0))
