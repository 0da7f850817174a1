# %% [markdown]
"""TITLE
Step 09: the softmax derivative, and the combined softmax + cross-entropy gradient (book chapter 9)

THEORY
The network's last two functions are softmax, S_i,j = e^(z_i,j) / sum_l e^(z_i,l), and the
categorical cross-entropy L_i = -sum_j y_i,j log(S_i,j) (steps 04 and 05).
Cross-entropy's derivative with respect to its input y-hat = S is -y_i,j / y-hat_i,j; the
batch loss is a mean, so each gradient is also divided by the number of samples n.
Every softmax output depends on every input of the same sample, so its derivative is a
matrix per sample, the Jacobian (delta_j,k is 1 if j = k, else 0):
    dS_i,j / dz_i,k = S_i,j * (delta_j,k - S_i,k)   i.e.   J_i = diag(S_i) - S_i . S_i^T
Softmax's backward multiplies each sample's Jacobian by that sample's dvalues D_i: the book
loops over samples. Since J_i is symmetric, J_i . D_i = S_i * D_i - S_i * (S_i . D_i), which
does all samples at once: S * (D - sum(D * S, axis=1)).
Chained together, the two derivatives collapse: for softmax followed by cross-entropy,
    dL_i / dz_i,k = S_i,k - y_i,k        (then divided by n)
subtract 1 at the true class. This combined gradient is shorter, faster, and does not divide
by a small probability. This is the book's chapter 9, second half.
Math: docs/concepts/categorical-cross-entropy.md (derivative section)
Math: docs/concepts/softmax-derivative.md
Math: docs/concepts/softmax-cross-entropy.md

THIS STEP
The cross-entropy derivative, the softmax Jacobian of one sample, the softmax backward pass
as the book's per-sample loop and in vectorized form, and the combined gradient. All are
compared with squareone (sq.CategoricalCrossentropy, sq.Softmax,
sq.SoftmaxCategoricalCrossentropy) and with numerical gradients, in float64, on the book's
3-sample example and on a batch of 300 random logits. The combined and the separate
(softmax backward after cross-entropy backward) gradients must agree to 1e-7.
"""

# %%
import timeit

import numpy as np

import squareone as sq


# %%
# Cross-entropy's backward: -y / y_hat, divided by the number of samples.
def cross_entropy_backward(y_pred, y_true):
    samples, labels = y_pred.shape
    if y_true.ndim == 1:
        y_true = np.eye(labels)[y_true]          # class ids -> one-hot rows
    return -y_true / y_pred / samples


# %%
# The softmax Jacobian of one sample.
softmax_output = np.array([0.7, 0.1, 0.2]).reshape(-1, 1)     # a column
jacobian = np.diagflat(softmax_output) - np.dot(softmax_output, softmax_output.T)
print("softmax Jacobian of [0.7, 0.1, 0.2]:")
print(jacobian)


def softmax_backward_loop(output, dvalues):
    """The book's Activation_Softmax.backward: one Jacobian per sample."""
    dinputs = np.empty_like(dvalues)
    for index, (single_output, single_dvalues) in enumerate(zip(output, dvalues)):
        single_output = single_output.reshape(-1, 1)
        jacobian_matrix = np.diagflat(single_output) - np.dot(single_output, single_output.T)
        dinputs[index] = np.dot(jacobian_matrix, single_dvalues)
    return dinputs


def softmax_backward_vectorized(output, dvalues):
    """The same, all samples at once: S * (D - (S . D) per row)."""
    return output * (dvalues - np.sum(dvalues * output, axis=1, keepdims=True))


def combined_backward(output, y_true):
    """Softmax + cross-entropy: subtract 1 at the true class, divide by the samples."""
    samples = len(output)
    dinputs = output.copy()
    dinputs[np.arange(samples), y_true] -= 1
    return dinputs / samples


def separate_backward(output, y_true):
    return softmax_backward_loop(output, cross_entropy_backward(output, y_true))


