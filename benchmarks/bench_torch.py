"""PyTorch (CPU) equivalents: one function per workload, each returning timed seconds.

Plain loops over the same batches as squareone, with tensors made once from the same NumPy
arrays (``torch.from_numpy`` shares their memory). The thread count is set by the caller.
"""

from __future__ import annotations

import torch
from harness import timed
from torch import nn


def fashion_model(dtype: torch.dtype = torch.float32) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 10)).to(dtype)


def fashion_epoch(X, y, *, timer=timed) -> float:
    """One epoch of Adam(lr 0.001, eps 1e-7) in batches of 128, in order."""
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    model = fashion_model(X.dtype)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    batches = list(zip(X.split(128), y.split(128)))

    def epoch() -> None:
        for batch_X, batch_y in batches:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(batch_X), batch_y)
            loss.backward()
            optimizer.step()

    return timer(epoch)


def inference(X) -> float:
    """Forward pass + softmax under ``torch.inference_mode``."""
    X = torch.from_numpy(X)
    model = fashion_model(X.dtype)

    def predict() -> None:
        with torch.inference_mode():
            torch.softmax(model(X), dim=1)

    return timed(predict)


def _full_batch_training(model, X, y, epochs, learning_rate, decay, penalty=None) -> float:
    """Full-batch Adam with the book's decay, lr / (1 + decay * step); optional loss penalty."""
    X, y = torch.from_numpy(X), torch.from_numpy(y).long()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, eps=1e-7)
    model.train()

    def train() -> None:
        for step in range(epochs):
            optimizer.param_groups[0]["lr"] = learning_rate / (1 + decay * step)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X), y)
            if penalty is not None:
                loss = loss + penalty()
            loss.backward()
            optimizer.step()

    return timed(train)


def spiral(X, y, epochs: int) -> float:
    """Chapter 10: Linear(2, 64)-ReLU-Linear(64, 3), Adam(0.05, decay 5e-7), full batch."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 3))
    return _full_batch_training(model, X, y, epochs, 0.05, 5e-7)


def spiral_regularized(X, y, epochs: int) -> float:
    """Chapter 18: Linear(2, 512)-ReLU-Dropout(0.1)-Linear(512, 3), L2 5e-4 added to the loss.

    The penalty ``5e-4 * (sum W1^2 + sum b1^2)`` is added to the loss, as squareone and the
    book do, so autograd does that work too. (Adam's ``weight_decay=2 * 5e-4`` would give the
    same gradient but applies to every parameter of its group and is missing from the loss;
    AdamW's decoupled decay is a different method.)
    """
    torch.manual_seed(0)
    first = nn.Linear(2, 512)
    model = nn.Sequential(first, nn.ReLU(), nn.Dropout(0.1), nn.Linear(512, 3))
    return _full_batch_training(
        model, X, y, epochs, 0.05, 5e-5,
        penalty=lambda: 5e-4 * (first.weight.square().sum() + first.bias.square().sum()))
