"""Command-line messages in the user's terms (issue 15).

Every error names the option (or argument) and the value as typed, exits 2 for bad usage and
1 for failures, is one line with no warnings or source lines around it, and cuts long echoed
values; warnings of a run that succeeds are one line each; ``--debug`` and
``SQUAREONE_DEBUG=1`` give the traceback; a closed output pipe ends the command quietly.
"""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from PIL import Image

import squareone as sq
from squareone.cli import main
from squareone.datasets import images as images_module

HUGE = "A" * 1_000_000
#: An error line is at most this long, whatever was echoed (the message, prefix and hint).
LONGEST_LINE = 1200


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main([*argv])
    out, err = capsys.readouterr()
    return status, out, err


def _square_model(path: Path) -> None:
    """A 4-pixel (2x2) image classifier with 10 outputs, trained on nothing: predict runs."""
    model = sq.Model()
    model.add(sq.Dense(4, 10, seed=0))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam())
    model.finalize()
    model.save(path)


def _with_metadata(path: Path, target: Path, edit) -> None:
    """Copy the model file ``path`` to ``target`` with ``edit`` applied to its metadata."""
    from safetensors import safe_open

    with safe_open(path, framework="np") as file:
        metadata = json.loads(file.metadata()["squareone"])
    edit(metadata)
    tensors = {name: array.copy()
               for name, array in safetensors.numpy.load(path.read_bytes()).items()}
    target.write_bytes(safetensors.numpy.save(tensors,
                                              metadata={"squareone": json.dumps(metadata)}))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """The files the table's command lines name, as ``{name}`` placeholders."""
    folder = tmp_path_factory.mktemp("files")
    spiral = folder / "spiral.squareone"
    assert main(["train", "--epochs", "1", "--no-plot", "-q", "-o", str(spiral)]) == 0
    square = folder / "square.squareone"
    _square_model(square)
    layer_name = folder / "huge-layer-name.squareone"
    _with_metadata(spiral, layer_name, lambda m: m["layers"][0].__setitem__("class", HUGE))
    format_name = folder / "huge-format.squareone"
    _with_metadata(spiral, format_name, lambda m: m.__setitem__("format", HUGE))
    version = folder / "huge-version.squareone"
    _with_metadata(spiral, version, lambda m: m.update(format_version=99,
                                                       squareone_version=HUGE))
    (folder / "a-folder").mkdir()
    (folder / "empty").mkdir()
    (folder / "notes.txt").write_text("not a model\n")
    os.mkfifo(folder / "fifo")
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(folder / "black.png")
    (folder / "broken.png").write_bytes(Image.open(folder / "black.png").tobytes() + b"junk")
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "noise.png")
    png = (folder / "noise.png").read_bytes()
    (folder / "truncated.png").write_bytes(png[:len(png) // 2])  # the pixels cut short
    return {"spiral": str(spiral), "square": str(square), "folder": str(folder),
            "layer_name": str(layer_name), "format_name": str(format_name),
            "version": str(version)}


# Each case: the command line, the exit status, what the one error line must contain (the
# option and the value as typed, in the user's terms), and what it must not.
USAGE, FAILURE = 2, 1
CASES = [
    # options checked as they are parsed: the option, and the value as typed
    (["train", "--seed", "-1"], USAGE, ["--seed", "'-1'", "integer"], ["non-negative"]),
    (["train", "--seed", "abc"], USAGE, ["--seed", "'abc'"], []),
    (["train", "--seed", "1.5"], USAGE, ["--seed", "'1.5'"], []),
    (["evaluate", "{spiral}", "--seed", "-7"], USAGE, ["--seed", "'-7'"], []),
    (["train", "--epochs", "0"], USAGE, ["--epochs", "'0'"], []),
    (["train", "--epochs", "1e3"], USAGE, ["--epochs", "'1e3'"], []),
    (["train", "--batch-size", "-5"], USAGE, ["--batch-size", "'-5'"], []),
    (["train", "--max-samples", "0"], USAGE, ["--max-samples", "'0'"], []),
    (["train", "--learning-rate", "nan"], USAGE, ["--learning-rate", "'nan'"], []),
    (["train", "--learning-rate", "-1"], USAGE, ["--learning-rate", "'-1'"], []),
    (["train", "--decay", "inf"], USAGE, ["--decay", "'inf'"], []),
    (["train", "--l2", "-0.1"], USAGE, ["--l2", "'-0.1'"], []),
    (["train", "--dropout", "1"], USAGE, ["--dropout", "'1'"], []),
    (["train", "--momentum", "2"], USAGE, ["--momentum", "'2'"], []),
    (["train", "--hidden", "64,x"], USAGE, ["--hidden", "'64,x'"], []),
    (["train", "--hidden", "0"], USAGE, ["--hidden", "'0'"], []),
    (["train", "--validation-split", "0"], USAGE, ["--validation-split", "'0'"], []),
    (["train", "--validation-split", "1.5"], USAGE, ["--validation-split", "'1.5'"], []),
    (["train", "--dataset", "imagenet"], USAGE, ["--dataset", "'imagenet'"], []),
    (["train", "--activation", "gelu"], USAGE, ["--activation", "'gelu'"], []),
    (["train", "--frobnicate"], USAGE, ["--frobnicate"], []),
    (["predict", "{square}", "x.png", "--top", "0"], USAGE, ["--top", "'0'"], []),
    (["predict", "{square}", "x.png", "--dataset", "cifar"], USAGE, ["--dataset", "'cifar'"],
     []),
    (["train", "--data-dir", "{folder}/notes.txt"], USAGE, ["--data-dir", "notes.txt'",
                                                            "is a file, not a folder"],
     ["File exists"]),
    (["evaluate", "{spiral}", "--data-dir", ""], USAGE, ["--data-dir", "empty"], []),
    # options checked against the data, after parsing
    (["train", "--validation-split", "0.9999"], USAGE,
     ["--validation-split 0.9999", "at most 0.9996"], ["test_size"]),
    (["train", "--validation-split", "0.5", "--max-samples", "1"], USAGE,
     ["--validation-split 0.5", "at least 2"], ["test_size", "X must"]),
    (["train", "--optimizer", "adam", "--momentum", "0.5"], USAGE, ["--momentum", "sgd"], []),
    (["evaluate", "{spiral}", "--dataset", "vertical"], USAGE,
     ["--dataset vertical", "spiral", "--force"], []),
    # files the user named, in the user's terms
    (["info", "{folder}/a-folder"], FAILURE, ["model file", "a-folder'", "is a folder"],
     ["not found"]),
    (["info", "{folder}/missing.squareone"], FAILURE, ["missing.squareone'", "not found"], []),
    (["info", "{folder}/fifo"], FAILURE, ["fifo'", "not a regular file"], []),
    (["info", "/dev/null"], FAILURE, ["'/dev/null'", "not a regular file"], []),
    (["info", "{folder}/notes.txt"], FAILURE, ["notes.txt", "not a squareone file"], []),
    (["info", "{folder}/" + "x" * 5000], FAILURE, ["File name too long"], []),
    (["predict", "{square}", "{folder}/a-folder"], FAILURE, ["a-folder", "not an image file"],
     ["decoded"]),
    (["predict", "{square}", "{folder}/missing.png"], FAILURE, ["missing.png", "not found"],
     []),
    (["predict", "{square}", "{folder}/broken.png"], FAILURE,
     ["broken.png", "not an image file Pillow can read"], []),
    (["predict", "{square}", "{folder}/truncated.png"], FAILURE,
     ["truncated.png", "could not be decoded"], []),
    (["predict", "{spiral}", "{folder}/black.png"], FAILURE, ["2 input features"], []),
    (["evaluate", "{spiral}", "--dataset", "sine", "--force"], FAILURE,
     ["2 input features but --dataset sine has 1"], []),
    (["train", "--dataset", "mnist", "--data-dir", "{folder}/empty", "--no-download"],
     FAILURE, ["MNIST files missing", "--no-download is set", "--data-dir", "SQUAREONE_DATA"],
     ["download=False", "path="]),
    # long values are cut, not echoed in full
    (["train", "--dataset", HUGE], USAGE, ["--dataset", "characters left out"], [HUGE]),
    (["train", "--seed", HUGE], USAGE, ["--seed", "characters left out"], [HUGE]),
    (["train", "--hidden", HUGE], USAGE, ["--hidden", "characters left out"], [HUGE]),
    (["info", "{layer_name}"], FAILURE, ["unknown layer class", "characters left out"],
     [HUGE]),
    (["info", "{format_name}"], FAILURE, ["unknown format", "characters left out"], [HUGE]),
    (["info", "{version}"], FAILURE, ["newer squareone", "characters left out"], [HUGE]),
    # a failure in the middle of training: the error alone, no NumPy warnings before it
    (["train", "--optimizer", "sgd", "--learning-rate", "1e6", "--epochs", "3", "--no-plot",
      "-q"],
     FAILURE, ["the loss became nan"], ["RuntimeWarning", "overflow", ".py:"]),
]


@pytest.mark.parametrize("argv, status, wanted, unwanted", CASES,
                         ids=[" ".join(case[0])[:60] for case in CASES])
def test_each_error_is_one_line_in_the_users_terms(argv, status, wanted, unwanted, files,
                                                   capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing is written where the tests run
    code, out, err = _run(capsys, *[arg.format(**files) for arg in argv])

    assert code == status, err
    assert err.startswith("squareone: error: ") and err.count("\n") == 1, err[:2000]
    assert len(err) <= LONGEST_LINE
    assert "Traceback" not in err
    for text in wanted:
        assert text in err, err
    for text in unwanted:
        assert text not in err, err[:2000]
    if status == USAGE:
        assert "--help" in err
    assert not list(tmp_path.iterdir())  # no model, no plot after an error


def test_the_cases_are_three_times_the_issues_examples():
    assert len(CASES) >= 3 * 11  # the issue lists 11 examples of this class


def test_an_unreadable_image_is_called_unreadable(files, capsys, tmp_path, monkeypatch):
    image = tmp_path / "secret.png"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(image)
    image.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the system refuse as it would
        def refuse(path, *args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        monkeypatch.setattr(images_module, "open_regular_file", refuse)

    code, out, err = _run(capsys, "predict", files["square"], str(image))

    assert code == FAILURE and out == ""
    assert err == f"squareone: error: Permission denied: {image}\n"


def test_a_decompression_bomb_is_refused_clearly(files, capsys, tmp_path, monkeypatch):
    image = tmp_path / "bomb.png"
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(image)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 1,600 pixels is a "bomb" now

    code, out, err = _run(capsys, "predict", files["square"], str(image))

    assert code == FAILURE and out == ""
    assert err.startswith(f"squareone: error: {image} is too large to decode safely")
    assert "unexpected" not in err and err.count("\n") == 1


def test_a_full_disk_names_the_file(capsys, tmp_path, monkeypatch):
    output = tmp_path / "model.squareone"

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code, out, err = _run(capsys, "train", "--epochs", "1", "--no-plot", "-q", "-o",
                          str(output))

    assert code == FAILURE
    assert err == f"squareone: error: No space left on device: {output}\n"
    assert not output.exists()


def test_a_full_disk_names_the_file_in_the_api(tmp_path, monkeypatch):
    model = sq.Model()
    model.add(sq.Dense(2, 2, seed=0))
    model.finalize()
    monkeypatch.setattr(os, "fsync", lambda descriptor: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    for save in (model.save, model.save_parameters):
        with pytest.raises(OSError) as error:
            save(tmp_path / "m.squareone")
        assert error.value.errno == errno.ENOSPC
        assert error.value.filename == str(tmp_path / "m.squareone")


def test_warnings_of_a_run_that_succeeds_are_one_line_each(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "train", "--learning-rate", "1e9", "--epochs", "3",
                          "--no-plot", "-q")
    assert code == 0
    assert "validation accuracy" in out
    lines = err.splitlines()
    assert lines and all(line.startswith("squareone: warning: ") for line in lines), err
    assert len(lines) == len(set(lines)) <= 5  # each once, however many steps overflowed
    assert "RuntimeWarning" in err and ".py:" not in err and "np." not in err


@pytest.mark.parametrize("argv, environment", [
    (["--debug", "info", "missing.squareone"], {}),
    (["info", "--debug", "missing.squareone"], {}),
    (["info", "missing.squareone"], {"SQUAREONE_DEBUG": "1"}),
])
def test_debug_gives_the_traceback(argv, environment, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(FileNotFoundError, match="missing.squareone"):
        main(argv)


def test_debug_is_off_by_default(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SQUAREONE_DEBUG", raising=False)
    assert main(["info", "missing.squareone"]) == FAILURE  # no exception: one line instead
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["info", "--help"]) == 0
    assert "--debug" in capsys.readouterr().out


class _ClosedPipe(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def test_a_closed_output_pipe_ends_quietly_in_process(files, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["info", files["spiral"]]) == 141
    assert capsys.readouterr().err == ""


def test_a_closed_output_pipe_ends_quietly(files):
    """``squareone info m.squareone | head -1``, with the reader gone before any output."""
    script = Path(sys.executable).parent / "squareone"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "squareone"]
    process = subprocess.Popen([*command, "info", files["spiral"]], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert err == b""
