"""The playground's server side: settings checks, the exported code, the HTTP routes, limits.

The page itself is driven in a real browser in test_playground_browser.py.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import squareone as sq
from squareone.cli import main
from squareone.playground import make_server, spec
from squareone.playground.session import Session

SMALL = {"samples": 20, "hidden": "8", "epochs": 50}


@pytest.fixture
def server():
    server = make_server(port=0, max_sessions=3, max_running=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _request(server, method: str, path: str, body=None, raw: bytes | None = None):
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    connection.request(method, path, body=payload,
                       headers={"Content-Type": "application/json"} if payload else {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    kind = response.getheader("Content-Type", "")
    return response.status, json.loads(data) if kind == "application/json" else data


def _session(server, settings=None) -> str:
    status, reply = _request(server, "POST", "/api/sessions", settings or SMALL)
    assert status == 201, reply
    return reply["id"]


def _snapshots(server, session_id: str, count: int) -> list[dict]:
    """Read ``count`` Server-Sent Events from the session's stream."""
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    connection.request("GET", f"/api/sessions/{session_id}/events")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    events = []
    while len(events) < count:
        line = response.fp.readline().decode()
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
    connection.close()
    return events


# --- settings ------------------------------------------------------------------------------------


def test_settings_from_the_form_are_parsed_from_text():
    settings = spec.parse_settings({"hidden": "16, 8", "learning_rate": "0.01", "seed": "3",
                                    "weight_init": "0.1", "dataset": "XOR"})
    assert settings.hidden == (16, 8) and settings.learning_rate == 0.01 and settings.seed == 3
    assert settings.weight_init == 0.1 and settings.dataset == "xor"
    assert spec.parse_settings({"hidden": ""}).hidden == ()  # no hidden layer: a linear model


@pytest.mark.parametrize("values, message", [
    ({"learning_rate": "abc"}, "learning_rate must be a number in (0, 10], got 'abc'"),
    ({"learning_rate": 0}, "learning_rate must be a number in (0, 10]"),
    ({"dropout": "0.95"}, "dropout must be a number in [0, 0.9]"),
    ({"noise": "nan"}, "noise must be a number"),
    ({"dataset": "moons"}, "dataset must be one of spiral, vertical, circles, xor, sine"),
    ({"hidden": "64,64,64,64,64"}, "at most 4 hidden layers"),
    ({"hidden": "513"}, "hidden layer size must be a whole number from 1 to 512"),
    ({"hidden": "8,x"}, "hidden layer size must be a whole number"),
    ({"samples": 3000, "classes": 3}, "samples x classes must be at most 6000"),
    ({"classes": 3, "output": "sigmoid"}, "a sigmoid output separates 2 classes"),
    ({"epochs": 10**9}, "epochs must be a whole number from 1 to 100000"),
    ({"weight_init": "zeros"}, "weight_init must be one of nnfs, he, glorot, uniform"),
    ({"batch_size": True}, "batch_size must be a whole number"),
    ({"optimizer": "x" * 500}, "optimizer: expected a value"),
    ({"evil": 1}, "unknown setting 'evil'"),
])
def test_bad_settings_are_refused_with_a_message(values, message):
    with pytest.raises(spec.SettingsError) as error:
        spec.parse_settings(values)
    assert message in str(error.value)


@pytest.mark.parametrize("preset", list(spec.PRESETS))
def test_presets_are_valid_and_reproduce_the_books_networks(preset):
    settings = spec.parse_settings(spec.PRESETS[preset])
    (X, y), _, model = spec.build(settings)
    widths = [layer.n_neurons for layer in model.layers if isinstance(layer, sq.Dense)]
    book = {"Chapter 10": ((300, 2), [64, 3]), "Chapter 14": ((3000, 2), [512, 3]),
            "Chapter 15": ((3000, 2), [512, 3]), "Chapter 16": ((200, 2), [64, 1]),
            "Chapter 17": ((1000, 1), [64, 64, 1])}
    for chapter, (shape, expected) in book.items():
        if preset.startswith(chapter):
            assert X.shape == shape and widths == expected
    if preset.startswith("Chapter 15"):
        assert any(isinstance(layer, sq.Dropout) for layer in model.layers)


