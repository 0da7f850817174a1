"""ONNX export and import: run a squareone model anywhere, without squareone.

`ONNX <https://onnx.ai>`_ is the exchange format of neural networks: ONNX Runtime (C, C++, C#,
Java, JavaScript in the browser, phones), TensorRT, OpenVINO and other frameworks read it.
:func:`export_onnx` writes a finalized model as an ONNX graph; :func:`import_onnx` reads the
dense networks squareone can express back into a :class:`~squareone.Model`, from squareone,
from PyTorch's ``torch.onnx.export`` of an ``nn.Sequential`` MLP, from skl2onnx's MLPs, or
from other exporters that write the same plain graph; it refuses anything else (convolutions,
branches, other operators or attributes) with a ``ValueError`` naming the node. Both need
the ``onnx`` extra: ``pip install squareone[onnx]`` (it also installs ``onnxruntime``, which
the tests use to check every exported file).

The graph, layer by layer
-------------------------
========================  ==============================================================
squareone                 ONNX
========================  ==============================================================
``Dense``                 ``Gemm(x, W, b)``: $x \\cdot W + b$ (import also reads
                          ``MatMul`` + ``Add``, and ``Gemm`` with ``transB=1``)
``ReLU``                  ``Relu``
``Sigmoid``, ``Tanh``     ``Sigmoid``, ``Tanh``
``Softmax``               ``Softmax`` over the last axis
``Linear``                ``Identity`` (import: a ``Linear`` layer after a Dense layer,
                          left out after an activation, where it changes nothing)
``Step``                  ``Greater(x, 0)`` then ``Cast`` to the model's float type
``Dropout``               nothing: it is the identity at inference
========================  ==============================================================

The input is called ``"input"``, shape ``(batch, n_features)`` with a dynamic ``batch``, the
output ``"output"``; both have the model's dtype (float32 or float64).

Opset
-----
Files are written with ONNX opset :data:`DEFAULT_OPSET` (13) and the IR version that goes with
it (7) unless ``opset=`` asks for another one in ``[MIN_OPSET, newest the installed onnx
knows]``. Opset 13 is read by ONNX Runtime 1.6 (2020) and later, onnxruntime-web and mobile,
and by every current converter; the operators used here have not changed meaning since, so a
newer opset buys nothing but excludes older runtimes.
"""

from squareone.onnx.export import DEFAULT_OPSET, MIN_OPSET, export_onnx
from squareone.onnx.reader import MAX_FILE_BYTES, import_onnx

__all__ = ["export_onnx", "import_onnx", "DEFAULT_OPSET", "MIN_OPSET", "MAX_FILE_BYTES"]
