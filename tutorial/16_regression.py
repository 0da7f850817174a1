# %% [markdown]
"""TITLE
Step 16: regression: linear output, mean squared and mean absolute error (book chapter 17)

THEORY
Regression predicts numbers instead of classes: here y = sin(2 pi x). The output layer gets a
linear activation (the identity, derivative 1), so it can output any real number. The loss
compares values, averaged over the J outputs of sample i:

    MSE: L_i = 1/J * sum_j (y_ij - y_hat_ij)^2    dL_i/dy_hat_ij = -2/J * (y_ij - y_hat_ij)
    MAE: L_i = 1/J * sum_j |y_ij - y_hat_ij|      dL_i/dy_hat_ij =  1/J * sign(y_hat_ij - y_ij)

(and, as always, the gradient of the batch's mean loss has a further 1/N). MSE punishes large
errors quadratically; MAE punishes all errors linearly and is less swayed by outliers. The book
prints the MAE derivative as sign(y - y_hat): the chain rule's -1 from the inner y - y_hat is
missing, so that "gradient" points uphill. A numerical derivative settles it: nudge each y_hat
by +-h and measure how the loss changes, (L(y_hat + h) - L(y_hat - h)) / 2h.

Accuracy needs a new meaning for numbers that are never exactly equal: a prediction counts as
correct when |y_hat - y| < precision, with the book's precision = std(y) / 250.

THIS STEP
Writes the linear activation, MSE and MAE (forward and backward) and the regression accuracy by
hand and checks them against sq.Linear, sq.MeanSquaredError, sq.MeanAbsoluteError and
sq.RegressionAccuracy; compares the numerical MAE derivative with squareone's (they agree) and
with the book's sign (it is the negative). Then trains the book's final chapter-17 model on
sine_data(): Dense(1, 64) - ReLU - Dense(64, 64) - ReLU - Dense(64, 1) - Linear, all three with
weights initialised as 0.1 * randn (weight_init=0.1) instead of 0.01 * randn, MSE,
Adam(learning_rate=0.005, decay=1e-3); and tests it on new x values half-way between the
training ones. Changed since step 15: a linear output, a regression loss, and a third layer.
The fit is plotted. SQUAREONE_FAST=1 trains for a tenth of the epochs.

Math: docs/concepts/mse-and-mae.md
"""

# %%
import numpy as np

import squareone as sq

from _common import FAST, pyplot, save_figure

EPOCHS = 10_000 // 10 if FAST else 10_000


# %%
# --- New in this step: linear output, MSE, MAE and regression accuracy, by hand ------------------
def linear_forward(z):
    return z  # the identity; backward passes dvalues through unchanged (derivative 1)


def mse_forward(y_pred, y_true):
    return np.mean((y_true - y_pred) ** 2, axis=-1)


def mse_backward(y_pred, y_true):
    samples, outputs = y_pred.shape
    return -2 * (y_true - y_pred) / outputs / samples


def mae_forward(y_pred, y_true):
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def mae_backward(y_pred, y_true):
    samples, outputs = y_pred.shape
    return np.sign(y_pred - y_true) / outputs / samples


def mae_backward_as_printed_in_the_book(y_pred, y_true):
    samples, outputs = y_pred.shape
    return np.sign(y_true - y_pred) / outputs / samples


def numerical_gradient(loss, y_pred, y_true, h=1e-6):
    """Central differences of the batch's mean loss, one y_hat at a time."""
    gradient = np.zeros_like(y_pred)
    for index in np.ndindex(y_pred.shape):
        nudged = y_pred.copy()
        nudged[index] += h
        plus = np.mean(loss(nudged, y_true))
        nudged[index] -= 2 * h
        minus = np.mean(loss(nudged, y_true))
        gradient[index] = (plus - minus) / (2 * h)
    return gradient


rng = np.random.default_rng(0)
y_pred = linear_forward(rng.standard_normal((8, 2)))  # float64: 8 samples, 2 outputs
y_true = rng.standard_normal((8, 2))
mse, mae = sq.MeanSquaredError(), sq.MeanAbsoluteError()

