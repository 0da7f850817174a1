"""The documentation site, built as CI builds it and read in a real headless browser.

Builds the site with ``mkdocs build --strict`` (any warning fails), serves it on 127.0.0.1
and opens it in Chromium through Playwright, as a reader would: the math of a concept page is
typeset by the KaTeX committed under docs/assets (no request leaves the machine), the API page
of ``Dense`` shows its parameters, step 05's page shows the loss the step printed, and every
internal link of every page leads to a page and an anchor that exist. Screenshots go to
``build/site-screenshots``. Needs ``pip install -e ".[docs]"`` and Debian's chromium.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import REPO_ROOT, require_extra

pytestmark = pytest.mark.site
SCREENSHOTS = REPO_ROOT / "build" / "site-screenshots"
BUILD_TIMEOUT_S = 900  # the first build runs every tutorial step (about 90 s on 2 cores)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built from this checkout into a temporary folder."""
    require_extra("mkdocs", "docs")
    require_extra("mkdocstrings_handlers.python", "docs")
    folder = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                             str(folder)], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=BUILD_TIMEOUT_S, env=_build_env())
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-6000:]}"
    return folder


def _build_env() -> dict[str, str]:
    import os

    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env.pop("SQUAREONE_FAST", None)  # the pages show what a reader's run prints
    return env


@pytest.fixture(scope="module")
def url(site):
    """The base URL of the built site, served by the standard library."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def page(chromium, url):
    """A browser page that records every request and every console error."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.requests, page.errors = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_concept_page_math_is_typeset_offline(page, url):
    page.goto(url + "concepts/softmax-derivative/")
    page.wait_for_selector(".katex-display")
    assert page.locator(".katex").count() >= 20  # inline symbols and display equations
    assert page.locator(".katex-error").count() == 0
    text = page.inner_text("article")
    assert "$$" not in text and "\\frac" not in text and "\\(" not in text
    fraction = page.locator(".katex-display .mfrac").first  # S = e^z / sum e^z, drawn
    assert fraction.bounding_box()["height"] > 20
    assert "In the tutorial" in text and "Step 09" in text  # cross-linked with the steps
    _screenshot(page, "concept-softmax-derivative.png")
    assert not page.errors, page.errors
    outside = [request for request in page.requests if not request.startswith(url)]
    assert not outside, f"requests left the machine: {outside}"


def test_api_page_of_dense_shows_its_parameters(page, url):
    page.goto(url + "api/layers/")
    contents = page.locator("xpath=//*[@id='squareone.layers.Dense']/following-sibling::div"
                            "[contains(@class, 'doc-contents')][1]")
    contents.scroll_into_view_if_needed()
    table = contents.locator("xpath=.//*[contains(text(), 'Parameters')]/following::table[1]")
    names = table.locator("tbody tr td:first-child").all_inner_texts()
    for parameter in ("n_inputs", "n_neurons", "activation", "weight_init",
                      "weight_regularizer_l1", "weight_regularizer_l2", "bias_regularizer_l2"):
        assert parameter in names, f"{parameter} not in the Parameters table: {names}"
    assert contents.locator(".katex").count() >= 1  # its math, from $...$ in the docstring
    assert "Layer_Dense" in page.inner_text("article table")  # the book's name for it
    _screenshot(page, "api-dense.png")


def test_tutorial_step_5_page_shows_what_the_step_printed(page, url):
    page.goto(url + "tutorial/05_loss/")
    heading = page.inner_text("h1")
    assert heading.startswith("Step 05")
    printed = page.locator("#what-it-prints ~ div pre").first.inner_text()
    assert "1.0986" in printed  # -log(1/3), the book's 1.0986104
    assert page.locator(".highlight code").count() >= 2  # the step's code is on the page
    _screenshot(page, "tutorial-05.png")


def test_tutorial_figures_are_shown(page, url):
    page.goto(url + "tutorial/10_sgd/")
    image = page.locator("article img").first
    image.scroll_into_view_if_needed()
    width = page.evaluate("(img) => img.naturalWidth", image.element_handle())
    assert width > 100, "the step's figure did not load"


def test_home_shows_the_two_set_up_commands_and_a_picture(page, url):
    page.goto(url)
    text = page.inner_text("article")
    assert ".venv/bin/pip install -e . && .venv/bin/squareone train" in text
    assert ".venv/bin/python -m pytest -q" in text
    picture = page.locator("article img").first
    assert page.evaluate("(img) => img.naturalWidth", picture.element_handle()) > 100
    _screenshot(page, "home.png")


def test_every_internal_link_resolves(page, url, site):
    """Open every page; every link to this site must reach an existing page and anchor."""
    pages = sorted(str(p.relative_to(site).parent).replace(".", "") for p in
                   site.rglob("index.html"))
    ids: dict[str, set[str]] = {}
    links: dict[str, set[str]] = {}
    for path in pages:
        page.goto(url + (path + "/" if path else ""))
        here = urlsplit(page.url).path
        ids[here] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
        links[here] = {href for href in hrefs if href.startswith(url)}
    broken = []
    for source, targets in links.items():
        for target in targets:
            parts = urlsplit(target)
            path = parts.path if parts.path.endswith("/") or "." in parts.path.rsplit("/", 1)[-1] \
                else parts.path + "/"
            if path.endswith("/"):
                if path not in ids:
                    broken.append(f"{source} -> {target}: no such page")
                elif parts.fragment and parts.fragment not in ids[path]:
                    broken.append(f"{source} -> {target}: no such anchor")
            elif not (site / path.lstrip("/")).is_file():
                broken.append(f"{source} -> {target}: no such file")
    assert len(pages) > 60  # home, 22 steps, 20 concept pages, the guide, the API, ...
    assert not broken, "\n".join(broken)
