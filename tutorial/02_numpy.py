# %% [markdown]
"""TITLE
Step 02: the same neurons with NumPy: dot product, batches, transposition (book chapter 2)

THEORY
The sum sum_i(x_i * w_i) of step 01 is the dot product of the input vector x and the weight
vector w, written x . w. NumPy computes it in one call, np.dot(x, w), in compiled code.
A layer's weights form a matrix W with one row per neuron, so np.dot(W, x) + b gives every
neuron's output at once.
A batch is several samples processed together, one sample per row of a matrix X (shape
(n_samples, n_inputs)). Each output is then the dot product of a row of X with a row of W,
which is the matrix product X . W^T, where W^T is W transposed (rows become columns).
The matrix product A . B (shapes (n, k) and (k, m)) holds every row-of-A . column-of-B dot
product; the inner sizes k must agree. The bias vector b is added to every row
(broadcasting). This is the book's chapter 2 ("Coding Our First Neurons") continued with NumPy.
Math: docs/concepts/glossary.md (dot product, transposition, batch)

THIS STEP
Step 01's neuron and layer again, now with np.dot: the same [4.8, 1.21, 2.385]. Then a batch
of three samples at once, a row vector times a column vector (transposition), and a check
that NumPy's matrix product equals the plain-Python loops of step 01.
"""

# %%
import numpy as np

# %%
# One neuron: the dot product replaces the loop over zip(inputs, weights).
inputs = [1.0, 2.0, 3.0, 2.5]
weights = [0.2, 0.8, -0.5, 1.0]
bias = 2.0
print("one neuron, np.dot:", np.dot(weights, inputs) + bias)

# %%
# A layer: W has one row per neuron; np.dot(W, x) is one dot product per row.
weights = [[0.2, 0.8, -0.5, 1],
           [0.5, -0.91, 0.26, -0.5],
           [-0.26, -0.27, 0.17, 0.87]]
biases = [2.0, 3.0, 0.5]
layer_outputs = np.dot(weights, inputs) + biases
print("layer of 3 neurons, np.dot:", layer_outputs)
# np.dot may add the products in another order than step 01's loop, so the last binary digit
# can differ (1.2099999999999997 instead of 1.21): floating point sums are rounded.
print("as Python floats:", [float(v) for v in layer_outputs])

# %%
# Transposition and the matrix product: a row vector times a column vector is one number.
a = np.array([[1, 2, 3]])            # shape (1, 3): a row vector
b = np.array([[2, 3, 4]]).T          # shape (3, 1): transposed into a column vector
print(f"a.shape {a.shape}, b.shape {b.shape}, a . b = {np.dot(a, b)}  (1*2 + 2*3 + 3*4 = 20)")

# %%
# A batch: one sample per row. Each output is (row of X) . (row of W), so X . W^T.
X = np.array([[1.0, 2.0, 3.0, 2.5],
              [2.0, 5.0, -1.0, 2.0],
              [-1.5, 2.7, 3.3, -0.8]])
W = np.array(weights)
print(f"X.shape {X.shape}, W.shape {W.shape}, W.T.shape {W.T.shape}")
batch_outputs = np.dot(X, W.T) + biases   # (3, 4) . (4, 3) -> (3, 3); b added to each row
print("batch outputs (one row per sample):")
print(batch_outputs)

# %%
# The matrix product is nothing more than step 01's loops, done for every sample.
by_hand = [[sum(x * w for x, w in zip(sample, neuron_weights)) + neuron_bias
            for neuron_weights, neuron_bias in zip(weights, biases)]
           for sample in X.tolist()]
difference = np.max(np.abs(np.array(by_hand) - batch_outputs))
print(f"max |loops - matrix product|: {difference:.1e}")
assert difference < 1e-12

# %%
# Shapes must line up: X . W (without the transpose) is (3, 4) . (3, 4), which fails.
try:
    np.dot(X, W)
except ValueError as error:
    print("np.dot(X, W) without the transpose fails:", error)
