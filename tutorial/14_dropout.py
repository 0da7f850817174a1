# %% [markdown]
"""TITLE
Step 14: dropout (book chapter 15)

THEORY
Dropout is another cure for overfitting. During training, a dropout layer zeroes each of its
inputs z_i at random with probability q (the dropout rate, `rate`), drawing a new mask at every
forward pass. The network can then no longer rely on any single neuron, nor on neurons that only
work together ("co-adaptation"); it has to spread what it learns over many of them.

Forward, with r_i a random 0 or 1 that is 1 with probability 1 - q (a Bernoulli draw,
np.random.binomial(1, 1 - q, size) in the book):

    Dr_i = z_i * r_i / (1 - q)

The survivors are scaled up by 1 / (1 - q) so that the expected value is unchanged:
E[Dr_i] = z_i (1 - q) / (1 - q) = z_i. So at prediction time dropout is simply switched off
(the identity) and nothing needs rescaling. Backward, the mask is a constant:

    dL/dz_i = dL/dDr_i * r_i / (1 - q)      (dinputs = dvalues * binary_mask)

gradients flow only through the neurons that were kept. Because the mask is random, the accuracy
and loss measured while training are noisy and pessimistic; measure without dropout to compare.

THIS STEP
Writes the dropout forward and backward passes by hand and checks them against sq.Dropout with
the same random numbers (in book mode sq.Dropout draws np.random.binomial from the shared
stream, exactly as the book's layer does), then checks the mean is kept and that dropout is the
identity when not training. Then trains the book's chapter-15 model: spiral_data(1000, 3),
Dense(2, 512, L2 5e-4 on weights and biases) - ReLU - Dropout(0.1) - Dense(512, 3) - softmax,
Adam(learning_rate=0.05, decay=5e-5). Changed since step 13: a Dropout layer after the ReLU, whose
forward pass takes training=True while training and training=False for validation.
The book's setting takes several minutes; SQUAREONE_FAST=1 uses 100 samples per class and 500
epochs (seconds).

Math: docs/concepts/dropout.md
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
# --- New in this step: dropout, by hand ----------------------------------------------------------
def dropout_forward(inputs, rate, rng):
    """Return the output and the scaled mask r / (1 - q) (the book's binary_mask)."""
    binary_mask = rng.binomial(1, 1 - rate, size=inputs.shape) / (1 - rate)
    return inputs * binary_mask, binary_mask


def dropout_backward(dvalues, binary_mask):
    return dvalues * binary_mask


rate = 0.2
z = np.random.default_rng(1).standard_normal((1000, 100))  # inputs: 100,000 values
dvalues = np.random.default_rng(2).standard_normal(z.shape)  # gradient from the next layer

output, binary_mask = dropout_forward(z, rate, np.random.RandomState(7))
dinputs = dropout_backward(dvalues, binary_mask)

sq.nnfs.init(seed=7)  # the book's shared stream, seeded 7: the same draws as RandomState(7)
dropout = sq.Dropout(rate)
sq_output = dropout.forward(z, training=True)
sq_dinputs = dropout.backward(dvalues)
print(f"dropout forward max difference: {np.abs(output - sq_output).max():.3e}")
print(f"dropout backward max difference: {np.abs(dinputs - sq_dinputs).max():.3e}")
print(f"fraction dropped: {np.mean(output == 0):.4f} (rate {rate})")
print(f"mean of inputs: {z.mean():.4f}, mean of outputs: {output.mean():.4f}")
print(f"identity when not training: {np.array_equal(dropout.forward(z, training=False), z)}")

# %%
# --- The book's chapter-15 training --------------------------------------------------------------
sq.nnfs.init()
X, y = sq.datasets.spiral_data(samples=SAMPLES, classes=3)

dense1 = sq.Dense(2, 512, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4)
activation1 = sq.ReLU()
dropout1 = sq.Dropout(0.1)
dense2 = sq.Dense(512, 3)
loss_activation = sq.SoftmaxCategoricalCrossentropy()
optimizer = sq.Adam(learning_rate=0.05, decay=5e-5)


def forward(inputs, training=False):
    dense1.forward(inputs)
    activation1.forward(dense1.output)
    dropout1.forward(activation1.output, training=training)  # new: identity unless training
    dense2.forward(dropout1.output)
    return dense2.output


def evaluate(inputs, targets):
    """Loss and accuracy without dropout."""
    loss = loss_activation.calculate(forward(inputs, training=False), targets)
    return loss, float(np.mean(np.argmax(loss_activation.output, axis=1) == targets))


print(f"initial accuracy: {evaluate(X, y)[1]:.3f}")
for epoch in range(EPOCHS + 1):
    data_loss = loss_activation.calculate(forward(X, training=True), y)
    regularization_loss = dense1.regularization_loss() + dense2.regularization_loss()
    loss = data_loss + regularization_loss
    accuracy = float(np.mean(np.argmax(loss_activation.output, axis=1) == y))
    if epoch % (EPOCHS // 10) == 0:
        print(f"epoch: {epoch}, acc: {accuracy:.3f}, loss: {loss:.3f} (data_loss: "
              f"{data_loss:.3f}, reg_loss: {regularization_loss:.3f}), "
              f"lr: {optimizer.current_learning_rate:.6g}")
    loss_activation.backward(loss_activation.output, y)
    dense2.backward(loss_activation.dinputs)
    dropout1.backward(dense2.dinputs)  # new: only the kept neurons pass gradient back
    activation1.backward(dropout1.dinputs)
    dense1.backward(activation1.dinputs)
    optimizer.pre_update_params()
    optimizer.update_params(dense1)
    optimizer.update_params(dense2)
    optimizer.post_update_params()

X_test, y_test = sq.datasets.spiral_data(samples=100, classes=3)
train_loss, train_accuracy = evaluate(X, y)
test_loss, test_accuracy = evaluate(X_test, y_test)
print(f"training accuracy with dropout: {accuracy:.3f}")
print(f"training accuracy: {train_accuracy:.3f}")
print(f"validation accuracy: {test_accuracy:.3f}")
print(f"validation loss: {test_loss:.3f}")
print(f"generalization gap: {train_accuracy - test_accuracy:.3f}")

plt = pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 5))
    draw_class_regions(ax, forward)  # the class forward() scores highest, over the plane
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="brg", s=2)
    ax.set_title(f"dropout 0.1: train acc {train_accuracy:.3f}, validation acc "
                 f"{test_accuracy:.3f}")
    save_figure(fig, "14_dropout.png")
