"""Nothing hangs, nothing reads without bound, and Ctrl-C always lands.

Every reader (``Model.load``, ``load_parameters``, ``io.read_metadata``, ``read_idx``,
``load_image`` and the commands that use them) opens through ``squareone._files``: a FIFO,
a device or a directory is refused at once, and a file's header and declared sizes are checked
before its body is read. Each case runs under a SIGALRM deadline, so a regression fails the
test instead of hanging the suite. Ctrl-C is pressed (a real SIGINT) at every place a run can
be: start-up, each part of a step, validation, between epochs, evaluating, saving, plotting.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.abc
import json
import os
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import require_extra
from PIL import Image

import squareone as sq
from squareone.cli import main
from squareone.cli import train as train_command
from squareone.datasets.images import load_image
from squareone.datasets.mnist import read_idx
from squareone.model.training import interrupt_after_step

GIB = 1 << 30
#: A deadline far above the time a refusal takes (milliseconds) and far below a hang.
DEADLINE = 10.0


@contextlib.contextmanager
def _deadline(seconds: float = DEADLINE):
    """Raise TimeoutError in the block after ``seconds``, even inside a blocking system call."""
    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _model() -> sq.Model:
    model = sq.Model()
    model.add(sq.Dense(2, 4, seed=0))
    model.add(sq.ReLU())
    model.add(sq.Dense(4, 3, seed=1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam())
    model.finalize()
    return model


# --- FIFOs, devices and directories are refused at once -----------------------------------------

@pytest.fixture
def silent_writer(tmp_path):
    """A FIFO with a writer that never writes and never closes: a read would wait forever."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    descriptor = os.open(path, os.O_RDWR)  # keeps a writer open without blocking
    yield path
    os.close(descriptor)


def _fifo(tmp_path: Path, request) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def _directory(tmp_path: Path, request) -> Path:
    (tmp_path / "folder").mkdir()
    return tmp_path / "folder"


HOSTILE: dict[str, Callable] = {
    "fifo-without-writer": _fifo,
    "fifo-with-silent-writer": lambda tmp, request: request.getfixturevalue("silent_writer"),
    "dev-zero": lambda tmp, request: Path("/dev/zero"),
    "dev-urandom": lambda tmp, request: Path("/dev/urandom"),
    "dev-null": lambda tmp, request: Path("/dev/null"),
    "directory": _directory,
}

