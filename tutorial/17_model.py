# %% [markdown]
"""TITLE
Step 17: the Model object (book chapter 18)

THEORY
Steps 12-16 wired every network by hand: a forward line per layer, a backward line per layer in
reverse order, an optimizer update per trainable layer, and the loss, regularization and
accuracy bookkeeping around them. None of that depends on which layers there are, so it can be
written once. A model is:
  * a list of layers, in order; the forward pass calls each layer's forward(inputs, training)
    on the previous one's output, and the backward pass calls backward(dvalues) in reverse;
  * a loss (plus the L1/L2 penalties of every trainable layer), an optimizer and an accuracy;
  * finalize(): connects them once, e.g. finds the trainable layers, and uses the combined
    softmax + cross-entropy gradient (y_hat - y) / N when a Softmax meets categorical
    cross-entropy, as the book's Activation_Softmax_Loss_CategoricalCrossentropy does;
  * train(): the loop of steps 12-16, over epochs and, optionally, batches of batch_size samples
    (ceil(N / batch_size) optimizer steps per epoch), with validation data measured after each
    epoch; evaluate(): loss and accuracy without dropout; predict(): the outputs.

THIS STEP
Rebuilds step 14's network (Dense(2, 512, L2 5e-4) - ReLU - Dropout(0.1) - Dense(512, 3) -
Softmax, Adam(learning_rate=0.05, decay=5e-5)) with sq.Model as the book's chapter 18 does:
add(), set(loss, optimizer, accuracy), finalize(), train(..., validation_data=...). Then checks
the Model against the hand-written pieces of earlier steps: predict() equals calling each
layer's forward in turn, and evaluate() equals the cross-entropy and argmax accuracy computed by
hand. Then trains the same network twice for 20 epochs, in one batch and in batches of 32
samples, and counts the optimizer steps each makes. Last, writes the network the short way, as
Keras users do: Dense(512, activation="relu") states only its neurons. Inferring its input size
is not magic: a weight matrix has shape (n_inputs, n_neurons), so it cannot be drawn until
n_inputs is known; finalize() takes it from the previous layer's n_neurons and, for the first
layer, from the first data (X.shape[1]): train(), predict() and evaluate() finalize a model
that was not. Built with the same seeds, both ways end with the very same parameters.
Nothing new is computed here; the loop moved into the library. The book's setting takes several
minutes; SQUAREONE_FAST=1 uses 100 samples per class and 500 epochs (seconds).

Math: docs/concepts/backpropagation.md
Math: docs/concepts/glossary.md (batch, step, epoch)
"""

# %%
import math

import numpy as np

import squareone as sq

from _common import BOOK, FAST

# %%
# The book trains 10,000 epochs on 1,000 samples per class: minutes on a laptop. By default this
# step runs a shorter version that shows the same effect in seconds; SQUAREONE_BOOK=1 runs the
# book's full length (about 5 minutes).
EPOCHS = 500 if FAST else 10_000 if BOOK else 2_000
SAMPLES = 100 if FAST else 1000 if BOOK else 200

sq.nnfs.init()
X, y = sq.datasets.spiral_data(samples=SAMPLES, classes=3)
X_test, y_test = sq.datasets.spiral_data(samples=100, classes=3)

# %%
# --- New in this step: the Model -----------------------------------------------------------------
model = sq.Model()
model.add(sq.Dense(2, 512, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4))
model.add(sq.ReLU())
model.add(sq.Dropout(0.1))
model.add(sq.Dense(512, 3))
model.add(sq.Softmax())
model.set(loss=sq.CategoricalCrossentropy(),
          optimizer=sq.Adam(learning_rate=0.05, decay=5e-5),
          accuracy=sq.CategoricalAccuracy())
model.finalize()
print(model.summary())

