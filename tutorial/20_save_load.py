# %% [markdown]
"""TITLE
Step 20: saving and loading models and their parameters (book chapter 21)

THEORY
Training takes minutes to days; using a trained model should not. What a model has learned is
its parameters, the weights W and biases b of every Dense layer; what it is, is its architecture
(the layers in order, with their sizes and settings) plus the loss, accuracy and optimizer
(whose state, Adam's momentums and caches and its step count, is needed only to continue
training). So there are two things to save:
  * the parameters alone: loaded into a model built by the same code (same layers, same
    shapes), they give exactly the same outputs;
  * the whole model: parameters and architecture together, rebuilt by one call.
The book saves both with pickle, which can run arbitrary code while loading a file: never load
a pickle from someone you do not trust. squareone writes safetensors instead: an 8-byte length,
a JSON header (each tensor's dtype, shape and byte offsets, plus the architecture as JSON text),
then the raw numbers. Loading parses JSON and copies bytes into arrays; nothing is executed.
Saved float32 numbers are restored bit for bit, so a reloaded model evaluates identically.

THIS STEP
Trains step 18's Fashion-MNIST model and evaluates it, then: copies its parameters into a second
model in memory (get_parameters / set_parameters); saves the parameters alone
(model.save_parameters) and loads them into a freshly built model (load_parameters); saves the
whole model (model.save) and rebuilds it with sq.Model.load. Every copy is evaluated and must
give exactly the original numbers. Last, the saved file is opened by hand: the header is
printed and a weight matrix is read straight from the bytes with NumPy, without squareone.
Changed since step 19: nothing in the model. The model is written to
tutorial/out/fashion_mnist.squareone, where step 21 finds it. SQUAREONE_FAST=1 trains 2 epochs
on 6,000 training and 1,000 test images.

Math: docs/concepts/glossary.md (parameters of a dense layer)
"""

# %%
import json

import numpy as np

import squareone as sq

from _common import (
    OUT,
    argument_parser,
    fashion_mnist_model,
    prepared_fashion_mnist,
    trained_fashion_mnist_model,
)

args = argument_parser(__doc__).parse_args()

# %%
# --- Step 18's data and model --------------------------------------------------------------------
(X, y), (X_test, y_test) = prepared_fashion_mnist(args.data_dir)
model = trained_fashion_mnist_model(X, y)
original = model.evaluate(X_test, y_test)
print(f"original evaluation: loss {original['loss']:.6f}, accuracy {original['accuracy']:.4f}")


def report(name, evaluation):
    same = evaluation == original  # exact equality of the floats, not "close"
    print(f"{name} evaluation: loss {evaluation['loss']:.6f}, accuracy "
          f"{evaluation['accuracy']:.4f}, identical: {same}")


# %%
# --- New in this step: 1. parameters, in memory --------------------------------------------------
copy = fashion_mnist_model()  # step 18's model, untrained
report("untrained copy", copy.evaluate(X_test, y_test))
copy.set_parameters(model.get_parameters())  # a list of (weights, biases) per Dense layer
report("set_parameters", copy.evaluate(X_test, y_test))

# %%
# --- 2. parameters, in a file --------------------------------------------------------------------
OUT.mkdir(parents=True, exist_ok=True)
parameters_path = OUT / "fashion_mnist_parameters.squareone"
model.save_parameters(parameters_path)
fresh = fashion_mnist_model()  # step 18's model, untrained
fresh.load_parameters(parameters_path)  # checked against fresh's layers before copying
report("load_parameters", fresh.evaluate(X_test, y_test))

# %%
# --- 3. the whole model, in a file ---------------------------------------------------------------
model_path = OUT / "fashion_mnist.squareone"
model.save(model_path)  # architecture, parameters and optimizer state
loaded = sq.Model.load(model_path)
report("reloaded", loaded.evaluate(X_test, y_test))
same_outputs = np.array_equal(loaded.predict(X_test), model.predict(X_test))
print(f"reloaded predictions identical: {same_outputs}")
print(f"parameters file: {parameters_path} ({parameters_path.stat().st_size:,} bytes)")
print(f"model file: {model_path} ({model_path.stat().st_size:,} bytes, with Adam's state)")

# %%
# --- Inside the file: JSON and raw numbers, no pickle --------------------------------------------
data = model_path.read_bytes()
header_length = int.from_bytes(data[:8], "little")  # first 8 bytes: little-endian uint64
header = json.loads(data[8:8 + header_length])  # then a JSON header
tensors = {name: info for name, info in header.items() if name != "__metadata__"}
tensor_bytes = len(data) - 8 - header_length  # then the raw numbers, nothing else
print(f"file layout: 8 + {header_length} bytes of JSON header + {tensor_bytes:,} bytes of "
      f"tensors = {len(data):,} bytes")
print("header tensors:")
for name, info in sorted(tensors.items()):
    print(f"  {name}: {info['dtype']} {info['shape']} at bytes {info['data_offsets']}")
print("header metadata (the architecture, as JSON text):")
for key, value in json.loads(header["__metadata__"]["squareone"]).items():
    if key == "layers":
        print("  layers:")
        for layer in value:
            print(f"    {json.dumps(layer)}")
    else:
        print(f"  {key}: {json.dumps(value)}")
sizes = sum(end - start for start, end in (info["data_offsets"] for info in tensors.values()))
# The header accounts for every byte after it: there is no room left for anything but numbers.
print(f"only a JSON header and raw tensors, no pickle: {sizes == tensor_bytes}")

info = tensors["layers.0.weights"]
start, end = info["data_offsets"]
weights = np.frombuffer(data[8 + header_length + start:8 + header_length + end],
                        dtype="<f4").reshape(info["shape"])
print(f"layers.0.weights read with NumPy alone equals the model's: "
      f"{np.array_equal(weights, model.layers[0].weights)}")
