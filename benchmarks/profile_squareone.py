"""Where squareone's training time goes: a per-part breakdown of one ``model.train`` call.

    python benchmarks/profile_squareone.py                    # Fashion-MNIST epoch, 1 thread
    python benchmarks/profile_squareone.py --workload spiral  # chapter 10, 2000 epochs
    python benchmarks/profile_squareone.py --workload spiral-regularized  # ch. 18, 200 epochs
    python benchmarks/profile_squareone.py --dtype float64    # the same epoch in float64
    python benchmarks/profile_squareone.py --cprofile         # also cProfile's top functions

Every layer's ``forward``/``backward``, the loss, the accuracy, the optimizer update and the
model's own steps are wrapped in timers (on the instances, so squareone is not modified);
what is left of ``train()`` is the Python loop and glue. Wrapping adds about 0.3 us per call.
The GEMM floor of the same network is measured alongside for reference.

On a busy machine use ``--clock cpu`` (with 1 thread): every time is then this thread's CPU
time, which does not count the time another program held the core.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time
from collections import defaultdict

import bench_squareone
import data
from harness import gemm_floor
from threadpoolctl import threadpool_limits

import squareone as sq

CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
clock = CLOCKS["wall"]


def measure(run) -> float:
    """Seconds of ``run()`` on the chosen clock, garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        start = clock()
        run()
        return clock() - start
    finally:
        gc.enable()


def instrument(obj, method: str, name: str, seconds: dict, calls: dict) -> None:
    """Replace ``obj.method`` by a wrapper that adds its run time to ``seconds[name]``."""
    original = getattr(obj, method, None)
    if original is None:
        return

    def wrapper(*args, **kwargs):
        start = clock()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[name] += clock() - start
            calls[name] += 1

    setattr(obj, method, wrapper)


def instrument_model(model: sq.Model) -> tuple[dict, dict]:
    seconds, calls = defaultdict(float), defaultdict(int)
    for index, layer in enumerate(model.layers):
        for method in ("forward", "backward"):
            instrument(layer, method, f"{index}: {layer!r}.{method}", seconds, calls)
    instrument(model, "_check_Xy", "input checks (train)", seconds, calls)
    instrument(model.loss, "forward", "loss forward", seconds, calls)
    instrument(model._softmax_classifier_output, "backward", "softmax + loss backward",
               seconds, calls)
    instrument(model.accuracy, "compare", "accuracy", seconds, calls)
    instrument(model.output_layer_activation, "predictions", "predictions (argmax)",
               seconds, calls)
    instrument(model.optimizer, "update_params", "optimizer update", seconds, calls)
    instrument(model, "regularization_loss", "regularization loss", seconds, calls)
    return seconds, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=("fashion", "spiral", "spiral-regularized"),
                        default="fashion")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="default 1 (fashion) or 2000 (spiral)")
    parser.add_argument("--clock", choices=CLOCKS, default="wall",
                        help="wall time, or this thread's CPU time (for 1 thread only)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="data and model dtype (fashion only)")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    if args.workload == "fashion":
        X, y, _ = data.load_fashion_mnist()
        X = X.astype(args.dtype, copy=False)

        def make_model():
            return bench_squareone.fashion_model(args.dtype)
        sizes, batch_size = [784, 128, 128, 10], 128
    elif args.workload == "spiral":
        X, y = sq.datasets.spiral_data(100, 3, seed=0)
        make_model, sizes, batch_size = bench_squareone.spiral_model, [2, 64, 3], None
    else:
        X, y = sq.datasets.spiral_data(1000, 3, seed=0)
        make_model, sizes, batch_size = bench_squareone.spiral_regularized_model, [2, 512, 3], None
    epochs = args.epochs or {"fashion": 1, "spiral": 2000}.get(args.workload, 200)

    with threadpool_limits(limits=args.threads):
        make_model().train(X[:1280], y[:1280], epochs=1, batch_size=batch_size, verbose=0)
        plain = measure(lambda: make_model().train(X, y, epochs=epochs, batch_size=batch_size,
                                                 verbose=0))
        floor = gemm_floor(X, sizes, batch_size=batch_size, epochs=epochs, timer=measure)
        model = make_model()
        seconds, calls = instrument_model(model)
        total = measure(lambda: model.train(X, y, epochs=epochs, batch_size=batch_size,
                                          verbose=0))
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.runcall(make_model().train, X, y, epochs=epochs, batch_size=batch_size,
                             verbose=0)

    per = "epoch" if epochs == 1 else f"epoch (mean of {epochs})"
    print(f"{args.workload}, {args.threads} thread(s), {args.clock} clock: train() {plain:.3f} s "
          f"uninstrumented, {total:.3f} s instrumented; GEMM floor {floor:.3f} s\n")
    print(f"| part | calls | ms per {per} | % of train() | us per call |")
    print("|---|---|---|---|---|")
    for name, value in [*sorted(seconds.items(), key=lambda item: -item[1]),
                        ("rest: Python loop and glue", total - sum(seconds.values()))]:
        count = calls.get(name, 0)
        per_call = f"{1e6 * value / count:.1f}" if count else ""
        print(f"| {name} | {count} | {1000 * value / epochs:.3f} | {100 * value / total:.1f} "
              f"| {per_call} |")
    print(f"| (reference) GEMM floor of the same products | | {1000 * floor / epochs:.3f} "
          f"| {100 * floor / total:.1f} | |")
    if args.cprofile:
        print()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