print(f"initial accuracy: {model.evaluate(X, y)['accuracy']:.3f}")
history = model.train(X, y, validation_data=(X_test, y_test), epochs=EPOCHS,
                      print_every=EPOCHS // 10)

# %%
# --- The Model does what steps 12-16 wrote by hand -----------------------------------------------
probabilities = model.predict(X_test)
outputs = X_test
for layer in model.layers:  # the forward pass, one layer after the other (no dropout)
    outputs = layer.forward(outputs, training=False)
print(f"predict vs layer by layer, max difference: {np.abs(probabilities - outputs).max():.3e}")

confidences = np.clip(probabilities[np.arange(len(y_test)), y_test], 1e-7, 1 - 1e-7)
hand_loss = float(np.mean(-np.log(confidences)))
hand_accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y_test))
validation = model.evaluate(X_test, y_test)
print(f"evaluate vs by hand, loss difference: {abs(validation['loss'] - hand_loss):.3e}")
print(f"evaluate vs by hand, accuracy difference: "
      f"{abs(validation['accuracy'] - hand_accuracy):.3e}")
print("predicted classes of every 50th validation sample: "
      f"{model.output_layer_activation.predictions(probabilities[::50]).tolist()}, "
      f"true: {y_test[::50].tolist()}")

print(f"training accuracy with dropout: {history.accuracy[-1]:.3f}")
print(f"training accuracy: {model.evaluate(X, y)['accuracy']:.3f}")
print(f"validation accuracy: {validation['accuracy']:.3f}")
print(f"validation loss: {validation['loss']:.3f}")

# %%
# --- Batches: more, smaller steps per epoch ------------------------------------------------------
def build_model():
    """The same architecture, as a function so that it can be built twice."""
    new = sq.Model()
    new.add(sq.Dense(2, 512, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4))
    new.add(sq.ReLU())
    new.add(sq.Dropout(0.1))
    new.add(sq.Dense(512, 3))
    new.add(sq.Softmax())
    new.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(learning_rate=0.005),
            accuracy=sq.CategoricalAccuracy())
    new.finalize()
    return new


batch_epochs = 20
for batch_size in (None, 32):  # None: the whole training set in one batch, as above
    batched = build_model()
    batched_history = batched.train(X, y, validation_data=(X_test, y_test),
                                    epochs=batch_epochs, batch_size=batch_size, shuffle=True,
                                    seed=0, verbose=0)
    size = batch_size or len(X)
    print(f"batch size {size}: {math.ceil(len(X) / size)} steps per epoch, "
          f"{batched.optimizer.iterations} steps in {batch_epochs} epochs, "
          f"validation accuracy {batched_history.val_accuracy[-1]:.3f}")


# %%
# --- The short way: input sizes inferred -------------------------------------------------------
def build_short():
    """The same network with each activation inside its Dense layer and no input sizes."""
    short = sq.Model([sq.Dense(512, activation="relu", weight_regularizer_l2=5e-4,
                               bias_regularizer_l2=5e-4, seed=0),
                      sq.Dropout(0.1, seed=1),
                      sq.Dense(3, activation="softmax", seed=2)])
    short.set(loss="categorical_crossentropy", optimizer=sq.Adam(learning_rate=0.005),
              accuracy="categorical")
    return short


def build_book():
    """The book's way, with the same seeds and sizes."""
    book = sq.Model()
    book.add(sq.Dense(2, 512, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4, seed=0))
    book.add(sq.ReLU())
    book.add(sq.Dropout(0.1, seed=1))
    book.add(sq.Dense(512, 3, seed=2))
    book.add(sq.Softmax())
    book.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(learning_rate=0.005),
             accuracy=sq.CategoricalAccuracy())
    book.finalize()
    return book


short = build_short()
print(f"before any data: {short.layers[0]}, built: {short.layers[0].built}")
try:
    print(short.layers[0].weights)
except AttributeError as error:  # no shape yet, so no weights to draw
    print(f"its weights before any data: {str(error).split(':')[0]}")
short.train(X, y, epochs=batch_epochs, verbose=0)  # the first data: n_inputs = X.shape[1]
print(f"after train: {short.layers[0]}, weights {short.layers[0].weights.shape}")
print(short.summary())
book = build_book()
book.train(X, y, epochs=batch_epochs, verbose=0)
difference = max(np.abs(a - b).max() for pair_a, pair_b in zip(short.get_parameters(),
                                                               book.get_parameters())
                 for a, b in zip(pair_a, pair_b))
print(f"short way vs book way after {batch_epochs} epochs, max parameter difference: "
      f"{difference:.3e}")
