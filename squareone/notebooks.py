"""The tutorial's steps as Jupyter notebooks, read from the scripts themselves.

Every step in ``tutorial/`` is a plain script in jupytext's *percent* format: ``# %% [markdown]``
above its TITLE / THEORY / THIS STEP docstring, ``# %%`` before each group of code. Python runs
it as always (the markers are comments); Jupyter and JupyterLab with jupytext, and VS Code, open
it as a notebook. There is no second copy to keep in step: :func:`write_notebooks` (the command
``squareone notebooks DIR``) writes ``.ipynb`` files from the scripts, for any other notebook
tool, and :func:`step_cells` gives the documentation site the same cells.

Needs jupytext (``pip install squareone[docs]``), which reads the percent format.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from squareone._extras import require
from squareone._files import FileKind, check_output, write_atomically

__all__ = ["Cell", "docstring_markdown", "find_tutorial", "step_cells", "step_scripts",
           "write_notebooks"]

#: The metadata key that marks a notebook as written by :func:`write_notebooks`.
METADATA_KEY = "squareone"

#: The tutorial folder of a source checkout (``pip install -e .``); see :func:`find_tutorial`.
CHECKOUT_TUTORIAL = Path(__file__).resolve().parents[1] / "tutorial"

# A notebook this module wrote is replaced by a new run; any other file is left alone.
NOTEBOOK = FileKind("a notebook written by squareone notebooks",
                    lambda file: _written_here(file.read(50_000_000)))
_COMMON_START = b'"""The tutorial\'s incidental machinery'
COMMON = FileKind("the tutorial's _common.py",
                  lambda file: file.read(len(_COMMON_START)) == _COMMON_START)

_HINT = "remove it or write the notebooks elsewhere"
_HEADINGS = {"THEORY": "## Theory", "THIS STEP": "## This step"}
_MATH_LINE = re.compile(r"Math: (docs/concepts/[\w-]+\.md)(.*)")


def _written_here(content: bytes) -> bool:
    try:
        return METADATA_KEY in json.loads(content).get("metadata", {})
    except (ValueError, AttributeError):  # not JSON, or JSON but not a notebook
        return False


class Cell(NamedTuple):
    """One cell of a step: ``kind`` is ``"markdown"`` or ``"code"``, ``source`` its text."""

    kind: str
    source: str


def find_tutorial(folder: str | os.PathLike | None = None) -> Path:
    """Return the tutorial folder: ``folder``, else ``./tutorial``, else the checkout's.

    Raises
    ------
    FileNotFoundError
        No folder with step scripts (``NN_name.py``) there, with what to pass instead.
    """
    candidates = [Path(folder)] if folder is not None else [Path("tutorial"), CHECKOUT_TUTORIAL]
    for candidate in candidates:
        if candidate.is_dir() and step_scripts(candidate):
            return candidate
    looked = " or ".join(repr(str(path)) for path in candidates)
    raise FileNotFoundError(f"no tutorial steps (files like 05_loss.py) in {looked}; give the "
                            "tutorial folder of a squareone checkout")


def step_scripts(tutorial: str | os.PathLike, steps: Iterable[str] | None = None) -> list[Path]:
    """The step scripts in ``tutorial`` in order, or those named by ``steps``.

    A step is named by its number (``5`` or ``05``), its name (``05_loss``) or its file name
    (``05_loss.py``).

    Raises
    ------
    ValueError
        A name that matches no step, with the steps there are.
    """
    scripts = sorted(Path(tutorial).glob("[0-9][0-9]_*.py"))
    if steps is None:
        return scripts
    chosen = []
    for step in steps:
        text = str(step).removesuffix(".py")
        matches = [script for script in scripts
                   if text in (script.stem, script.stem[:2]) or text == script.stem[:2].lstrip("0")]
        if not matches:
            known = ", ".join(script.stem for script in scripts)
            raise ValueError(f"no tutorial step {step!r}; the steps are {known}")
        chosen += [match for match in matches if match not in chosen]
    return chosen


