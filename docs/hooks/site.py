"""MkDocs hook: the site's pages, made from what the repository already holds.

Nothing on the site is written twice. This hook adds, when the site is built:

- **Home** and the **User guide**: README.md, cut at its ``## `` headings (the part before the
  first heading is Home; "From the book to squareone" heads the Book section);
- **Tutorial**: tutorial/README.md, then one page per step, from ``squareone.notebooks``'
  reading of the script (its TITLE/THEORY/THIS STEP docstring as prose, its cells as code),
  followed by what the step prints and the figures it draws, captured by running it now;
- **Concepts**: docs/README.md as the overview, then every docs/concepts page, each given a
  list of the tutorial steps that link it;
- **API reference**: one page per module, every name in its ``__all__`` rendered by
  mkdocstrings from its numpydoc docstring, with the book's name where squareone.nnfs has one;
- **Benchmarks**: benchmarks/README.md and benchmarks/RESULTS.md.

Links are written for the repository (``docs/concepts/adam.md``, ``tutorial/17_model.py``);
each is rewritten to the page that now shows that file, or, for a file with no page (a test,
an example), to its path as plain text. Step runs are cached in ``build/site-tutorial`` under a
hash of everything they depend on, so a rebuild (``mkdocs serve``) takes seconds.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "tutorial"
CACHE = ROOT / "build" / "site-tutorial"
STEP_TIMEOUT_S = 600
log = logging.getLogger("mkdocs.hooks.site")

sys.path.insert(0, str(ROOT))  # squareone from this checkout, installed or not
from squareone import notebooks  # noqa: E402
from squareone.datasets import mnist  # noqa: E402

# The API reference: page, title and the modules whose __all__ it documents.
API_PAGES = [
    ("layers", "Layers", ["squareone.layers"]),
    ("activations", "Activations", ["squareone.activations"]),
    ("losses", "Losses", ["squareone.losses"]),
    ("optimizers", "Optimizers", ["squareone.optimizers"]),
    ("metrics", "Metrics", ["squareone.metrics"]),
    ("model", "Model", ["squareone.model.core", "squareone.model.history"]),
    ("datasets", "Datasets", ["squareone.datasets.synthetic", "squareone.datasets.mnist",
                              "squareone.datasets.images", "squareone.datasets.preprocessing"]),
    ("io", "Saving and loading", ["squareone.io"]),
    ("plots", "Plots", ["squareone.plots", "squareone.animation"]),
    ("nnfs", "Book mode", ["squareone.nnfs"]),
    ("sklearn", "scikit-learn estimators", ["squareone.sklearn"]),
    ("onnx", "ONNX", ["squareone.onnx"]),
    ("distributed", "MPI", ["squareone.distributed"]),
    ("notebooks", "Notebooks", ["squareone.notebooks"]),
]
# Objects whose page shows the members they inherit: Model's methods live in mixins, one per
# seam (training, inference, parameters), but a reader looks for them on Model.
INHERITED = {"squareone.model.core.Model"}
# README sections that are not User guide pages, and where they go instead.
README_ELSEWHERE = {"From the book to squareone": "book/index.md",
                    "Speed": "benchmarks/index.md", "Learning path": None}
MATH_LINE = re.compile(r"^Math: (docs/concepts/[a-z0-9-]+\.md)", re.M)
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")

# Filled by on_files, read by on_config's nav and on_page_markdown.
_pages: dict[str, tuple[str, str]] = {}  # site path -> (Markdown, repo folder its links are from)


# --- Pages -----------------------------------------------------------------------------------

def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def readme_sections() -> list[tuple[str | None, str]]:
    """README.md as (heading, Markdown) pairs; the intro has heading None."""
    sections, heading, lines = [], None, []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            sections.append((heading, "\n".join(lines)))
            heading, lines = line[3:].strip(), [f"# {line[3:].strip()}"]
        elif heading is None and line.startswith("# "):
            lines.append("# squareone")
        else:
            lines.append(line)
    sections.append((heading, "\n".join(lines)))
    return sections


def readme_pages() -> list[tuple[str, str, str]]:
    """(site path, title, Markdown) of Home, the User guide and the pages README sections head."""
    pages = []
    for heading, text in readme_sections():
        if heading is None:
            path, title = "index.md", "Home"
        elif heading in README_ELSEWHERE:
            path, title = README_ELSEWHERE[heading], heading
            if path is None:
                continue
        else:
            path, title = f"guide/{_slug(heading)}.md", heading
        pages.append((path, title, text))
    return pages


def step_scripts() -> list[Path]:
    return notebooks.step_scripts(TUTORIAL)


def step_title(script: Path) -> str:
    docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    return docstring.splitlines()[1].strip()


def step_page(script: Path, run: dict) -> str:
    """A step's page: its cells, then what it printed and the figures it drew."""
    parts = []
    for cell in notebooks.step_cells(script):
        parts.append(cell.source if cell.kind == "markdown" else f"```python\n{cell.source}\n```")
    parts.append(f'!!! tip "Run it yourself"\n    `python tutorial/{script.name}` from the '
                 "repository root; or open the script as a notebook (VS Code, or Jupyter with "
                 f"jupytext), or write it as one: `squareone notebooks notebooks/ {script.stem}`"
                 " ([how](index.md#open-the-steps-as-notebooks)).")
    parts.append("## What it prints")
    run_command = f"python tutorial/{script.name}"
    if run["fast"]:
        run_command = "SQUAREONE_FAST=1 " + run_command
    parts.append(f"Captured when this site was built, by `{run_command}`:")
    parts.append(f"```text\n{run['stdout'].rstrip() or '(nothing)'}\n```")
    if run["returncode"] is None:
        parts.append(f'!!! note "Not run"\n    {run["reason"]}')
    elif run["returncode"] != 0:
        parts.append(f'!!! warning "The step did not finish"\n    {run["reason"]}')
    for figure in run["figures"]:
        parts.append(f"![{figure}]({script.stem}/{figure})")
    return "\n\n".join(parts)


