# %% [markdown]
"""TITLE
Step 10: training with SGD, learning-rate decay and momentum (book chapter 10)

THEORY
Backpropagation (steps 08-09) gives the gradient of the loss with respect to every
parameter: the direction in which the loss grows fastest. Gradient descent steps the other
way, with a step size eta, the learning rate:
    w <- w - eta * dL/dw              (the same for the biases)
One forward pass, backward pass and update is a step; here every step sees the whole
dataset, so a step is also an epoch. (Stochastic gradient descent, SGD, is the same update
applied to a random batch of samples; the book keeps the name for all of them.)
A large eta makes fast progress but jumps around or over a minimum; a small one is slow and
gets stuck. Learning-rate decay starts large and shrinks it as training goes on:
    eta_t = eta_0 / (1 + decay * t)         t = number of steps done so far
Momentum keeps a running update v per parameter, which gathers speed along a consistent
direction and rolls through small bumps (local minima) of the loss:
    v <- momentum * v - eta_t * dL/dw,      w <- w + v
This is the book's chapter 10 ("Optimizers"), first half.
Math: docs/concepts/sgd-learning-rate-decay-momentum.md

THIS STEP
The training loop for Dense(2, 64) -> ReLU -> Dense(64, 3) -> softmax + cross-entropy on
spiral_data(100, 3), built from squareone's layers, activation and combined loss. The
optimizer is written by hand first (with the book's pre_update_params / update_params /
post_update_params protocol) and shown to produce the same parameters as sq.SGD. Then three
runs with sq.SGD: plain SGD, with decay, with decay and momentum (the book's
SGD(decay=1e-3, momentum=0.9), accuracy about 0.95 after 10001 epochs). Plots the decay
curve and the three runs. SQUAREONE_FAST=1 trains 1001 epochs instead of 10001.
"""

# %%
import numpy as np

import squareone as sq

from _common import FAST, pyplot, save_figure

EPOCHS = 1001 if FAST else 10001
PRINT_EVERY = 250 if FAST else 2500


# %%
class OptimizerSGD:
    """SGD with learning-rate decay and momentum, written out (the book's Optimizer_SGD)."""

    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.momentum = momentum
        self.momentums = {}   # layer -> [weight momentums, bias momentums]

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1 + self.decay * self.iterations)

    def update_params(self, layer):
        if self.momentum:
            if layer not in self.momentums:
                self.momentums[layer] = [np.zeros_like(layer.weights),
                                         np.zeros_like(layer.biases)]
            weight_momentums, bias_momentums = self.momentums[layer]
            weight_updates = (self.momentum * weight_momentums
                              - self.current_learning_rate * layer.dweights)
            bias_updates = (self.momentum * bias_momentums
                            - self.current_learning_rate * layer.dbiases)
            self.momentums[layer] = [weight_updates, bias_updates]
        else:
            weight_updates = -self.current_learning_rate * layer.dweights
            bias_updates = -self.current_learning_rate * layer.dbiases
        layer.weights += weight_updates
        layer.biases += bias_updates

    def post_update_params(self):
        self.iterations += 1


# %%
def train(optimizer, epochs, label=None):
    """Train the book's network on spiral_data from the book's starting point."""
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    dense1 = sq.Dense(2, 64)
    activation1 = sq.ReLU()
    dense2 = sq.Dense(64, 3)
    loss_activation = sq.SoftmaxCategoricalCrossentropy()
    history = {"loss": [], "accuracy": [], "learning_rate": []}
    for epoch in range(epochs):
        # Forward pass; calculate() applies softmax and returns the mean loss.
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss = loss_activation.calculate(dense2.output, y)
        accuracy = np.mean(np.argmax(loss_activation.output, axis=1) == y)
        history["loss"].append(loss)
        history["accuracy"].append(accuracy)
        history["learning_rate"].append(optimizer.current_learning_rate)
        if label and epoch == 0:
            print(f"[{label}] initial accuracy: {accuracy:.3f}, loss: {loss:.4f}")
        if label and epoch % PRINT_EVERY == 0:
            print(f"[{label}] epoch: {epoch}, acc: {accuracy:.3f}, loss: {loss:.3f}, "
                  f"lr: {optimizer.current_learning_rate:.5f}")
        # Backward pass.
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        # Update.
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()
    if label:
        print(f"[{label}] final accuracy: {accuracy:.3f}, loss: {loss:.4f}")
    return history, (dense1, dense2)


# %%
# The hand-written optimizer and sq.SGD, from the same start for 100 steps.
_, by_hand = train(OptimizerSGD(learning_rate=1.0, decay=1e-3, momentum=0.9), 100)
_, with_sq = train(sq.SGD(learning_rate=1.0, decay=1e-3, momentum=0.9), 100)
difference = max(np.max(np.abs(a.weights - b.weights)) + np.max(np.abs(a.biases - b.biases))
                 for a, b in zip(by_hand, with_sq))
print(f"max |hand-written SGD - sq.SGD| parameters after 100 steps: {difference:.1e}")
assert difference < 1e-6

# %%
runs = {
    "SGD": sq.SGD(),                                         # learning_rate=1.0
    "SGD decay=1e-3": sq.SGD(decay=1e-3),
    "SGD decay=1e-3 momentum=0.9": sq.SGD(decay=1e-3, momentum=0.9),
}
histories = {label: train(optimizer, EPOCHS, label)[0] for label, optimizer in runs.items()}


# %%
def save_plots():
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_lr, ax_acc, ax_loss) = plt.subplots(1, 3, figsize=(15, 4.5))
    steps = np.arange(10001)
    for decay in (1e-2, 1e-3, 1e-4):
        ax_lr.plot(steps, 1.0 / (1 + decay * steps), label=f"decay={decay:g}")
    ax_lr.plot(histories["SGD decay=1e-3"]["learning_rate"], "k:", label="sq.SGD(decay=1e-3)")
    ax_lr.set(xlabel="step t", ylabel="learning rate", yscale="log",
              title="Decay: eta_t = eta_0 / (1 + decay * t), eta_0 = 1")
    ax_lr.legend()
    for label, history in histories.items():
        ax_acc.plot(history["accuracy"], label=label)
        ax_loss.plot(history["loss"], label=label)
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy on spiral_data(100, 3)")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax_acc.legend()
    fig.tight_layout()
    save_figure(fig, "10_sgd.png")


save_plots()