# %%
# The book's example: three samples' softmax outputs and their true classes.
softmax_outputs = np.array([[0.7, 0.1, 0.2],
                            [0.1, 0.5, 0.4],
                            [0.02, 0.9, 0.08]])
class_targets = np.array([0, 1, 1])
combined = combined_backward(softmax_outputs, class_targets)
separate = separate_backward(softmax_outputs, class_targets)
print("gradients, combined loss and activation:")
print(combined)
print("gradients, separate loss and activation:")
print(separate)
book_difference = np.max(np.abs(combined - separate))
print(f"book example, max |combined - separate|: {book_difference:.1e}")

# %%
# Against squareone.
def max_difference(a, b):
    return np.max(np.abs(a - b))


loss = sq.CategoricalCrossentropy()
softmax = sq.Softmax()
softmax.forward(np.log(softmax_outputs))          # logits whose softmax is softmax_outputs
sq_separate = softmax.backward(loss.backward(softmax.output, class_targets))
sq_combined = sq.SoftmaxCategoricalCrossentropy().backward(softmax_outputs, class_targets)
dloss = cross_entropy_backward(softmax_outputs, class_targets)
print(f"max |cross-entropy backward - sq.CategoricalCrossentropy.backward|: "
      f"{max_difference(dloss, loss.dinputs):.1e}")
print(f"max |loop - vectorized softmax backward|: "
      f"{max_difference(separate, softmax_backward_vectorized(softmax_outputs, dloss)):.1e}")
print(f"max |separate - sq.Softmax.backward(sq.CategoricalCrossentropy.backward)|: "
      f"{max_difference(separate, sq_separate):.1e}")
print(f"max |combined - sq.SoftmaxCategoricalCrossentropy.backward|: "
      f"{max_difference(combined, sq_combined):.1e}")

# %%
# A bigger batch: 300 samples of random logits, spread like a half-trained network's.
rng = np.random.default_rng(0)
logits = rng.normal(0.0, 3.0, size=(300, 3))
y = rng.integers(0, 3, size=300)


def softmax_forward(z):
    exp_values = np.exp(z - np.max(z, axis=1, keepdims=True))
    return exp_values / np.sum(exp_values, axis=1, keepdims=True)


def mean_loss(z):
    return np.mean(-np.log(softmax_forward(z)[range(len(z)), y]))


output = softmax_forward(logits)
combined = combined_backward(output, y)
separate = separate_backward(output, y)
vectorized = softmax_backward_vectorized(output, cross_entropy_backward(output, y))
numeric = np.zeros_like(logits)
h = 1e-6
for index in np.ndindex(logits.shape):
    step = np.zeros_like(logits)
    step[index] = h
    numeric[index] = (mean_loss(logits + step) - mean_loss(logits - step)) / (2 * h)
sq_loss = sq.SoftmaxCategoricalCrossentropy()
sq_loss.forward(logits, y)
sq_combined = sq_loss.backward(sq_loss.output, y)

print(f"random logits: mean loss {mean_loss(logits):.4f}, "
      f"softmax outputs from {output.min():.3f} to {output.max():.3f}")
print(f"batch, max |combined - numeric|: {max_difference(combined, numeric):.1e}")
print(f"batch, max |vectorized - loop|: {max_difference(vectorized, separate):.1e}")
print(f"batch, max |combined - sq.SoftmaxCategoricalCrossentropy|: "
      f"{max_difference(combined, sq_combined):.1e}")
difference = max(book_difference, max_difference(combined, separate))
print(f"max abs difference (combined vs separate): {difference:.1e}")
assert difference < 1e-7
assert max_difference(combined, numeric) < 1e-7

# %%
# Speed: the book measures the combined gradient several times faster than the separate one.
t_separate = timeit.timeit(lambda: separate_backward(output, y), number=20)
t_combined = timeit.timeit(lambda: combined_backward(output, y), number=20)
print(f"time: the separate gradient (per-sample loop) takes {t_separate / t_combined:.0f}x "
      "as long as the combined one")
