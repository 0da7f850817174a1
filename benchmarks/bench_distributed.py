"""Data-parallel training on MPI: epoch time at 1 and 2 ranks, and the parts of a step.

    pip install -e ".[mpi]"
    python benchmarks/bench_distributed.py                  # 1 and 2 ranks, 3 timed epochs
    python benchmarks/bench_distributed.py --ranks 1,2,3 --epochs 5 --output table.md

The script starts itself under the virtual environment's ``mpiexec`` once per rank count
(``--worker``), with one BLAS thread per rank. Each worker trains the Fashion-MNIST network
784-128-128-10 (Adam, global batch 128, float32) with ``squareone.distributed.DataParallel``
and times whole epochs (median after a warm-up epoch) and, separately, 500 ``Allreduce`` calls
of the step's buffer. In this process, without MPI, it also times the parts of one step of
batch 128 for the network and for a 10x wider one (784-1280-1280-10): forward + backward, and
the optimizer's update, which every rank repeats in full. benchmarks/README.md turns these into
a model of the epoch time on N machines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import data
import numpy as np

import squareone as sq

HERE = Path(__file__).resolve().parent
BATCH = 128


def build(hidden: int, dtype: str = "float32") -> sq.Model:
    model = sq.Model(dtype=dtype)
    model.add(sq.Dense(784, hidden, seed=1))
    model.add(sq.ReLU())
    model.add(sq.Dense(hidden, hidden, seed=2))
    model.add(sq.ReLU())
    model.add(sq.Dense(hidden, 10, seed=3))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(decay=1e-3),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


def worker(epochs: int, data_dir: str) -> None:
    """Under mpiexec: time epochs and Allreduce calls; rank 0 prints one JSON line."""
    from squareone.distributed import DataParallel, mpi

    comm = mpi().COMM_WORLD
    X, y, source = data.load_fashion_mnist("train", data_dir)
    parallel = DataParallel(build(128))
    parallel.train(X, y, epochs=1, batch_size=BATCH, shuffle=True, seed=0, verbose=0)  # warm-up
    seconds = []
    for epoch in range(epochs):
        comm.Barrier()
        start = time.perf_counter()
        parallel.train(X, y, epochs=1, batch_size=BATCH, shuffle=True, seed=epoch, verbose=0)
        comm.Barrier()
        seconds.append(time.perf_counter() - start)
    buffer = parallel._step_buffer
    calls = 500
    comm.Barrier()
    start = time.perf_counter()
    for _ in range(calls):
        comm.Allreduce(mpi().IN_PLACE, buffer, op=mpi().SUM)
    allreduce = (time.perf_counter() - start) / calls
    if parallel.is_root:
        print(json.dumps({"ranks": parallel.size, "epoch_s": statistics.median(seconds),
                          "epochs_s": seconds, "allreduce_s": allreduce,
                          "bytes": buffer.nbytes, "data": source}))


def step_parts(hidden: int, repeats: int = 200) -> dict:
    """Seconds of forward + backward and of the optimizer update, one batch of 128.

    Timed with this thread's CPU clock (one BLAS thread), which other programs on a shared
    machine do not inflate as they inflate the wall clock: it is the compute the step needs.
    """
    model = build(hidden)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (BATCH, 784)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    optimizer = model.optimizer

    def forward_backward(rows=BATCH):
        model.backward(model.forward(X[:rows], training=True), y[:rows])

    def update():
        optimizer.pre_update_params()
        optimizer.update_params(model.parameter_vector)
        optimizer.post_update_params()

    parts = {}
    # Half a batch, what each of 2 ranks computes: does the compute halve with the rows?
    for name, run in (("forward_backward_s", forward_backward),
                      ("forward_backward_half_s", lambda: forward_backward(BATCH // 2)),
                      ("update_s", update)):
        run()
        times = []
        for _ in range(5):
            start = time.thread_time()
            for _ in range(repeats // 5):
                run()
            times.append((time.thread_time() - start) / (repeats // 5))
        parts[name] = statistics.median(times)
    parts["parameters"] = int(model.parameter_vector.values.size)
    return parts


# The networks between machines that the model on paper assumes: latency per message (s) and
# bandwidth (bytes/s) as MPI sees them. 10 Gbit/s Ethernet over TCP; 100 Gbit/s InfiniBand.
NETWORKS = {"10 GbE": (25e-6, 1.25e9), "100 Gb/s InfiniBand": (2e-6, 12.5e9)}
STEPS_PER_EPOCH = -(-60_000 // BATCH)  # 469


def modelled_epoch(parts: dict, ranks: int, latency: float, bandwidth: float) -> float:
    """Seconds per epoch on ``ranks`` machines: compute / N + update + ring all-reduce.

    Every rank computes the forward and backward pass of its 1/N of the batch, repeats the
    whole optimizer update, and takes part in one all-reduce of P + 3 float32 values.
    """
    message = (parts["parameters"] + 3) * 4
    allreduce = 2 * (ranks - 1) * latency + 2 * (ranks - 1) / ranks * message / bandwidth
    step = parts["forward_backward_s"] / ranks + parts["update_s"] + allreduce
    return STEPS_PER_EPOCH * step


def model_table(parts: dict, rank_counts=(1, 2, 4, 8, 16, 32, 64)) -> str:
    lines = ["| network | between machines | " + " | ".join(f"N={n}" for n in rank_counts)
             + " | fastest |", "|---|---|" + "---|" * (len(rank_counts) + 1)]
    for hidden, part in parts.items():
        for name, (latency, bandwidth) in NETWORKS.items():
            times = [modelled_epoch(part, n, latency, bandwidth) for n in rank_counts]
            best = min(range(len(times)), key=times.__getitem__)
            lines.append(f"| 784-{hidden}-{hidden}-10 | {name} | "
                         + " | ".join(f"{t:.3g} s" for t in times)
                         + f" | N={rank_counts[best]}, {times[0] / times[best]:.2f}x |")
    return "\n".join(lines)


def launch(ranks: int, epochs: int, data_dir: str) -> dict:
    from squareone.distributed import find_mpiexec

    mpiexec = find_mpiexec()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    result = subprocess.run([str(mpiexec), "-n", str(ranks), sys.executable, "-m", "mpi4py",
                             __file__, "--worker", "--epochs", str(epochs), "--data-dir",
                             data_dir], capture_output=True, text=True, env=env, timeout=900,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def table(runs: list[dict], parts: dict) -> str:
    one = runs[0]["epoch_s"]
    lines = ["| workload | ranks | epoch (s) | speed-up | Allreduce per step (ms) | bytes "
             "reduced per step | data |", "|---|---|---|---|---|---|---|"]
    for run in runs:
        lines.append(f"| (5) Fashion-MNIST epoch, 784-128-128-10, Adam, global batch 128, "
                     f"float32, DataParallel | {run['ranks']} | {run['epoch_s']:.3f} | "
                     f"{one / run['epoch_s']:.2f} | {1e3 * run['allreduce_s']:.3f} | "
                     f"{run['bytes']:,} | {run['data']} |")
    lines += ["", "| one step of batch 128, 1 process, CPU time | parameters | forward + backward "
              "(ms) | the same, 64 rows (ms) | optimizer update (ms) |", "|---|---|---|---|---|"]
    for hidden, part in parts.items():
        lines.append(f"| 784-{hidden}-{hidden}-10, float32 | {part['parameters']:,} | "
                     f"{1e3 * part['forward_backward_s']:.3f} | "
                     f"{1e3 * part['forward_backward_half_s']:.3f} | "
                     f"{1e3 * part['update_s']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", default="1,2", help="rank counts to run (default: 1,2)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per rank count")
    parser.add_argument("--data-dir", default=str(data.DATA_DIR))
    parser.add_argument("--output", help="also write the tables to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.epochs, args.data_dir)
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        parts = {hidden: step_parts(hidden) for hidden in (128, 1280)}
    runs = [launch(int(ranks), args.epochs, args.data_dir) for ranks in args.ranks.split(",")]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    text = (table(runs, parts) + "\n\nModelled epoch (469 steps of 128) on N machines, from the "
            "step's parts above:\n\n" + model_table(parts) + f"\n\nload average after: {load}\n")
    print(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
