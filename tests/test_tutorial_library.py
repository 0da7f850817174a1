"""Run the second half of the tutorial (steps 12-21) and check what each step prints.

Every step runs as a script in a subprocess, as a reader would run it (repository root as the
working directory), with ``SQUAREONE_FAST=1`` (shorter training, a subset of Fashion-MNIST),
the Agg matplotlib backend, one BLAS thread (steady timings and numbers on a small machine),
Fashion-MNIST found as ``conftest.real_data`` finds it, and plots and saved models in a temporary
folder instead of ``tutorial/out``. Each step runs once per session; the tests then check the
numbers it prints: hand-written formulas equal to squareone's, training that improves accuracy
to sensible levels even in fast mode, and models that reload to identical evaluations.

The Fashion-MNIST steps need the real data: without it they are skipped with the reason, and
under CI (``CI=true``) they fail, so CI cannot pass without using it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from conftest import check_step_docstring, find_real_data, real_data, run_tutorial_step

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "tutorial"
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")
LIBRARY_STEPS = [
    "12_validation", "13_regularization", "14_dropout", "15_binary_logistic_regression",
    "16_regression", "17_model", "18_fashion_mnist", "19_evaluation", "20_save_load",
    "21_inference",
]
NUMBER = r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    """Where the steps write plots and models (SQUAREONE_TUTORIAL_OUT), shared by all tests."""
    return tmp_path_factory.mktemp("tutorial_out")


def run_step(name: str, out: Path, *args: str) -> str:
    """Run tutorial/<name>.py (once per argument list) and return its standard output."""
    data = find_real_data("fashion-mnist")  # steps 18-21 ask require_fashion_mnist() first
    return run_tutorial_step(name, *args, SQUAREONE_TUTORIAL_OUT=str(out),
                             **({"SQUAREONE_DATA": str(data.parent)} if data else {}))


def require_fashion_mnist() -> Path:
    """The folder holding fashion-mnist/, for steps 18-22's SQUAREONE_DATA (or skip/fail)."""
    return real_data("fashion-mnist").parent


def value(output: str, label: str) -> float:
    """Return the number printed right after ``label`` (on the first line that has it)."""
    match = re.search(re.escape(label) + r"\s*" + NUMBER, output)
    assert match, f"no line with {label!r} in:\n{output}"
    return float(match.group(1))


def flag(output: str, label: str) -> bool:
    """Return the True/False printed right after ``label``."""
    match = re.search(re.escape(label) + r"\s*(True|False)", output)
    assert match, f"no line with {label!r} in:\n{output}"
    return match.group(1) == "True"


# --- Every step: its docstring has the three parts in order and links an existing page.

@pytest.mark.parametrize("name", LIBRARY_STEPS)
def test_step_docstring(name):
    check_step_docstring(name)


# --- Steps 12-17: spiral and sine data, layer by layer, then the Model.

def test_12_out_of_sample_accuracy_shows_overfitting(out_dir):
    output = run_step("12_validation", out_dir)
    initial = value(output, "initial accuracy:")
    assert initial == pytest.approx(0.36, abs=0.005)  # the book's untrained network
    train, validation = value(output, "training accuracy:"), value(output, "validation accuracy:")
    assert train > 0.85 and validation > 0.7
    assert value(output, "generalization gap:") == pytest.approx(train - validation, abs=0.002)
    assert train > validation  # the point of the step: new data scores lower
    assert (out_dir / "12_validation.png").is_file()


def test_13_regularization_by_hand_equals_dense(out_dir):
    output = run_step("13_regularization", out_dir)
    assert value(output, "penalty by hand:") > 0
    assert value(output, "penalty difference:") < 1e-12
    assert value(output, "regularization gradient max difference:") < 1e-12
    assert value(output, "training accuracy:") > max(0.8, value(output, "initial accuracy:"))
    assert value(output, "validation accuracy:") > 0.7
    assert re.search(r"reg_loss: 0\.0[1-9]", output), "the L2 penalty should show in the loss"
    assert (out_dir / "13_regularization.png").is_file()


