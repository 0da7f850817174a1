# %% [markdown]
"""TITLE
Step 08: backpropagation through a neuron, a Dense layer, ReLU and a network (book chapter 9)

THEORY
Backpropagation computes how the loss L changes with every parameter by the chain rule of
step 07, going backwards: each function receives dvalues = dL/d(its output) from the
function after it, multiplies by its own local derivatives, and hands dL/d(its inputs) to
the function before it.
One neuron, y = ReLU(sum_i x_i w_i + b), with z = sum_i x_i w_i + b:
    dReLU/dz = 1 if z > 0 else 0
    dz/dw_i = x_i,   dz/dx_i = w_i,   dz/db = 1
    so dL/dw_i = dvalue * dReLU/dz * x_i, and so on.
A dense layer does this for a batch at once. With inputs X (n_samples, n_inputs), weights
W (n_inputs, n_neurons) and dvalues D = dL/d(output) (n_samples, n_neurons):
    dweights = X^T . D      (each weight sums input * gradient over the samples)
    dbiases  = sum of D over the samples (axis 0)
    dinputs  = D . W^T      (what the previous layer receives as its dvalues)
ReLU's backward passes dvalues through where its input was > 0 and zeroes them elsewhere.
A network's backward pass calls these in reverse order. This is the book's chapter 9
("Backpropagation"), first half.
Math: docs/concepts/backpropagation.md
Math: docs/concepts/relu-derivative.md

THIS STEP
The book's single neuron by hand (gradients and one small step against them), the book's
layer example (dinputs, dweights, dbiases; ReLU's backward), then a Dense -> ReLU -> Dense
network with backward methods written by hand. Each result is compared with squareone
(sq.Dense(...).backward, sq.ReLU().backward) and with numerical gradients (central
differences, float64); the max abs differences are printed.
"""

# %%
import numpy as np

import squareone as sq

# %%
# --- One neuron: y = ReLU(x . w + b), the book's numbers.
x = [1.0, -2.0, 3.0]
w = [-3.0, -1.0, 2.0]
b = 1.0


def neuron(x, w, b):
    return max(x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + b, 0.0)


z = x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + b
y = max(z, 0.0)
print(f"neuron: z = {z}, y = ReLU(z) = {y}")

dvalue = 1.0                                   # gradient from the next layer
drelu_dz = dvalue * (1.0 if z > 0 else 0.0)    # ReLU's derivative, times dvalue
dx = [w[i] * drelu_dz for i in range(3)]       # dz/dx_i = w_i
dw = [x[i] * drelu_dz for i in range(3)]       # dz/dw_i = x_i
db = drelu_dz                                  # dz/db = 1
print("dx:", dx, " dw:", dw, " db:", db)


def central(function, values, i, h=1e-6):
    """Numeric partial derivative of function(values) with respect to values[i]."""
    up, down = list(values), list(values)
    up[i] += h
    down[i] -= h
    return (function(up) - function(down)) / (2 * h)


numeric_dw = [central(lambda w_: neuron(x, w_, b), w, i) for i in range(3)]
numeric_dx = [central(lambda x_: neuron(x_, w, b), x, i) for i in range(3)]
numeric_db = central(lambda b_: neuron(x, w, b_[0]), [b], 0)
neuron_error = np.max(np.abs(np.r_[numeric_dw, numeric_dx, numeric_db] - np.r_[dw, dx, db]))
print(f"neuron, max |backprop - numeric|: {neuron_error:.1e}")

# %%
# One step against the gradient lowers the output (treating the output itself as the loss).
w = [w[i] - 0.001 * dw[i] for i in range(3)]
b -= 0.001 * db
print(f"after w -= 0.001 * dw, b -= 0.001 * db: w = {np.round(w, 3).tolist()}, b = {b:.3f}, "
      f"output {y} -> {neuron(x, w, b):.3f}")

# %%
# --- A layer: the book's example, 3 samples, 4 inputs, 3 neurons.
inputs = np.array([[1, 2, 3, 2.5], [2.0, 5.0, -1.0, 2], [-1.5, 2.7, 3.3, -0.8]])
weights = np.array([[0.2, 0.8, -0.5, 1],
                    [0.5, -0.91, 0.26, -0.5],
                    [-0.26, -0.27, 0.17, 0.87]]).T      # (n_inputs, n_neurons) = (4, 3)
biases = np.array([[2, 3, 0.5]])
dvalues = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])

dinputs = np.dot(dvalues, weights.T)
dweights = np.dot(inputs.T, dvalues)
dbiases = np.sum(dvalues, axis=0, keepdims=True)
print("layer dinputs = dvalues . W^T:")
print(dinputs)
print("layer dweights = inputs^T . dvalues:")
print(dweights)
print("layer dbiases = sum of dvalues over samples:", dbiases)

