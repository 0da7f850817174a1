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

#: Under CI every optional extra and real data set must be present: nothing is skipped there.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: Full-length runs (the book's 10,000 epochs: about 10 minutes together) run with
#: SQUAREONE_SLOW=1. CI runs them as a step of their own after the README's test command
#: (.ci/run), so that command stays a few minutes long everywhere.
RUN_SLOW = os.environ.get("SQUAREONE_SLOW") == "1"


def slow(test):
    """Mark a full-length test: ``-m slow`` selects it; it runs only where RUN_SLOW holds.

    Every slow test has a shorter twin in the default run, so nothing goes untested locally.
    """
    skip = pytest.mark.skipif(not RUN_SLOW, reason="full-length run: SQUAREONE_SLOW=1 runs it "
                              "(CI does, in a step of its own)")
    return pytest.mark.slow(skip(test))


def missing(message: str):
    """Skip the test for something this machine lacks, saying what; under CI, fail instead."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_extra(module: str, extra: str):
    """Import ``module`` for a test of an optional extra, or skip with the install command.

    A developer without the extra gets one clear skip reason; under CI (``CI=true``), which
    installs every extra, a missing module fails the test instead, so no feature goes untested.
    """
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        missing(f"{module} is not installed (pip install -e \".[{extra}]\"): {error}")


# --- Real data: Fashion-MNIST and MNIST ---------------------------------------------------------

#: The data sets' names in messages, by the folder name the library gives them.
REAL_DATA_TITLES = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST"}
#: Seconds to wait for the data's server: no network must mean a quick skip, not a hang.
DOWNLOAD_TIMEOUT_S = 10
_download_failures: dict[str, str] = {}


def real_data_folders(name: str) -> list[Path]:
    """Where a data set is looked for, in order: where the library looks, then ../shared."""
    return [sq.datasets.mnist.default_data_dir(name), SHARED_DATASETS / name]


def find_real_data(name: str) -> Path | None:
    """The first of :func:`real_data_folders` that holds the data set, or None."""
    return sq.datasets.mnist.find_dataset(name, [SHARED_DATASETS])


def real_data(name: str) -> Path:
    """The folder of the real data set ``name`` ("fashion-mnist" or "mnist"), for a test.

    Found as a user's program finds it (``$SQUAREONE_DATA/<name>``, else
    ``~/.cache/squareone/<name>``), else in ``<repo>/../shared/datasets/<name>``; else the
    library downloads it into the first of those, once per session, when the network allows.
    Without it the test is skipped with one reason per data set; under CI it fails, so no
    real-data test is ever skipped where it matters. Subprocesses take ``real_data(name).parent``
    as ``SQUAREONE_DATA``.
    """
    found = find_real_data(name)
    if found is None and name not in _download_failures:
        try:
            sq.datasets.mnist.download_dataset(name, timeout=DOWNLOAD_TIMEOUT_S)
        # No network, a refusal, a bad checksum, or a test's guard against the internet.
        except Exception as error:  # noqa: BLE001
            first_line = str(error).splitlines()[0]
            cause = re.search(r"failed: (.*?)\.?$", first_line)
            _download_failures[name] = cause.group(1) if cause else first_line[:160]
        found = find_real_data(name)
    if found is None:
        looked = ", ".join(str(folder) for folder in real_data_folders(name))
        missing(f"{REAL_DATA_TITLES[name]} not found in {looked} and the download failed "
                f"({_download_failures[name]}); set SQUAREONE_DATA or allow the download")
    return found


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (never ``playwright install``).

    Skipped without Playwright or /usr/bin/chromium, with the command that installs them;
    under CI a missing one fails.
    """
    sync_api = require_extra("playwright.sync_api", "test")
    if not Path(CHROMIUM).is_file():
        missing(f"{CHROMIUM} not found (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


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


class DeviceArray(np.lib.mixins.NDArrayOperatorsMixin):
    """A stand-in for the arrays of another array module (a GPU one such as CuPy).

    NumPy's functions and ufuncs reach it through NumPy's dispatch protocols
    (``__array_function__``, ``__array_ufunc__``; ``like=`` for creation), which is how code
    written with ``np.`` runs on such arrays. As CuPy does, it refuses to be mixed with plain
    NumPy arrays and to turn into one implicitly, so a NumPy array that squareone creates in
    its per-step math, instead of deriving it from the arrays it works on, raises here.
    """

    def __init__(self, data) -> None:
        self.data = np.asarray(data)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("a DeviceArray does not turn into a NumPy array implicitly")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _to_host(out)
        result = getattr(ufunc, method)(*_to_host(inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _to_device(result)

    def __array_function__(self, func, types, args, kwargs):
        # np.asarray(host_array, like=device_array) is the explicit copy to the device.
        copies_from_host = func in (np.asarray, np.array)
        return _to_device(func(*_to_host(args, copies_from_host), **_to_host(kwargs)))

    def __getattr__(self, name):
        if name.startswith("__"):  # no __array_interface__ and the like: NumPy would copy
            raise AttributeError(name)
        value = getattr(self.data, name)
        if callable(value):
            return lambda *args, **kwargs: _to_device(value(*_to_host(args),
                                                            **_to_host(kwargs)))
        return _to_device(value)

    def __getitem__(self, key):
        return _to_device(self.data[_to_host(key)])

    def __setitem__(self, key, value) -> None:
        self.data[_to_host(key)] = _to_host(value)

    def __len__(self) -> int:
        return len(self.data)

    def __float__(self) -> float:
        return float(self.data)


def _to_host(value, copies_from_host: bool = False):
    """Unwrap DeviceArrays (recursively); refuse plain NumPy arrays, as CuPy does."""
    if isinstance(value, DeviceArray):
        return value.data
    if isinstance(value, np.ndarray) and not copies_from_host:
        raise TypeError(f"a NumPy array of shape {value.shape} was mixed with DeviceArrays")
    if isinstance(value, (tuple, list)):
        return type(value)(_to_host(item, copies_from_host) for item in value)
    if isinstance(value, dict):
        return {key: _to_host(item) for key, item in value.items()}
    return value


def _to_device(value):
    if isinstance(value, np.ndarray):
        return DeviceArray(value)
    if isinstance(value, tuple):
        return tuple(_to_device(item) for item in value)
    return value


def to_device(*arrays):
    """DeviceArray copies of NumPy arrays (one, or a tuple for several)."""
    copies = tuple(DeviceArray(np.array(array)) for array in arrays)
    return copies[0] if len(copies) == 1 else copies


def from_device(value) -> np.ndarray:
    """The NumPy data of a DeviceArray; fails for a plain NumPy array (the math left the module)."""
    assert isinstance(value, DeviceArray), f"expected a DeviceArray, got {type(value).__name__}"
    return value.data


def on_device(layer, names=("weights", "biases", "dweights", "dbiases")):
    """Move a layer's parameter and gradient arrays to DeviceArrays; return the layer."""
    for name in names:
        setattr(layer, name, to_device(getattr(layer, name)))
    return layer
