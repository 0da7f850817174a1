# %% [markdown]
"""TITLE
Step 03: two layers, and the Dense layer as a class (book chapter 3)

THEORY
Layers stack: the outputs of one layer are the inputs of the next. With a batch X,
layer 1 gives X . W1^T + b1 and layer 2 reads that: (X . W1^T + b1) . W2^T + b2.
From now on weights are stored with shape (n_inputs, n_neurons), one column per neuron, so
the forward pass needs no transpose:

    output = inputs . W + b          W: (n_inputs, n_neurons), b: (1, n_neurons)

This is a dense (fully connected) layer: every input reaches every neuron. Before training,
weights are small random numbers (the book: 0.01 * randn, normal with standard deviation
0.01) so that neurons start different from each other yet no output is huge; biases start
at 0. The book's data is spiral_data: 3 classes of 2-D points on interleaved spiral arms.
This is the book's chapter 3 ("Adding Layers").
Math: docs/concepts/glossary.md (dense layer, forward pass)

THIS STEP
First the book's two hand-written layers on a batch of 3 samples. Then the Dense layer as a
class (weights 0.01 * randn, zero biases) on spiral_data(100, 3). The book gets its numbers
from nnfs.init(), which seeds NumPy's random generator with 0 and makes randn return float32;
we do exactly that by hand, write spiral_data out too, and check that both, and the layer's
output, equal squareone's sq.datasets.spiral_data and sq.Dense under sq.nnfs.init().
"""

# %%
import numpy as np

import squareone as sq

# %%
# Two layers by hand (weights one row per neuron, as in step 02).
inputs = [[1, 2, 3, 2.5], [2.0, 5.0, -1.0, 2.0], [-1.5, 2.7, 3.3, -0.8]]
weights = [[0.2, 0.8, -0.5, 1], [0.5, -0.91, 0.26, -0.5], [-0.26, -0.27, 0.17, 0.87]]
biases = [2, 3, 0.5]
weights2 = [[0.1, -0.14, 0.5], [-0.5, 0.12, -0.33], [-0.44, 0.73, -0.13]]
biases2 = [-1, 2, -0.5]
layer1_outputs = np.dot(inputs, np.array(weights).T) + biases
layer2_outputs = np.dot(layer1_outputs, np.array(weights2).T) + biases2
print("two layers, by hand:")
print(layer2_outputs)


# %%
# What nnfs.init() does for the book: seed NumPy with 0, and randn returns float32.
np.random.seed(0)


def randn(*shape):
    """Normal samples N(0, 1), rounded to float32 as nnfs.init() makes np.random.randn do."""
    return np.random.randn(*shape).astype(np.float32)


def spiral_data(samples, classes):
    """The book's data (from nnfs.datasets, after cs231n): `classes` spiral arms of points."""
    X = np.zeros((samples * classes, 2), dtype=np.float32)
    y = np.zeros(samples * classes, dtype=np.uint8)
    for class_number in range(classes):
        ix = range(samples * class_number, samples * (class_number + 1))
        r = np.linspace(0.0, 1, samples)                                   # radius
        t = np.linspace(class_number * 4, (class_number + 1) * 4, samples)  # angle
        t = t + randn(samples) * 0.2                                       # plus noise
        X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = class_number
    return X, y


class LayerDense:
    """A dense layer: output = inputs . weights + biases."""

    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * randn(n_inputs, n_neurons)       # (n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons), dtype=np.float32)

    def forward(self, inputs):
        self.output = np.dot(inputs, self.weights) + self.biases


X, y = spiral_data(samples=100, classes=3)
dense1 = LayerDense(2, 3)
dense1.forward(X)
print(f"X.shape {X.shape}, weights.shape {dense1.weights.shape}, "
      f"output.shape {dense1.output.shape}")
print("Dense(2, 3) on spiral_data, first 5 rows (the book prints the same):")
print(dense1.output[:5])

# %%
# The same with squareone: sq.nnfs.init() starts the book's random stream, without
# touching NumPy's global generator.
sq.nnfs.init()
X_sq, y_sq = sq.datasets.spiral_data(samples=100, classes=3)
dense1_sq = sq.Dense(2, 3)
dense1_sq.forward(X_sq)
print("sq.Dense(2, 3), first 5 rows:")
print(dense1_sq.output[:5])

data_difference = max(np.max(np.abs(X - X_sq)), np.max(np.abs(y.astype(int) - y_sq)))
weight_difference = np.max(np.abs(dense1.weights - dense1_sq.weights))
output_difference = np.max(np.abs(dense1.output - dense1_sq.output))
print(f"max |spiral_data - sq.datasets.spiral_data|: {data_difference:.1e}")
print(f"max |weights - sq.Dense weights|: {weight_difference:.1e}")
print(f"max |output - sq.Dense output|: {output_difference:.1e}")
assert data_difference == 0 and weight_difference == 0 and output_difference < 1e-7
