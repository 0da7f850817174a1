"""Peak memory of one Fashion-MNIST training epoch, run in a fresh process by run.py.

Usage: ``python benchmarks/memory_child.py {squareone,torch,sklearn} DATA_DIR THREADS``.
Prints one JSON object: resident memory (MiB) after the imports, after loading the data, and
the peak since the imports, so that the caller can subtract the baseline.

The peak is the kernel's high-water mark ``VmHWM``, reset after the imports (``clear_refs``),
not ``getrusage().ru_maxrss``: on Linux a child inherits ``ru_maxrss`` from the parent it was
forked from, so a child of a benchmark that holds a gigabyte of data would report that gigabyte.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys

from threadpoolctl import threadpool_limits


def status_mb(key: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) from /proc/self/status, in MiB."""
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux 4.0+); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
        return True
    except OSError:
        return False


def main(framework: str, data_dir: str, threads: int) -> None:
    bench = importlib.import_module(f"bench_{framework}")
    import data

    if framework == "torch":
        bench.torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        after_imports = status_mb("VmRSS")
        peak_was_reset = reset_peak()
        X, y, _ = data.load_fashion_mnist("train", data_dir)
        after_load = status_mb("VmRSS")
        bench.fashion_epoch(X, y, timer=lambda run: run())
    peak = (status_mb("VmHWM") if peak_was_reset
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # kB on Linux
    print(json.dumps({"after_imports_mb": after_imports, "after_load_mb": after_load,
                      "peak_mb": peak, "peak_source": "VmHWM" if peak_was_reset else "ru_maxrss"}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
