# %% [markdown]
"""TITLE
Step 19: model evaluation: accuracy, loss, confusion matrix, precision, recall, F1 (book ch. 20)

THEORY
After training, the model is measured once on data it has never seen (here the 10,000 test
images): the mean loss and the accuracy, with dropout off and no updates. One accuracy number
hides *which* mistakes are made. The confusion matrix C counts them: C[i, j] is the number of
samples of true class i predicted as class j, so the diagonal holds the hits, row i sums to the
n_i samples of class i, and column j to the samples predicted as j. For class k, with
tp = C[k, k], fp = the rest of column k (others predicted as k) and fn = the rest of row k
(class k predicted as another):

    precision = tp / (tp + fp)    of the samples predicted as k, the fraction that are k
    recall    = tp / (tp + fn)    of the samples of class k, the fraction found
    F1        = 2 * precision * recall / (precision + recall) = 2 tp / (2 tp + fp + fn)

and accuracy = trace(C) / sum(C). A class with a low recall is often missed; one with a low
precision attracts other classes' samples. The macro average weighs every class the same; the
weighted average weighs each by its number of samples (its "support").

THIS STEP
Trains step 18's model again (same data preparation, same settings), evaluates it on the test
set with model.evaluate() and checks the loss and accuracy by hand from model.predict(). Then
builds the confusion matrix and per-class precision, recall and F1 by hand in NumPy, compares
them with squareone.metrics (confusion_matrix, precision_recall_f1), prints the matrix and
classification_report(), and names the classes the model confuses most. Changed since step 18:
nothing in the model; what is new is how closely we look at its predictions.
SQUAREONE_FAST=1 trains 2 epochs on 6,000 training and 1,000 test images.

Math: docs/concepts/accuracy.md
"""

# %%
import numpy as np

import squareone as sq

from _common import argument_parser, prepared_fashion_mnist, trained_fashion_mnist_model

args = argument_parser(__doc__).parse_args()

# %%
# --- Step 18's data and model --------------------------------------------------------------------
(X, y), (X_test, y_test) = prepared_fashion_mnist(args.data_dir)
classes = sq.datasets.FASHION_MNIST_CLASSES
model = trained_fashion_mnist_model(X, y)

# %%
# --- Loss and accuracy on the test set -----------------------------------------------------------
evaluation = model.evaluate(X_test, y_test)
probabilities = model.predict(X_test)
predicted = np.argmax(probabilities, axis=1)
hand_loss = np.mean(-np.log(np.clip(probabilities[np.arange(len(y_test)), y_test], 1e-7,
                                    1 - 1e-7)))
hand_accuracy = np.mean(predicted == y_test)
print(f"test loss: {evaluation['loss']:.4f} (by hand {hand_loss:.4f})")
print(f"test accuracy: {evaluation['accuracy']:.4f} (by hand {hand_accuracy:.4f})")

# %%
# --- New in this step: the confusion matrix and per-class scores, by hand ------------------------
n_classes = len(classes)
matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
np.add.at(matrix, (y_test, predicted), 1)  # one count per (true, predicted) pair

tp = np.diag(matrix)
fp = matrix.sum(axis=0) - tp  # column k without the diagonal
fn = matrix.sum(axis=1) - tp  # row k without the diagonal
with np.errstate(divide="ignore", invalid="ignore"):  # a class never predicted: 0 / 0
    precision = np.nan_to_num(tp / (tp + fp))
    recall = np.nan_to_num(tp / (tp + fn))
    f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
print(f"accuracy from the matrix: {np.trace(matrix) / matrix.sum():.4f}")

width = max(len(name) for name in classes)
print("confusion matrix (rows: true class, columns: predicted class)")
print(" " * (width + 3) + "".join(f"{index:>6}" for index in range(n_classes)))
for index, name in enumerate(classes):
    print(f"{name:>{width}} {index:>2}" + "".join(f"{count:>6}" for count in matrix[index]))

off_diagonal = matrix - np.diag(tp)
true_class, predicted_class = np.unravel_index(np.argmax(off_diagonal), matrix.shape)
print(f"most confused: {classes[true_class]} predicted as {classes[predicted_class]}, "
      f"{off_diagonal[true_class, predicted_class]} times")
print(f"lowest recall: {classes[np.argmin(recall)]} ({recall.min():.3f})")
print(f"lowest precision: {classes[np.argmin(precision)]} ({precision.min():.3f})")

# %%
# --- The same with squareone.metrics -------------------------------------------------------------
sq_matrix = sq.metrics.confusion_matrix(y_test, predicted, n_classes)
sq_precision, sq_recall, sq_f1, support = sq.metrics.precision_recall_f1(y_test, predicted,
                                                                          n_classes)
print(f"confusion matrix equal to squareone's: {np.array_equal(matrix, sq_matrix)}")
score_difference = max(np.abs(precision - sq_precision).max(), np.abs(recall - sq_recall).max(),
                       np.abs(f1 - sq_f1).max())
print(f"precision/recall/F1 max difference: {score_difference:.3e}")
print(f"support equal to row sums: {np.array_equal(support, matrix.sum(axis=1))}")
print(sq.metrics.classification_report(y_test, predicted, classes, digits=3))
print(f"macro F1: {f1.mean():.4f}")
