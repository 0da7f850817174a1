# %% [markdown]
"""TITLE
Step 18: a real dataset: Fashion-MNIST, preparation, shuffling and batches (book chapter 19)

THEORY
Fashion-MNIST is 70,000 grayscale 28x28 pictures of clothing in 10 classes (T-shirt/top,
trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot): 60,000 for training and
10,000 for testing, 6,000 and 1,000 per class. Each pixel is a uint8 from 0 (background) to 255.

Preparation, as in the book:
  * flatten: a Dense layer takes a vector per sample, so each 28x28 image becomes a row of
    784 features (the network then ignores that neighbouring pixels are related);
  * scale: x' = (x - 127.5) / 127.5 maps 0..255 to -1..1. Networks train best on small values
    centred on 0; the same scaling must be applied to every input later, at inference too.
  * shuffle: samples and labels are permuted together. If the data is ordered by class (as the
    book's folders of PNGs are), each batch holds a single class and every step drags the model
    towards that class; shuffled batches are a fair sample of the whole set.
  * batches: 60,000 images are too many for one step, and one step per epoch is too few. The
    data is cut into batches of B samples; each batch gives one forward pass, one backward
    pass and one optimizer update (a step), so an epoch is ceil(N / B) steps. Each step's
    gradient is a noisy estimate of the full data's gradient: cheap, and good enough.
The test images serve as validation data here, as in the book.

THIS STEP
Loads Fashion-MNIST with sq.datasets.load_fashion_mnist() (from --data-dir, else from
$SQUAREONE_DATA/fashion-mnist, else ~/.cache/squareone), shows what it holds, prepares it by hand
(flatten, scale, shuffle) and checks the scaling against squareone's prepare_images, slices the
first batches by hand, then trains the book's model: Dense(784, 128) - ReLU - Dense(128, 128) -
ReLU - Dense(128, 10) - Softmax, categorical cross-entropy, Adam(decay=1e-3), batch_size=128,
10 epochs (about 0.87 validation accuracy, as in the book). Changed since step 17: real data,
784 inputs and 10 classes, and batches. Sample test images with their predictions are plotted.
SQUAREONE_FAST=1 trains 2 epochs on 6,000 training and 1,000 test images.

Math: docs/concepts/glossary.md (batch, step, epoch)
"""

# %%
import math

import numpy as np

import squareone as sq

from _common import FAST, argument_parser, fashion_mnist_model, pyplot, save_figure

EPOCHS = 2 if FAST else 10
BATCH_SIZE = 128

args = argument_parser(__doc__).parse_args()

# %%
# --- The data ------------------------------------------------------------------------------------
(X, y), (X_test, y_test) = sq.datasets.load_fashion_mnist(args.data_dir)
classes = sq.datasets.FASHION_MNIST_CLASSES
print(f"training images: {X.shape} {X.dtype}, labels: {y.shape} {y.dtype}")
print(f"test images: {X_test.shape}, labels: {y_test.shape}")
print(f"pixel values: {X.min()} to {X.max()}")
print(f"images per class in training: {np.bincount(y).tolist()}")
print(f"first labels: {[classes[label] for label in y[:5]]}")

# %%
# --- New in this step: preparation by hand -------------------------------------------------------
X_flat = X.reshape(X.shape[0], -1)  # (60000, 28, 28) -> (60000, 784)
X_scaled = (X_flat.astype(np.float32) - 127.5) / 127.5  # 0..255 -> -1..1
X_test_scaled = (X_test.reshape(X_test.shape[0], -1).astype(np.float32) - 127.5) / 127.5
print(f"prepared: {X_scaled.shape}, {X_scaled.min():.1f} to {X_scaled.max():.1f}")
difference = np.abs(X_scaled - sq.datasets.prepare_images(X)).max()
print(f"prepare_images max difference: {difference:.3e}")

keys = np.random.default_rng(0).permutation(len(X_scaled))  # one permutation for both
X_train, y_train = X_scaled[keys], y[keys]
print(f"first labels after shuffling: {[classes[label] for label in y_train[:5]]}")
# sq.datasets.shuffle(X, y, seed=0) does the same: one permutation applied to both.

if FAST:  # a subset, so that the tests run in seconds
    X_train, y_train = X_train[:6000], y_train[:6000]
    X_test_scaled, y_test = X_test_scaled[:1000], y_test[:1000]

steps = math.ceil(len(X_train) / BATCH_SIZE)
print(f"batch size {BATCH_SIZE}: {steps} steps per epoch, the last batch holds "
      f"{len(X_train) - (steps - 1) * BATCH_SIZE} samples")
for step in range(2):  # what Model.train does with batch_size: slice batch after batch
    batch_X = X_train[step * BATCH_SIZE:(step + 1) * BATCH_SIZE]
    batch_y = y_train[step * BATCH_SIZE:(step + 1) * BATCH_SIZE]
    print(f"step {step}: batch {batch_X.shape}, classes in it: {len(np.unique(batch_y))}")

# %%
# --- The book's chapter-19 model -----------------------------------------------------------------
sq.nnfs.init()
# Dense(784, 128) - ReLU - Dense(128, 128) - ReLU - Dense(128, 10) - Softmax, categorical
# cross-entropy, Adam(decay=1e-3): step 17's Model, sized for this data (steps 19-21 reuse it).
model = fashion_mnist_model()

print(f"initial accuracy: {model.evaluate(X_train, y_train)['accuracy']:.3f}")
history = model.train(X_train, y_train, validation_data=(X_test_scaled, y_test), epochs=EPOCHS,
                      batch_size=BATCH_SIZE)
print(f"steps taken: {model.optimizer.iterations}")
print(f"training accuracy: {history.accuracy[-1]:.3f}")
print(f"validation accuracy: {history.val_accuracy[-1]:.3f}")
print(f"validation loss: {history.val_loss[-1]:.3f}")

# %%
# --- Plot: some test images with the model's predictions -----------------------------------------
plt = pyplot()
if plt is not None:
    probabilities = model.predict(X_test_scaled[:10])
    predicted = np.argmax(probabilities, axis=1)
    fig, axes = plt.subplots(2, 5, figsize=(10, 4.8))
    for index, ax in enumerate(axes.ravel()):
        ax.imshow(X_test[index], cmap="gray")
        right = predicted[index] == y_test[index]
        ax.set_title(f"{classes[predicted[index]]}\n(true: {classes[y_test[index]]})",
                     fontsize=8, color="black" if right else "red")
        ax.axis("off")
    fig.tight_layout()
    save_figure(fig, "18_fashion_mnist.png")