# --- the exported code is what trains ------------------------------------------------------------


@pytest.mark.parametrize("values", [
    {"samples": 20, "hidden": "8,4", "batch_size": 16, "dropout": 0.1, "l1": 1e-4, "l2": 1e-3,
     "optimizer": "sgd", "momentum": 0.5, "learning_rate": 0.5, "seed": 7},
    {"dataset": "sine", "samples": 60, "noise": 0.05, "hidden": "8", "weight_init": 0.1},
    {"dataset": "circles", "classes": 2, "output": "sigmoid", "samples": 25, "hidden": "6"},
])
def test_exported_code_trains_exactly_the_network_of_the_playground(values):
    settings = spec.parse_settings({**values, "epochs": 4})
    session = Session(settings)
    try:
        for _ in range(4):
            session.step()
        code = session.python_code()
        namespace: dict = {}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "exported.py", "exec"), namespace)  # our own generated code
        ours = session.model.get_parameters()
        theirs = namespace["model"].get_parameters()
        assert len(ours) == len(theirs)
        for (w1, b1), (w2, b2) in zip(ours, theirs):
            np.testing.assert_array_equal(w1, w2)
            np.testing.assert_array_equal(b1, b2)
        assert namespace["history"].loss == pytest.approx(session.history.loss)
    finally:
        session.close()


# --- HTTP ----------------------------------------------------------------------------------------


def test_the_page_is_served_from_the_package_and_nothing_else(server):
    status, page = _request(server, "GET", "/")
    assert status == 200 and b"<canvas id=\"boundary\"" in page
    assert _request(server, "GET", "/app.js")[0] == 200
    assert _request(server, "GET", "/style.css")[0] == 200
    for path in ("/../pyproject.toml", "/static/../server.py", "/%2e%2e/%2e%2e/etc/passwd",
                 "/server.py", "/static/app.js", "/api/sessions/0123456789abcdef/events"):
        status, reply = _request(server, "GET", path)
        assert status == 404 and "error" in reply, path


def test_bad_requests_get_a_message_not_a_traceback(server):
    status, reply = _request(server, "POST", "/api/sessions", {"hidden": "0"})
    assert status == 400 and reply == {"error": "hidden layer size must be a whole number from "
                                                "1 to 512, got '0'"}
    assert _request(server, "POST", "/api/sessions", raw=b"{not json")[1] == {
        "error": "the request body is not JSON"}
    assert _request(server, "POST", "/api/sessions", raw=b"x" * 70_000)[0] == 413
    session_id = _session(server)
    status, reply = _request(server, "POST", f"/api/sessions/{session_id}/start",
                             {**SMALL, "decay": "-1"})
    assert status == 400 and "decay must be a number in [0, 1]" in reply["error"]
    assert _request(server, "POST", f"/api/sessions/{session_id}/explode")[0] == 404


def test_start_streams_snapshots_and_pause_stops_training(server):
    session_id = _session(server, {**SMALL, "epochs": 100_000})
    first = _snapshots(server, session_id, 1)[0]
    assert first["epoch"] == 0 and not first["running"]
    assert first["view"]["kind"] == "classes"
    assert len(first["view"]["classes"]) == first["view"]["resolution"] ** 2
    assert first["network"]["sizes"] == [2, 8, 3]
    assert _request(server, "POST", f"/api/sessions/{session_id}/start", SMALL | {
        "epochs": 100_000})[0] == 200
    events = _snapshots(server, session_id, 4)
    epochs = [event["epoch"] for event in events]
    assert epochs == sorted(epochs) and epochs[-1] > 0 and events[-1]["running"]
    assert len(events[-1]["curves"]["loss"]) <= 301  # curves are thinned, never unbounded
    _request(server, "POST", f"/api/sessions/{session_id}/pause")
    paused = _snapshots(server, session_id, 1)[0]
    time.sleep(0.3)
    assert not paused["running"]
    assert server.sessions.get(session_id).history.epoch[-1] == paused["epoch"]
    status, reply = _request(server, "POST", f"/api/sessions/{session_id}/step")
    assert status == 200 and _snapshots(server, session_id, 1)[0]["epoch"] == paused["epoch"] + 1


