"""The playground: watch a squareone network learn, live, in the browser.

``squareone playground`` starts a small web server on 127.0.0.1 and opens its page. The page
sets up a data set and a network, and starts, pauses, steps and resets training; the server
trains squareone's own :class:`~squareone.Model` in a background thread and streams snapshots
(decision boundary, curves, weights) to the page as Server-Sent Events.

Only the standard library serves it (``http.server``): nothing to install, no build step, and
the page (one HTML file, one script, one style sheet) ships inside the package, so it works
offline.

Modules: :mod:`~squareone.playground.spec` (settings, limits, presets, the data and the model
and their Python code), :mod:`~squareone.playground.session` (one training and its
snapshots), :mod:`~squareone.playground.server` (the HTTP routes).
"""

from squareone.playground.server import PlaygroundServer, make_server

__all__ = ["PlaygroundServer", "make_server"]
