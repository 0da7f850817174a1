"""One training in the playground: a squareone Model trained in a background thread.

The page controls it (start, pause, one step, reset with new settings) and watches it through
*snapshots*: the decision boundary on a coarse grid (or the fitted curve), the loss, accuracy
and learning-rate curves, the weights and the speed. A new snapshot replaces the previous one
at most :data:`SNAPSHOTS_PER_SECOND` times a second; a page that reads slowly just misses
some, so a slow browser never slows training down and nothing queues up.
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import squareone as sq
from squareone.animation import prediction_grid
from squareone.playground import spec

__all__ = ["Session", "Sessions", "SessionError"]

SNAPSHOTS_PER_SECOND = 8
GRID_RESOLUTION = 48          # boundary cells per axis sent to the page
CURVE_POINTS = 300            # most points of each history curve sent to the page
SHOWN_NEURONS = 12            # most neurons of a layer drawn in the network view
_CHUNK_SECONDS = 0.05         # train this long between looks at the controls
_MARGIN = 0.1                 # of the data's range, added around it in the boundary view


class SessionError(RuntimeError):
    """A control that cannot be applied now (e.g. too many trainings at once)."""


class Session:
    """A model, its data and its training thread, with the latest snapshot for the page."""

    def __init__(self, settings: spec.Settings) -> None:
        self.id = secrets.token_hex(8)
        self.last_used = time.monotonic()
        self._lock = threading.RLock()               # the model, its data and its history
        self._published = threading.Condition()      # a new snapshot is out
        self._running = threading.Event()
        self._closed = False
        self._snapshot, self._version = "{}", 0
        self.configure(settings)
        self._thread = threading.Thread(target=self._train_loop, name=f"playground-{self.id}",
                                        daemon=True)
        self._thread.start()

    # --- controls ------------------------------------------------------------------------

    def configure(self, settings: spec.Settings) -> None:
        """Stop, and start again from scratch with ``settings`` (Reset)."""
        self._running.clear()
        with self._lock:
            self.settings = settings
            (self.X, self.y), (self.X_val, self.y_val), self.model = spec.build(settings)
            self.batch_size = settings.batch_size or None
            self.steps_per_epoch = math.ceil(len(self.X) / (self.batch_size or len(self.X)))
            self.order = np.random.default_rng(settings.seed)  # shuffling, as model.train(seed=)
            self.history = sq.History()
            self.error = None
            self.epochs_per_chunk = 1
            self._rate = (time.monotonic(), 0)
            low = np.minimum(self.X.min(axis=0), self.X_val.min(axis=0))
            high = np.maximum(self.X.max(axis=0), self.X_val.max(axis=0))
            if settings.regression:
                low = np.array([low[0], min(self.y.min(), self.y_val.min())])
                high = np.array([high[0], max(self.y.max(), self.y_val.max())])
            margin = _MARGIN * np.maximum(high - low, 1e-9)
            self.low, self.high = low - margin, high + margin
            self._publish()

    def start(self, running_elsewhere: int, limit: int) -> None:
        if self.finished:
            raise SessionError(f"training has reached its {self.settings.epochs} epochs; "
                               "press Reset to train again")
        if not self._running.is_set() and running_elsewhere >= limit:
            raise SessionError(f"{limit} training{'s' if limit > 1 else ''} already running "
                               "on this server, the most it allows at once: pause one first")
        self._running.set()  # the training thread publishes from now on

    def pause(self) -> None:
        self._running.clear()
        with self._lock:  # returns once the current stretch of epochs is done
            self._publish()

    def step(self) -> None:
        """Train one epoch now (pausing a running training first)."""
        self.pause()
        if self.finished:
            raise SessionError("training has reached its epochs; press Reset to train again")
        with self._lock:
            self._train(1)
            self._publish()

    def close(self) -> None:
        self._closed = True
        self._running.set()  # wakes the thread so that it ends
        with self._published:
            self._published.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def running(self) -> bool:
        return self._running.is_set() and not self._closed

    @property
    def finished(self) -> bool:
        return len(self.history) >= self.settings.epochs

    def model_file(self) -> bytes:
        """The model as a squareone file (with optimizer state, so training can resume)."""
        with self._lock, tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "playground.squareone"
            self.model.save(path, include_optimizer=True)
            return path.read_bytes()

    def python_code(self) -> str:
        return spec.python_code(self.settings)

    def data(self) -> dict:
        """The training and validation points, sent to the page once per reset."""
        def points(X, y):
            return {"x": _rounded(X), "y": _rounded(y) if self.settings.regression
                    else np.asarray(y).reshape(-1).astype(int).tolist()}
        return {"train": points(self.X, self.y), "validation": points(self.X_val, self.y_val),
                "low": self.low.tolist(), "high": self.high.tolist(),
                "regression": self.settings.regression, "classes": self.settings.n_classes}

    # --- snapshots -----------------------------------------------------------------------

    def wait_for_snapshot(self, seen: int, timeout: float) -> tuple[int, str]:
        """Return the newest snapshot once it is newer than ``seen`` (or after ``timeout``)."""
        with self._published:
            self._published.wait_for(lambda: self._version != seen or self._closed, timeout)
            return self._version, self._snapshot

    def _publish(self) -> None:
        snapshot = json.dumps(self._describe(), allow_nan=False, separators=(",", ":"))
        with self._published:
            self._snapshot, self._version = snapshot, self._version + 1
            self._published.notify_all()
        self._last_publish = time.monotonic()

    def _describe(self) -> dict:
        history = self.history
        now, epoch = time.monotonic(), len(history)
        then, epoch_then = self._rate
        seconds = now - then
        epochs_per_second = (epoch - epoch_then) / seconds if seconds > 0 else 0.0
        if seconds > 0.5 or not self.running:
            self._rate = (now, epoch)
        keys = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")
        stride = max(1, math.ceil(epoch / CURVE_POINTS))
        picked = list(range(stride - 1, epoch, stride))
        if epoch and picked[-1:] != [epoch - 1]:
            picked.append(epoch - 1)
        curves = {key: [_finite(getattr(history, key)[i]) for i in picked] for key in keys}
        return {"epoch": epoch, "epochs": self.settings.epochs, "running": self.running,
                "finished": self.finished, "error": self.error,
                "epochs_per_second": round(epochs_per_second, 1) if self.running else 0,
                "steps_per_second": round(epochs_per_second * self.steps_per_epoch, 1)
                if self.running else 0,
                "curves": {"epoch": [i + 1 for i in picked], **curves},
                "last": {key: _finite(getattr(history, key)[-1]) if epoch else None
                         for key in keys},
                "view": self._view(), "network": self._network()}

    def _view(self) -> dict:
        if self.settings.regression:
            xs = np.linspace(self.low[0], self.high[0], 200).reshape(-1, 1)
            return {"kind": "curve", "x": _rounded(xs[:, 0]),
                    "y": _rounded(self.model.predict(xs)[:, 0])}
        classes, confidence = prediction_grid(self.model, self.low, self.high, GRID_RESOLUTION)
        return {"kind": "classes", "resolution": GRID_RESOLUTION,
                "classes": classes.ravel().tolist(),
                "confidence": np.round(confidence.ravel(), 2).tolist()}

    def _network(self) -> dict:
        """Layer widths, and the weights between the neurons drawn (the first few)."""
        dense = [layer for layer in self.model.layers if isinstance(layer, sq.Dense)]
        sizes = [dense[0].n_inputs] + [layer.n_neurons for layer in dense]
        shown = [min(size, SHOWN_NEURONS) for size in sizes]
        weights = [_rounded(layer.weights[:shown[i], :shown[i + 1]])
                   for i, layer in enumerate(dense)]
        return {"sizes": sizes, "shown": shown, "weights": weights}

    # --- training --------------------------------------------------------------------------

    def _train_loop(self) -> None:
        while not self._closed:
            if not self._running.wait(timeout=0.5) or self._closed:
                continue
            try:
                self._train_stretch()
            except Exception as error:  # a bug: say so on the page instead of dying silently
                self.error = f"internal error: {type(error).__name__}: {error}"
                self._running.clear()
                with contextlib.suppress(Exception):
                    self._publish()

    def _train_stretch(self) -> None:
        """Train for about _CHUNK_SECONDS, then publish a snapshot if one is due."""
        with self._lock:
            if not self._running.is_set():
                return  # paused or reset while this thread waited for the lock
            started = time.monotonic()
            self._train(min(self.epochs_per_chunk, self.settings.epochs - len(self.history)))
            elapsed = time.monotonic() - started
            # Stretches of about _CHUNK_SECONDS, short enough to pause at once; growing
            # no faster than the epochs done so far, so the first snapshots come quickly.
            per_epoch = elapsed / max(self.epochs_per_chunk, 1)
            self.epochs_per_chunk = int(min(max(_CHUNK_SECONDS / max(per_epoch, 1e-6), 1),
                                            1000, max(len(self.history), 1)))
            if self.finished or self.error:
                self._running.clear()
            if (not self._running.is_set()
                    or time.monotonic() - self._last_publish >= 1 / SNAPSHOTS_PER_SECOND):
                self._publish()

    def _train(self, epochs: int) -> None:
        """Train ``epochs`` epochs (holding the lock), appending to the history."""
        if epochs < 1:
            return
        try:
            result = self.model.train(self.X, self.y, epochs=epochs, batch_size=self.batch_size,
                                      validation_data=(self.X_val, self.y_val),
                                      shuffle=self.batch_size is not None, seed=self.order,
                                      verbose=0)
        except (FloatingPointError, ValueError) as error:  # e.g. the loss diverged
            self.error = str(error)
            self._running.clear()
            return
        offset = len(self.history)
        for index in range(len(result)):
            self.history.append(**{key: values[index] for key, values in result.history.items()
                                   if values})
            self.history.epoch[-1] = offset + index + 1


def _rounded(values) -> list:
    """An array as nested lists of floats with 4 significant digits (small JSON)."""
    array = np.asarray(values, dtype=np.float64)
    return [float(f"{value:.4g}") for value in array.tolist()] if array.ndim == 1 else [
        _rounded(row) for row in array]


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class Sessions:
    """The sessions of one server, within limits: at most ``max_sessions`` are kept (the
    least recently used is closed to make room) and ``max_running`` train at once."""

    def __init__(self, max_sessions: int = 8, max_running: int = 2) -> None:
        self.max_sessions, self.max_running = max_sessions, max_running
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, settings: spec.Settings) -> Session:
        session = Session(settings)
        with self._lock:
            while len(self._sessions) >= self.max_sessions:
                oldest = min(self._sessions.values(), key=lambda s: s.last_used)
                del self._sessions[oldest.id]
                oldest.close()
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is not None:
            session.last_used = time.monotonic()
        return session

    def start(self, session: Session) -> None:
        with self._lock:  # one start at a time, so two cannot both pass the limit
            others = sum(s.running for s in self._sessions.values() if s is not session)
            session.start(others, self.max_running)

    def close_all(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()
