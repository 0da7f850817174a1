"""Timing, the GEMM floor, the results table and the machine description."""

from __future__ import annotations

import datetime
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# --- timing ----------------------------------------------------------------------------------


# Wall and CPU seconds of everything timed so far: CPU / wall below the thread count means
# that the process waited for a core (another program was running), so timings are inflated.
USAGE = {"wall": 0.0, "cpu": 0.0}


# After a call, BLAS and OpenMP worker threads keep spinning on their cores for a while
# (OpenBLAS about 0.1 s, Intel OpenMP 0.2 s) before they sleep. Whatever is timed next would
# share the cores with them: PyTorch's 2-thread inference measured 1.9x slower right after
# an OpenBLAS call than after a 50 ms pause. So every timed run starts after this pause.
SETTLE_SECONDS = 0.25


def timed(run: Callable[[], object]) -> float:
    """Return the seconds ``run()`` takes, with the garbage collector off meanwhile.

    Waits ``SETTLE_SECONDS`` first (untimed), so that no library's idle worker threads are
    still spinning from the previous run.
    """
    time.sleep(SETTLE_SECONDS)
    gc.collect()
    gc.disable()
    try:
        cpu_start, start = time.process_time(), time.perf_counter()
        run()
        wall = time.perf_counter() - start
        USAGE["wall"] += wall
        USAGE["cpu"] += time.process_time() - cpu_start
        return wall
    finally:
        gc.enable()


def cores_used() -> float:
    """CPU seconds per wall second over the timed runs since the last call (then reset)."""
    used = USAGE["cpu"] / USAGE["wall"] if USAGE["wall"] else float("nan")
    USAGE.update(wall=0.0, cpu=0.0)
    return used


def compare(runners: dict[str, Callable[[], float] | None], repeats: int,
            warmups: dict[str, Callable[[], float] | None] | None = None,
            ) -> dict[str, float | None]:
    """Median seconds of each runner over ``repeats`` rounds (``None`` runners give ``None``).

    Each runner builds what it needs and returns the seconds of its timed part. Every round
    runs each implementation once, in a rotated order, so that they share the machine's noise
    and none always runs first. ``warmups`` (short versions of the runners) run once first.
    """
    for warmup in (warmups or {}).values():
        if warmup is not None:
            warmup()
    names = [name for name, runner in runners.items() if runner is not None]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        shift = round_ % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            seconds[name].append(runners[name]())
    return {name: statistics.median(seconds[name]) if name in seconds else None
            for name in runners}


# --- the GEMM floor --------------------------------------------------------------------------


def gemm_floor(X: np.ndarray, sizes: list[int], *, batch_size: int | None = None,
               epochs: int = 1, backward: bool = True, timer=timed) -> float:
    """Seconds that the layer matrix products alone take for ``epochs`` passes over ``X``.

    ``sizes`` are the layer widths, e.g. ``[784, 128, 128, 10]``. Per batch: ``X @ W`` for
    every layer and, with ``backward``, ``dW = X^T @ dvalues`` for every layer and
    ``dX = dvalues @ W^T`` for every layer except the first (nothing needs that gradient).
    Everything is in ``X``'s dtype and written into preallocated arrays, so this is the BLAS
    time plus NumPy's per-call overhead: what no NumPy implementation can go below.
    """
    dtype = X.dtype
    rng = np.random.default_rng(0)
    weights = [(rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
               for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    batch_size = batch_size or len(X)
    batches = [X[start:start + batch_size] for start in range(0, len(X), batch_size)]
    outputs, dinputs = {}, {}
    for n in {len(batch) for batch in batches}:
        outputs[n] = [np.empty((n, W.shape[1]), dtype) for W in weights]
        dinputs[n] = [np.empty((n, W.shape[0]), dtype) for W in weights]
    dweights = [np.empty_like(W) for W in weights]

    def run() -> None:
        for _ in range(epochs):
            for batch in batches:
                outs = outputs[len(batch)]
                inputs = [batch, *outs[:-1]]
                for x, W, out in zip(inputs, weights, outs):
                    np.dot(x, W, out=out)
                if not backward:
                    continue
                dvalues = outs[-1]  # stands in for the loss gradient: same shape and dtype
                for i in reversed(range(len(weights))):
                    np.dot(inputs[i].T, dvalues, out=dweights[i])
                    if i:
                        np.dot(dvalues, weights[i].T, out=dinputs[len(batch)][i])
                        dvalues = dinputs[len(batch)][i]

    return timer(run)


# --- the table -------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table; ``None`` means not measured or not applicable."""

    workload: str
    unit: str
    threads: str
    squareone: float | None = None
    torch: float | None = None
    sklearn: float | None = None
    floor: float | None = None
    onnxruntime: float | None = None


COLUMNS = ("workload", "unit", "threads", "squareone", "PyTorch", "scikit-learn",
           "squareone / PyTorch", "floor", "squareone / floor", "ONNX Runtime")


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or not denominator:
        return "n/a"
    return f"{numerator / denominator:.2f}"


def format_table(rows: list[Row]) -> str:
    """Return the rows as one Markdown table, with the two ratio columns computed."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [row.workload, row.unit, row.threads, _number(row.squareone),
                 _number(row.torch), _number(row.sklearn), _ratio(row.squareone, row.torch),
                 _number(row.floor), _ratio(row.squareone, row.floor),
                 _number(row.onnxruntime)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- the machine -----------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        with open("/proc/loadavg") as file:
            return " ".join(file.read().split()[:3])
    except OSError:
        return "n/a"


def squareone_revision() -> str:
    """``squareone <version>, commit <sha>`` (+ whether squareone/ has uncommitted changes)."""
    import subprocess

    import squareone

    package = Path(squareone.__file__).resolve().parent
    try:
        def git(*args: str) -> str:
            return subprocess.run(["git", "-C", str(package), *args], capture_output=True,
                                  text=True, check=True).stdout.strip()

        sha = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", ".")
        revision = f", commit {sha}" + (" with uncommitted changes in squareone/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        revision = ""
    return f"squareone {getattr(squareone, '__version__', '?')}{revision}"


def machine_info(torch=None, sklearn=None) -> list[str]:
    """Return Markdown bullet lines describing the machine and the library versions."""
    from threadpoolctl import threadpool_info

    try:
        numpy_blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        numpy_blas = f"{numpy_blas['name']} {numpy_blas['version']}"
    except Exception:  # the layout of show_config's dict is not a stable API
        numpy_blas = "unknown"
    loaded = [f"{pool.get('internal_api')} {pool.get('version')} "
              f"({pool.get('threading_layer', '?')} threading, {pool.get('architecture', '?')} "
              f"kernels, {os.path.basename(pool.get('filepath', ''))})"
              for pool in threadpool_info() if pool.get("user_api") == "blas"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- CPU: {cpu_model()}, {cores} cores usable ({os.cpu_count()} online)",
        f"- Python {platform.python_version()} ({sys.implementation.name}), {platform.platform()}",
        f"- NumPy {np.__version__} built with {numpy_blas}; BLAS libraries loaded: "
        f"{'; '.join(loaded) or 'unknown'}",
        f"- {squareone_revision()}",
    ]
    if torch is not None:
        lines.append(f"- PyTorch {torch.__version__} (MKL: {torch.backends.mkl.is_available()}, "
                     f"oneDNN: {torch.backends.mkldnn.is_available()})")
    else:
        lines.append("- PyTorch: not installed or not used (--no-torch)")
    lines.append(f"- scikit-learn {sklearn.__version__}" if sklearn is not None
                 else "- scikit-learn: not installed or not used (--no-sklearn)")
    return lines
