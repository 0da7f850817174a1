"""The tutorial as notebooks: the scripts' cell markers, ``squareone notebooks`` and its output.

The steps are plain scripts in jupytext's percent format; these tests read them as Jupyter's
jupytext does, write notebooks with the command a reader runs, execute three of them in a real
kernel (nbclient, fast mode) and compare what they print with the script's own output.
"""

from __future__ import annotations

import ast
import json
import re
import sys

import pytest
from conftest import REPO_ROOT, TUTORIAL, require_extra, run_tutorial_step

from squareone import notebooks
from squareone.cli import main

STEPS = sorted(path.stem for path in TUTORIAL.glob("[0-9][0-9]_*.py"))
EXECUTED = ["05_loss", "10_sgd", "17_model"]
MARKER = re.compile(r"# %%( \[markdown\])?$")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_there_are_22_steps():
    assert len(STEPS) == 22 and STEPS[0] == "01_neuron" and STEPS[-1] == "22_many_machines"


@pytest.mark.parametrize("name", STEPS)
def test_jupytext_opens_each_script_as_a_notebook_with_nothing_lost(name):
    jupytext = require_extra("jupytext", "docs")
    source = (TUTORIAL / f"{name}.py").read_text(encoding="utf-8")
    assert source.startswith('# %% [markdown]\n"""TITLE\n'), "the docstring is a Markdown cell"
    # What Jupyter (with jupytext) and VS Code see: the format is detected from the markers.
    notebook = jupytext.read(TUTORIAL / f"{name}.py")
    assert notebook.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and set(kinds[1:]) == {"code"} and len(kinds) >= 3
    assert notebook.cells[0].source.strip() == ast.get_docstring(ast.parse(source)).strip()
    # Every line of code after the docstring is in exactly one code cell, in order.
    tree = ast.parse(source)
    code_lines = [line for line in source.splitlines()[tree.body[0].end_lineno:]
                  if line.strip() and not MARKER.match(line)]
    cell_lines = [line for cell in notebook.cells[1:] for line in cell.source.splitlines()
                  if line.strip()]
    assert cell_lines == code_lines


def test_the_docstring_becomes_markdown_with_headings_and_links():
    docstring = ast.get_docstring(ast.parse((TUTORIAL / "05_loss.py").read_text()))
    markdown = notebooks.docstring_markdown(docstring, link=lambda path: "site/" + path)
    lines = markdown.splitlines()
    assert lines[0] == ("# Step 05: the loss: categorical cross-entropy, the log, clipping; "
                        "accuracy (book chapter 5)")
    assert "## Theory" in lines and "## This step" in lines
    assert lines.index("## Theory") < lines.index("## This step")
    assert "TITLE" not in lines and "THEORY" not in lines and "THIS STEP" not in lines
    assert ("- The math: [docs/concepts/categorical-cross-entropy.md]"
            "(site/docs/concepts/categorical-cross-entropy.md) (forward section)") in lines
    first_item = next(i for i, line in enumerate(lines) if line.startswith("- The math"))
    assert lines[first_item - 1] == "", "a Markdown list needs a blank line before it"
    # The formula stays an indented block: Markdown shows it as code, as in the script.
    assert "    L_i = -sum_j y_i,j * log(y-hat_i,j) = -log(y-hat_i,k)" in lines


