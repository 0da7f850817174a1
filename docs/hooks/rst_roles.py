"""Griffe extension: Sphinx roles in squareone's numpydoc docstrings, shown as code.

The docstrings cross-reference with Sphinx roles (``:class:`~squareone.Model```), which
Markdown would print literally. This turns each role into a code span of the name as Sphinx
shows it (``Model`` for ``~squareone.Model``), and ``:math:`x``` into ``$x$``, which KaTeX
typesets; the source stays valid for Sphinx too.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|obj|data|exc):`(~?)([^`]+)`")
MATH = re.compile(r":math:`([^`]+)`")


def _show(match: re.Match) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRolesAsCode(griffe.Extension):
    """Rewrite Sphinx roles in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            value = MATH.sub(r"$\1$", obj.docstring.value)
            obj.docstring.value = ROLE.sub(_show, value)
