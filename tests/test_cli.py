"""Tests of the ``squareone`` command line.

Commands run in-process through ``main([...])`` (fast, output captured with capsys); one test
runs the installed console script in a subprocess to prove that the entry point works.
Fashion-MNIST is found as conftest.real_data says (skipped without it, failed under CI).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import real_data
from PIL import Image

import squareone as sq
from squareone.cli import build_model, main
from squareone.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

ACCURACY = re.compile(r"^(validation|test) accuracy: (\d\.\d+)$", re.MULTILINE)


def _accuracy(output: str) -> float:
    match = ACCURACY.search(output)
    assert match, f"no accuracy line in:\n{output}"
    return float(match.group(2))


def _assert_valid_png(path: Path, size: tuple[int, int]) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == size
        image.verify()


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main([*argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def data_dir() -> str:
    """The folder holding fashion-mnist/ (what --data-dir takes)."""
    return str(real_data("fashion-mnist").parent)


@pytest.fixture(scope="module")
def spiral_run(tmp_path_factory):
    """``squareone train`` with no arguments, run once in an empty directory."""
    folder = tmp_path_factory.mktemp("default")
    previous = Path.cwd()
    os.chdir(folder)
    try:
        status = main(["train"])
    finally:
        os.chdir(previous)
    return status, folder


@pytest.fixture(scope="module")
def fashion_model(tmp_path_factory, data_dir):
    """A small model trained briefly on part of Fashion-MNIST."""
    path = tmp_path_factory.mktemp("fashion") / "fashion.squareone"
    status = main(["train", "--dataset", "fashion-mnist", "--data-dir", data_dir,
                   "--hidden", "32", "--epochs", "2", "--max-samples", "6000", "--quiet",
                   "--no-plot", "--output", str(path)])
    assert status == 0
    return path


# --- train ---------------------------------------------------------------------------------------


def test_train_without_arguments_is_the_spiral_example(spiral_run, capsys):
    status, folder = spiral_run
    assert status == 0
    model = sq.Model.load(folder / "model.squareone")
    _assert_valid_png(folder / "curves.png", (1200, 400))
    # The printed accuracy is the saved model's accuracy on fresh spiral data (seed 0 + 1).
    X_val, y_val = sq.datasets.spiral_data(100, 3, seed=1)
    accuracy = model.evaluate(X_val, y_val)["accuracy"]
    assert accuracy > 0.85
    status, out, _ = _run(capsys, "evaluate", str(folder / "model.squareone"))
    assert status == 0
    assert _accuracy(out) == pytest.approx(accuracy, abs=5e-4)


def test_train_prints_progress_and_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, out, err = _run(capsys, "train", "--epochs", "3", "--plot", "small.png")
    assert status == 0
    assert "training a 2-64-64-3 network on spiral" in out
    assert re.search(r"^validation loss: \d+\.\d{4}$", out, re.MULTILINE)
    assert 0 <= _accuracy(out) <= 1
    assert "model saved to model.squareone" in out
    assert "3/3" in err  # the progress bar
    _assert_valid_png(tmp_path / "small.png", (1200, 400))


def test_quiet_prints_only_the_result_lines(tmp_path, capsys):
    output = tmp_path / "quiet.squareone"
    status, out, err = _run(capsys, "train", "--epochs", "2", "--quiet", "--no-plot",
                            "--output", str(output))
    assert status == 0 and err == ""
    assert [line.split(":")[0] for line in out.splitlines()] == ["validation loss",
                                                                 "validation accuracy"]
    assert output.is_file()
    assert not (tmp_path / "curves.png").exists()


def test_training_is_repeatable_with_a_seed(tmp_path, capsys):
    runs = [_run(capsys, "train", "--seed", "7", "--epochs", "3", "--dropout", "0.1", "-q",
                 "--no-plot", "-o", str(tmp_path / f"{index}.squareone"))[1]
            for index in range(2)]
    assert runs[0] == runs[1]


def test_train_options_build_the_model_asked_for(tmp_path, capsys):
    path = tmp_path / "options.squareone"
    status, out, _ = _run(capsys, "train", "--dataset", "vertical", "--hidden", "16,8",
                          "--activation", "tanh", "--dropout", "0.2", "--optimizer", "sgd",
                          "--learning-rate", "0.5", "--decay", "1e-3", "--momentum", "0.9",
                          "--l2", "5e-4", "--epochs", "2", "--batch-size", "100",
                          "--validation-split", "0.25", "--no-plot", "-o", str(path))
    assert status == 0
    assert "2250 samples, validation on 750" in out
    model = sq.Model.load(path)
    kinds = [(type(layer).__name__, type(getattr(layer, "activation", None)).__name__)
             for layer in model.layers]
    assert kinds == [("Dense", "Tanh"), ("Dropout", "NoneType"), ("Dense", "Tanh"),
                     ("Dropout", "NoneType"), ("Dense", "Softmax")]
    assert [layer.n_neurons for layer in model.trainable_layers] == [16, 8, 3]
    assert [layer.n_inputs for layer in model.trainable_layers] == [2, 16, 8]
    assert model.layers[0].weight_regularizer_l2 == 5e-4
    assert model.layers[1].rate == 0.2
    assert isinstance(model.optimizer, sq.SGD)
    assert model.optimizer.config() == {"learning_rate": 0.5, "decay": 1e-3, "momentum": 0.9}
    assert model.optimizer.iterations == 2 * 23  # 2 epochs of ceil(2250 / 100) steps


def test_train_sine_is_a_regression(tmp_path, capsys):
    path = tmp_path / "sine.squareone"
    status, out, _ = _run(capsys, "train", "--dataset", "sine", "--epochs", "20", "-q",
                          "--no-plot", "-o", str(path))
    assert status == 0
    r2 = re.search(r"^validation r2: (-?\d+\.\d+)$", out, re.MULTILINE)
    assert r2 and float(r2.group(1)) > 0.8, out  # 0.906 after these 20 epochs
    model = sq.Model.load(path)
    assert isinstance(model.output_layer_activation, sq.Linear)
    assert isinstance(model.loss, sq.MeanSquaredError)
    status, out, _ = _run(capsys, "evaluate", str(path), "--dataset", "sine")
    assert status == 0
    assert "r2 score" in out and "mean absolute error" in out


def test_without_matplotlib_training_still_succeeds(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    status, out, err = _run(capsys, "train", "--epochs", "1")
    assert status == 0
    assert "pip install squareone[plot]" in err
    assert (tmp_path / "model.squareone").is_file()
    assert not (tmp_path / "curves.png").exists()


# --- Ctrl-C --------------------------------------------------------------------------------------


def test_ctrl_c_during_a_step_saves_the_model(tmp_path, monkeypatch, capsys):
    """A real SIGINT in the middle of training: the model stops after that step."""
    original = sq.Adam.post_update_params

    def press_ctrl_c_at_step_200(self):
        original(self)
        if self.iterations == 200:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(sq.Adam, "post_update_params", press_ctrl_c_at_step_200)
    path = tmp_path / "interrupted.squareone"
    status, out, err = _run(capsys, "train", "--epochs", "1000", "--no-plot", "-o", str(path))
    assert status == 130
    assert "interrupted after 4 complete epoch(s)" in err  # 47 steps per epoch
    assert "Traceback" not in err
    assert 0 <= _accuracy(out) <= 1
    assert sq.Model.load(path).optimizer.iterations == 200


def test_ctrl_c_between_epochs_saves_the_model(tmp_path, monkeypatch, capsys):
    original = sq.Model.train
    calls = []

    def train(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sq.Model, "train", train)
    monkeypatch.chdir(tmp_path)
    status, _, err = _run(capsys, "train", "--epochs", "10")
    assert status == 130
    assert "interrupted after 2 complete epoch(s)" in err
    assert (tmp_path / "model.squareone").is_file()
    _assert_valid_png(tmp_path / "curves.png", (1200, 400))


# --- info, evaluate, predict ---------------------------------------------------------------------


def test_info_prints_the_true_parameter_counts(tmp_path, capsys):
    model = build_model(2, 3, hidden=(64,), optimizer=sq.Adam(learning_rate=0.05, decay=5e-7),
                        seed=0)
    path = tmp_path / "book.squareone"
    model.save(path)
    status, out, _ = _run(capsys, "info", str(path))
    assert status == 0
    first, second = (2 * 64 + 64, 64 * 3 + 3)
    assert re.search(rf"Dense\(n_inputs=2, n_neurons=64.*\s{first} parameters", out)
    assert re.search(rf"Dense\(n_inputs=64, n_neurons=3.*\s{second} parameters", out)
    total = int(re.search(r"total: ([\d,]+) trainable", out).group(1).replace(",", ""))
    assert total == first + second == sum(p.size for w_b in model.get_parameters() for p in w_b)
    assert "Adam(learning_rate=0.05" in out


def test_fashion_mnist_evaluate_prints_the_report_with_class_names(fashion_model, data_dir,
                                                                   capsys):
    status, out, _ = _run(capsys, "evaluate", str(fashion_model), "--dataset", "fashion-mnist",
                          "--data-dir", data_dir)
    assert status == 0
    accuracy = _accuracy(out)
    assert out.startswith("test loss: ")
    assert accuracy > 0.6
    for name in FASHION_MNIST_CLASSES:
        assert re.search(rf"^\s*{re.escape(name)}\s+\d\.\d\d\s+\d\.\d\d\s+\d\.\d\d\s+1000$",
                         out, re.MULTILINE), name
    assert re.search(rf"^\s+accuracy\s+{accuracy:.2f}\s+10000$", out, re.MULTILINE)


def test_predict_names_the_class_of_fashion_mnist_images(fashion_model, data_dir, tmp_path,
                                                         capsys):
    (_, _), (X_test, y_test) = load_fashion_mnist(data_dir, download=False)
    paths = []
    for index in range(4):
        paths.append(str(tmp_path / f"test_{index}.png"))
        Image.fromarray(X_test[index]).save(paths[-1])
    status, out, _ = _run(capsys, "predict", str(fashion_model), *paths)
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 4
    names = "|".join(re.escape(name) for name in FASHION_MNIST_CLASSES)
    for path, line in zip(paths, lines):
        assert re.fullmatch(rf"{re.escape(path)}: ({names}) \(\d+\.\d%\)", line), line
    # The same pixels through the library give the same classes.
    model = sq.Model.load(fashion_model)
    expected = np.argmax(model.predict(sq.datasets.prepare_images(X_test[:4])), axis=1)
    assert [line.split(": ")[1].rsplit(" (", 1)[0] for line in lines] == [
        FASHION_MNIST_CLASSES[class_id] for class_id in expected]


def test_predict_top_k(fashion_model, tmp_path, capsys):
    path = tmp_path / "blank.png"
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(path)
    status, out, _ = _run(capsys, "predict", str(fashion_model), str(path), "--top", "3")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"{path}:"
    ranked = [re.fullmatch(r"  (\d)\. (.+) \((\d+\.\d)%\)", line) for line in lines[1:]]
    assert [match.group(1) for match in ranked] == ["1", "2", "3"]
    assert all(match.group(2) in FASHION_MNIST_CLASSES for match in ranked)
    percentages = [float(match.group(3)) for match in ranked]
    assert percentages == sorted(percentages, reverse=True)


# --- errors --------------------------------------------------------------------------------------


@pytest.fixture
def spiral_model(spiral_run):
    return str(spiral_run[1] / "model.squareone")


@pytest.mark.parametrize("argv, status", [
    ([], 2),
    (["fit"], 2),
    (["train", "--dataset", "imagenet"], 2),
    (["train", "--epochs", "0"], 2),
    (["train", "--hidden", "64,x"], 2),
    (["train", "--learning-rate", "-1"], 2),
    (["train", "--dropout", "1"], 2),
    (["train", "--plot", "a.png", "--no-plot"], 2),
    (["train", "--optimizer", "adam", "--momentum", "0.5"], 2),
    (["train", "--output", "no/such/folder/model.squareone"], 2),
    (["train", "--dataset", "mnist", "--data-dir", "{empty}", "--no-download"], 1),
    (["info", "missing.squareone"], 1),
    (["info", "{corrupt}"], 1),
    (["evaluate", "{spiral}", "--dataset", "sine"], 2),  # not its data set: refused
    (["evaluate", "{spiral}", "--dataset", "sine", "--force"], 1),  # 2 features, sine has 1
    (["predict", "{spiral}", "image.png"], 1),
    (["predict", "{fashion}", "missing.png"], 1),
    (["predict", "{fashion}", "{corrupt}"], 1),
])
def test_errors_are_one_line_without_traceback(argv, status, tmp_path, monkeypatch, capsys,
                                               spiral_model, fashion_model):
    corrupt = tmp_path / "corrupt.squareone"
    corrupt.write_bytes(b"\x00" * 8 + b"not a model")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    argv = [arg.format(empty=tmp_path / "empty", corrupt=corrupt, spiral=spiral_model,
                       fashion=fashion_model) for arg in argv]
    code, out, err = _run(capsys, *argv)
    assert code == status
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("squareone: error: "), err
    assert "Traceback" not in err
    assert not (tmp_path / "model.squareone").exists()


def test_help_exits_cleanly(capsys):
    assert main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--dataset", "--hidden", "--validation-split", "--no-plot", "--quiet"):
        assert option in out


# --- the installed console script ----------------------------------------------------------------


def test_console_script_trains_a_model(tmp_path):
    script = shutil.which("squareone", path=str(Path(sys.executable).parent)) or shutil.which(
        "squareone")
    assert script, "the squareone console script is not installed (pip install -e .)"
    result = subprocess.run([script, "train", "--epochs", "50", "--output", "run.squareone",
                             "--plot", "run.png"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert _accuracy(result.stdout) > 0.8
    assert sq.Model.load(tmp_path / "run.squareone").n_features == 2
    _assert_valid_png(tmp_path / "run.png", (1200, 400))
