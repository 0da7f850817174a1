# %% [markdown]
"""TITLE
Step 11: adaptive optimizers: AdaGrad, RMSprop, Adam (book chapter 10)

THEORY
SGD uses one learning rate for every parameter. Adaptive optimizers give each parameter its
own step size, from a cache of its past squared gradients g^2 (epsilon, e.g. 1e-7, only
prevents a division by zero):
    AdaGrad   cache <- cache + g^2
              w <- w - eta * g / (sqrt(cache) + epsilon)
      Parameters with large past gradients take smaller steps; but the cache only grows, so
      learning slows down and can stall.
    RMSprop   cache <- rho * cache + (1 - rho) * g^2
              w <- w - eta * g / (sqrt(cache) + epsilon)
      A moving average instead of a sum: the step size adapts, and never dies out.
    Adam      m <- beta_1 * m + (1 - beta_1) * g              (momentum, as in step 10)
              cache <- beta_2 * cache + (1 - beta_2) * g^2    (RMSprop's cache)
              m_hat = m / (1 - beta_1^t),  cache_hat = cache / (1 - beta_2^t)
              w <- w - eta * m_hat / (sqrt(cache_hat) + epsilon)
      m and cache start at zero, so early on they are too small; dividing by
      (1 - beta^t), t = step number from 1, corrects this bias. Adam (adaptive momentum) is
      the book's default choice.
All three keep the learning-rate decay of step 10. This is the book's chapter 10, second half.
Math: docs/concepts/adagrad.md
Math: docs/concepts/rmsprop.md
Math: docs/concepts/adam.md

THIS STEP
The training loop of step 10, unchanged; only the optimizer changes. Each optimizer's update
is written by hand and compared with sq.Adagrad, sq.RMSprop and sq.Adam over 100 steps fed the
same gradients, then
each sq optimizer trains with the book's settings, Adagrad(decay=1e-4),
RMSprop(learning_rate=0.02, decay=1e-5, rho=0.999) and Adam(learning_rate=0.05,
decay=5e-7), for 10001 epochs (1001 with SQUAREONE_FAST=1). Prints the final accuracy and
loss of each (compare with step 10's SGD with momentum) and plots them.
"""

# %%
import numpy as np

import squareone as sq

from _common import FAST, pyplot, save_figure

EPOCHS = 1001 if FAST else 10001
PRINT_EVERY = 250 if FAST else 2500


# %%
class Optimizer:
    """Learning-rate decay and step counting (as OptimizerSGD in step 10)."""

    def __init__(self, learning_rate, decay, epsilon=1e-7):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.epsilon = epsilon
        self.iterations = 0
        self.state = {}   # layer -> dict of arrays shaped like its parameters

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1 + self.decay * self.iterations)

    def update_params(self, layer):
        if layer not in self.state:
            self.state[layer] = {}
        state = self.state[layer]
        for name, param, grad in (("weights", layer.weights, layer.dweights),
                                  ("biases", layer.biases, layer.dbiases)):
            param += self.update(state, name, param, grad)

    def zeros(self, state, key, param):
        if key not in state:
            state[key] = np.zeros_like(param)
        return state[key]

    def post_update_params(self):
        self.iterations += 1


class OptimizerAdagrad(Optimizer):
    def __init__(self, learning_rate=1.0, decay=0.0, epsilon=1e-7):
        super().__init__(learning_rate, decay, epsilon)

    def update(self, state, name, param, grad):
        cache = self.zeros(state, name + "_cache", param)
        cache += grad ** 2
        return -self.current_learning_rate * grad / (np.sqrt(cache) + self.epsilon)


class OptimizerRMSprop(Optimizer):
    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9):
        super().__init__(learning_rate, decay, epsilon)
        self.rho = rho

    def update(self, state, name, param, grad):
        cache = self.zeros(state, name + "_cache", param)
        cache[...] = self.rho * cache + (1 - self.rho) * grad ** 2
        return -self.current_learning_rate * grad / (np.sqrt(cache) + self.epsilon)


class OptimizerAdam(Optimizer):
    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        super().__init__(learning_rate, decay, epsilon)
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def update(self, state, name, param, grad):
        momentums = self.zeros(state, name + "_momentums", param)
        cache = self.zeros(state, name + "_cache", param)
        momentums[...] = self.beta_1 * momentums + (1 - self.beta_1) * grad
        cache[...] = self.beta_2 * cache + (1 - self.beta_2) * grad ** 2
        t = self.iterations + 1
        momentums_corrected = momentums / (1 - self.beta_1 ** t)
        cache_corrected = cache / (1 - self.beta_2 ** t)
        return (-self.current_learning_rate * momentums_corrected
                / (np.sqrt(cache_corrected) + self.epsilon))


