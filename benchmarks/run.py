"""squareone benchmark suite: squareone vs PyTorch (CPU) vs scikit-learn, and vs the GEMM floor.

    python benchmarks/run.py                      # everything, at 1 and 2 BLAS threads
    python benchmarks/run.py --quick              # a smoke run, under a minute
    python benchmarks/run.py --threads 1 --workloads fashion,small --no-sklearn
    python benchmarks/run.py --output benchmarks/RESULTS.md

Prints one Markdown table. Every implementation gets the same data, batches, threads and
process; within each repeat the implementations alternate, and the table quotes medians.
See benchmarks/README.md for what each workload measures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import bench_squareone
import data
import numpy as np
from harness import Row, compare, cores_used, format_table, gemm_floor, load_average, machine_info
from threadpoolctl import threadpool_limits

try:
    import bench_torch
except ImportError:
    bench_torch = None
try:
    import bench_sklearn
except ImportError:
    bench_sklearn = None
try:
    import bench_onnx
except ImportError:
    bench_onnx = None

HERE = Path(__file__).resolve().parent
WORKLOADS = ("fashion", "inference", "small", "memory")
FASHION_SIZES = [784, 128, 128, 10]
BATCH_SIZE = 128
BOOK_EPOCHS = 10_001  # the book trains its spiral models for 10,001 epochs


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Settings:
    repeats: int  # timed repeats per measurement (the median is quoted)
    inference_repeats: int
    ch10_epochs: int
    ch18_epochs: int
    dtypes: tuple = (np.float32, np.float64)  # Fashion-MNIST training dtypes
    warmup_samples: int = 10 * BATCH_SIZE  # warm-ups train on the first 10 batches
    frameworks: dict = field(default_factory=dict)  # name -> module or None


def runners(settings: Settings, function: str, *args, **kwargs) -> dict:
    """``{framework: zero-argument runner}`` for ``function(*args)``; None where n/a."""
    return {name: (partial(getattr(module, function), *args, **kwargs)
                   if module is not None and hasattr(module, function) else None)
            for name, module in settings.frameworks.items()}


# --- (1) Fashion-MNIST training epoch ---------------------------------------------------------


def bench_fashion(settings: Settings, data_sets: dict, threads: int) -> list[Row]:
    X, y = data_sets["train"]
    rows = []
    for dtype in settings.dtypes:
        X_typed = X if dtype == np.float32 else data_sets["train_float64"]
        head = X_typed[:settings.warmup_samples], y[:settings.warmup_samples]
        log(f"  fashion epoch, {np.dtype(dtype).name}")
        seconds = compare(
            {**runners(settings, "fashion_epoch", X_typed, y),
             "floor": partial(gemm_floor, X_typed, FASHION_SIZES, batch_size=BATCH_SIZE)},
            settings.repeats,
            warmups={**runners(settings, "fashion_epoch", *head),
                     "floor": partial(gemm_floor, head[0], FASHION_SIZES,
                                      batch_size=BATCH_SIZE)})
        rows.append(Row(f"(1) Fashion-MNIST epoch, {np.dtype(dtype).name}", "s",
                        str(threads), **seconds))
    return rows


# --- (2) inference ------------------------------------------------------------------------------


def bench_inference(settings: Settings, data_sets: dict, threads: int) -> list[Row]:
    X_test, _ = data_sets["test"]
    log("  inference")
    seconds = compare(
        {**runners(settings, "inference", X_test),
         "floor": partial(gemm_floor, X_test, FASHION_SIZES, backward=False)},
        settings.inference_repeats,
        warmups=runners(settings, "inference", X_test))
    milliseconds = {name: None if value is None else 1000 * value
                    for name, value in seconds.items()}
    return [Row(f"(2) inference, {len(X_test):,} images", "ms", str(threads), **milliseconds)]


# --- (3) small networks, where per-call overhead dominates --------------------------------------


def _per_epoch_rows(name: str, seconds: dict, epochs: int, threads: int) -> list[Row]:
    per_epoch = {key: None if value is None else value / epochs for key, value in seconds.items()}
    return [
        Row(name, "ms/epoch", str(threads),
            **{key: None if value is None else 1000 * value for key, value in per_epoch.items()}),
        Row(f"{name}, {BOOK_EPOCHS:,} epochs (projected)", "s", str(threads),
            **{key: None if value is None else BOOK_EPOCHS * value
               for key, value in per_epoch.items()}),
    ]


def bench_small(settings: Settings, data_sets: dict, threads: int) -> list[Row]:
    rows = []
    for function, (X, y), sizes, epochs, name in (
        ("spiral", data_sets["spiral_300"], [2, 64, 3], settings.ch10_epochs,
         "(3a) ch. 10 spiral 2-64-3, 300 samples"),
        ("spiral_regularized", data_sets["spiral_3000"], [2, 512, 3], settings.ch18_epochs,
         "(3b) ch. 18 spiral 2-512-3, L2 + dropout, 3,000 samples"),
    ):
        log(f"  {function}, {epochs} epochs")
        seconds = compare(
            {**runners(settings, function, X, y, epochs),
             "floor": partial(gemm_floor, X, sizes, epochs=epochs)},
            settings.repeats,
            warmups=runners(settings, function, X, y, max(1, epochs // 20)))
        rows += _per_epoch_rows(name, seconds, epochs, threads)
    return rows


# --- (4) peak memory of a training epoch ------------------------------------------------------


def memory_of(framework: str, data_dir: Path, threads: int) -> dict:
    """Run one Fashion-MNIST epoch in a fresh process; return its RSS figures in MiB."""
    result = subprocess.run(
        [sys.executable, str(HERE / "memory_child.py"), framework, str(data_dir), str(threads)],
        capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_memory(settings: Settings, data_dir: Path, threads: int) -> list[Row]:
    above_imports, above_data = {}, {}
    for name, module in settings.frameworks.items():
        if module is None or not hasattr(module, "fashion_epoch"):  # ONNX Runtime: inference
            above_imports[name] = above_data[name] = None
            continue
        log(f"  memory, {name}")
        memory = memory_of(name, data_dir, threads)
        above_imports[name] = memory["peak_mb"] - memory["after_imports_mb"]
        above_data[name] = memory["peak_mb"] - memory["after_load_mb"]
    data_mib = 60_000 * data.N_FEATURES * 4 / 2**20
    return [
        Row("(4) peak RSS of data + 1 epoch, above RSS after imports", "MiB", str(threads),
            **above_imports, floor=data_mib),
        Row("(4) peak RSS of 1 epoch, above RSS after data load", "MiB", str(threads),
            **above_data),
    ]


# --- running it all -------------------------------------------------------------------------------


def load_data(workloads: list[str], data_dir: Path, dtypes) -> tuple[dict, str]:
    """Everything the chosen workloads need, made once and shared by every implementation."""
    from squareone.datasets import spiral_data

    data_sets, source = {}, "not loaded"
    if "fashion" in workloads:
        X, y, source = data.load_fashion_mnist("train", data_dir)
        data_sets["train"] = X, y
        if np.float64 in dtypes:
            data_sets["train_float64"] = X.astype(np.float64)
    if "inference" in workloads:
        X_test, y_test, source = data.load_fashion_mnist("test", data_dir)
        data_sets["test"] = X_test, y_test
    if "small" in workloads:
        for samples in (100, 1000):
            X, y = spiral_data(samples, 3, seed=0)
            data_sets[f"spiral_{3 * samples}"] = X, y.astype(np.int64)
    return data_sets, source


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1 repeat, fewer epochs, float32 only: a smoke run, under a minute")
    parser.add_argument("--threads", default="1,2",
                        help="comma-separated BLAS / torch thread counts (default 1,2)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated subset of {','.join(WORKLOADS)}")
    parser.add_argument("--repeats", type=int, help="timed repeats (default 3, quick 1)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn")
    parser.add_argument("--no-onnx", action="store_true", help="skip ONNX Runtime")
    parser.add_argument("--data-dir", type=Path, default=data.DATA_DIR,
                        help="folder with the Fashion-MNIST IDX .gz files")
    parser.add_argument("--output", type=Path,
                        help="also write the table and machine information to this file")
    args = parser.parse_args(argv)
    args.threads = [int(value) for value in args.threads.split(",")]
    args.workloads = [value.strip() for value in args.workloads.split(",") if value.strip()]
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose from {WORKLOADS}")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    settings = Settings(repeats=args.repeats or (1 if args.quick else 3),
                        inference_repeats=3 if args.quick else 10,
                        ch10_epochs=200 if args.quick else 2000,
                        ch18_epochs=20 if args.quick else 200,
                        dtypes=(np.float32,) if args.quick else (np.float32, np.float64))
    settings.frameworks = {"squareone": bench_squareone,
                           "torch": None if args.no_torch else bench_torch,
                           "sklearn": None if args.no_sklearn else bench_sklearn,
                           "onnxruntime": None if args.no_onnx else bench_onnx}
    torch = bench_torch.torch if settings.frameworks["torch"] else None
    load_before = load_average()
    data_sets, source = load_data(args.workloads, args.data_dir, settings.dtypes)
    log(f"Fashion-MNIST: {source} data; load average {load_before}")

    rows, usage = [], []
    for threads in args.threads:
        log(f"threads = {threads}")
        cores_used()  # reset the count
        with threadpool_limits(limits=threads):
            if torch is not None:
                torch.set_num_threads(threads)
            if settings.frameworks["onnxruntime"] is not None:
                bench_onnx.set_threads(threads)
            for workload, bench in (("fashion", bench_fashion), ("inference", bench_inference),
                                    ("small", bench_small)):
                if workload in args.workloads:
                    rows += bench(settings, data_sets, threads)
        used = cores_used()
        usage.append(f"{used:.2f} cores at {threads} thread(s)" + (
            " (BUSY MACHINE: these timings are inflated)" if used < 0.8 * threads else ""))
        log(f"  CPU use while timing: {usage[-1]}")
    if "memory" in args.workloads:
        rows += bench_memory(settings, args.data_dir, args.threads[0])

    table = format_table(rows)
    print(table)
    if args.output:
        sklearn = sys.modules["sklearn"] if settings.frameworks["sklearn"] else None
        lines = ["# squareone benchmark results", "",
                 f"`python benchmarks/run.py {' '.join(sys.argv[1:])}`", "",
                 *machine_info(torch, sklearn),
                 f"- ONNX Runtime {bench_onnx.onnxruntime.__version__}"
                 if settings.frameworks["onnxruntime"] else "- ONNX Runtime: not installed or "
                 "not used (--no-onnx)",
                 f"- Fashion-MNIST: {source} data",
                 f"- load average before / after: {load_before} / {load_average()}",
                 f"- CPU use during the timed runs (CPU seconds per wall second; below the "
                 f"thread count means another program took the cores): {', '.join(usage)}",
                 f"- repeats: median of {settings.repeats} after a warm-up "
                 f"({settings.inference_repeats} for inference); ch. 10: "
                 f"{settings.ch10_epochs} epochs, ch. 18: {settings.ch18_epochs} epochs", "",
                 table, "",
                 "Ratios above 1 mean squareone takes longer (or more memory). "
                 "See benchmarks/README.md for what every row and column measures.", ""]
        args.output.write_text("\n".join(lines))
        log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