def test_14_dropout_by_hand_equals_sq_dropout(out_dir):
    output = run_step("14_dropout", out_dir)
    assert value(output, "dropout forward max difference:") == 0
    assert value(output, "dropout backward max difference:") == 0
    assert value(output, "fraction dropped:") == pytest.approx(0.2, abs=0.01)
    assert value(output, "mean of outputs:") == pytest.approx(value(output, "mean of inputs:"),
                                                               abs=0.01)
    assert flag(output, "identity when not training:")
    assert value(output, "training accuracy:") > max(0.75, value(output, "initial accuracy:"))
    assert value(output, "validation accuracy:") > 0.65
    assert (out_dir / "14_dropout.png").is_file()


def test_15_sigmoid_and_binary_cross_entropy(out_dir):
    output = run_step("15_binary_logistic_regression", out_dir)
    for label in ("sigmoid max difference:", "binary cross-entropy difference:",
                  "gradient max difference:", "simplified gradient max difference:"):
        assert value(output, label) < 1e-12, label
    initial = value(output, "initial accuracy:")
    assert initial == pytest.approx(0.5, abs=0.05)
    assert value(output, "training accuracy:") > initial + 0.15
    assert value(output, "validation accuracy:") > 0.55
    assert (out_dir / "15_binary_logistic_regression.png").is_file()


def test_16_regression_and_the_mae_derivative(out_dir):
    output = run_step("16_regression", out_dir)
    assert flag(output, "linear is the identity:")
    for label in ("MSE loss difference:", "MSE gradient max difference:", "MAE loss difference:"):
        assert value(output, label) < 1e-12, label
    assert value(output, "MAE gradient, numeric vs by hand:") < 1e-6
    assert value(output, "MAE gradient, numeric vs squareone:") < 1e-6
    # The book's sign(y - y_hat) is the negative: off by 2 / (N * J) = 2 / 16 everywhere.
    assert value(output, "MAE gradient, numeric vs the book's sign(y - y_hat):") == (
        pytest.approx(0.125, rel=1e-4))
    precision = re.search(rf"precision by hand: {NUMBER}, squareone: {NUMBER}", output)
    assert precision and precision.group(1) == precision.group(2), output
    assert value(output, "training loss:") < value(output, "initial loss:") / 100
    assert value(output, "training accuracy:") > max(0.5, value(output, "initial accuracy:"))
    assert value(output, "validation accuracy:") > 0.5
    assert (out_dir / "16_regression.png").is_file()


def test_17_model_matches_the_hand_written_loop(out_dir):
    output = run_step("17_model", out_dir)
    assert "total: 3,075 trainable parameters" in output
    assert value(output, "predict vs layer by layer, max difference:") == 0
    assert value(output, "evaluate vs by hand, loss difference:") < 1e-6
    assert value(output, "evaluate vs by hand, accuracy difference:") == 0
    assert value(output, "training accuracy:") > max(0.75, value(output, "initial accuracy:"))
    assert value(output, "validation accuracy:") > 0.65
    runs = re.findall(r"batch size (\d+): (\d+) steps? per epoch, (\d+) steps in (\d+) epochs",
                      output)
    assert len(runs) == 2, output
    n_samples = int(runs[0][0])  # the first run is one batch of all samples
    for size, per_epoch, steps, epochs in ((int(v) for v in run) for run in runs):
        assert per_epoch == math.ceil(n_samples / size) and steps == per_epoch * epochs
    # The short way: no input size, so no weights, until the first data sets it.
    assert "before any data: Dense(n_neurons=512, activation='relu'" in output
    assert "its weights before any data: Dense(n_neurons=512) has no weights yet" in output
    assert "after train: Dense(n_inputs=2, n_neurons=512" in output
    assert "weights (2, 512)" in output and output.count("(n_inputs inferred)") == 2
    assert value(output, "max parameter difference:") == 0


# --- Steps 18-21: Fashion-MNIST.

def test_18_fashion_mnist_preparation_and_training(out_dir):
    require_fashion_mnist()
    output = run_step("18_fashion_mnist", out_dir)
    assert "training images: (60000, 28, 28) uint8" in output
    assert "images per class in training: [" + ", ".join(["6000"] * 10) + "]" in output
    assert "prepared: (60000, 784), -1.0 to 1.0" in output
    assert value(output, "prepare_images max difference:") == 0
    assert value(output, "batch size 128:") == math.ceil(6000 / 128)  # fast mode: 6,000 images
    assert value(output, "steps taken:") == 2 * math.ceil(6000 / 128)
    assert value(output, "training accuracy:") > value(output, "initial accuracy:") + 0.4
    assert value(output, "validation accuracy:") > 0.65
    assert (out_dir / "18_fashion_mnist.png").is_file()