# %%
def train(optimizer, epochs, label=None):
    """Step 10's loop: the book's network on spiral_data, from the book's starting point."""
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    dense1 = sq.Dense(2, 64)
    activation1 = sq.ReLU()
    dense2 = sq.Dense(64, 3)
    loss_activation = sq.SoftmaxCategoricalCrossentropy()
    history = {"loss": [], "accuracy": []}
    for epoch in range(epochs):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss = loss_activation.calculate(dense2.output, y)
        accuracy = np.mean(np.argmax(loss_activation.output, axis=1) == y)
        history["loss"].append(loss)
        history["accuracy"].append(accuracy)
        if label and epoch == 0:
            print(f"[{label}] initial accuracy: {accuracy:.3f}, loss: {loss:.4f}")
        if label and epoch % PRINT_EVERY == 0:
            print(f"[{label}] epoch: {epoch}, acc: {accuracy:.3f}, loss: {loss:.3f}, "
                  f"lr: {optimizer.current_learning_rate:.5f}")
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()
    if label:
        print(f"[{label}] final accuracy: {accuracy:.3f}, loss: {loss:.4f}")
    return history, (dense1, dense2)


# %%
settings = {
    "Adagrad": (OptimizerAdagrad, sq.Adagrad, dict(decay=1e-4)),
    "RMSprop": (OptimizerRMSprop, sq.RMSprop, dict(learning_rate=0.02, decay=1e-5, rho=0.999)),
    "Adam": (OptimizerAdam, sq.Adam, dict(learning_rate=0.05, decay=5e-7)),
}

class ParameterCopy:
    """A copy of a layer's parameters that receives the layer's gradients."""

    def __init__(self, layer):
        self.weights, self.biases = layer.weights.copy(), layer.biases.copy()


def compare(by_hand, with_sq, steps=100):
    """Train with `with_sq`; apply `by_hand` to copies of the parameters, with the same
    gradients; return the largest parameter difference after `steps` steps.

    Feeding both the same gradients isolates the update rule. (Two separate training runs
    would not do: the two compute in float32 in a different order, and RMSprop's and Adam's
    first steps, about eta * sign(g), turn those last-bit differences into large ones.)
    """
    sq.nnfs.init()
    X, y = sq.datasets.spiral_data(samples=100, classes=3)
    dense1, activation1, dense2 = sq.Dense(2, 64), sq.ReLU(), sq.Dense(64, 3)
    loss_activation = sq.SoftmaxCategoricalCrossentropy()
    copies = [ParameterCopy(dense1), ParameterCopy(dense2)]
    for _ in range(steps):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss_activation.forward(dense2.output, y)
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        for optimizer, layers in ((with_sq, (dense1, dense2)), (by_hand, copies)):
            optimizer.pre_update_params()
            for layer, source in zip(layers, (dense1, dense2)):
                layer.dweights, layer.dbiases = source.dweights, source.dbiases
                optimizer.update_params(layer)
            optimizer.post_update_params()
    return max(max(np.max(np.abs(a.weights - b.weights)), np.max(np.abs(a.biases - b.biases)))
               for a, b in zip((dense1, dense2), copies))


# %%
for name, (by_hand_class, sq_class, kwargs) in settings.items():
    difference = compare(by_hand_class(**kwargs), sq_class(**kwargs))
    print(f"max |hand-written {name} - sq.{sq_class.__name__}| parameters after 100 steps "
          f"with the same gradients: {difference:.1e}")
    assert difference < 1e-5

# %%
histories = {}
for name, (_, sq_class, kwargs) in settings.items():
    optimizer = sq_class(**kwargs)
    print(f"[{name}] training with sq.{optimizer!r}")
    histories[name] = train(optimizer, EPOCHS, name)[0]


# %%
def save_plots():
    plt = pyplot()
    if plt is None:
        return
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.5))
    for label, history in histories.items():
        ax_acc.plot(history["accuracy"], label=label)
        ax_loss.plot(history["loss"], label=label)
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy on spiral_data(100, 3)")
    ax_loss.set(xlabel="epoch", ylabel="loss", yscale="log", title="Loss")
    ax_acc.legend()
    fig.tight_layout()
    save_figure(fig, "11_adaptive_optimizers.png")


save_plots()
