"""Shared test fixtures and the finite-difference gradient check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import squareone as sq

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def _leave_book_mode():
    """Every test starts and ends outside the book's shared random stream."""
    sq.nnfs.reset()
    yield
    sq.nnfs.reset()


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function ``f()`` with respect to array ``x``.

    ``x`` is perturbed in place (and restored), so ``f`` may close over it.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = f()
        flat[i] = original - eps
        minus = f()
        flat[i] = original
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def assert_gradients_close(analytic, numeric, rtol=1e-5, atol=1e-7) -> None:
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)