def test_19_evaluation_by_hand_equals_squareone_metrics(out_dir):
    require_fashion_mnist()
    # --data-dir instead of $SQUAREONE_DATA: the loader also accepts the folder holding it.
    output = run_step("19_evaluation", out_dir, "--data-dir",
                      str(real_data("fashion-mnist")))
    for measure in ("loss", "accuracy"):
        line = re.search(rf"^test {measure}: {NUMBER} \(by hand {NUMBER}\)$", output, re.M)
        assert line and line.group(1) == line.group(2), f"test {measure} in:\n{output}"
    accuracy = value(output, "test accuracy:")
    assert accuracy > 0.65
    assert value(output, "accuracy from the matrix:") == accuracy
    assert flag(output, "confusion matrix equal to squareone's:")
    assert value(output, "precision/recall/F1 max difference:") < 1e-12
    assert flag(output, "support equal to row sums:")
    rows = re.findall(r"^\s*(\S.*?)\s+\d\s+((?:\s+\d+){10})$", output, re.M)
    assert [name for name, _ in rows] == list(FASHION_MNIST_CLASSES)
    assert sum(int(count) for _, counts in rows for count in counts.split()) == 1000
    for name in FASHION_MNIST_CLASSES:
        assert re.search(rf"^\s*{re.escape(name)}(\s+0\.\d{{3}}){{3}}\s+\d+$", output, re.M), name
    assert value(output, "macro avg") > 0.6


def test_20_reloaded_model_evaluates_identically(out_dir):
    require_fashion_mnist()
    output = run_step("20_save_load", out_dir)
    original = re.search(r"original evaluation: loss (\S+), accuracy (\S+)", output).groups()
    for name in ("set_parameters", "load_parameters", "reloaded"):
        line = re.search(rf"^{name} evaluation: loss (\S+), accuracy (\S+), identical: (\w+)$",
                         output, re.M)
        assert line, f"no {name} line in:\n{output}"
        assert line.groups() == (*original, "True"), name
    assert "identical: False" in output  # the untrained copy differs
    assert flag(output, "reloaded predictions identical:")
    assert flag(output, "only a JSON header and raw tensors, no pickle:")
    assert flag(output, "layers.0.weights read with NumPy alone equals the model's:")
    assert "layers.0.weights: F32 [784, 128]" in output
    assert '"format": "squareone-model"' in output or 'format: "squareone-model"' in output
    model_file = out_dir / "fashion_mnist.squareone"
    assert model_file.is_file() and (out_dir / "fashion_mnist_parameters.squareone").is_file()
    assert model_file.read_bytes()[8:9] == b"{"  # an 8-byte length, then the JSON header


def predictions(output: str) -> list[tuple[str, float]]:
    found = [(name, float(confidence)) for name, confidence
             in re.findall(r"prediction: (.+?), confidence: " + NUMBER, output)]
    assert found, f"no prediction in:\n{output}"
    return found


def test_21_inference_on_image_files(out_dir):
    require_fashion_mnist()
    run_step("20_save_load", out_dir)  # saves the model step 21 loads
    output = run_step("21_inference", out_dir)
    assert f"model: loaded from {out_dir / 'fashion_mnist.squareone'}" in output
    assert "loaded: (28, 28) uint8" in output
    found = predictions(output)
    assert len(found) == 2
    for name, confidence in found:
        assert name in FASHION_MNIST_CLASSES and 0.1 < confidence <= 1
    assert found[0][0] == "Trouser"  # the stand-in photo of trousers
    assert (out_dir / "21_trousers.png").is_file() and (out_dir / "21_inference.png").is_file()

    # The user's own photo, given on the command line: here, the stand-in made above.
    own = run_step("21_inference", out_dir, "--image", str(out_dir / "21_trousers.png"))
    assert predictions(own) == found[:1]


def test_21_trains_a_model_when_none_was_saved(tmp_path):
    require_fashion_mnist()
    output = run_step("21_inference", tmp_path, "--model", str(tmp_path / "missing.squareone"))
    assert "not found (run step 20 to save one); training a new one" in output
    assert all(name in FASHION_MNIST_CLASSES for name, _ in predictions(output))
