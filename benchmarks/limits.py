"""What bounds squareone's speed on this machine, measured: matrix products and Adam's passes.

    python benchmarks/limits.py              # 1 thread
    python benchmarks/limits.py --threads 2

Two tables:

1. Every matrix product of the Fashion-MNIST network (784-128-128-10), for a training batch
   of 128 and for inference on 10,000 images, timed with NumPy's ``np.dot`` (the BLAS squareone
   uses) and with ``torch.mm`` (PyTorch's BLAS) on the same arrays, alternating, medians.
   Where PyTorch's BLAS is faster, no NumPy code can match PyTorch on those products.
2. The cost of one NumPy pass (a ufunc with ``out=``) over the network's 118,282 parameters,
   for each kind of pass Adam needs, in float32 and float64, next to the floor of one
   training step (its matrix products). Adam needs ten such passes per step (see
   ``squareone/optimizers.py``), so their sum is a lower bound for Adam in NumPy.
3. The bias gradient of each layer for a batch of 128, as ``np.sum(D, axis=0)`` and as the
   product of a row of ones with ``D`` (what ``Dense.backward`` uses).
4. squareone's Adam step (``Adam.update`` on the flat parameter vector) right after the first
   layer's two training products, at 1 and 2 BLAS threads: after products that read its
   weights and wrote its gradient, as in training, and after the same products on other
   arrays. With 2 threads the other core holds half of the gradient and a copy of the
   weights, and Adam (NumPy, one core) has to pull them over first.
5. Inference on 10,000 images at 1 and 2 threads: squareone's ``predict``, the least NumPy
   code that computes the same outputs (preallocated buffers, in-place bias and ReLU, chunks
   of 1,024 rows) and PyTorch. Where the bare NumPy code trails PyTorch, so must squareone.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
from harness import SETTLE_SECONDS
from threadpoolctl import threadpool_limits

SIZES = [784, 128, 128, 10]
N_PARAMETERS = sum(n_in * n_out + n_out for n_in, n_out in zip(SIZES[:-1], SIZES[1:]))


def median_seconds(runners: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each zero-argument runner over ``repeats`` back-to-back calls.

    Each runner gets its own block of calls, after a pause: alternating call by call would
    leave one library's idle BLAS or OpenMP threads spinning on the cores the other one
    needs (see ``harness.SETTLE_SECONDS``).
    """
    seconds = {}
    for name, run in runners.items():
        time.sleep(SETTLE_SECONDS)
        run()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        seconds[name] = statistics.median(times)
    return seconds


def products(rows: int) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """(name, shape of A, shape of B) for the products of one batch of ``rows`` samples."""
    layers = list(zip(SIZES[:-1], SIZES[1:]))
    forward = [(f"X{i} @ W{i}", (rows, n_in), (n_in, n_out))
               for i, (n_in, n_out) in enumerate(layers)]
    weight_gradients = [(f"X{i}^T @ dZ{i}", (n_in, rows), (rows, n_out))
                        for i, (n_in, n_out) in enumerate(layers)]
    input_gradients = [(f"dZ{i} @ W{i}^T", (rows, n_out), (n_out, n_in))
                       for i, (n_in, n_out) in enumerate(layers) if i]
    return forward + weight_gradients + input_gradients


def gemm_table(repeats: int) -> None:
    import torch

    rng = np.random.default_rng(0)
    print("| product | shapes | np.dot (us) | torch.mm (us) | NumPy / PyTorch |")
    print("|---|---|---|---|---|")
    totals = {"numpy": 0.0, "torch": 0.0}
    for rows, label in ((128, "training batch"), (10_000, "inference")):
        plan = products(rows) if label == "training batch" else products(rows)[:len(SIZES) - 1]
        for name, a_shape, b_shape in plan:
            A = rng.standard_normal(a_shape, dtype=np.float32)
            B = rng.standard_normal(b_shape, dtype=np.float32)
            out = np.empty((a_shape[0], b_shape[1]), np.float32)
            A_t, B_t = torch.from_numpy(A), torch.from_numpy(B)
            seconds = median_seconds({"numpy": lambda A=A, B=B, out=out: np.dot(A, B, out=out),
                                      "torch": lambda A_t=A_t, B_t=B_t: torch.mm(A_t, B_t)},
                                     repeats)
            for key in totals:
                totals[key] += seconds[key] * (469 if rows == 128 else 0)
            print(f"| {label}: {name} | {a_shape} @ {b_shape} | {1e6 * seconds['numpy']:.1f} "
                  f"| {1e6 * seconds['torch']:.1f} | {seconds['numpy'] / seconds['torch']:.2f} |")
    print(f"\nAll training products of one epoch (469 batches, hot caches): NumPy "
          f"{totals['numpy']:.3f} s, PyTorch {totals['torch']:.3f} s\n")