READERS: dict[str, Callable] = {
    "Model.load": sq.Model.load,
    "load_parameters": lambda path: _model().load_parameters(path),
    "io.read_metadata": sq.io.read_metadata,
    "read_idx": read_idx,
    "load_image": load_image,
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_reader_refuses_what_is_not_a_regular_file_at_once(tmp_path, request, reader,
                                                             hostile):
    path = HOSTILE[hostile](tmp_path, request)
    start = time.perf_counter()
    with _deadline(), pytest.raises((ValueError, OSError)) as error:
        READERS[reader](path)
    assert time.perf_counter() - start < 2.0
    assert not isinstance(error.value, TimeoutError)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("command", [["info", "{path}"], ["evaluate", "{path}"],
                                     ["predict", "{model}", "{path}"]])
@pytest.mark.parametrize("hostile", ["fifo-without-writer", "fifo-with-silent-writer",
                                     "dev-zero", "directory"])
def test_a_command_refuses_what_is_not_a_regular_file_at_once(tmp_path, request, capsys,
                                                              command, hostile):
    path = HOSTILE[hostile](tmp_path, request)
    model = tmp_path / "model.squareone"
    model_784 = sq.Model()
    model_784.add(sq.Dense(784, 10, seed=0))
    model_784.add(sq.Softmax())
    model_784.set(loss=sq.CategoricalCrossentropy())
    model_784.finalize()
    model_784.save(model)
    argv = [arg.format(path=path, model=model) for arg in command]
    with _deadline():
        status = main(argv)
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("squareone: error: "), err


# --- headers and declared sizes are checked before a body is read -------------------------------

def _sparse(path: Path, head: bytes, size: int = 4 * GIB) -> Path:
    """A file of ``size`` bytes (a hole after ``head``: no disk space, instant to create)."""
    with open(path, "wb") as file:
        file.write(head)
        file.truncate(size)
    return path


def _safetensors_head(header: dict, body_size: int) -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text


def _u8_tensor(size: int) -> dict:
    return {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}


def _squareone(**fields) -> dict:
    return {"__metadata__": {"squareone": json.dumps(
        {"format": "squareone-model", "format_version": 1, **fields})}}


def _big_with_header(header: dict) -> Callable[[Path], Path]:
    """A 4 GiB file whose header declares a 4 GiB tensor: a consistent layout, not ours."""
    def make(path: Path) -> Path:
        body = 4 * GIB - 8 - len(json.dumps({**header, "t": _u8_tensor(0)}).encode())
        for _ in range(3):  # the header's length depends on the body size it declares
            head = _safetensors_head({**header, "t": _u8_tensor(body)}, body)
            body = 4 * GIB - len(head)
        return _sparse(path, _safetensors_head({**header, "t": _u8_tensor(body)}, body))
    return make


LARGE_MODELS: dict[str, Callable[[Path], Path]] = {
    "4GiB-of-zeros": lambda path: _sparse(path, b""),
    "4GiB-png-like": lambda path: _sparse(path, b"\x89PNG\r\n\x1a\n"),
    "4GiB-plain-safetensors": _big_with_header({"__metadata__": {"format": "pt"}}),
    "4GiB-other-format": _big_with_header(_squareone(format="keras")),
    "4GiB-newer-format": _big_with_header(_squareone(format_version=99)),
    "header-length-beyond-file": lambda path: _sparse(path, (2 ** 40).to_bytes(8, "little"),
                                                      1000),
    "header-length-max-u64": lambda path: _sparse(path, (2 ** 64 - 1).to_bytes(8, "little")),
    "header-length-over-limit": lambda path: _sparse(path, (10 ** 8 + 1).to_bytes(8, "little")),
    "offsets-beyond-file": lambda path: _sparse(
        path, _safetensors_head({**_squareone(), "t": _u8_tensor(4 * GIB)}, 0), 4096),
    "offsets-not-matching-shape": lambda path: _sparse(
        path, _safetensors_head({**_squareone(), "t": {"dtype": "F32", "shape": [GIB],
                                                      "data_offsets": [0, 16]}}, 16), 4096),
    "negative-offsets": lambda path: _sparse(
        path, _safetensors_head({**_squareone(), "t": {"dtype": "U8", "shape": [4],
                                                      "data_offsets": [-4, 0]}}, 0), 4096),
}


def _idx_head(*shape: int) -> bytes:
    return struct.pack(f">I{len(shape)}I", 0x0800 + len(shape), *shape)


LARGE_IDX: dict[str, Callable[[Path], Path]] = {
    "idx-huge-dims-small-file": lambda path: _sparse(path, _idx_head(2 ** 32 - 1, 28, 28), 64),
    "idx-4GiB-declaring-less": lambda path: _sparse(path, _idx_head(10, 28, 28)),
    "idx-4GiB-declaring-more": lambda path: _sparse(path, _idx_head(2 ** 31, 28, 28)),
    "idx-gzip-declaring-huge": lambda path: _write(path, gzip.compress(
        _idx_head(2 ** 32 - 1, 2 ** 16, 28) + bytes(1000))),
    "idx-gzip-bomb-within-ratio": lambda path: _write(path, gzip.compress(
        _idx_head(2 ** 20) + bytes(2 ** 20 + 2 ** 20))),  # 1 MiB promised, 2 MiB inside
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _quick_and_small(read: Callable, path: Path, peak_bytes: int = 4 << 20) -> Exception:
    """Run ``read(path)``: it must raise ValueError fast, allocating at most ``peak_bytes``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with _deadline(), pytest.raises(ValueError) as error:
            read(path)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0, f"{elapsed:.1f} s to refuse"
    assert peak < peak_bytes, f"{peak / 2 ** 20:.0f} MiB allocated to refuse"
    return error.value


@pytest.mark.parametrize("reader", ["Model.load", "load_parameters", "io.read_metadata"])
@pytest.mark.parametrize("case", LARGE_MODELS)
def test_a_model_reader_refuses_before_reading_the_body(tmp_path, reader, case):
    path = LARGE_MODELS[case](tmp_path / "big.squareone")
    error = _quick_and_small(READERS[reader], path)
    assert "big.squareone" in str(error)


@pytest.mark.parametrize("case", LARGE_IDX)
def test_read_idx_checks_the_declared_size_first(tmp_path, case):
    path = LARGE_IDX[case](tmp_path / "images-idx3-ubyte")
    error = _quick_and_small(read_idx, path)
    assert "images-idx3-ubyte" in str(error)


def test_a_valid_model_still_loads(tmp_path):
    model = _model()
    model.save(tmp_path / "model.squareone")
    loaded = sq.Model.load(tmp_path / "model.squareone")
    for (w, b), (w2, b2) in zip(model.get_parameters(), loaded.get_parameters()):
        np.testing.assert_array_equal(w, w2)
        np.testing.assert_array_equal(b, b2)


# --- Ctrl-C: one press stops training within one step, wherever it lands ------------------------

class _Steps:
    """Counts optimizer steps, and when Ctrl-C was pressed (in steps done by then)."""

    def __init__(self, monkeypatch) -> None:
        self.done, self.at_press = 0, None
        original = sq.Adam.post_update_params

        def post_update_params(optimizer):
            original(optimizer)
            self.done += 1

        monkeypatch.setattr(sq.Adam, "post_update_params", post_update_params)

    def press(self) -> None:
        if self.at_press is None:
            self.at_press = self.done
        os.kill(os.getpid(), signal.SIGINT)


def _press_on_call(monkeypatch, steps: _Steps, owner, name: str, calls: tuple[int, ...],
                   after: bool = False) -> None:
    """Press Ctrl-C on the given calls (1-based) of ``owner.name``, before or after its work."""
    original = getattr(owner, name)
    count = [0]

    def wrapper(*args, **kwargs):
        count[0] += 1
        if count[0] in calls and not after:
            steps.press()
        result = original(*args, **kwargs)
        if count[0] in calls and after:
            steps.press()
        return result

    monkeypatch.setattr(owner, name, wrapper)


def _tqdm_class():
    return train_command.tqdm


# where: (owner, attribute, calls, press after the call; steps done in the end; saved?)
# The run: vertical data, 64 samples, batches of 32, 3 epochs: 2 steps an epoch, 6 in all.
PRESSES = {
    "start-up:load_data": (lambda: train_command, "load_data", (1,), False, 0, False),
    "start-up:validation_split": (lambda: train_command, "validation_split", (1,), False, 0,
                                  False),
    "start-up:build_model": (lambda: train_command, "build_model", (1,), True, 0, False),
    "step-1:forward": (lambda: sq.Model, "forward", (1,), False, 1, True),
    "step-1:backward": (lambda: sq.Model, "backward", (1,), False, 1, True),
    "step-1:update": (lambda: sq.Adam, "update_params", (1,), False, 1, True),
    "step-2:last-of-epoch-1": (lambda: sq.Adam, "pre_update_params", (2,), False, 2, True),
    "step-3:first-of-epoch-2": (lambda: sq.Model, "backward", (3,), False, 3, True),
    "step-6:last-of-run": (lambda: sq.Model, "backward", (6,), False, 6, True),
    "two-presses:steps-3-and-4": (lambda: sq.Model, "backward", (3, 4), False, 3, True),
    "validation:epoch-1": (lambda: sq.Model, "_evaluation_sums", (1,), False, 2, True),
    "validation:epoch-2": (lambda: sq.Model, "_evaluation_sums", (2,), False, 4, True),
    "validation:last-epoch": (lambda: sq.Model, "_evaluation_sums", (3,), False, 6, True),
    "between-epochs:progress-bar": (_tqdm_class, "update", (1,), False, 2, True),
    "after-training:evaluation": (lambda: sq.Model, "_evaluation_sums", (4,), False, 6, True),
    "after-training:saving": (lambda: sq.Model, "save", (1,), False, 6, True),
    "after-training:plotting": (lambda: sq.plots, "plot_history", (1,), False, 6, True),
}


@pytest.mark.parametrize("where", PRESSES)
def test_ctrl_c_in_the_command_line_stops_within_one_step(tmp_path, monkeypatch, capsys,
                                                          where):
    owner, name, calls, after, expected_steps, saved = PRESSES[where]
    if name == "plot_history":
        require_extra("matplotlib", "plot")
    steps = _Steps(monkeypatch)
    _press_on_call(monkeypatch, steps, owner(), name, calls, after)
    monkeypatch.chdir(tmp_path)
    with _deadline():
        status = main(["train", "--dataset", "vertical", "--max-samples", "64", "--batch-size",
                       "32", "--epochs", "3", "--quiet", "-o", "m.squareone", "--plot", "c.png"])
    err = capsys.readouterr().err
    assert steps.at_press is not None, "Ctrl-C was never pressed"
    assert status == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "interrupted" in err and err.count("\n") <= 2, err
    assert steps.done == expected_steps
    assert steps.done - steps.at_press <= 1  # the step in progress, and no other
    assert (tmp_path / "m.squareone").exists() == saved
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# where in model.train: (owner, attribute, call; epochs complete in the History)
API_PRESSES = {
    "validation:epoch-2": (lambda: sq.Model, "_evaluation_sums", 2, 2),
    "checkpoint:epoch-1": (lambda: sq.Model, "save", 1, 1),
    "summary-line:epoch-1": (lambda: sys.modules["squareone.model.training"], "summary_line",
                             1, 1),
    "step-3:forward": (lambda: sq.Model, "forward", 3, 1),
}


@pytest.mark.parametrize("where", API_PRESSES)
def test_ctrl_c_in_train_stops_before_the_next_step(tmp_path, monkeypatch, capsys, where):
    owner, name, call, epochs_done = API_PRESSES[where]
    steps = _Steps(monkeypatch)
    _press_on_call(monkeypatch, steps, owner(), name, (call,))
    X, y = sq.datasets.spiral_data(samples=20, classes=3, seed=0)  # 60 samples, 2 steps
    model = _model()
    with _deadline():
        history = model.train(X, y, epochs=5, batch_size=32, validation_data=(X, y),
                              checkpoint=tmp_path / "c.squareone", verbose=1)
    assert history.interrupted
    assert len(history) == epochs_done
    assert steps.done - steps.at_press <= 1
    assert model.optimizer.iterations == steps.done
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nested_interrupt_handlers_share_one_press(monkeypatch):
    steps = _Steps(monkeypatch)
    X, y = sq.datasets.spiral_data(samples=20, classes=3, seed=0)
    model = _model()
    with interrupt_after_step() as pressed:
        first = model.train(X, y, epochs=2, verbose=0)
        steps.press()  # between two train calls: not lost
        second = model.train(X, y, epochs=2, verbose=0)
        assert pressed()
    assert not first.interrupted and second.interrupted and len(second) == 0
    assert steps.done == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class _InterruptingImport(importlib.abc.MetaPathFinder):
    """Raises KeyboardInterrupt when squareone.cli is imported: Ctrl-C while starting up."""

    def find_spec(self, name, path=None, target=None):
        if name == "squareone.cli":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_the_command_imports_squareone(monkeypatch, capsys):
    import _squareone_command

    monkeypatch.delitem(sys.modules, "squareone.cli")
    monkeypatch.setattr(sys, "meta_path", [_InterruptingImport(), *sys.meta_path])
    assert _squareone_command.main() == 130
    err = capsys.readouterr().err
    assert err == "squareone: interrupted while starting; nothing was done\n"


def _console_script() -> str:
    script = Path(sys.executable).parent / "squareone"
    assert script.exists(), "the squareone console script is not installed (pip install -e .)"
    return str(script)


@pytest.mark.parametrize("delay", [0.3, 0.8, "after-first-line"])
def test_a_real_ctrl_c_gives_one_line_and_status_130(tmp_path, delay):
    """The installed command, a real SIGINT: during start-up or during training."""
    process = subprocess.Popen(
        [_console_script(), "train", "--dataset", "vertical", "--epochs", "100000",
         "--no-plot", "-o", "m.squareone"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        if delay == "after-first-line":
            assert process.stdout.readline().startswith("training a")
        else:
            time.sleep(delay)
        process.send_signal(signal.SIGINT)
        pressed = time.perf_counter()
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert time.perf_counter() - pressed < 10  # a start-up import may take a moment
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "interrupted" in err


def test_a_real_image_still_reads(tmp_path):
    path = tmp_path / "x.png"
    Image.fromarray(np.full((28, 28), 200, np.uint8)).save(path)
    assert load_image(path, invert=False).mean() == 200