def test_a_reader_that_never_reads_does_not_hold_training_back(server):
    session_id = _session(server, {**SMALL, "epochs": 100_000})
    stalled = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    stalled.request("GET", f"/api/sessions/{session_id}/events")  # and never read
    _request(server, "POST", f"/api/sessions/{session_id}/start", {**SMALL, "epochs": 100_000})
    session = server.sessions.get(session_id)
    time.sleep(1.0)
    assert len(session.history) > 100
    _request(server, "POST", f"/api/sessions/{session_id}/pause")
    stalled.close()


def test_saved_model_downloads_as_a_file_model_load_accepts(server, tmp_path):
    session_id = _session(server)
    for _ in range(3):
        _request(server, "POST", f"/api/sessions/{session_id}/step")
    status, data = _request(server, "GET", f"/api/sessions/{session_id}/model")
    assert status == 200
    (tmp_path / "m.squareone").write_bytes(data)
    loaded = sq.Model.load(tmp_path / "m.squareone")
    session = server.sessions.get(session_id)
    np.testing.assert_allclose(loaded.predict(session.X_val), session.model.predict(session.X_val))
    # The command line reads it too (the default spiral is the session's data set).
    assert main(["evaluate", str(tmp_path / "m.squareone")]) == 0
    status, code = _request(server, "GET", f"/api/sessions/{session_id}/code")
    assert status == 200 and b"model = sq.Model()" in code


def test_limits_on_running_trainings_and_sessions(server):
    endless = {**SMALL, "epochs": 100_000}
    first, second = _session(server, endless), _session(server, endless)
    assert _request(server, "POST", f"/api/sessions/{first}/start")[0] == 200
    status, reply = _request(server, "POST", f"/api/sessions/{second}/start")
    assert status == 409 and "already running on this server" in reply["error"]
    _request(server, "POST", f"/api/sessions/{first}/pause")
    assert _request(server, "POST", f"/api/sessions/{second}/start")[0] == 200
    _request(server, "POST", f"/api/sessions/{second}/pause")
    # max_sessions=3: a fourth closes the least recently used (the first).
    _session(server)
    _session(server)
    status, reply = _request(server, "POST", f"/api/sessions/{first}/start")
    assert status == 404 and "reload the page" in reply["error"]


def test_a_failure_in_the_training_thread_is_shown_not_swallowed(monkeypatch):
    session = Session(spec.parse_settings(SMALL))
    try:
        def broken(*args, **kwargs):
            raise RuntimeError("out of luck")

        monkeypatch.setattr(session.model, "train", broken)
        session._running.set()
        version, snapshot = session.wait_for_snapshot(-1, 1)
        deadline = time.monotonic() + 5
        while "out of luck" not in snapshot and time.monotonic() < deadline:
            version, snapshot = session.wait_for_snapshot(version, 1)
        state = json.loads(snapshot)
        assert state["error"] == "internal error: RuntimeError: out of luck"
        assert not state["running"] and not session.running
    finally:
        session.close()


# --- the command ---------------------------------------------------------------------------------


def test_command_prints_its_url_warns_off_localhost_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "squareone", "playground", "--no-browser", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = process.stdout.readline()
        assert line.startswith("squareone playground: http://0.0.0.0:"), line
        port = int(line.split(":")[3].split("/")[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "stopping" in out and "Traceback" not in err
    assert "warning: listening on 0.0.0.0" in err


def test_a_port_in_use_is_a_one_line_usage_error(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["playground", "--no-browser", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"squareone: error: cannot listen on 127.0.0.1:{port}")
    assert err.count("\n") == 1
