"""Gunicorn server hooks: a worker that starts to stop ends its live streams at once.

A live stream waits on the app's notifier for minutes. When a gthread worker stops (a
reload's or a stop's SIGTERM, SIGINT, SIGQUIT, or a `max_requests` recycle, which sets
`worker.alive` to false without any signal) it stops accepting and waits for its requests,
and the interpreter then waits for their threads: streams that never ended kept old workers
alive until gunicorn killed them (~90 s). Closing the notifier wakes every stream, each
returns, and its screen reconnects with Last-Event-ID to a running worker.

gunicorn.conf.py calls these; it imports this module inside the hooks, in the worker, so the
master never imports `storytime` (a reload's new workers must load the new code).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask
from flask import logging as flask_logging

from storytime.events import notifier_for

WATCH_SECONDS = 0.2  # how often the watcher looks at `worker.alive`
EXIT_WAIT_SECONDS = 5  # how long `worker_exit` waits for the notifier to close
ATTRIBUTE = "storytime_streams"  # where the worker keeps its StreamEnder


def find_flask_app(wsgi: Any, depth: int = 5) -> Flask | None:
    """Return the Flask app behind a WSGI callable, looking through simple wrappers."""
    for _ in range(depth):
        if isinstance(wsgi, Flask):
            return wsgi
        wsgi = getattr(wsgi, "app", None) or getattr(wsgi, "application", None)
        if wsgi is None:
            return None
    return None


class StreamEnder:
    """End one worker's live streams once, as soon as the worker stops being alive."""

    def __init__(self, worker: Any, app: Flask) -> None:
        self.worker = worker
        self.app = app
        self.ended = threading.Event()
        self._once = threading.Lock()

    def watch(self) -> None:
        """Poll `worker.alive` (no signal handler involved, so no lock taken in one)."""
        while self.worker.alive:
            time.sleep(WATCH_SECONDS)
        self.end()

    def end(self) -> None:
        """Close the app's notifier: every waiting stream wakes and returns."""
        with self._once:
            if self.ended.is_set():
                return
            self.worker.log.info(
                "Ending live streams (pid: %s): the worker is stopping; screens reconnect "
                "to a running worker",
                self.worker.pid,
            )
            try:
                notifier_for(self.app).close()
            finally:
                self.ended.set()

    def end_and_wait(self, timeout: float) -> None:
        """End the streams on a thread of its own and wait for it at most `timeout` seconds."""
        thread = threading.Thread(target=self.end, name="storytime-end-streams", daemon=True)
        thread.start()
        thread.join(timeout)


def log_like_gunicorn(worker: Any) -> None:
    """Send Storytime's own log lines (INFO and up) to gunicorn's error log, in its format.

    gunicorn configures only its own loggers: the app's fault and stream lines would
    otherwise reach stderr bare (warnings) or not at all (INFO).
    """
    logger = logging.getLogger("storytime")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in worker.log.error_log.handlers:
        if handler not in logger.handlers:
            logger.addHandler(handler)
    # Flask's own handler would print each line a second time, in another format.
    logger.removeHandler(flask_logging.default_handler)


def post_worker_init(worker: Any) -> None:
    """Start the watcher that ends the streams when this worker begins to stop."""
    log_like_gunicorn(worker)
    app = find_flask_app(worker.wsgi)
    if app is None or "storytime_notifier" not in app.extensions:
        # Another app under this configuration (bench/baseline.py): nothing to end.
        worker.log.warning("Not Storytime's app: live streams end only when they time out")
        return
    ender = StreamEnder(worker, app)
    setattr(worker, ATTRIBUTE, ender)
    worker.log.error_log.addFilter(SendTimeoutLine(app.config["STREAM_SEND_TIMEOUT_SECONDS"]))
    threading.Thread(target=ender.watch, name="storytime-worker-watch", daemon=True).start()


def worker_exit(_server: Any, worker: Any) -> None:
    """End the streams if the watcher has not (a backstop; also called in the master)."""
    ender = getattr(worker, ATTRIBUTE, None)  # only in the worker's own process
    if ender is not None:
        ender.end_and_wait(EXIT_WAIT_SECONDS)


class SendTimeoutLine(logging.Filter):
    """Turn gunicorn's traceback for a stream write that timed out into one line.

    Only a live stream sets a send timeout (storytime/live/stream.py), so a TimeoutError
    while serving is a screen that stopped reading, which is dropped: routine, not a fault.
    """

    MESSAGE = "Socket error processing request."

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, TimeoutError) and record.msg == self.MESSAGE:
            record.msg = (
                "Dropped a live stream: its screen read nothing for %s s "
                "(STREAM_SEND_TIMEOUT_SECONDS)"
            )
            record.args = (self.seconds,)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True