PASSES = {  # Adam's passes, as in squareone/optimizers.py (a, b: state arrays, g: gradient)
    "a *= beta": lambda a, b, g, s: np.multiply(a, 0.9, out=a),
    "a += g": lambda a, b, g, s: np.add(a, g, out=a),
    "s = g**2": lambda a, b, g, s: np.square(g, out=s),
    "s = sqrt(b)": lambda a, b, g, s: np.sqrt(b, out=s),
    "s += eps": lambda a, b, g, s: np.add(s, 1e-7, out=s),
    "s = a / s": lambda a, b, g, s: np.divide(a, s, out=s),
}
# How often Adam makes each pass per step: m *= b1, c *= b2, s *= -lr; m += g, c += s, w += s.
COUNTS = {"a *= beta": 3, "a += g": 3, "s = g**2": 1, "s = sqrt(b)": 1, "s += eps": 1,
          "s = a / s": 1}


def pass_table(repeats: int) -> None:
    from harness import gemm_floor

    print(f"| pass over {N_PARAMETERS:,} parameters | float32 (us) | float64 (us) |")
    print("|---|---|---|")
    adam, results = {}, {}
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        arrays = [rng.random(N_PARAMETERS).astype(dtype) + 1 for _ in range(3)]
        arrays.append(np.empty_like(arrays[0]))  # the scratch buffer
        results[dtype] = median_seconds(
            {name: partial(run, *arrays) for name, run in PASSES.items()}, repeats * 10)
        adam[dtype] = sum(COUNTS[name] * results[dtype][name] for name in PASSES)
    for name in PASSES:
        print(f"| {name} (x{COUNTS[name]} per step) | {1e6 * results[np.float32][name]:.1f} "
              f"| {1e6 * results[np.float64][name]:.1f} |")
    print(f"| **Adam, 10 passes, per step** | {1e6 * adam[np.float32]:.0f} "
          f"| {1e6 * adam[np.float64]:.0f} |")
    for dtype in (np.float32, np.float64):
        X = rng.standard_normal((128 * 40, SIZES[0])).astype(dtype)
        floor_step = gemm_floor(X, SIZES, batch_size=128) / 40
        print(f"| GEMM floor of one step, {np.dtype(dtype).name} | {1e6 * floor_step:.0f} "
              f"| Adam / floor: {adam[dtype] / floor_step:.2f} |")


def bias_sum_table(repeats: int) -> None:
    print("\n| bias gradient, batch 128 | np.sum(D, axis=0) (us) | ones-row @ D (us) | ratio |")
    print("|---|---|---|---|")
    rng = np.random.default_rng(0)
    ones = np.ones((1, 128), np.float32)
    for n_out in SIZES[1:]:
        D = rng.standard_normal((128, n_out), dtype=np.float32)
        out = np.empty((1, n_out), np.float32)
        seconds = median_seconds(
            {"sum": lambda D=D: np.sum(D, axis=0, keepdims=True),
             "dot": lambda D=D, out=out: np.dot(ones, D, out=out)}, repeats * 10)
        print(f"| {n_out} neurons | {1e6 * seconds['sum']:.1f} | {1e6 * seconds['dot']:.1f} "
              f"| {seconds['sum'] / seconds['dot']:.1f}x |")


