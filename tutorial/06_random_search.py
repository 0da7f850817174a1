# %% [markdown]
"""TITLE
Step 06: optimization by random search, and why it is not enough (book chapter 6)

THEORY
Training means finding weights and biases that make the loss small. The loss is a function
of every parameter at once (here 2*3 + 3 + 3*3 + 3 = 21 numbers), a surface over a
21-dimensional space: the loss landscape. The simplest search tries random parameters and
keeps the best:
  1. replace all parameters by new random ones (0.05 * randn) and keep them if the loss
     went down: almost never finds anything, the space is too big;
  2. add a small random change (0.05 * randn) to the current best parameters; keep it if the
     loss went down, else go back to the best. This walks downhill blindly.
Strategy 2 solves vertical_data (three clusters side by side, separable by vertical lines)
but stalls on spiral_data: with no idea which direction is downhill, most random steps make
things worse, and it gets stuck where every small random step does. What is missing is the
direction in which each parameter should move: the gradient (steps 07-09). This is the
book's chapter 6 ("Introducing Optimization").
Math: docs/concepts/categorical-cross-entropy.md (the loss being minimized)
Math: docs/concepts/glossary.md (gradient)

THIS STEP
The network of step 05 (sq.Dense, sq.ReLU, sq.Softmax, sq.CategoricalCrossentropy) with the
two search strategies written out by hand: replacing the weights on vertical_data, adjusting
them on vertical_data (works: accuracy ~0.9) and on spiral_data (fails: accuracy stays low).
Prints the initial and best loss/accuracy of each search, and plots the best loss over the
iterations and a 2-D slice of the loss landscape. SQUAREONE_FAST=1 runs 1/10 of the
iterations.
"""

# %%
import numpy as np

import squareone as sq

from _common import FAST, pyplot, save_figure

ITERATIONS = 1_000 if FAST else 10_000

loss_function = sq.CategoricalCrossentropy()


# %%
class Network:
    """Step 05's network: Dense(2, 3) -> ReLU -> Dense(3, 3) -> Softmax."""

    def __init__(self):
        self.dense1 = sq.Dense(2, 3)
        self.activation1 = sq.ReLU()
        self.dense2 = sq.Dense(3, 3)
        self.activation2 = sq.Softmax()
        self.dense_layers = [self.dense1, self.dense2]

    def loss_and_accuracy(self, X, y):
        self.dense1.forward(X)
        self.activation1.forward(self.dense1.output)
        self.dense2.forward(self.activation1.output)
        self.activation2.forward(self.dense2.output)
        loss = loss_function.calculate(self.activation2.output, y)
        accuracy = np.mean(np.argmax(self.activation2.output, axis=1) == y)
        return loss, accuracy

    def get(self):
        return [(layer.weights.copy(), layer.biases.copy()) for layer in self.dense_layers]

    def set(self, parameters):
        for layer, (weights, biases) in zip(self.dense_layers, parameters):
            layer.weights[...] = weights
            layer.biases[...] = biases


# %%
def random_search(dataset, strategy, rng):
    """Search the 21 parameters at random; return the trained network and the loss history."""
    sq.nnfs.init()  # the book's data and starting weights
    X, y = dataset(samples=100, classes=3)
    network = Network()
    best_loss, best_accuracy = network.loss_and_accuracy(X, y)
    print(f"[{dataset.__name__}, {strategy}] initial accuracy: {best_accuracy:.3f}, "
          f"loss: {best_loss:.4f}")
    best = network.get()
    history = [best_loss]
    improvements = 0
    for iteration in range(ITERATIONS):
        for layer in network.dense_layers:
            for param in (layer.weights, layer.biases):
                change = 0.05 * rng.standard_normal(param.shape)
                if strategy == "replace":
                    param[...] = change   # brand-new random values
                else:
                    param += change       # a small step from the best so far
        loss, accuracy = network.loss_and_accuracy(X, y)
        if loss < best_loss:
            best, best_loss, best_accuracy = network.get(), loss, accuracy
            improvements += 1
            last_improvement = iteration
        else:
            network.set(best)  # back to the best parameters found so far
        history.append(best_loss)
    print(f"[{dataset.__name__}, {strategy}] {improvements} improvements in {ITERATIONS} "
          f"iterations, the last at iteration {last_improvement}")
    print(f"[{dataset.__name__}, {strategy}] final accuracy: {best_accuracy:.3f}, "
          f"loss: {best_loss:.4f}")
    return network, X, y, history


# %%
rng = np.random.default_rng(0)  # the search's own random numbers
histories = {}
for dataset, strategy in [(sq.datasets.vertical_data, "replace"),
                          (sq.datasets.vertical_data, "adjust"),
                          (sq.datasets.spiral_data, "adjust")]:
    network, X, y, history = random_search(dataset, strategy, rng)
    histories[f"{dataset.__name__}, {strategy}"] = history
    if dataset is sq.datasets.vertical_data and strategy == "adjust":
        vertical_network, vertical_X, vertical_y = network, X, y


# %%
def loss_landscape(network, X, y, steps=31, radius=2.0):
    """Loss when two weights of dense2 move around their best values, the rest held fixed."""
    best = network.get()
    w1, w2 = best[1][0][0, 0], best[1][0][1, 1]
    offsets = np.linspace(-radius, radius, steps)
    losses = np.empty((steps, steps))
    for i, a in enumerate(offsets):
        for j, b in enumerate(offsets):
            network.dense2.weights[0, 0] = w1 + a
            network.dense2.weights[1, 1] = w2 + b
            losses[j, i] = network.loss_and_accuracy(X, y)[0]
    network.set(best)
    return w1 + offsets, w2 + offsets, losses, (w1, w2)


# %%
def save_plots():
    plt = pyplot()
    if plt is None:
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    for label, history in histories.items():
        left.plot(history, label=label)
    left.set(xlabel="iteration", ylabel="best loss so far", title="Random search")
    left.legend()
    xs, ys, losses, (w1, w2) = loss_landscape(vertical_network, vertical_X, vertical_y)
    contour = right.contourf(xs, ys, losses, levels=30, cmap="viridis")
    right.plot([w1], [w2], "r*", markersize=12, label="best found")
    right.set(xlabel="dense2.weights[0, 0]", ylabel="dense2.weights[1, 1]",
              title="A 2-D slice of the loss landscape (vertical_data)")
    right.legend()
    fig.colorbar(contour, ax=right, label="loss")
    fig.tight_layout()
    save_figure(fig, "06_random_search.png")


save_plots()
