"""ONNX Runtime (CPU) running squareone's own model, exported with ``export_onnx``.

The inference workload only: the same 784-128-128-10 network as ``bench_squareone`` (the
same weights), written to ONNX in memory and run by an ``InferenceSession`` on the CPU
execution provider, with as many intra-op threads as the other frameworks get.
"""

from __future__ import annotations

import bench_squareone
import onnxruntime
from harness import timed

from squareone.onnx.export import to_onnx

#: Set by run.py with the BLAS / torch thread count of the current pass.
THREADS = {"intra_op": 1}


def set_threads(threads: int) -> None:
    THREADS["intra_op"] = threads


def session_for(model) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS["intra_op"]
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(to_onnx(model).SerializeToString(), options,
                                        providers=["CPUExecutionProvider"])


def inference(X) -> float:
    """One ``session.run`` (forward pass + softmax) over all of X."""
    session = session_for(bench_squareone.fashion_model(X.dtype))
    return timed(lambda: session.run(None, {"input": X}))
