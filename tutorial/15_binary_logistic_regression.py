# %% [markdown]
"""TITLE
Step 15: binary logistic regression: sigmoid and binary cross-entropy (book chapter 16)

THEORY
Softmax makes the outputs compete: they are one probability distribution over classes that
exclude each other. Some questions are yes/no instead ("is this a cat?"), possibly several at
once ("indoors? daytime? people?"). Then each output neuron gets its own sigmoid,

    sigma(z) = 1 / (1 + e^(-z))           derivative: sigma * (1 - sigma)

which squashes any number into (0, 1): the probability that this output's answer is "1". The
prediction is 1 where sigma > 0.5. Each output is scored with binary cross-entropy, the
cross-entropy of the pair (y_hat, 1 - y_hat) against (y, 1 - y), averaged over the J outputs:

    L_i = -1/J * sum_j [ y_ij * log(y_hat_ij) + (1 - y_ij) * log(1 - y_hat_ij) ]
    dL_i/dy_hat_ij = -1/J * ( y_ij / y_hat_ij - (1 - y_ij) / (1 - y_hat_ij) )

(predictions clipped to [1e-7, 1 - 1e-7] so neither log sees 0; the gradient of the batch's mean
loss is divided by N as well). Targets are a column per output: y has shape (N, J), here (N, 1).

THIS STEP
Writes sigmoid and binary cross-entropy, forward and backward, by hand and checks them against
sq.Sigmoid and sq.BinaryCrossentropy. Then trains the book's chapter-16 model on a two-class
spiral_data(100, 2), with y reshaped to a column (-1, 1): Dense(2, 64, L2 5e-4 on weights and
biases) - ReLU - Dense(64, 1) - Sigmoid, binary cross-entropy, Adam(decay=5e-7), 10001 epochs.
Changed since step 13: one output neuron with a sigmoid instead of softmax, and the separate
BinaryCrossentropy loss (no combined softmax + loss gradient). SQUAREONE_FAST=1 trains for a
tenth of the epochs.

Math: docs/concepts/sigmoid.md
Math: docs/concepts/binary-cross-entropy.md
"""

# %%
import numpy as np

import squareone as sq

from _common import FAST, plane, pyplot, save_figure

EPOCHS = 10_000 // 10 if FAST else 10_000


# %%
# --- New in this step: sigmoid and binary cross-entropy, by hand ---------------------------------
def sigmoid_forward(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_backward(dvalues, output):
    return dvalues * (1 - output) * output


def bce_forward(y_pred, y_true):
    y_pred = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return np.mean(-(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)), axis=-1)


def bce_backward(y_pred, y_true):
    samples, outputs = y_pred.shape
    y_pred = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return -(y_true / y_pred - (1 - y_true) / (1 - y_pred)) / outputs / samples


rng = np.random.default_rng(0)
z = rng.standard_normal((6, 3)) * 3  # 6 samples, 3 independent yes/no outputs
targets = rng.integers(0, 2, size=(6, 3))
sigmoid, bce = sq.Sigmoid(), sq.BinaryCrossentropy()
probabilities = sigmoid_forward(z)
dz = sigmoid_backward(bce_backward(probabilities, targets), probabilities)
sigmoid.forward(z)
sigmoid.backward(bce.backward(sigmoid.output, targets))
print(f"sigmoid max difference: {np.abs(probabilities - sigmoid.output).max():.3e}")
loss_difference = abs(bce_forward(probabilities, targets).mean()
                      - bce.calculate(sigmoid.output, targets))
print(f"binary cross-entropy difference: {loss_difference:.3e}")
print(f"gradient max difference: {np.abs(dz - sigmoid.dinputs).max():.3e}")
# Chained, sigmoid and binary cross-entropy simplify to (y_hat - y) / (N * J):
print(f"simplified gradient max difference: "
      f"{np.abs(dz - (probabilities - targets) / targets.size).max():.3e}")

# %%
# --- The book's chapter-16 training --------------------------------------------------------------
sq.nnfs.init()
X, y = sq.datasets.spiral_data(samples=100, classes=2)
y = y.reshape(-1, 1)  # one column: one binary output per sample

dense1 = sq.Dense(2, 64, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4)
activation1 = sq.ReLU()
dense2 = sq.Dense(64, 1)
activation2 = sq.Sigmoid()
loss_function = sq.BinaryCrossentropy()
optimizer = sq.Adam(decay=5e-7)


def forward(inputs):
    dense1.forward(inputs)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    return activation2.forward(dense2.output)


def accuracy_of(probabilities, targets):
    predictions = (probabilities > 0.5) * 1  # new: a threshold instead of argmax
    return float(np.mean(predictions == targets))


for epoch in range(EPOCHS + 1):
    data_loss = loss_function.calculate(forward(X), y)
    regularization_loss = dense1.regularization_loss() + dense2.regularization_loss()
    loss = data_loss + regularization_loss
    accuracy = accuracy_of(activation2.output, y)
    if epoch == 0:
        print(f"initial accuracy: {accuracy:.3f}")
    if epoch % (EPOCHS // 10) == 0:
        print(f"epoch: {epoch}, acc: {accuracy:.3f}, loss: {loss:.3f} (data_loss: "
              f"{data_loss:.3f}, reg_loss: {regularization_loss:.3f}), "
              f"lr: {optimizer.current_learning_rate:.6g}")
    loss_function.backward(activation2.output, y)
    activation2.backward(loss_function.dinputs)
    dense2.backward(activation2.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)
    optimizer.pre_update_params()
    optimizer.update_params(dense1)
    optimizer.update_params(dense2)
    optimizer.post_update_params()

X_test, y_test = sq.datasets.spiral_data(samples=100, classes=2)
y_test = y_test.reshape(-1, 1)
test_loss = loss_function.calculate(forward(X_test), y_test)
test_accuracy = accuracy_of(activation2.output, y_test)

print(f"training accuracy: {accuracy:.3f}")
print(f"validation accuracy: {test_accuracy:.3f}")
print(f"validation loss: {test_loss:.3f}")

plt = pyplot()
if plt is not None:
    xx, yy, outputs = plane(forward)  # forward() over a grid of the plane
    probability = outputs[..., 0]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(xx, yy, probability, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.4)
    ax.contour(xx, yy, probability, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y.ravel(), cmap="coolwarm", s=8, edgecolors="k",
               linewidths=0.3)
    ax.set_title(f"P(class 1); train acc {accuracy:.3f}, validation acc {test_accuracy:.3f}")
    save_figure(fig, "15_binary_logistic_regression.png")