def test_a_docstring_without_title_is_refused():
    with pytest.raises(ValueError, match="starts with TITLE"):
        notebooks.docstring_markdown("Step 05: no heading\nTHEORY\n...")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The notebooks of three steps, written by the command a reader runs."""
    require_extra("nbformat", "docs")
    folder = tmp_path_factory.mktemp("notebooks")
    status = main(["notebooks", str(folder), "5", "10_sgd", "17_model.py"])
    assert status == 0
    return folder


def test_the_command_writes_valid_notebooks_and_common(written):
    nbformat = require_extra("nbformat", "docs")
    assert sorted(path.name for path in written.iterdir()) == [
        "05_loss.ipynb", "10_sgd.ipynb", "17_model.ipynb", "_common.py"]
    assert (written / "_common.py").read_bytes() == (TUTORIAL / "_common.py").read_bytes()
    for name in EXECUTED:
        notebook = nbformat.read(written / f"{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata["kernelspec"]["name"] == "python3"
        assert notebook.cells[0].cell_type == "markdown"
        assert notebook.cells[0].source.startswith(f"# Step {name[:2]}: ")
        code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert "import squareone as sq" in code and "# %%" not in code


def _stdout(notebook) -> str:
    return "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                   for output in cell.outputs
                   if output.output_type == "stream" and output.name == "stdout")


def _without_folders(text: str) -> str:
    """'plot saved: <path>' names the file relative to where it ran; compare the names."""
    return re.sub(r"(plot saved: ).*/", r"\1", text)


@pytest.mark.parametrize("name", EXECUTED)
def test_notebooks_run_in_a_kernel_and_print_what_the_script_prints(name, written, tmp_path,
                                                                     monkeypatch):
    nbformat = require_extra("nbformat", "docs")
    nbclient = require_extra("nbclient", "docs")
    out = tmp_path / "out"
    # The kernel inherits this environment: fast mode and a folder for the figures.
    for variable, value in dict(SQUAREONE_FAST="1", MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1",
                                SQUAREONE_TUTORIAL_OUT=str(out)).items():
        monkeypatch.setenv(variable, value)
    notebook = nbformat.read(written / f"{name}.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(written)}}).execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    script_out = tmp_path / "script-out"
    expected = run_tutorial_step(name, SQUAREONE_TUTORIAL_OUT=str(script_out))
    assert _without_folders(_stdout(notebook)) == _without_folders(expected)
    if name == "10_sgd":  # its figures are drawn in the kernel too, and are real PNGs
        figures = sorted(path.name for path in out.glob("*.png"))
        assert figures and figures == sorted(path.name for path in script_out.glob("*.png"))
        assert all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in out.glob("*.png"))


def test_a_step_with_options_runs_with_its_defaults_in_a_kernel(written):
    """Steps 18-22 parse a command line; in a kernel sys.argv holds Jupyter's '-f file'."""
    nbformat = require_extra("nbformat", "docs")
    nbclient = require_extra("nbclient", "docs")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nfrom _common import argument_parser\n"
        "args = argument_parser(__doc__).parse_args()\n"
        "print('argv has -f:', '-f' in sys.argv, '| data_dir:', args.data_dir)")])
    nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(written)}}).execute()
    assert _stdout(notebook) == "argv has -f: True | data_dir: None\n"


def test_rewriting_replaces_the_notebooks_it_wrote(written, capsys):
    before = (written / "05_loss.ipynb").read_bytes()
    (written / "05_loss.ipynb").write_text(before.decode().replace("Step 05", "Step 5"))
    status, out, _ = _run(capsys, "notebooks", str(written), "05")
    assert status == 0 and f"wrote {written / '05_loss.ipynb'}" in out
    assert (written / "05_loss.ipynb").read_bytes() == before  # ids and metadata are stable


def test_a_file_it_did_not_write_is_never_replaced(tmp_path, capsys):
    require_extra("nbformat", "docs")
    mine = tmp_path / "06_random_search.ipynb"
    mine.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4}))
    status, out, err = _run(capsys, "notebooks", str(tmp_path), "5", "6")
    assert status == 1 and out == ""
    assert err.startswith("squareone: error: cannot write ")
    assert "06_random_search.ipynb" in err and "not a notebook written by squareone" in err
    assert json.loads(mine.read_text())["metadata"] == {}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["06_random_search.ipynb"]


@pytest.mark.parametrize("argv, words", [
    (["99"], ["STEP", "no tutorial step '99'", "01_neuron", "22_many_machines"]),
    (["--tutorial", "{tmp}"], ["--tutorial", "no tutorial steps", "05_loss.py"]),
])
def test_bad_steps_and_folders_are_usage_errors(argv, words, tmp_path, capsys):
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    status, out, err = _run(capsys, "notebooks", str(tmp_path / "nb"), *argv)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert all(word in err for word in words), err
    assert not (tmp_path / "nb").exists()


def test_dir_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    status, _, err = _run(capsys, "notebooks", str(tmp_path / "notes.txt"))
    assert status == 2 and "is a file; give a folder" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_without_jupytext_the_message_names_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "jupytext", None)  # import jupytext now fails
    with pytest.raises(ImportError, match=r"needs jupytext.*pip install squareone\[docs\]"):
        notebooks.step_cells(TUTORIAL / "05_loss.py")
    status, out, err = _run(capsys, "notebooks", str(tmp_path), "5")
    assert status == 1 and "pip install squareone[docs]" in err and len(err.splitlines()) == 1


def test_steps_are_found_from_a_checkout_and_by_number():
    assert notebooks.find_tutorial() in (TUTORIAL, TUTORIAL.relative_to(REPO_ROOT))
    scripts = notebooks.step_scripts(TUTORIAL, ["5", "05", "05_loss", "05_loss.py", "17"])
    assert [script.name for script in scripts] == ["05_loss.py", "17_model.py"]


def test_without_steps_every_step_is_written(tmp_path, capsys):
    require_extra("nbformat", "docs")
    status, out, _ = _run(capsys, "notebooks", str(tmp_path))
    assert status == 0 and out.splitlines()[-1].startswith(f"{len(STEPS)} notebooks in ")
    assert sorted(path.stem for path in tmp_path.glob("*.ipynb")) == STEPS


def test_dir_is_the_one_required_argument(capsys):
    status, out, err = _run(capsys, "notebooks")
    assert status == 2 and out == ""
    assert "the following arguments are required: DIR (" in err  # STEP is optional
