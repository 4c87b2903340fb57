"""`storytime`: the embedded one-command server (waitress, SQLite, nothing else to start)."""

from __future__ import annotations

import argparse
import logging
import os
import threading

from storytime import create_app
from storytime.config import Defaults

# Waitress runs each request, and each open live screen, on a thread of its own: a
# stream holds its thread for minutes. With 200 threads, 200 screens took them all
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
        from storytime.auth.setup import issue_setup_link

        link = issue_setup_link()
    from storytime.purge import start_schedule

    start_schedule(app)  # PURGE_AFTER_DAYS: purge old personal text now, then daily
    print(f"Storytime is running at http://{args.host}:{args.port}/", flush=True)
    if link:
        print(
            f"No staff account yet. Create the first admin here (works once):\n  {link}", flush=True
        )

    if args.request_slots > 0:
        app.wsgi_app = RequestSlots(app.wsgi_app, args.request_slots)  # type: ignore[method-assign]
    from waitress import serve

    serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        channel_timeout=120,
        connection_limit=max(1000, args.threads * 2),
        ident="storytime",
    )


if __name__ == "__main__":
    main()