def cross_core_table(repeats: int) -> None:
    import squareone as sq

    rng = np.random.default_rng(0)
    n_inputs, n_neurons = SIZES[:2]
    param = rng.standard_normal(N_PARAMETERS).astype(np.float32)
    grad = rng.standard_normal(N_PARAMETERS).astype(np.float32)
    weights = param[:n_inputs * n_neurons].reshape(n_inputs, n_neurons)
    dweights = grad[:n_inputs * n_neurons].reshape(n_inputs, n_neurons)
    other_weights, other_dweights = weights.copy(), dweights.copy()
    X = rng.standard_normal((128, n_inputs), dtype=np.float32)
    dZ = rng.standard_normal((128, n_neurons), dtype=np.float32)
    out = np.empty((128, n_neurons), np.float32)
    adam = sq.Adam()
    state = adam.state_for(param)

    def products(W, dW) -> None:
        np.dot(X, W, out=out)
        np.dot(X.T, dZ, out=dW)

    def adam_seconds(before) -> float:
        times = []
        for _ in range(repeats * 20):
            before()
            start = time.perf_counter()
            adam.update(param, grad, state)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    print("\n| BLAS threads | Adam step after the products on its own arrays (us) "
          "| after the same products on other arrays (us) | Adam alone (us) |")
    print("|---|---|---|---|")
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            time.sleep(SETTLE_SECONDS)
            own = adam_seconds(lambda: products(weights, dweights))
            other = adam_seconds(lambda: products(other_weights, other_dweights))
            alone = adam_seconds(lambda: None)
        print(f"| {threads} | {1e6 * own:.0f} | {1e6 * other:.0f} | {1e6 * alone:.0f} |")


def bare_numpy_inference(X: np.ndarray, weights: list, biases: list,
                         chunk: int = 1024) -> np.ndarray:
    """Softmax outputs of the ReLU network for ``X`` in as few NumPy passes as it takes."""
    outputs = np.empty((len(X), weights[-1].shape[1]), X.dtype)
    buffers = {}
    for start in range(0, len(X), chunk):
        rows = X[start:start + chunk]
        if len(rows) not in buffers:
            buffers[len(rows)] = [np.empty((len(rows), W.shape[1]), X.dtype) for W in weights]
        activations = rows
        for W, b, out in zip(weights, biases, buffers[len(rows)]):
            np.dot(activations, W, out=out)
            out += b
            if out is not buffers[len(rows)][-1]:
                np.maximum(out, 0, out=out)
            activations = out
        exp_values = np.ascontiguousarray(activations.T)  # softmax as in squareone
        exp_values -= exp_values.max(axis=0)
        np.exp(exp_values, out=exp_values)
        exp_values /= exp_values.sum(axis=0)
        outputs[start:start + len(rows)] = exp_values.T
    return outputs


def inference_table(repeats: int) -> None:
    import torch
    from bench_squareone import fashion_model
    from bench_torch import fashion_model as torch_fashion_model

    rng = np.random.default_rng(0)
    X = rng.standard_normal((10_000, SIZES[0]), dtype=np.float32)
    model = fashion_model()
    weights = [layer.weights for layer in model.trainable_layers]
    biases = [layer.biases for layer in model.trainable_layers]
    np.testing.assert_allclose(bare_numpy_inference(X, weights, biases), model.predict(X),
                               rtol=1e-4, atol=1e-6)
    network, X_t = torch_fashion_model(torch.float32), torch.from_numpy(X)

    def torch_predict() -> None:
        with torch.inference_mode():
            torch.softmax(network(X_t), dim=1)

    print("\n| inference, 10,000 images, threads | squareone predict (ms) | bare NumPy (ms) "
          "| PyTorch (ms) | bare NumPy / PyTorch |")
    print("|---|---|---|---|---|")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        with threadpool_limits(limits=threads):
            seconds = median_seconds(
                {"squareone": lambda: model.predict(X),
                 "bare": lambda: bare_numpy_inference(X, weights, biases),
                 "torch": torch_predict}, repeats)
        print(f"| {threads} | {1e3 * seconds['squareone']:.1f} | {1e3 * seconds['bare']:.1f} "
              f"| {1e3 * seconds['torch']:.1f} | {seconds['bare'] / seconds['torch']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        gemm_table(args.repeats)
        pass_table(args.repeats)
        bias_sum_table(args.repeats)
    cross_core_table(args.repeats)
    inference_table(args.repeats)


if __name__ == "__main__":
    main()