print(f"linear is the identity: {np.array_equal(sq.Linear().forward(y_pred), y_pred)}")
print(f"MSE loss difference: "
      f"{abs(mse_forward(y_pred, y_true).mean() - mse.calculate(y_pred, y_true)):.3e}")
print(f"MSE gradient max difference: "
      f"{np.abs(mse_backward(y_pred, y_true) - mse.backward(y_pred, y_true)).max():.3e}")
print(f"MAE loss difference: "
      f"{abs(mae_forward(y_pred, y_true).mean() - mae.calculate(y_pred, y_true)):.3e}")
numeric = numerical_gradient(mae_forward, y_pred, y_true)
print(f"MAE gradient, numeric vs by hand: "
      f"{np.abs(numeric - mae_backward(y_pred, y_true)).max():.3e}")
print(f"MAE gradient, numeric vs squareone: "
      f"{np.abs(numeric - mae.backward(y_pred, y_true)).max():.3e}")
print(f"MAE gradient, numeric vs the book's sign(y - y_hat): "
      f"{np.abs(numeric - mae_backward_as_printed_in_the_book(y_pred, y_true)).max():.3e}")
precision = np.std(y_true) / 250
regression_accuracy = sq.RegressionAccuracy()
regression_accuracy.init(y_true)
print(f"precision by hand: {precision:.6f}, squareone: {regression_accuracy.precision:.6f}")

# %%
# --- The book's chapter-17 training --------------------------------------------------------------
sq.nnfs.init()
X, y = sq.datasets.sine_data()

dense1 = sq.Dense(1, 64, weight_init=0.1)
activation1 = sq.ReLU()
dense2 = sq.Dense(64, 64, weight_init=0.1)
activation2 = sq.ReLU()
dense3 = sq.Dense(64, 1, weight_init=0.1)
activation3 = sq.Linear()
loss_function = sq.MeanSquaredError()
optimizer = sq.Adam(learning_rate=0.005, decay=1e-3)
accuracy = sq.RegressionAccuracy()
accuracy.init(y)  # precision = std(y) / 250, from the training targets


def forward(inputs):
    dense1.forward(inputs)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    activation2.forward(dense2.output)
    dense3.forward(activation2.output)
    return activation3.forward(dense3.output)


for epoch in range(EPOCHS + 1):
    loss = loss_function.calculate(forward(X), y)
    train_accuracy = accuracy.calculate(activation3.output, y)
    if epoch == 0:
        print(f"initial accuracy: {train_accuracy:.3f}")
        print(f"initial loss: {loss:.3e}")
    if epoch % (EPOCHS // 10) == 0:
        print(f"epoch: {epoch}, acc: {train_accuracy:.3f}, loss: {loss:.3e}, "
              f"lr: {optimizer.current_learning_rate:.6g}")
    loss_function.backward(activation3.output, y)
    activation3.backward(loss_function.dinputs)
    dense3.backward(activation3.dinputs)
    activation2.backward(dense3.dinputs)
    dense2.backward(activation2.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)
    optimizer.pre_update_params()
    optimizer.update_params(dense1)
    optimizer.update_params(dense2)
    optimizer.update_params(dense3)
    optimizer.post_update_params()

# %%
# sine_data() is the same 1000 evenly spaced points every time, so the book's "test" data equals
# the training data. New x values half-way between the training ones are truly unseen.
X_test = (np.arange(1000, dtype=np.float32).reshape(-1, 1) + 0.5) / 1000
y_test = np.sin(2 * np.pi * X_test)
test_loss = loss_function.calculate(forward(X_test), y_test)
test_accuracy = accuracy.calculate(activation3.output, y_test)

print(f"training accuracy: {train_accuracy:.3f}")
print(f"training loss: {loss:.3e}")
print(f"validation accuracy: {test_accuracy:.3f}")
print(f"validation loss: {test_loss:.3e}")

plt = pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(X, y, label="sin(2 pi x)", linewidth=3, alpha=0.4)
    ax.plot(X_test, forward(X_test), label="network", linewidth=1)
    ax.set_title(f"regression: validation MSE {test_loss:.2e}")
    ax.legend()
    save_figure(fig, "16_regression.png")
