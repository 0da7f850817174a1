"""The playground's web server: the standard library's ThreadingHTTPServer, and nothing else.

Routes (JSON in and out unless said otherwise)::

    GET  /  /app.js  /style.css               the page: a fixed set of packaged files
    GET  /api/config                          presets, defaults, choices and limits
    POST /api/sessions                        settings -> a new session: id, data, code
    POST /api/sessions/ID/start|step|reset    settings (optional): apply them, then act
    POST /api/sessions/ID/pause
    GET  /api/sessions/ID/events              Server-Sent Events: one snapshot per message
    GET  /api/sessions/ID/model               the model, a squareone file (download)
    GET  /api/sessions/ID/code                the Python that builds and trains it (text)

Bad settings get HTTP 400 with ``{"error": message}``; an unknown session 404; a request body
over 64 KiB 413; an unexpected failure 500 with a one-line message, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from squareone.playground import spec
from squareone.playground.session import Session, SessionError, Sessions

__all__ = ["PlaygroundServer", "make_server"]

_STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
           "/app.js": ("app.js", "text/javascript; charset=utf-8"),
           "/style.css": ("style.css", "text/css; charset=utf-8")}
_SESSION_ROUTE = re.compile(r"^/api/sessions/([0-9a-f]{16})/([a-z]+)$")
_MAX_BODY = 64 * 1024
_KEEPALIVE_SECONDS = 10


class PlaygroundServer(ThreadingHTTPServer):
    """An HTTP server holding the playground's sessions and its packaged page."""

    daemon_threads = True  # an open event stream must not keep the process alive

    def __init__(self, address: tuple[str, int], *, max_sessions: int = 8,
                 max_running: int = 2, quiet: bool = True) -> None:
        self.sessions = Sessions(max_sessions, max_running)
        self.quiet = quiet
        self.stopping = threading.Event()
        static = resources.files("squareone.playground") / "static"
        self.files = {route: ((static / name).read_bytes(), kind)
                      for route, (name, kind) in _STATIC.items()}
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def shutdown(self) -> None:
        self.stopping.set()
        self.sessions.close_all()  # ends the event streams and the training threads
        super().shutdown()


def make_server(host: str = "127.0.0.1", port: int = 0, **options) -> PlaygroundServer:
    """Return a playground server bound to ``host:port`` (port 0: a free one), not yet serving.

    Call ``serve_forever()`` on it (in a thread, or the main one) and ``shutdown()`` to stop.
    """
    return PlaygroundServer((host, port), **options)


class _HTTPError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    protocol_version = "HTTP/1.1"
    server_version = "squareone-playground"

    # --- dispatch --------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._answer(self._get)

    def do_POST(self) -> None:
        self._answer(self._post)

    def _answer(self, route) -> None:
        try:
            route(self.path.split("?", 1)[0])
        except _HTTPError as error:
            self._json({"error": str(error)}, error.status)
        except (spec.SettingsError, SessionError) as error:
            self._json({"error": str(error)}, HTTPStatus.BAD_REQUEST if isinstance(
                error, spec.SettingsError) else HTTPStatus.CONFLICT)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away
        except Exception as error:  # a bug: one line on the console, a message for the page
            print(f"squareone playground: {type(error).__name__}: {error}", file=sys.stderr)
            self._json({"error": f"internal error: {type(error).__name__}"},
                       HTTPStatus.INTERNAL_SERVER_ERROR)

    def _get(self, path: str) -> None:
        if path in self.server.files:
            body, kind = self.server.files[path]
            return self._send(body, kind)
        if path == "/api/config":
            return self._json({"presets": spec.PRESETS,
                               "defaults": dataclasses.asdict(spec.Settings()),
                               "limits": spec.LIMITS,
                               "choices": {"dataset": spec.DATASETS,
                                           "activation": list(spec.ACTIVATIONS),
                                           "optimizer": list(spec.OPTIMIZERS),
                                           "output": spec.OUTPUTS}})
        session, action = self._session(path)
        if action == "events":
            return self._stream(session)
        if action == "model":
            return self._send(session.model_file(), "application/octet-stream", {
                "Content-Disposition": 'attachment; filename="playground.squareone"'})
        if action == "code":
            return self._send(session.python_code().encode(), "text/x-python; charset=utf-8")
        raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such page: {path[:100]}")

    def _post(self, path: str) -> None:
        body = self._body()
        if path == "/api/sessions":
            session = self.server.sessions.create(spec.parse_settings(body or {}))
            return self._json({"id": session.id, **self._described(session)},
                              HTTPStatus.CREATED)
        session, action = self._session(path)
        if action not in ("start", "step", "reset", "pause"):
            raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such action: {action}")
        if action == "pause":
            session.pause()
            return self._json({"ok": True})
        reply = {"ok": True}
        if body is not None:
            settings = spec.parse_settings(body)  # a bad setting stops here, changing nothing
            if action == "reset" or settings != session.settings:
                session.configure(settings)
                reply.update(self._described(session))
        elif action == "reset":
            session.configure(session.settings)
            reply.update(self._described(session))
        if action == "start":
            self.server.sessions.start(session)
        elif action == "step":
            session.step()
        return self._json(reply)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _described(session: Session) -> dict:
        return {"data": session.data(), "code": session.python_code(),
                "settings": dataclasses.asdict(session.settings)}

    def _session(self, path: str) -> tuple[Session, str]:
        match = _SESSION_ROUTE.match(path)
        if not match:
            raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such page: {path[:100]}")
        session = self.server.sessions.get(match.group(1))
        if session is None:
            raise _HTTPError(HTTPStatus.NOT_FOUND, "this training session has ended (the "
                             "server restarted or closed it to make room): reload the page")
        return session, match.group(2)

    def _body(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise _HTTPError(HTTPStatus.BAD_REQUEST, "bad Content-Length") from None
        if length > _MAX_BODY:
            raise _HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"request body over {_MAX_BODY} bytes")
        if length <= 0:
            return None
        try:
            return json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError):
            raise _HTTPError(HTTPStatus.BAD_REQUEST, "the request body is not JSON") from None

    def _send(self, body: bytes, kind: str, headers: dict | None = None,
              status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(json.dumps(value).encode(), "application/json", status=status)

    def _stream(self, session: Session) -> None:
        """Send each new snapshot as a Server-Sent Event until the page or server goes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        seen = -1
        while not self.server.stopping.is_set():
            version, snapshot = session.wait_for_snapshot(seen, _KEEPALIVE_SECONDS)
            if session.closed:
                break
            if version == seen:
                self.wfile.write(b": keep-alive\n\n")  # finds out if the page has gone
            else:
                self.wfile.write(f"data: {snapshot}\n\n".encode())
                seen = version
            self.wfile.flush()

    def log_message(self, format: str, *args) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)
