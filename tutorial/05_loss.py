# %% [markdown]
"""TITLE
Step 05: the loss: categorical cross-entropy, the log, clipping; accuracy (book chapter 5)

THEORY
To improve a network we need one number that says how wrong it is: the loss. For a
classifier whose softmax outputs y-hat are class probabilities, categorical cross-entropy
compares them with the one-hot target y (1 at the true class k, 0 elsewhere):

    L_i = -sum_j y_i,j * log(y-hat_i,j) = -log(y-hat_i,k)

Only the probability given to the true class matters (the other terms are multiplied by 0).
The log (natural, base e) turns confidence into cost: -log(1) = 0 for a sure, correct
answer, and -log(p) grows without bound as p -> 0, so confident mistakes cost most.
The batch loss is the mean of L_i over samples. log(0) is -infinity, so predictions are
clipped to [1e-7, 1 - 1e-7] first: the loss stays finite (at most -log(1e-7) = 16.1) and the
clipping is symmetric, so a perfect prediction does not get a negative loss.
Accuracy, the fraction of samples whose highest probability is at the true class, is what
we report to people; it is not smooth (a small change of weights rarely changes it), so the
loss, not accuracy, is what training minimizes. This is the book's chapter 5.
Math: docs/concepts/log-and-why-the-loss-uses-it.md
Math: docs/concepts/categorical-cross-entropy.md (forward section)
Math: docs/concepts/accuracy.md

THIS STEP
The loss of one sample by hand, then a batch with class ids and with one-hot targets, the
clipping, and accuracy; each is compared with sq.CategoricalCrossentropy and
sq.CategoricalAccuracy. Then the untrained network of step 04 on spiral_data(100, 3):
loss 1.0986 (the book's 1.0986104, that is -log(1/3): every class gets 1/3) and accuracy.
"""

# %%
import math

import numpy as np

import squareone as sq

# %%
# The logarithm answers: e to what power gives b?
b = 5.2
print(f"log({b}) = {np.log(b):.7f}, and e ** {np.log(b):.7f} = {math.e ** np.log(b):.7f}")
print("-log(p) for p = 1, 0.9, 0.5, 0.1, 0.01:",
      [round(0.0 - math.log(p), 4) for p in (1, 0.9, 0.5, 0.1, 0.01)])

# %%
# One sample: the one-hot sum reduces to -log(probability of the true class).
softmax_output = [0.7, 0.1, 0.2]
target_output = [1, 0, 0]
loss = -sum(t * math.log(p) for t, p in zip(target_output, softmax_output))
print(f"one sample: loss = {loss}  (= -log(0.7) = {-math.log(0.7)})")

# %%
# A batch: with class ids, pick each row's probability at its true class.
softmax_outputs = np.array([[0.7, 0.1, 0.2],
                            [0.1, 0.5, 0.4],
                            [0.02, 0.9, 0.08]])
class_targets = np.array([0, 1, 1])
confidences = softmax_outputs[range(len(softmax_outputs)), class_targets]
print("confidences at the true class:", confidences)
print("mean loss, class ids:", np.mean(-np.log(confidences)))

# %%
# With one-hot targets the same numbers come out of the sum over classes.
one_hot = np.eye(3)[class_targets]
print("mean loss, one-hot:  ", np.mean(-np.log(np.sum(softmax_outputs * one_hot, axis=1))))
print("sq.CategoricalCrossentropy:", sq.CategoricalCrossentropy().calculate(softmax_outputs,
                                                                          class_targets))

# %%
# Clipping: a probability of 0 at the true class would make the loss infinite.
with np.errstate(divide="ignore"):
    print("-log(0) =", -np.log(0.0), " -> clip to [1e-7, 1 - 1e-7] first:",
          -np.log(np.clip(0.0, 1e-7, 1 - 1e-7)))


def categorical_cross_entropy(y_pred, y_true):
    """Mean loss; y_true holds class ids (1-D) or one-hot rows (2-D)."""
    y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
    if y_true.ndim == 1:
        correct_confidences = y_pred_clipped[range(len(y_pred)), y_true]
    else:
        correct_confidences = np.sum(y_pred_clipped * y_true, axis=1)
    return np.mean(-np.log(correct_confidences))


def accuracy(y_pred, y_true):
    """Fraction of rows whose largest probability is at the true class."""
    if y_true.ndim == 2:
        y_true = np.argmax(y_true, axis=1)
    return np.mean(np.argmax(y_pred, axis=1) == y_true)


# %%
# The book's accuracy example: the second sample's largest probability is at class 0, not 1.
softmax_outputs = np.array([[0.7, 0.2, 0.1],
                            [0.5, 0.1, 0.4],
                            [0.02, 0.9, 0.08]])
predictions = np.argmax(softmax_outputs, axis=1)
print("predicted classes:", predictions, " true classes:", class_targets)
print("accuracy of the batch:", accuracy(softmax_outputs, class_targets),
      " sq.CategoricalAccuracy:", sq.CategoricalAccuracy().calculate(predictions, class_targets))

# %%
# The untrained network of step 04, with the book's numbers.
sq.nnfs.init()
X, y = sq.datasets.spiral_data(samples=100, classes=3)
dense1 = sq.Dense(2, 3)
activation1 = sq.ReLU()
dense2 = sq.Dense(3, 3)
activation2 = sq.Softmax()
dense1.forward(X)
activation1.forward(dense1.output)
dense2.forward(activation1.output)
activation2.forward(dense2.output)

loss = categorical_cross_entropy(activation2.output, y)
sq_loss = sq.CategoricalCrossentropy().calculate(activation2.output, y)
acc = accuracy(activation2.output, y)
sq_acc = sq.CategoricalAccuracy().calculate(sq.Softmax().predictions(activation2.output), y)
print(f"untrained network, loss by hand: {loss:.7f}, sq.CategoricalCrossentropy: {sq_loss:.7f}"
      f", -log(1/3): {-math.log(1 / 3):.7f}")
print(f"loss: {loss:.4f}")
print(f"accuracy: {acc:.2f}  (sq.CategoricalAccuracy: {sq_acc:.2f}; chance is 1/3)")
assert abs(loss - sq_loss) < 1e-6 and acc == sq_acc
