"""Files written by squareone never destroy what the user did not mean to replace.

Every writer (``Model.save``, ``save_parameters``, the plots, ``train(checkpoint=...)`` and
``squareone train -o/--plot``) goes through one check and one atomic writer
(``squareone._files``). The tables below try each writer on every kind of path that must be
refused, every replacement that is legitimate (with the permissions, owner and symbolic
links it must keep), and Ctrl-C in a run whose output already holds a model.

The tests run as root in CI, where permission bits do not stop a write: the expected
behaviour is therefore checked on the mode bits themselves, and the unwritable-directory case
runs in a child process that gives up root.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import require_extra

import squareone as sq
from squareone._files import check_output
from squareone.cli import main
from squareone.io import MODEL_FILE, read_metadata

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"an old picture"
TEXT = b"my notes, not a model\n"
NOBODY = 65534


def _model(seed: int = 0) -> sq.Model:
    model = sq.Model()
    model.add(sq.Dense(2, 8, seed=seed))
    model.add(sq.ReLU())
    model.add(sq.Dense(8, 3, seed=seed + 1))
    model.add(sq.Softmax())
    model.set(loss=sq.CategoricalCrossentropy(), optimizer=sq.Adam(learning_rate=0.01),
              accuracy=sq.CategoricalAccuracy())
    model.finalize()
    return model


def _trained_model_file(path: Path, steps: int, *, include_optimizer: bool = True) -> Path:
    X, y = sq.datasets.spiral_data(samples=20, classes=3, seed=0)
    model = _model(seed=7)
    model.train(X, y, epochs=steps, verbose=0)  # one step per epoch: the whole batch
    model.save(path, include_optimizer=include_optimizer, overwrite=True)
    return path


def _device(tmp_path: Path) -> Path:
    """A character device (a private copy of /dev/null when we may create one)."""
    if os.geteuid() == 0:
        node = tmp_path / "null"
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        return node
    return Path("/dev/null")  # without root it could not be replaced even by a broken check


def _snapshot(tmp_path: Path, path: Path | str = "") -> dict:
    """What is in ``tmp_path`` and at ``path``: type, mode, owner, link target or content."""
    state = {}
    for root in (tmp_path, Path(path)) if os.fspath(path) else (tmp_path,):
        for item in [root, *(sorted(root.rglob("*")) if root.is_dir() and
                              not root.is_symlink() else [])]:
            if not os.path.lexists(item):
                state[item] = None
                continue
            info = os.lstat(item)
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(item)
            elif stat.S_ISREG(info.st_mode):
                content = item.read_bytes()
            else:
                content = None
            state[item] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode),
                           info.st_uid, content)
    return state


# --- paths that must be refused, for every writer of the API ------------------------------------

# name: (set up what is at the path, the error expected). Each setup returns the path to use.
REFUSED: dict[str, tuple[Callable[[Path, str], Path], type]] = {
    "directory": (lambda tmp, own: _mkdir(tmp / "out"), IsADirectoryError),
    "fifo": (lambda tmp, own: _mkfifo(tmp / "out"), ValueError),
    "device": (lambda tmp, own: _device(tmp), ValueError),
    "missing-directory": (lambda tmp, own: tmp / "no" / "such" / "out", FileNotFoundError),
    "empty-path": (lambda tmp, own: "", ValueError),
    "text-file": (lambda tmp, own: _write(tmp / "notes.txt", TEXT), FileExistsError),
    "other-kind": (lambda tmp, own: _other_kind(tmp, own), FileExistsError),
    "read-only-own-kind": (lambda tmp, own: _own_kind(tmp, own, 0o444), PermissionError),
    "link-to-text": (lambda tmp, own: _link(tmp / "link", _write(tmp / "t.txt", TEXT)),
                     FileExistsError),
    "link-to-directory": (lambda tmp, own: _link(tmp / "link", _mkdir(tmp / "d")),
                          IsADirectoryError),
    "dangling-link-nowhere": (lambda tmp, own: _link(tmp / "link", tmp / "gone" / "x"),
                              FileNotFoundError),
}


def _mkdir(path: Path) -> Path:
    path.mkdir()
    (path / "inside.txt").write_bytes(TEXT)
    return path


def _mkfifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _write(path: Path, content: bytes, mode: int = 0o644) -> Path:
    path.write_bytes(content)
    path.chmod(mode)
    return path


def _link(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _own_kind(tmp: Path, own: str, mode: int) -> Path:
    """A file of the kind the writer may replace: a model, a parameters file or a PNG."""
    path = tmp / "own"
    if own == "png":
        _write(path, PNG_BYTES)
    elif own == "parameters":
        _model(seed=3).save_parameters(path)
    else:
        _trained_model_file(path, steps=1)
    path.chmod(mode)
    return path


def _other_kind(tmp: Path, own: str) -> Path:
    """A file squareone wrote, but of another kind: a PNG where a model goes, and so on."""
    path = tmp / "other"
    if own == "png":
        _trained_model_file(path, steps=1)
    elif own == "parameters":
        _trained_model_file(path, steps=1)
    else:
        _write(path, PNG_BYTES)
    return path


def _plot(path, **options):
    require_extra("matplotlib", "plot")
    history = sq.History()
    history.append(epoch=1, loss=1.0, data_loss=1.0, regularization_loss=0.0, accuracy=0.5,
                   learning_rate=0.01)
    return sq.plots.plot_history(history, path, figsize=(4, 3), dpi=20, **options)


def _checkpoint(path, **options):
    model = _model()
    X, y = sq.datasets.spiral_data(samples=20, classes=3, seed=0)
    try:
        model.train(X, y, epochs=1, verbose=0, checkpoint=path)
    finally:
        assert model.optimizer.iterations == 0, "checked after training started"


# name: (write to path, the kind an existing file may be without overwrite=True)
WRITERS: dict[str, tuple[Callable, str]] = {
    "Model.save": (lambda path, **o: _model().save(path, **o), "model"),
    "save_parameters": (lambda path, **o: _model().save_parameters(path, **o), "parameters"),
    "plot_history": (_plot, "png"),
    "train-checkpoint": (_checkpoint, "model"),
}


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("situation", REFUSED)
def test_a_writer_refuses_what_it_must_not_replace(tmp_path, writer, situation):
    setup, error = REFUSED[situation]
    write, own = WRITERS[writer]
    path = setup(tmp_path, own)
    before = _snapshot(tmp_path, path)
    with pytest.raises(error, match="cannot write"):
        write(path)
    assert _snapshot(tmp_path, path) == before  # nothing replaced, no temporary file left


@pytest.mark.parametrize("writer", ["Model.save", "save_parameters", "plot_history"])
@pytest.mark.parametrize("situation", ["text-file", "other-kind", "read-only-own-kind",
                                       "link-to-text"])
def test_overwrite_true_replaces_any_regular_file_and_keeps_its_mode(tmp_path, writer,
                                                                     situation):
    setup, _ = REFUSED[situation]
    write, own = WRITERS[writer]
    path = setup(tmp_path, own)
    target = Path(os.path.realpath(path))
    mode = stat.S_IMODE(target.stat().st_mode)
    old = target.read_bytes()
    write(path, overwrite=True)
    assert target.read_bytes() != old
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert path.is_symlink() == (situation == "link-to-text")


@pytest.mark.parametrize("situation", ["fifo", "device", "directory"])
def test_overwrite_true_never_replaces_a_directory_or_a_device(tmp_path, situation):
    setup, error = REFUSED[situation]
    path = setup(tmp_path, "model")
    before = _snapshot(tmp_path, path)
    with pytest.raises(error):
        _model().save(path, overwrite=True)
    assert _snapshot(tmp_path, path) == before


@pytest.mark.parametrize("writer", ["Model.save", "save_parameters", "plot_history"])
def test_overwrite_false_replaces_nothing(tmp_path, writer):
    write, own = WRITERS[writer]
    path = _own_kind(tmp_path, own, 0o644)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="the file exists"):
        write(path, overwrite=False)
    assert path.read_bytes() == before
    write(tmp_path / "new", overwrite=False)  # a new file is fine
    assert (tmp_path / "new").stat().st_size > 0


def test_a_directory_that_is_not_writable_is_refused():
    """Root may write anywhere, so as root the check runs in a child that gives up root."""
    # Not under tmp_path: pytest's folders are private to their owner, and the child is not.
    with tempfile.TemporaryDirectory() as name:
        Path(name).chmod(0o755)
        folder = Path(name) / "locked"
        folder.mkdir(mode=0o555)
        _check_as_another_user(folder)
        assert list(folder.iterdir()) == []


def _check_as_another_user(folder: Path) -> None:
    child = os.fork()
    if child == 0:  # the child: report through the exit status, never return into pytest
        status = 3
        try:
            if os.geteuid() == 0:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            check_output(folder / "model.squareone", MODEL_FILE)
        except PermissionError as error:
            status = 0 if "is not writable" in str(error) else 4
        except BaseException:
            status = 5
        finally:
            os._exit(status)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_a_failed_write_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch, step):
    path = _trained_model_file(tmp_path / "model.squareone", steps=1)
    before = _snapshot(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if step == "write":
        monkeypatch.setattr("squareone._files.open", _full_disk_file, raising=False)
    else:
        monkeypatch.setattr(os, step, disk_full)
    with pytest.raises(OSError, match="No space left") as error:
        _model().save(path)
    monkeypatch.undo()
    assert error.value.filename == str(path)
    assert _snapshot(tmp_path) == before


def _full_disk_file(descriptor, mode):
    """An open file whose writes fail as on a full disk (reading still works)."""
    file = open(descriptor, mode)
    if "w" not in mode:
        return file

    class FullDisk:
        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            file.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    return FullDisk()


# --- legitimate replacements: permissions, owner and links are kept -----------------------------

def _saved_parameters(path: Path) -> list[np.ndarray]:
    return [array for pair in sq.Model.load(path).get_parameters() for array in pair]


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o664, 0o660])
def test_replacing_a_model_keeps_its_permissions(tmp_path, mode):
    path = _trained_model_file(tmp_path / "model.squareone", steps=1)
    path.chmod(mode)
    fresh = _model(seed=11)
    fresh.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    for saved, expected in zip(_saved_parameters(path),
                               (a for pair in fresh.get_parameters() for a in pair)):
        np.testing.assert_array_equal(saved, expected)


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o027)
    try:
        _model().save(tmp_path / "model.squareone")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "model.squareone").stat().st_mode) == 0o640


def test_replacing_a_file_keeps_its_owner_where_allowed(tmp_path):
    path = _trained_model_file(tmp_path / "model.squareone", steps=1)
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    owner = path.stat().st_uid, path.stat().st_gid
    _model(seed=5).save(path)
    assert (path.stat().st_uid, path.stat().st_gid) == owner


@pytest.mark.parametrize("links", [1, 2, 3])
def test_saving_through_symbolic_links_replaces_their_target(tmp_path, links):
    target = _trained_model_file(tmp_path / "real.squareone", steps=1)
    target.chmod(0o600)
    path = target
    for index in range(links):
        path = _link(tmp_path / f"link{index}", path)
    _model(seed=5).save(path)
    for index in range(links):
        assert (tmp_path / f"link{index}").is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sq.Model.load(path).optimizer.iterations == 0  # the new, untrained model
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["real.squareone", *(f"link{i}" for i in range(links))])


def test_a_dangling_link_gets_its_target_created(tmp_path):
    link = _link(tmp_path / "link.squareone", tmp_path / "real.squareone")
    _model().save(link)
    assert link.is_symlink() and (tmp_path / "real.squareone").is_file()


def test_a_png_is_replaced_by_a_plot_keeping_its_mode(tmp_path):
    path = _write(tmp_path / "curves.png", PNG_BYTES, mode=0o600)
    _plot(path)
    assert path.read_bytes()[:8] == PNG_BYTES[:8] and path.read_bytes() != PNG_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- the command line: checked before any work, one line naming the option ---------------------

def _train(capsys, tmp_path, *options: str) -> tuple[int, str, str]:
    status = main(["train", "--dataset", "vertical", "--max-samples", "64", "--epochs", "2",
                   "--quiet", *options])
    out, err = capsys.readouterr()
    return status, out, err


# name: (arguments, given tmp_path; the option the error must name)
CLI_REFUSED: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "output-device": (lambda tmp: ["-o", str(_device(tmp))], "--output"),
    "output-fifo": (lambda tmp: ["-o", str(_mkfifo(tmp / "f"))], "--output"),
    "output-directory": (lambda tmp: ["-o", str(_mkdir(tmp / "d"))], "--output"),
    "output-missing-directory": (lambda tmp: ["-o", str(tmp / "no" / "m")], "--output"),
    "output-empty": (lambda tmp: ["-o", ""], "--output"),
    "output-text": (lambda tmp: ["-o", str(_write(tmp / "notes.txt", TEXT))], "--output"),
    "output-png": (lambda tmp: ["-o", str(_write(tmp / "p.png", PNG_BYTES))], "--output"),
    "output-parameters": (lambda tmp: ["-o", str(_own_kind(tmp, "parameters", 0o644))],
                          "--output"),
    "output-read-only-model": (lambda tmp: ["-o", str(_own_kind(tmp, "model", 0o444))],
                               "--output"),
    "output-link-to-text": (lambda tmp: ["-o", str(_link(tmp / "l", _write(tmp / "t", TEXT)))],
                            "--output"),
    "plot-on-model": (lambda tmp: ["--plot", str(_own_kind(tmp, "model", 0o644))], "--plot"),
    "plot-on-text": (lambda tmp: ["--plot", str(_write(tmp / "notes.txt", TEXT))], "--plot"),
    "plot-read-only-png": (lambda tmp: ["--plot", str(_write(tmp / "p.png", PNG_BYTES, 0o444))],
                           "--plot"),
    "plot-directory": (lambda tmp: ["--plot", str(_mkdir(tmp / "d"))], "--plot"),
    "plot-device": (lambda tmp: ["--plot", str(_device(tmp))], "--plot"),
    "same-path": (lambda tmp: ["-o", str(tmp / "x"), "--plot", str(tmp / "x")], "--output"),
    "same-existing-model": (lambda tmp: ["-o", str(_own_kind(tmp, "model", 0o644)), "--plot",
                                         str(tmp / "own")], "--output"),
    "same-through-link": (lambda tmp: ["-o", str(tmp / "m"), "--plot",
                                       str(_link(tmp / "l", tmp / "m"))], "--output"),
    "same-spelled-differently": (lambda tmp: ["-o", str(tmp / "m"), "--plot",
                                              str(tmp / "." / "m")], "--output"),
    "force-on-directory": (lambda tmp: ["--force", "-o", str(_mkdir(tmp / "d"))], "--output"),
    "force-on-device": (lambda tmp: ["--force", "-o", str(_device(tmp))], "--output"),
}


@pytest.mark.parametrize("case", CLI_REFUSED)
def test_train_refuses_an_output_before_any_work(tmp_path, monkeypatch, capsys, case):
    make_arguments, option = CLI_REFUSED[case]
    monkeypatch.chdir(tmp_path)
    arguments = make_arguments(tmp_path)
    before = _snapshot(tmp_path)

    def no_training(*args, **kwargs):
        raise AssertionError("the data was loaded before the outputs were checked")

    monkeypatch.setattr("squareone.cli.train.load_data", no_training)
    status, out, err = _train(capsys, tmp_path, *arguments)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"squareone: error: {option}"), err
    path = arguments[arguments.index(option if option in arguments else "-o") + 1]
    assert path in err
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("existing", ["text", "png", "read-only-model", "parameters"])
def test_train_force_replaces_a_regular_file(tmp_path, monkeypatch, capsys, existing):
    monkeypatch.chdir(tmp_path)
    path = {"text": lambda: _write(tmp_path / "notes.txt", TEXT, 0o600),
            "png": lambda: _write(tmp_path / "p.png", PNG_BYTES, 0o600),
            "read-only-model": lambda: _own_kind(tmp_path, "model", 0o444),
            "parameters": lambda: _own_kind(tmp_path, "parameters", 0o640)}[existing]()
    mode = stat.S_IMODE(path.stat().st_mode)
    status, _, err = _train(capsys, tmp_path, "--force", "--no-plot", "-o", str(path))
    assert status == 0, err
    assert read_metadata(path)["format"] == "squareone-model"
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_train_replaces_its_own_model_and_png_without_force(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    require_extra("matplotlib", "plot")
    model = _own_kind(tmp_path, "model", 0o600)
    plot = _write(tmp_path / "curves.png", PNG_BYTES, 0o640)
    status, _, err = _train(capsys, tmp_path, "-o", str(model), "--plot", str(plot))
    assert status == 0, err
    assert read_metadata(model)["optimizer"]["iterations"] == 4  # 2 epochs of 2 steps
    assert plot.read_bytes() != PNG_BYTES
    assert stat.S_IMODE(model.stat().st_mode) == 0o600
    assert stat.S_IMODE(plot.stat().st_mode) == 0o640


# --- Ctrl-C never saves a model that learned less than the one it would replace ---------------

def _press_ctrl_c_at_step(monkeypatch, step: int) -> None:
    original = sq.Adam.post_update_params

    def post_update_params(self):
        original(self)
        if self.iterations == step:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(sq.Adam, "post_update_params", post_update_params)


def _press_ctrl_c_in_validation(monkeypatch) -> None:
    original = sq.Model._evaluation_sums

    def evaluate(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sq.Model, "_evaluation_sums", evaluate)


def _press_ctrl_c_in_start_up(monkeypatch) -> None:
    from squareone.cli import train

    original = train.load_data

    def load_data(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return original(*args, **kwargs)

    monkeypatch.setattr(train, "load_data", load_data)


# name: (how the file at -o was saved: steps or None for none, "no-optimizer"; where Ctrl-C
# lands; whether the interrupted run replaces it; the steps the file then records)
INTERRUPTED = {
    "step-1-over-trained": (500, ("step", 1), False, 500),
    "step-3-over-2-steps": (2, ("step", 3), True, 3),
    "step-2-over-same-steps": (2, ("step", 2), False, 2),
    "step-5-no-file": (None, ("step", 5), True, 5),
    "step-2-over-model-without-optimizer": ("no-optimizer", ("step", 2), False, None),
    "validation-over-trained": (500, ("validation", None), False, 500),
    "validation-over-1-step": (1, ("validation", None), True, 2),
    "start-up-over-trained": (500, ("start-up", None), False, 500),
    "start-up-no-file": (None, ("start-up", None), False, "absent"),
}


@pytest.mark.parametrize("case", INTERRUPTED)
def test_an_interrupted_run_never_saves_a_model_that_learned_less(tmp_path, monkeypatch,
                                                                  capsys, case):
    existing, (where, step), replaced, recorded = INTERRUPTED[case]
    path = tmp_path / "model.squareone"
    if existing == "no-optimizer":
        _trained_model_file(path, steps=3, include_optimizer=False)
    elif existing is not None:
        _trained_model_file(path, steps=existing)
    before = path.read_bytes() if path.exists() else None
    if where == "step":
        _press_ctrl_c_at_step(monkeypatch, step)
    elif where == "validation":
        _press_ctrl_c_in_validation(monkeypatch)
    else:
        _press_ctrl_c_in_start_up(monkeypatch)
    status, _, err = _train(capsys, tmp_path, "--no-plot", "--epochs", "50", "-o", str(path))
    assert status == 130
    assert "Traceback" not in err and "interrupted" in err
    if recorded == "absent":
        assert not path.exists()
        return
    assert (path.read_bytes() != before) == replaced
    if not replaced and before is not None:
        assert "was not saved" in err or "nothing was saved" in err
    assert (read_metadata(path).get("optimizer") or {}).get("iterations") == recorded
