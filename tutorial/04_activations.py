# %% [markdown]
"""TITLE
Step 04: activation functions: step, linear, sigmoid, ReLU, tanh, softmax (book chapter 4)

THEORY
Stacked dense layers without anything in between are still one linear function
(inputs . W1 . W2 is inputs . (W1 . W2)), so they can only fit straight lines. An activation
function applied to every output of a layer bends it, and lets the network fit curves:
    step     y = 1 if x > 0 else 0         (the historical neuron "fires" or not)
    linear   y = x                         (for regression outputs)
    sigmoid  y = 1 / (1 + e^-x)            (squashes to (0, 1))
    tanh     y = (e^x - e^-x) / (e^x + e^-x)   (squashes to (-1, 1))
    ReLU     y = max(0, x)                 (the book's hidden-layer activation: cheap, works)
The output layer of a classifier uses softmax, which turns a row of scores z (the logits)
into a probability distribution over the classes:

    S_i,j = e^(z_i,j) / sum_l e^(z_i,l)

Exponentiating makes every value positive; dividing by the row's sum makes the row sum to 1.
e^z overflows float64 for z > 709 (float32 for z > 88), so we first subtract the row's
maximum: e^(z - m) / sum e^(z - m) is the same ratio (e^-m cancels) and every exponent is
now <= 0, so e^(z - m) is in (0, 1]. This is the book's chapter 4 ("Activation Functions").
Math: docs/concepts/relu-derivative.md (forward section)
Math: docs/concepts/sigmoid.md
Math: docs/concepts/softmax-derivative.md (forward section)

THIS STEP
Each activation written with NumPy and compared with squareone's class (sq.Step, sq.Linear,
sq.Sigmoid, sq.ReLU, sq.Tanh, sq.Softmax). Softmax by hand on the book's [4.8, 1.21, 2.385],
the overflow that the max subtraction prevents, and the network of step 03 with ReLU after
the first Dense layer and softmax after a second: each row sums to 1 (the book's output).
"""

# %%
import numpy as np

import squareone as sq

# %%
# ReLU in plain Python first (the book's loop), then with NumPy.
inputs = [0, 2, -1, 3.3, -2.7, 1.1, 2.2, -100]
print("ReLU, loop:    ", [x if x > 0 else 0 for x in inputs])
print("ReLU, np.maximum:", np.maximum(0, inputs))


def step(x):
    return (x > 0).astype(x.dtype)


def linear(x):
    return x


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def tanh(x):  # as the formula; np.tanh(x) computes it without overflow for large |x|
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


# %%
# Each one against squareone's class, on the same random inputs (float64).
x = np.random.default_rng(0).uniform(-5, 5, size=(100, 4))
for name, function, layer in [("step", step, sq.Step()), ("linear", linear, sq.Linear()),
                              ("sigmoid", sigmoid, sq.Sigmoid()), ("ReLU", relu, sq.ReLU()),
                              ("tanh", tanh, sq.Tanh())]:
    difference = np.max(np.abs(function(x) - layer.forward(x)))
    print(f"{name:8s} f(-2, 0, 2) = {function(np.array([-2.0, 0.0, 2.0])).round(4)}   "
          f"max |by hand - sq.{type(layer).__name__}|: {difference:.1e}")
    assert difference < 1e-12

# %%
# Softmax by hand on one sample: exponentiate, then normalize.
layer_outputs = [4.8, 1.21, 2.385]
exp_values = np.exp(layer_outputs)
print("exponentiated:", exp_values)
norm_values = exp_values / np.sum(exp_values)
print("normalized:", norm_values, " sum:", np.sum(norm_values))


def softmax(z):
    """Row-wise softmax, with the row maximum subtracted first."""
    exp_values = np.exp(z - np.max(z, axis=1, keepdims=True))
    return exp_values / np.sum(exp_values, axis=1, keepdims=True)


# %%
# Why subtract the maximum: e^1000 overflows to inf, and inf / inf is nan.
big = np.array([[1000.0, 1001.0, 1002.0]])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.sum(np.exp(big), axis=1, keepdims=True)
with np.errstate(over="ignore"):
    print("np.exp(709) =", np.exp(709.0), "but np.exp(710) =", np.exp(710.0))
print("softmax of [1000, 1001, 1002] without the max subtraction:", naive[0])
print("softmax of [1000, 1001, 1002] with it:                    ", softmax(big)[0])
print("softmax of [0, 1, 2] (the same after subtracting 1002 or 2): ",
      softmax(np.array([[0.0, 1.0, 2.0]]))[0])

difference = np.max(np.abs(softmax(x) - sq.Softmax().forward(x)))
print(f"max |softmax by hand - sq.Softmax|: {difference:.1e}")
assert difference < 1e-12

# %%
# The network so far, with the book's numbers: Dense(2, 3) -> ReLU -> Dense(3, 3) -> softmax.
sq.nnfs.init()
X, y = sq.datasets.spiral_data(samples=100, classes=3)
dense1 = sq.Dense(2, 3)
activation1 = sq.ReLU()
dense2 = sq.Dense(3, 3)
activation2 = sq.Softmax()
dense1.forward(X)
activation1.forward(dense1.output)
dense2.forward(activation1.output)
activation2.forward(dense2.output)
print("softmax outputs of the untrained network, first 5 rows (the book's):")
print(activation2.output[:5])
row_sums = activation2.output.sum(axis=1)
print("row sums, first 5:", row_sums[:5])
print(f"max |row sum - 1|: {np.max(np.abs(row_sums - 1)):.1e}")
assert np.allclose(softmax(dense2.output), activation2.output, atol=1e-7)
