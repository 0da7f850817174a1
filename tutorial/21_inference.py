# %% [markdown]
"""TITLE
Step 21: prediction on a new image: inference (book chapter 22)

THEORY
Inference is using a trained model on new data: a forward pass with dropout off, no loss, no
gradients and no updates. The new data must be turned into exactly what the model was trained
on. A Fashion-MNIST model expects 784 values in [-1, 1] made from a 28x28 grayscale image of a
light garment on a black background (0 = background, 255 = full ink). A photo is large, in
colour and usually dark-on-light, so it is
  * converted to grayscale (one value per pixel),
  * resized to 28x28 (the aspect ratio is not kept, as in the book),
  * inverted (x -> 255 - x) when its background is light,
  * then flattened and scaled with (x - 127.5) / 127.5, as the training images were.
The softmax output is one probability per class; the prediction is the class with the highest,
argmax_j y_hat_j, and that probability is the model's confidence. A confident answer is not
necessarily a right one: images unlike the training data (another angle, a cluttered
background, a garment that is not centred) can be confidently misclassified.

THIS STEP
Loads the model step 20 saved (tutorial/out/fashion_mnist.squareone, or --model), or trains one
if there is none. For lack of the book's photos of a T-shirt and trousers, makes stand-ins: two
Fashion-MNIST test images (a pair of trousers and a T-shirt) enlarged to 280x280, inverted to a
dark garment on a light background and coloured, written as PNG files to tutorial/out/. (Pass
--image PATH to classify your own photo instead.) Each file is read with
sq.datasets.load_image (grayscale, 28x28, inverted because its border is light), prepared as in
training, and predicted: the class name and confidence are printed. Changed since step 20: no
training and no labels, only model.predict on data from outside the dataset.
SQUAREONE_FAST=1 trains (if needed) 2 epochs on 6,000 images.

Math: docs/concepts/accuracy.md (the predicted class)
"""

# %%
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

import squareone as sq

from _common import (
    OUT,
    argument_parser,
    prepared_fashion_mnist,
    pyplot,
    save_figure,
    trained_fashion_mnist_model,
)

classes = sq.datasets.FASHION_MNIST_CLASSES

parser = argument_parser(__doc__)
parser.add_argument("--model", type=Path, default=OUT / "fashion_mnist.squareone",
                    help="a model saved by step 20 (default: %(default)s)")
parser.add_argument("--image", type=Path, action="append",
                    help="an image file to classify (may be repeated); default: stand-ins "
                    "drawn from the test set")
args = parser.parse_args()


# %%
# --- The model: step 20's, or a new one ----------------------------------------------------------
raw = None  # the Fashion-MNIST files, read only if needed
if args.model.is_file():
    model = sq.Model.load(args.model)
    print(f"model: loaded from {args.model}")
else:
    print(f"model: {args.model} not found (run step 20 to save one); training a new one")
    raw = sq.datasets.load_fashion_mnist(args.data_dir)
    (X, y), _ = prepared_fashion_mnist(raw=raw)
    model = trained_fashion_mnist_model(X, y)  # as step 20 did


# %%
# --- Stand-ins for the book's photos -------------------------------------------------------------
def draw_photo(image, path):
    """Draw a 28x28 Fashion-MNIST image as a photo shows a garment: big, dark on light, colour."""
    garment = Image.fromarray(255 - image).resize((280, 280), Image.Resampling.BICUBIC)
    background = (245, 240, 228)
    photo = ImageOps.colorize(garment, black=(30, 40, 90), white=background)  # navy on cream
    canvas = Image.new("RGB", (300, 300), background)
    canvas.paste(photo, (10, 10))
    canvas.save(path)


originals = {}
if args.image:
    paths = args.image
else:
    if raw is None:
        raw = sq.datasets.load_fashion_mnist(args.data_dir)
    X_test, y_test = raw[1]
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for label, name in ((1, "trousers"), (0, "tshirt")):
        index = int(np.flatnonzero(y_test == label)[0])  # the first test image of that class
        path = OUT / f"21_{name}.png"
        draw_photo(X_test[index], path)
        originals[path] = (X_test[index], label)
        paths.append(path)
        print(f"stand-in photo: {path} (test image {index}, a {classes[label]})")

# %%
# --- New in this step: inference on an image file ------------------------------------------------
loaded_images = []
for path in paths:
    with Image.open(path) as photo:
        print(f"{path.name}: {photo.size[0]}x{photo.size[1]} {photo.mode}")
    pixels = sq.datasets.load_image(path)  # grayscale, 28x28, inverted if the border is light
    loaded_images.append(pixels)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    print(f"  loaded: {pixels.shape} {pixels.dtype}, mean border pixel {border.mean():.1f} "
          "(in the training images: about 0, a black background)")
    if path in originals:
        difference = np.abs(pixels.astype(int) - originals[path][0].astype(int)).mean()
        print(f"  mean pixel difference from the original test image: {difference:.1f} of 255")

    inputs = sq.datasets.prepare_images(pixels[np.newaxis])  # (1, 784), scaled to [-1, 1]
    probabilities = model.predict(inputs)[0]
    prediction = int(model.output_layer_activation.predictions(probabilities[np.newaxis])[0])
    top3 = np.argsort(probabilities)[::-1][:3]
    print("  top 3: " + ", ".join(f"{classes[k]} {probabilities[k]:.3f}" for k in top3))
    print(f"  prediction: {classes[prediction]}, confidence: {probabilities[prediction]:.3f}")
    if path in originals:
        print(f"  true class: {classes[originals[path][1]]}")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(len(paths), 2, figsize=(5, 2.6 * len(paths)), squeeze=False)
    for row, (path, pixels) in enumerate(zip(paths, loaded_images)):
        inputs = sq.datasets.prepare_images(pixels[np.newaxis])
        probabilities = model.predict(inputs)[0]
        with Image.open(path) as photo:
            axes[row, 0].imshow(photo.convert("RGB"))
        axes[row, 0].set_title(path.name, fontsize=8)
        axes[row, 1].imshow(pixels, cmap="gray")
        axes[row, 1].set_title(f"{classes[np.argmax(probabilities)]} "
                               f"({probabilities.max():.2f})", fontsize=8)
        for ax in axes[row]:
            ax.axis("off")
    fig.tight_layout()
    save_figure(fig, "21_inference.png")