layer = sq.Dense(4, 3, dtype="float64")
layer.weights[...] = weights
layer.biases[...] = biases
layer.forward(inputs)
layer.backward(dvalues)
dense_difference = max(np.max(np.abs(dinputs - layer.dinputs)),
                       np.max(np.abs(dweights - layer.dweights)),
                       np.max(np.abs(dbiases - layer.dbiases)))
print(f"layer, max |by hand - sq.Dense.backward|: {dense_difference:.1e}")

# %%
# ReLU's backward: keep the gradient where the input was positive.
z = np.array([[1, 2, -3, -4], [2, -7, -1, 3], [-1, 2, 5, -1]], dtype=np.float64)
dvalues = np.arange(1.0, 13.0).reshape(3, 4)
drelu = dvalues.copy()
drelu[z <= 0] = 0
relu = sq.ReLU()
relu.forward(z)
relu_difference = np.max(np.abs(drelu - relu.backward(dvalues)))
print("ReLU backward (dvalues where z > 0):")
print(drelu)
print(f"ReLU, max |by hand - sq.ReLU.backward|: {relu_difference:.1e}")


# %%
# --- A network: Dense(2, 3) -> ReLU -> Dense(3, 3), backward written by hand.
class LayerDense:
    def __init__(self, weights, biases):
        self.weights, self.biases = weights.copy(), biases.copy()

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class ActivationReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


X, _ = sq.datasets.spiral_data(samples=20, classes=3, seed=0, dtype="float64")
rng = np.random.default_rng(0)
sq_dense1 = sq.Dense(2, 3, seed=1, dtype="float64")
sq_dense2 = sq.Dense(3, 3, seed=2, dtype="float64")
# Fresh layers have zero biases, which puts the point (0, 0) of spiral_data exactly on ReLU's
# kink, where the derivative is undefined and a numeric check is meaningless: use random ones.
sq_dense1.biases[...] = rng.normal(0, 0.01, size=(1, 3))
sq_dense2.biases[...] = rng.normal(0, 0.01, size=(1, 3))
sq_relu = sq.ReLU()

dense1 = LayerDense(sq_dense1.weights, sq_dense1.biases)
relu1 = ActivationReLU()
dense2 = LayerDense(sq_dense2.weights, sq_dense2.biases)

# %%
# Any scalar loss of the output will do here (steps 05 and 09 give the real one). We use
# L = sum(G * output) for a fixed random G, so dL/d(output) = G: the "dvalues" of the book.
G = rng.standard_normal((len(X), 3))


def loss_of(params):
    """L for the given (W1, b1, W2, b2), computed with plain NumPy."""
    W1, b1, W2, b2 = params
    return np.sum(G * (np.dot(np.maximum(0, np.dot(X, W1) + b1), W2) + b2))


# %%
# Forward and backward, by hand ...
dense1.forward(X)
relu1.forward(dense1.output)
dense2.forward(relu1.output)
dense2.backward(G)
relu1.backward(dense2.dinputs)
dense1.backward(relu1.dinputs)
by_hand = [dense1.dweights, dense1.dbiases, dense2.dweights, dense2.dbiases]

# %%
# ... with squareone ...
sq_dense1.forward(X)
sq_relu.forward(sq_dense1.output)
sq_dense2.forward(sq_relu.output)
sq_dense2.backward(G)
sq_relu.backward(sq_dense2.dinputs)
sq_dense1.backward(sq_relu.dinputs)
with_squareone = [sq_dense1.dweights, sq_dense1.dbiases, sq_dense2.dweights, sq_dense2.dbiases]

# %%
# ... and numerically: nudge each of the 21 parameters by +-h and watch L.
params = [dense1.weights, dense1.biases, dense2.weights, dense2.biases]
numeric = []
h = 1e-6
for param in params:
    gradient = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + h
        up = loss_of(params)
        param[index] = saved - h
        down = loss_of(params)
        param[index] = saved
        gradient[index] = (up - down) / (2 * h)
    numeric.append(gradient)

names = ["dense1.dweights", "dense1.dbiases", "dense2.dweights", "dense2.dbiases"]
network_vs_sq = max(np.max(np.abs(a - b)) for a, b in zip(by_hand, with_squareone))
network_vs_numeric = max(np.max(np.abs(a - b)) for a, b in zip(by_hand, numeric))
for name, a, b, c in zip(names, by_hand, with_squareone, numeric):
    print(f"{name:16s} |by hand - squareone| {np.max(np.abs(a - b)):.1e}   "
          f"|by hand - numeric| {np.max(np.abs(a - c)):.1e}")
print(f"network, max |by hand - squareone|: {network_vs_sq:.1e}")
print(f"network, max |by hand - numeric|: {network_vs_numeric:.1e}")
largest = max(neuron_error, dense_difference, relu_difference, network_vs_sq, network_vs_numeric)
print(f"max abs difference: {largest:.1e}")
assert max(dense_difference, relu_difference, network_vs_sq) < 1e-12
assert max(neuron_error, network_vs_numeric) < 1e-6
