"""`storytime`: the embedded one-command server (cheroot, SQLite, nothing else to start)."""

from __future__ import annotations

import argparse
import logging
import os
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

# Cheroot runs each request, and each open live screen, on a thread of its own: a
# stream holds its thread for minutes. (Idle kept-alive connections hold no thread.) With 200 threads, 200 screens took them all
# and every caregiver's share then waited (bench/idle_streams.py). An idle stream's
# thread costs ~40 KB and no CPU between heartbeats, so the default holds a library
# system's 1,000 screens with 100 threads to spare for sharing.
DEFAULT_THREADS = 1100
# ...but those threads share one interpreter lock. When a burst of shares ran on dozens
# of threads at once, each request's CPU was sliced between all of them, and the share
# holding the SQLite write lock was slowed by the ones queueing behind it (bench/load.py).
# Ordinary requests therefore take one of a few slots; live streams never wait for one.
DEFAULT_REQUEST_SLOTS = 4


class RequestSlots:
    """Run at most `slots` ordinary requests at once; live streams go straight through."""

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


def main(argv: list[str] | None = None) -> None:
    """Upgrade the database, print the setup link if needed, and serve."""
    parser = argparse.ArgumentParser(prog="storytime", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("STORYTIME_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("STORYTIME_PORT", "5000")))
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("STORYTIME_THREADS", DEFAULT_THREADS)),
        help="Each open live screen holds one thread; size this for the screens you run.",
    )
    parser.add_argument(
        "--request-slots",
        type=int,
        default=int(os.environ.get("STORYTIME_REQUEST_SLOTS", DEFAULT_REQUEST_SLOTS)),
        help="Ordinary requests (not live streams) run at once; 0 for no limit.",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app({"AUTO_MIGRATE": True})
    if app.config["BASE_URL"] == Defaults.BASE_URL:
        # Unless configured, links and QR codes point where this server listens.
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        host = f"[{host}]" if ":" in host else host
        app.config["BASE_URL"] = f"http://{host}:{args.port}"
    with app.app_context():
        link = issue_setup_link()
    start_schedule(app)  # PURGE_AFTER_DAYS: purge old personal text now, then daily
    print(f"Storytime is running at http://{args.host}:{args.port}/", flush=True)
    # Said at every start: the operator backs up, and must not lose, this folder.
    print(f"Data folder: {app.instance_path}", flush=True)
    if link:
        print(
            f"No staff account yet. Create the first admin here (works once):\n  {link}", flush=True
        )

    if args.request_slots > 0:
        app.wsgi_app = RequestSlots(app.wsgi_app, args.request_slots)  # type: ignore[method-assign]
    run_server(app, args.host, args.port, args.threads)


def run_server(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve until Ctrl+C or SIGTERM, then let ordinary requests finish and end the streams.

    Cheroot rather than waitress: waitress's event loop asks every open connection
    whether it is readable and writable on each turn, and with a room's phones all
    connected that loop took a third of the interpreter (bench/load.py: a burst ran at
    half the rate on twice the CPU).
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
