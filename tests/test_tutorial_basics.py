"""Run the first half of the tutorial (steps 01-11) and check what each step prints.

Every step runs as a script in a subprocess, as a reader would run it (repository root as the
working directory), with ``SQUAREONE_FAST=1`` (1/10 of the training), the Agg matplotlib
backend, one BLAS thread, and plots written to a temporary folder instead of ``tutorial/out``.
Each step runs once per session. The steps check themselves with ``assert`` too; here we
check the numbers they print against the book and against each other, that each step's
docstring has its TITLE, THEORY and THIS STEP parts and links an existing concept page, and
that tutorial/README.md lists every step.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from conftest import check_step_docstring, run_tutorial_step

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "tutorial"
BASIC_STEPS = [
    "01_neuron", "02_numpy", "03_dense_layer", "04_activations", "05_loss",
    "06_random_search", "07_derivatives", "08_backprop", "09_softmax_gradient", "10_sgd",
    "11_adaptive_optimizers",
]
STEP_FILE = re.compile(r"\b(\d\d)_[a-z0-9_]+\.py\b")
NUMBER = r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    """Where the steps write their plots (SQUAREONE_TUTORIAL_OUT), shared by all tests."""
    return tmp_path_factory.mktemp("tutorial_out")


def run_step(name: str, out: Path) -> str:
    """Run tutorial/<name>.py once per test session and return its standard output."""
    return run_tutorial_step(name, SQUAREONE_TUTORIAL_OUT=str(out))


def value(output: str, label: str) -> float:
    """Return the number printed right after ``label`` (the first such line)."""
    match = re.search(re.escape(label) + r"\s*" + NUMBER, output)
    assert match, f"no line with {label!r} in:\n{output}"
    return float(match.group(1))


def accuracies(output: str) -> dict[str, tuple[float, float]]:
    """Map each run's label to its (initial, final) accuracy, from lines like
    ``[SGD] initial accuracy: 0.360, loss: 1.0986`` and ``[SGD] final accuracy: 0.840, ...``."""
    found = {}
    for moment in ("initial", "final"):
        for label, acc in re.findall(rf"^\[(.+?)\] {moment} accuracy: {NUMBER}", output, re.M):
            found.setdefault(label, {})[moment] = float(acc)
    assert found, f"no accuracies printed in:\n{output}"
    assert all(len(pair) == 2 for pair in found.values()), found
    return {label: (pair["initial"], pair["final"]) for label, pair in found.items()}


# --- Every step: it runs, and its docstring has the three parts in order.

@pytest.mark.parametrize("name", BASIC_STEPS)
def test_step_runs(name, out_dir):
    assert run_step(name, out_dir).strip()


@pytest.mark.parametrize("name", BASIC_STEPS)
def test_step_docstring(name):
    check_step_docstring(name)


# --- What the steps print.

def test_01_layer_of_neurons_is_the_books(out_dir):
    output = run_step("01_neuron", out_dir)
    assert "layer of 3 neurons: [4.8, 1.21, 2.385]" in output
    assert "one neuron, 4 inputs: 4.8" in output


def test_02_numpy_gives_the_same_layer_and_batch(out_dir):
    output = run_step("02_numpy", out_dir)
    layer = re.search(r"layer of 3 neurons, np\.dot: \[([^\]]*)\]", output).group(1)
    assert [float(v) for v in layer.split()] == pytest.approx([4.8, 1.21, 2.385])
    assert "a . b = [[20]]" in output
    assert value(output, "max |loops - matrix product|:") < 1e-12


def test_03_dense_layer_equals_squareone(out_dir):
    output = run_step("03_dense_layer", out_dir)
    assert "[ 0.5031  -1.04185 -2.03875]" in output           # the book's two layers
    assert value(output, "max |spiral_data - sq.datasets.spiral_data|:") == 0
    assert value(output, "max |weights - sq.Dense weights|:") == 0
    assert value(output, "max |output - sq.Dense output|:") < 1e-7


def test_04_softmax_rows_sum_to_one(out_dir):
    output = run_step("04_activations", out_dir)
    row_sums = re.search(r"row sums, first 5: \[([^\]]*)\]", output).group(1).split()
    assert [float(v) for v in row_sums] == pytest.approx([1.0] * 5, abs=1e-6)
    assert value(output, "max |row sum - 1|:") < 1e-6
    assert "without the max subtraction: [nan nan nan]" in output
    assert value(output, "max |softmax by hand - sq.Softmax|:") < 1e-12
    for name in ("Step", "Linear", "Sigmoid", "ReLU", "Tanh"):
        assert value(output, f"max |by hand - sq.{name}|:") < 1e-12


def test_05_untrained_loss_is_the_books(out_dir):
    output = run_step("05_loss", out_dir)
    assert re.search(r"^loss: 1\.0986$", output, re.M), output
    assert value(output, "loss by hand:") == pytest.approx(1.0986104, abs=1e-7)
    assert value(output, "sq.CategoricalCrossentropy:") == pytest.approx(0.385060880052168)
    assert value(output, "accuracy of the batch:") == pytest.approx(2 / 3)
    assert value(output, "\naccuracy:") == pytest.approx(0.34)


def test_06_random_search_works_on_vertical_but_not_spiral(out_dir):
    runs = accuracies(run_step("06_random_search", out_dir))
    for initial, final in runs.values():
        assert final >= initial
    assert runs["vertical_data, adjust"][1] > 0.85
    assert runs["spiral_data, adjust"][1] < 0.6


def test_07_numeric_derivatives_match_analytic(out_dir):
    output = run_step("07_derivatives", out_dir)
    errors = [float(e) for e in re.findall(r"error: " + NUMBER, output)]
    assert len(errors) >= 10
    forward, central, *others = errors
    assert forward == pytest.approx(2e-4, rel=1e-3)   # the book's forward difference
    assert central < 1e-8 and max(others) < 1e-5


def test_08_backprop_matches_squareone_and_numeric(out_dir):
    output = run_step("08_backprop", out_dir)
    assert "dx: [-3.0, -1.0, 2.0]  dw: [1.0, -2.0, 3.0]  db: 1.0" in output
    assert value(output, "output 6.0 ->") == pytest.approx(5.985)
    assert value(output, "layer, max |by hand - sq.Dense.backward|:") < 1e-12
    assert value(output, "ReLU, max |by hand - sq.ReLU.backward|:") < 1e-12
    assert value(output, "network, max |by hand - squareone|:") < 1e-12
    assert value(output, "network, max |by hand - numeric|:") < 1e-6
    assert value(output, "max abs difference:") < 1e-6


def test_09_combined_and_separate_gradients_agree(out_dir):
    output = run_step("09_softmax_gradient", out_dir)
    assert value(output, "max abs difference (combined vs separate):") < 1e-7
    assert value(output, "batch, max |combined - numeric|:") < 1e-7
    assert value(output, "max |combined - sq.SoftmaxCategoricalCrossentropy.backward|:") < 1e-12


def test_10_sgd_training_improves_accuracy(out_dir):
    output = run_step("10_sgd", out_dir)
    assert value(output, "max |hand-written SGD - sq.SGD| parameters after 100 steps:") < 1e-6
    runs = accuracies(output)
    assert set(runs) == {"SGD", "SGD decay=1e-3", "SGD decay=1e-3 momentum=0.9"}
    for initial, final in runs.values():
        assert initial == pytest.approx(0.36) and final > initial
    assert runs["SGD decay=1e-3 momentum=0.9"][1] > max(runs["SGD"][1], 0.7)


def test_11_adaptive_optimizers_improve_accuracy(out_dir):
    output = run_step("11_adaptive_optimizers", out_dir)
    for name in ("Adagrad", "RMSprop", "Adam"):
        assert value(output, f"max |hand-written {name} - sq.{name}| parameters after 100 "
                             "steps with the same gradients:") < 1e-5
    runs = accuracies(output)
    assert set(runs) == {"Adagrad", "RMSprop", "Adam"}
    for initial, final in runs.values():
        assert initial == pytest.approx(0.36) and final > initial + 0.2
    assert runs["Adam"][1] > 0.85


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="matplotlib is not installed")
@pytest.mark.parametrize("name", ["06_random_search", "07_derivatives", "10_sgd",
                                  "11_adaptive_optimizers"])
def test_plot_is_written(name, out_dir):
    output = run_step(name, out_dir)
    assert "plot saved:" in output
    assert (out_dir / f"{name}.png").stat().st_size > 10_000


# --- The table of contents.

def test_readme_lists_every_step():
    readme = (TUTORIAL / "README.md").read_text(encoding="utf-8")
    listed = set(STEP_FILE.findall(readme))
    numbers = {path.name[:2] for path in TUTORIAL.glob("[0-9][0-9]_*.py")}
    assert listed == numbers == {f"{n:02d}" for n in range(1, len(numbers) + 1)}, \
        f"README must list every step, numbered from 01 without gaps: {sorted(listed)}"
    for path in sorted(TUTORIAL.glob("[0-9][0-9]_*.py")):
        assert path.name in readme, f"tutorial/README.md does not list {path.name}"
    assert "docs/concepts" in readme
    assert "out/" in (TUTORIAL / ".gitignore").read_text(encoding="utf-8").split()


def test_readme_links_the_math_pages_each_step_names():
    rows = {match.group(1): match.group(0) for match in
            re.finditer(r"^\| \d+ \| \[(\d\d)_.*$", (TUTORIAL / "README.md").read_text(
                encoding="utf-8"), flags=re.MULTILINE)}
    for path in sorted(TUTORIAL.glob("[0-9][0-9]_*.py")):
        pages = re.findall(r"^Math: (docs/concepts/[\w-]+\.md)", path.read_text(encoding="utf-8"),
                           flags=re.MULTILINE)
        assert pages, f"{path.name} names no docs/concepts page in a 'Math:' line"
        for page in pages:
            assert f"../{page}" in rows[path.name[:2]], f"README's row {path.name[:2]} lacks {page}"