def docstring_markdown(docstring: str, link: Callable[[str], str] = lambda path: path) -> str:
    """A step's TITLE / THEORY / THIS STEP docstring as Markdown.

    The title becomes a ``#`` heading, THEORY and THIS STEP ``##`` headings, and each
    ``Math: docs/concepts/<page>.md`` line an item of a list of links (``link`` maps the
    repository path to the link target). Indented formulas stay indented: code blocks.
    """
    lines = docstring.strip().splitlines()
    if not lines or lines[0].strip() != "TITLE" or len(lines) < 2:
        raise ValueError("a step's docstring starts with TITLE and the step's title on the next "
                         f"line, got {docstring[:40]!r}")
    markdown = [f"# {lines[1].strip()}", ""]
    for line in lines[2:]:
        math = _MATH_LINE.fullmatch(line.strip())
        if line.strip() in _HEADINGS:
            markdown += ["", _HEADINGS[line.strip()], ""]  # blank lines: a list may precede
        elif math:
            if not markdown[-1].startswith("- The math: "):
                markdown.append("")  # a list needs a blank line before it
            path, rest = math.groups()
            markdown.append(f"- The math: [{path}]({link(path)}){rest}")
        else:
            markdown.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(markdown))


def step_cells(script: str | os.PathLike,
               link: Callable[[str], str] = lambda path: path) -> list[Cell]:
    """The cells of a step script: its docstring as Markdown (see :func:`docstring_markdown`),
    then its code cells, as jupytext reads the ``# %%`` markers."""
    jupytext = require("jupytext", "docs", "squareone.notebooks")
    notebook = jupytext.read(script, fmt="py:percent")
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and not cells:
            cells.append(Cell("markdown", docstring_markdown(cell.source, link)))
        elif cell.source.strip():
            cells.append(Cell(cell.cell_type, cell.source.strip("\n")))
    if not cells or cells[0].kind != "markdown":
        raise ValueError(f"{script}: a step starts with '# %% [markdown]' above its docstring")
    return cells


def write_notebooks(folder: str | os.PathLike, steps: Sequence[str] | None = None,
                    tutorial: str | os.PathLike | None = None) -> list[Path]:
    """Write tutorial steps as ``.ipynb`` notebooks into ``folder``.

    Parameters
    ----------
    folder : str or os.PathLike
        Where the notebooks go; created if missing. The tutorial's ``_common.py``, which the
        steps import, is copied beside them, so they run from there.
    steps : sequence of str, optional
        The steps to write (``"5"``, ``"05"``, ``"05_loss"``); default: all of them.
    tutorial : str or os.PathLike, optional
        The tutorial folder (see :func:`find_tutorial`).

    Returns
    -------
    list of pathlib.Path
        The notebooks written, in order. A notebook that an earlier run wrote is replaced;
        any other existing file of the same name is left as it was and raises
        FileExistsError, before anything is written.
    """
    nbformat = require("nbformat", "docs", "squareone.notebooks")
    tutorial = find_tutorial(tutorial)
    scripts = step_scripts(tutorial, steps)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [(script, folder / f"{script.stem}.ipynb") for script in scripts]
    common = tutorial / "_common.py"
    files = [(folder / common.name, common.read_bytes(), COMMON)]
    files += [(path, (nbformat.writes(_notebook(nbformat, script, folder)) + "\n").encode(),
               NOTEBOOK) for script, path in targets]
    for path, _, kind in files:  # refuse before writing anything
        check_output(path, kind, hint=_HINT)
    for path, content, kind in files:
        write_atomically(path, lambda file, content=content: file.write(content), kind,
                         hint=_HINT)
    return [path for _, path in targets]


def _notebook(nbformat, script: Path, folder: Path):
    """The notebook of one step, its links relative to ``folder``."""
    def link(path: str) -> str:
        return Path(os.path.relpath(script.parent.parent / path, folder.resolve())).as_posix()

    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(cell.source) if cell.kind == "markdown"
             else v4.new_code_cell(cell.source) for cell in step_cells(script, link)]
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                               "language": "python"},
                "language_info": {"name": "python"},
                METADATA_KEY: {"step": script.stem,
                               "written by": "squareone notebooks, from tutorial/"
                                             f"{script.name}: edit the script, not this copy"}}
    notebook = v4.new_notebook(cells=cells, metadata=metadata)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{script.stem[:2]}-{index:02d}"  # stable ids: rewriting changes nothing
    nbformat.validate(notebook)
    return notebook
