# %% [markdown]
"""TITLE
Step 12: testing on out-of-sample data (book chapter 11)

THEORY
Accuracy on the training data says how well the network has memorised those samples, not how
well it will do on samples it has never seen, which is what we want from it. A network with
enough parameters can bend its decision boundary around every training point, noise included:
it *overfits*. The honest measure is the accuracy on out-of-sample data: samples drawn from the
same distribution but never used to compute a gradient. If the training accuracy is much higher
than the out-of-sample accuracy (a large "generalization gap"), the model has overfit.

Three kinds of data, each with its own job:
  * training data: the only data the optimizer's gradients are computed on;
  * validation data: used to choose hyperparameters (layer sizes, learning rate, decay,
    regularization strength, epochs). Choosing by it leaks a little information, so it too
    becomes slightly "seen";
  * test data: used once, at the end, for the number you report.
With little data, k-fold cross-validation reuses it: split the training data into k folds, train
k times, each time validating on a different fold and training on the other k - 1, and average
the k validation scores to compare hyperparameters.

The accuracy itself is unchanged: the fraction of samples whose predicted class
argmax_j y_hat[i, j] equals the true class.

THIS STEP
Trains the chapter-10 network (Dense(2, 64) - ReLU - Dense(64, 3) - softmax with categorical
cross-entropy, Adam(learning_rate=0.05, decay=5e-7)) on spiral_data(100, 3) with the same loop as
step 11, then does what is new: draws a *fresh* spiral_data(100, 3), never trained on, and runs
only a forward pass on it. The book reports about 0.97 training and 0.80 test accuracy: the
network has overfit. (Under sq.nnfs.init() squareone computes as the book does under
nnfs.init(), with float64 products rounded to float32, so these are the book's very numbers; see
docs/book.md.) The decision boundary plot shows the narrow fingers the network grew around single
training points. SQUAREONE_FAST=1 trains for a tenth of the epochs.

Math: docs/concepts/accuracy.md
"""

# %%
import numpy as np

import squareone as sq

from _common import FAST, draw_class_regions, pyplot, save_figure

EPOCHS = 10_000 // 10 if FAST else 10_000

sq.nnfs.init()  # the book's random numbers: same data and initial weights as nnfs.init()

X, y = sq.datasets.spiral_data(samples=100, classes=3)

dense1 = sq.Dense(2, 64)
activation1 = sq.ReLU()
dense2 = sq.Dense(64, 3)
loss_activation = sq.SoftmaxCategoricalCrossentropy()
optimizer = sq.Adam(learning_rate=0.05, decay=5e-7)


def forward(inputs):
    """Forward pass through the layers; returns the last Dense layer's output (the logits)."""
    dense1.forward(inputs)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    return dense2.output


def accuracy_of(probabilities, targets):
    return float(np.mean(np.argmax(probabilities, axis=1) == targets))


for epoch in range(EPOCHS + 1):  # as the book: epochs 0 to 10000, each ends with an update
    loss = loss_activation.calculate(forward(X), y)  # softmax, then mean cross-entropy
    accuracy = accuracy_of(loss_activation.output, y)
    if epoch == 0:
        print(f"initial accuracy: {accuracy:.3f}")
    if epoch % (EPOCHS // 10) == 0:
        print(f"epoch: {epoch}, acc: {accuracy:.3f}, loss: {loss:.3f}, "
              f"lr: {optimizer.current_learning_rate:.6g}")
    loss_activation.backward(loss_activation.output, y)
    dense2.backward(loss_activation.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)
    optimizer.pre_update_params()
    optimizer.update_params(dense1)
    optimizer.update_params(dense2)
    optimizer.post_update_params()

train_accuracy, train_loss = accuracy, loss

# %%
# --- New in this step: out-of-sample data --------------------------------------------------------
# Same distribution, new samples (the random stream has moved on, so they differ from X).
X_test, y_test = sq.datasets.spiral_data(samples=100, classes=3)
test_loss = loss_activation.calculate(forward(X_test), y_test)  # forward only: no learning
test_accuracy = accuracy_of(loss_activation.output, y_test)

print(f"training accuracy: {train_accuracy:.3f}")
print(f"training loss: {train_loss:.3f}")
print(f"validation accuracy: {test_accuracy:.3f}")
print(f"validation loss: {test_loss:.3f}")
print(f"generalization gap: {train_accuracy - test_accuracy:.3f}")

# %%
# --- Plot: the decision boundary, with training points (dots) and new points (crosses) -----------
plt = pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 5))
    draw_class_regions(ax, forward)  # the class forward() scores highest, over the plane
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="brg", s=8, label="training")
    ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="brg", s=14, marker="x",
               label="out-of-sample")
    ax.set_title(f"train acc {train_accuracy:.3f}, out-of-sample acc {test_accuracy:.3f}")
    ax.legend(loc="lower right")
    save_figure(fig, "12_validation.png")
