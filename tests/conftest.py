"""Shared test fixtures, the finite-difference gradient check and the tutorial step runner."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import squareone as sq

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"
TUTORIAL = REPO_ROOT / "tutorial"
CONCEPTS = REPO_ROOT / "docs" / "concepts"
TUTORIAL_TIMEOUT_S = 180

_tutorial_outputs: dict[tuple, str] = {}


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


def run_tutorial_step(name: str, *args: str, **env: str) -> str:
    """Run ``tutorial/<name>.py`` as a reader would and return its standard output.

    The script runs in a subprocess from the repository root, with ``args`` on its command
    line, ``SQUAREONE_FAST=1`` (shorter training), the Agg matplotlib backend, one BLAS thread
    and squareone importable, plus the environment variables ``env`` (e.g.
    ``SQUAREONE_TUTORIAL_OUT``). It must exit with 0. Each (name, args, env) runs once per
    test session; later calls return the same output.
    """
    key = (name, args, tuple(sorted(env.items())))
    if key not in _tutorial_outputs:
        run_env = dict(os.environ, SQUAREONE_FAST="1", MPLBACKEND="Agg",
                       OPENBLAS_NUM_THREADS="1", **env)
        run_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), run_env.get("PYTHONPATH")) if p)
        result = subprocess.run([sys.executable, str(TUTORIAL / f"{name}.py"), *args],
                                cwd=REPO_ROOT, env=run_env, capture_output=True, text=True,
                                timeout=TUTORIAL_TIMEOUT_S)
        assert result.returncode == 0, (f"{name}.py exited with {result.returncode}\n"
                                        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        _tutorial_outputs[key] = result.stdout
    return _tutorial_outputs[key]


def check_step_docstring(name: str) -> None:
    """Assert that ``tutorial/<name>.py`` has the course's docstring.

    TITLE, THEORY and THIS STEP headings in that order, none of them empty; the title line
    right after TITLE reads ``Step NN: ...``; at least one line ``Math: docs/concepts/<page>.md``
    and every page it names exists.
    """
    source = (TUTORIAL / f"{name}.py").read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring, f"{name}.py has no module docstring"
    lines = [line.strip() for line in docstring.splitlines()]
    assert lines[0] == "TITLE", f"{name}.py: the docstring must start with TITLE"
    positions = [lines.index(heading) if heading in lines else -1
                 for heading in ("TITLE", "THEORY", "THIS STEP")]
    assert -1 not in positions, f"{name}.py: missing heading(s) in {positions}"
    assert positions == sorted(positions), f"{name}.py: headings out of order"
    bounds = positions + [len(lines)]
    for start, end in zip(bounds, bounds[1:]):
        assert any(lines[start + 1:end]), f"{name}.py: empty section {lines[start]}"
    assert lines[1].startswith(f"Step {name[:2]}:"), f"{name}.py: title {lines[1]!r}"
    page = r"Math: docs/concepts/([a-z0-9-]+\.md)"
    assert re.findall("^" + page, docstring, re.M), f"{name}.py links no docs/concepts page"
    for linked in re.findall(page, docstring):
        assert (CONCEPTS / linked).is_file(), f"{name}.py links a missing page: {linked}"
