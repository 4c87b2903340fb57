"""`storytime`: the embedded one-command server (cheroot, SQLite, nothing else to start)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import queue
import signal
import sys
import threading

from cheroot import wsgi
from flask import Flask

from storytime import create_app
from storytime.auth.setup import issue_setup_link
from storytime.config import Defaults
from storytime.events import notifier_for
from storytime.purge import start_schedule


class RequestSlots:
    """Run at most `slots` ordinary requests at once; live streams go straight through.

    Threads share one interpreter lock: a burst run on dozens of them at once slowed the
    share holding SQLite's write lock (see docs/performance.md, Request slots).
    """

    def __init__(self, app, slots: int) -> None:
        self.app = app
        self._slots = threading.BoundedSemaphore(slots)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").endswith("/stream"):
            return self.app(environ, start_response)
        # A body is built by the time the app returns, except a streamed one (a static
        # file, an export), whose remaining work is mostly waiting on the network.
        with self._slots:
            return self.app(environ, start_response)


class SocketGateway(wsgi.Gateway_10):
    """Cheroot's WSGI gateway, lending the connection's socket to the app for one request.

    The live stream sets a send timeout on it (STREAM_SEND_TIMEOUT_SECONDS) rather than the
    whole server using that timeout: cheroot's `timeout` also closes idle kept-alive
    connections and bounds reading requests, which keep their own setting.
    """

    def get_environ(self):
        environ = super().get_environ()
        environ["storytime.socket"] = self.req.conn.socket
        return environ

    def respond(self):
        try:
            super().respond()
        finally:
            # The next request on this kept-alive connection reads with the server's timeout.
            with contextlib.suppress(OSError):
                self.req.conn.socket.settimeout(self.req.server.timeout)


def main(argv: list[str] | None = None) -> None:
    """Upgrade the database, print the setup link if needed, and serve."""
    parser = argparse.ArgumentParser(prog="storytime", description=__doc__)
    # Unset options fall back to the config (STORYTIME_HOST, …; defaults in config.Defaults).
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument(
        "--threads",
        type=int,
        help="Each open live screen holds one thread; size this for the screens you run.",
    )
    parser.add_argument(
        "--request-slots",
        type=int,
        help="Ordinary requests (not live streams) run at once; 0 for no limit.",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app({"AUTO_MIGRATE": True})
    config = app.config
    host = config["HOST"] if args.host is None else args.host
    port = int(config["PORT"] if args.port is None else args.port)
    threads = int(config["THREADS"] if args.threads is None else args.threads)
    slots = int(config["REQUEST_SLOTS"] if args.request_slots is None else args.request_slots)
    if config["BASE_URL"] == Defaults.BASE_URL:
        # Unless configured, links and QR codes point where this server listens.
        link_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        link_host = f"[{link_host}]" if ":" in link_host else link_host
        config["BASE_URL"] = f"http://{link_host}:{port}"
    with app.app_context():
        link = issue_setup_link()
    start_schedule(app)  # PURGE_AFTER_DAYS: purge old personal text now, then daily
    print(f"Storytime is running at http://{host}:{port}/", flush=True)
    # Said at every start: the operator backs up, and must not lose, this folder.
    print(f"Data folder: {app.instance_path}", flush=True)
    if link:
        print(
            f"No staff account yet. Create the first admin here (works once):\n  {link}", flush=True
        )

    if slots > 0:
        app.wsgi_app = RequestSlots(app.wsgi_app, slots)  # type: ignore[method-assign]
    run_server(app, host, port, threads)


class _WakeNewestWaiter(threading.Condition):
    """A condition whose `notify` wakes the thread that began waiting last, not first."""

    def notify(self, n: int = 1) -> None:
        # Mirrors CPython's Condition.notify, taking waiters from the other end.
        if not self._is_owned():  # type: ignore[attr-defined]
            raise RuntimeError("cannot notify on un-acquired lock")
        waiters = self._waiters  # type: ignore[attr-defined]
        while waiters and n > 0:
            waiter = waiters.pop()
            try:
                waiter.release()
            except RuntimeError:  # released by an interrupted notify before (gh-92530)
                continue
            n -= 1


class HotThreadsQueue(queue.Queue):
    """Cheroot's queue of accepted connections, handed to the thread that was idle last.

    All idle threads wait on this queue. A plain queue wakes the one that has waited
    longest, so requests went round every one of the 1,100 threads, and each kept the
    stack and allocator pages its requests had touched: memory grew ~20 KB a share for
    as long as cold threads remained (docs/performance.md, Memory over months). Handing
    work to the thread freed last keeps requests on a few warm threads.
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.not_empty = _WakeNewestWaiter(self.mutex)


def _use_hot_threads(server: wsgi.Server) -> None:
    pool = server.requests
    pool._queue = HotThreadsQueue(pool._queue.maxsize)
    pool.get = pool._queue.get


def run_server(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve until Ctrl+C or SIGTERM, then let ordinary requests finish and end the streams.

    Cheroot parks idle kept-alive connections in a selector, where waitress scanned them
    all on every turn (see docs/performance.md, Cheroot).
    """
    server = wsgi.Server(
        (host, port),
        app,
        numthreads=threads,
        server_name="storytime",
        request_queue_size=1024,
        timeout=120,
        shutdown_timeout=5,
    )
    server.gateway = SocketGateway
    _use_hot_threads(server)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        # Streams wait for their next event; waking them lets them end, so their threads
        # can be joined (screens reconnect by themselves once the server is back).
        notifier_for(app).close()
        server.stop()


def _stop_on_sigterm(_signum, _frame) -> None:
    sys.exit(0)  # unwinds server.start() like Ctrl+C, through the `finally` above


if __name__ == "__main__":
    main()
