# %% [markdown]
"""TITLE
Step 13: L1 and L2 regularization (book chapter 14)

THEORY
Step 12's network overfit: it grew large weights to bend around single training points.
Regularization adds a penalty on the size of the parameters to the loss, so the optimizer has to
trade a better fit against bigger weights. For a layer with weights w and biases b:

    L1 penalty  = lambda * sum(|w|)       its gradient: lambda * sign(w)
    L2 penalty  = lambda * sum(w ** 2)    its gradient: 2 * lambda * w

and the same for the biases, each term with its own lambda (0 switches it off). The loss the
optimizer minimises is

    loss = data_loss + sum over layers of (L1w + L1b + L2w + L2b)

and, the loss being a sum, each parameter's gradient is the data-loss gradient from
backpropagation plus the penalty's gradient. The penalty is added once per step, not per sample,
so neither it nor its gradient is divided by the number of samples. L2 hits large weights hard and
barely touches small ones; L1 pulls every weight towards 0 at the same rate, which can make small
weights exactly 0. Accuracy is still measured on the data alone.

THIS STEP
Writes both penalties and their gradients by hand and checks them against a squareone Dense layer:
its regularization_loss(), and the part of its dweights that backward() adds on top of the data
gradient inputs.T @ dvalues. Then trains the book's chapter-14 model: spiral_data(1000, 3),
Dense(2, 512, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4) - ReLU - Dense(512, 3) -
softmax, Adam(learning_rate=0.02, decay=5e-7), and prints training and validation accuracy: the
gap is smaller than step 12's. Changed since step 12: the penalty joins the loss (and the printed
reg_loss), and the model is wider and sees 10 times more data. 10,001 epochs of 3,000 samples
through 512 neurons take a few minutes; SQUAREONE_FAST=1 uses 100 samples per class and 500
epochs (seconds).

Math: docs/concepts/l1-l2-regularization.md
"""

# %%
import numpy as np

import squareone as sq

from _common import BOOK, FAST, draw_class_regions, pyplot, save_figure

# %%
# The book trains 10,000 epochs on 1,000 samples per class: minutes on a laptop. By default this
# step runs a shorter version that shows the same effect in seconds; SQUAREONE_BOOK=1 runs the
# book's full length (about 5 minutes).
EPOCHS = 500 if FAST else 10_000 if BOOK else 2_000
SAMPLES = 100 if FAST else 1000 if BOOK else 200


# %%
# --- New in this step: the penalties and their gradients, by hand --------------------------------
def l1_penalty(params, lam):
    return lam * np.sum(np.abs(params))


def l1_gradient(params, lam):
    # np.sign is 0 at exactly 0, where |w| has a corner; the book's code uses +1 there. Any value
    # in [-1, 1] is a valid (sub)gradient at the corner.
    return lam * np.sign(params)


def l2_penalty(params, lam):
    return lam * np.sum(params * params)


def l2_gradient(params, lam):
    return 2 * lam * params


# %%
# A small layer with all four regularizers, float64 so that only the formulas can differ.
# (seed=0: its own random numbers, so the book's stream below is untouched.)
lam = {"weight_l1": 1e-3, "weight_l2": 5e-4, "bias_l1": 2e-3, "bias_l2": 1e-3}
layer = sq.Dense(2, 4, weight_regularizer_l1=lam["weight_l1"],
                 weight_regularizer_l2=lam["weight_l2"], bias_regularizer_l1=lam["bias_l1"],
                 bias_regularizer_l2=lam["bias_l2"], seed=0, dtype="float64")
rng = np.random.default_rng(1)
layer.biases[:] = rng.standard_normal(layer.biases.shape)  # biases start at 0: make them count
inputs = rng.standard_normal((5, 2))
dvalues = rng.standard_normal((5, 4))  # stands for the gradient arriving from the next layer
layer.forward(inputs)
layer.backward(dvalues)
w, b = layer.weights, layer.biases

penalty = (l1_penalty(w, lam["weight_l1"]) + l2_penalty(w, lam["weight_l2"])
           + l1_penalty(b, lam["bias_l1"]) + l2_penalty(b, lam["bias_l2"]))
dweights = inputs.T @ dvalues + l1_gradient(w, lam["weight_l1"]) + l2_gradient(w, lam["weight_l2"])
dbiases = (dvalues.sum(axis=0, keepdims=True) + l1_gradient(b, lam["bias_l1"])
           + l2_gradient(b, lam["bias_l2"]))
print(f"penalty by hand: {penalty:.10f}")
print(f"penalty squareone: {layer.regularization_loss():.10f}")
print(f"penalty difference: {abs(penalty - layer.regularization_loss()):.3e}")
gradient_difference = max(np.abs(dweights - layer.dweights).max(),
                          np.abs(dbiases - layer.dbiases).max())
print(f"regularization gradient max difference: {gradient_difference:.3e}")

# %%
# --- The book's chapter-14 training --------------------------------------------------------------
sq.nnfs.init()
X, y = sq.datasets.spiral_data(samples=SAMPLES, classes=3)

dense1 = sq.Dense(2, 512, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4)
activation1 = sq.ReLU()
dense2 = sq.Dense(512, 3)
loss_activation = sq.SoftmaxCategoricalCrossentropy()
optimizer = sq.Adam(learning_rate=0.02, decay=5e-7)


def forward(inputs):
    dense1.forward(inputs)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    return dense2.output


for epoch in range(EPOCHS + 1):
    data_loss = loss_activation.calculate(forward(X), y)
    # New: the penalty of every layer joins the loss (dense2 has none: it adds 0).
    regularization_loss = dense1.regularization_loss() + dense2.regularization_loss()
    loss = data_loss + regularization_loss
    accuracy = float(np.mean(np.argmax(loss_activation.output, axis=1) == y))
    if epoch == 0:
        print(f"initial accuracy: {accuracy:.3f}")
    if epoch % (EPOCHS // 10) == 0:
        print(f"epoch: {epoch}, acc: {accuracy:.3f}, loss: {loss:.3f} (data_loss: "
              f"{data_loss:.3f}, reg_loss: {regularization_loss:.3f}), "
              f"lr: {optimizer.current_learning_rate:.6g}")
    loss_activation.backward(loss_activation.output, y)
    dense2.backward(loss_activation.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)  # adds 2 * lambda * w to dweights, as checked above
    optimizer.pre_update_params()
    optimizer.update_params(dense1)
    optimizer.update_params(dense2)
    optimizer.post_update_params()

X_test, y_test = sq.datasets.spiral_data(samples=100, classes=3)
test_loss = loss_activation.calculate(forward(X_test), y_test)
test_accuracy = float(np.mean(np.argmax(loss_activation.output, axis=1) == y_test))

print(f"training accuracy: {accuracy:.3f}")
print(f"validation accuracy: {test_accuracy:.3f}")
print(f"validation loss: {test_loss:.3f}")
print(f"generalization gap: {accuracy - test_accuracy:.3f}")

plt = pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 5))
    draw_class_regions(ax, forward)  # the class forward() scores highest, over the plane
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="brg", s=2)
    ax.set_title(f"L2 5e-4: train acc {accuracy:.3f}, validation acc {test_accuracy:.3f}")
    save_figure(fig, "13_regularization.png")