def api_page(title: str, modules: list[str]) -> str:
    """A module's API page: a table of its public names (with the book's names), then each."""
    book_names = _book_names()
    lines = [f"# {title}", "", "| squareone | the book | module |", "|---|---|---|"]
    blocks = []
    for module in modules:
        for name in _public_names(module):
            book = ", ".join(f"`{alias}`" for alias in book_names.get(name, ())) or ""
            lines.append(f"| [`{name}`](#{module}.{name}) | {book} | `{module}` |")
            block = f"::: {module}.{name}"
            if f"{module}.{name}" in INHERITED:
                block += "\n    options:\n      inherited_members: true"
            blocks.append(block)
    return "\n".join(lines) + "\n\n" + "\n\n".join(blocks) + "\n"


def _public_names(module: str) -> list[str]:
    """The names in a module's ``__all__``, read from its source (nothing is imported)."""
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    names: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = [node.target] if isinstance(node, ast.AugAssign) else getattr(node, "targets", [])
        if any(getattr(target, "id", None) == "__all__" for target in targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                names += [ast.literal_eval(element) for element in node.value.elts]
    return names


def _book_names() -> dict[str, list[str]]:
    """squareone class name -> the book's names for it, from squareone.nnfs' aliases."""
    names: dict[str, list[str]] = {}
    source = (ROOT / "squareone" / "nnfs.py").read_text(encoding="utf-8")
    for alias, target in re.findall(r"^([A-Z][A-Za-z]*_\w+) = (\w+)$", source, re.M):
        names.setdefault(target, []).append(alias)
    return names


# --- Running the steps -----------------------------------------------------------------------

def run_steps(scripts: list[Path]) -> dict[str, dict]:
    """Each step's stdout, exit status and figures, from the cache or from running it now."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip((s.stem for s in scripts), pool.map(_run_step, scripts)))


def _run_step(script: Path) -> dict:
    fast = os.environ.get("SQUAREONE_FAST") == "1"
    key = _step_key(script, fast)
    folder = CACHE / f"{script.stem}-{key}"
    record = folder / "run.json"
    if record.is_file():
        return json.loads(record.read_text(encoding="utf-8"))
    data = _data_dir()
    if data is None and "fashion_mnist" in script.read_text(encoding="utf-8"):
        return {"fast": fast, "returncode": None, "stdout": "", "figures": [],
                "reason": "Fashion-MNIST not found (in $SQUAREONE_DATA, ~/.cache/squareone or "
                          "../shared/datasets), so this output was not captured; set "
                          "SQUAREONE_DATA and rebuild"}
    shutil.rmtree(folder, ignore_errors=True)
    figures_dir = folder / "figures"
    env = dict(os.environ, MPLBACKEND="Agg", SQUAREONE_TUTORIAL_OUT=str(figures_dir),
               OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    if data is not None:
        env["SQUAREONE_DATA"] = str(data)
    log.info("running tutorial/%s for its page", script.name)
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, text=True,
                            capture_output=True, timeout=STEP_TIMEOUT_S)
    shown = os.path.relpath(figures_dir, ROOT)  # printed as "plot saved: <path>"
    run = {"fast": fast, "returncode": result.returncode,
           "stdout": result.stdout.replace(shown + os.sep, "tutorial/out/"),
           "figures": sorted(p.name for p in figures_dir.glob("*.png")),
           "reason": (result.stderr.strip().splitlines() or ["(no message)"])[-1]}
    folder.mkdir(parents=True, exist_ok=True)
    if result.returncode == 0:  # a failed run is not cached: the next build tries again
        record.write_text(json.dumps(run), encoding="utf-8")
    return run


def _step_key(script: Path, fast: bool) -> str:
    """A hash of the step, tutorial/_common.py, squareone's sources and the mode."""
    digest = hashlib.sha256(f"fast={fast}".encode())
    for path in [script, TUTORIAL / "_common.py", *sorted((ROOT / "squareone").rglob("*.py"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _data_dir() -> Path | None:
    """The folder holding fashion-mnist/ for steps 18-22 (their SQUAREONE_DATA): where the
    library looks, then ../shared/datasets."""
    found = mnist.find_dataset("fashion-mnist", [ROOT.parent / "shared" / "datasets"])
    return found.parent if found is not None else None


# --- Links -----------------------------------------------------------------------------------

def site_path(repo_path: str) -> str | None:
    """The site page (or file) that shows a repository file, or None if none does."""
    fixed = {"README.md": "index.md", "docs/README.md": "concepts.md",
             "tutorial/README.md": "tutorial/index.md",
             "benchmarks/README.md": "benchmarks/method.md",
             "benchmarks/RESULTS.md": "benchmarks/results.md"}
    if repo_path in ("docs", "docs/concepts"):
        return "concepts.md"
    if repo_path in fixed:
        return fixed[repo_path]
    if repo_path.startswith("docs/"):
        return repo_path[len("docs/"):]
    if re.fullmatch(r"tutorial/\d\d_\w+\.py", repo_path):
        return repo_path[:-3] + ".md"
    module = re.fullmatch(r"squareone/(\w+)(?:/.*)?(?:\.py)?", repo_path)
    if module and any(page == module.group(1) for page, _, _ in API_PAGES):
        return f"api/{module.group(1)}.md"
    return None


def rewrite_links(markdown: str, from_folder: str, page: str) -> str:
    """Point the repository links of ``markdown`` (relative to ``from_folder``) at site pages."""
    def replace(match: re.Match) -> str:
        bang, text, target = match.groups()
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(from_folder, path))
        shown = site_path(repo_path)
        if shown is None:
            return text if not bang else match.group(0)
        relative = posixpath.relpath(shown, posixpath.dirname(page) or ".")
        return f"{bang}[{text}]({relative}{'#' + anchor if anchor else ''})"

    # Fenced code keeps its text: "a[i](x)" in code is not a link.
    parts = re.split(r"(^```.*?^```)", markdown, flags=re.M | re.S)
    return "".join(part if part.startswith("```") else LINK.sub(replace, part) for part in parts)


def steps_linking(concept_page: str) -> list[Path]:
    """The tutorial steps whose docstring names ``docs/<concept_page>`` on a Math: line."""
    return [script for script in step_scripts()
            if f"docs/{concept_page}" in MATH_LINE.findall(script.read_text(encoding="utf-8"))]


# --- MkDocs events ---------------------------------------------------------------------------

def on_config(config):
    guide = [(title, path) for path, title, _ in readme_pages() if path.startswith("guide/")]
    concepts = re.findall(r"\]\((concepts/[a-z0-9-]+\.md)\)",
                          (ROOT / "docs" / "README.md").read_text(encoding="utf-8"))
    config["nav"] = [
        {"Home": "index.md"},
        {"Tutorial": ["tutorial/index.md"] + [
            {step_title(s): f"tutorial/{s.stem}.md"} for s in step_scripts()]},
        {"Concepts": [{"Overview": "concepts.md"}] + list(dict.fromkeys(concepts))},
        {"User guide": [{title: path} for title, path in guide]},
        {"API reference": ["api/index.md"] + [{title: f"api/{page}.md"}
                                              for page, title, _ in API_PAGES]},
        {"The book": ["book/index.md", {"Chapter by chapter": "book.md"}]},
        {"Benchmarks": ["benchmarks/index.md", {"Method": "benchmarks/method.md"},
                        {"Results": "benchmarks/results.md"}]},
    ]
    return config


def on_files(files: Files, config) -> Files:
    _pages.clear()
    for path, _, text in readme_pages():
        _pages[path] = (text, "")
    home, _ = _pages["index.md"]
    _pages["index.md"] = (home + "\n\n![The playground after the Chapter 10 preset trained "
                          "for 2,000 epochs](docs/images/playground.png)\n", "")
    _pages["concepts.md"] = ((ROOT / "docs" / "README.md").read_text(encoding="utf-8"), "docs")
    _pages["tutorial/index.md"] = ((TUTORIAL / "README.md").read_text(encoding="utf-8"),
                                   "tutorial")
    scripts = step_scripts()
    runs = run_steps(scripts)
    for script in scripts:
        run = runs[script.stem]
        if run["returncode"] is None:  # no data here; under CI a missing data set fails
            in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
            (log.warning if in_ci else log.info)("tutorial/%s: %s", script.name, run["reason"])
        elif run["returncode"] != 0:
            log.warning("tutorial/%s exited with %d: %s", script.name, run["returncode"],
                        run["reason"])
        _pages[f"tutorial/{script.stem}.md"] = (step_page(script, run), "")
        figures = CACHE / f"{script.stem}-{_step_key(script, run['fast'])}" / "figures"
        for figure in run["figures"]:
            files.append(File.generated(config, f"tutorial/{script.stem}/{figure}",
                                        abs_src_path=str(figures / figure)))
    _pages["api/index.md"] = (_api_index(), "")
    for page, title, modules in API_PAGES:
        _pages[f"api/{page}.md"] = (api_page(title, modules), "")
    for name in ("README.md", "RESULTS.md"):
        _pages[site_path(f"benchmarks/{name}")] = (
            (ROOT / "benchmarks" / name).read_text(encoding="utf-8"), "benchmarks")
    for path, (text, _) in _pages.items():
        files.append(File.generated(config, path, content=text))
    return files


def _api_index() -> str:
    lines = ["# API reference", "",
             "Every public class and function of squareone, from its docstring. `import "
             "squareone as sq` gives the network's parts directly (`sq.Dense`, `sq.Adam`, "
             "`sq.Model`); the book's class names are aliases in `squareone.nnfs`.", ""]
    for page, title, modules in API_PAGES:
        lines.append(f"- [{title}]({page}.md): " + ", ".join(f"`{m}`" for m in modules))
    return "\n".join(lines) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    src = page.file.src_uri
    from_folder = _pages[src][1] if src in _pages else posixpath.dirname("docs/" + src)
    markdown = rewrite_links(markdown, from_folder, src)
    # The concept pages' checked blocks: tests/test_docs.py runs every "```python check" block.
    markdown = re.sub(r"^(\s*)```python check\s*$",
                      r'\1```python title="Checked numerically by tests/test_docs.py"',
                      markdown, flags=re.M)
    if src.startswith("concepts/"):
        steps = steps_linking(src)
        if steps:
            markdown += "\n\n## In the tutorial\n\n" + "\n".join(
                f"- [{step_title(s)}](../tutorial/{s.stem}.md)" for s in steps) + "\n"
    return markdown
