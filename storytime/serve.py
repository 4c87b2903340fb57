"""`storytime`: the embedded one-command server (waitress, SQLite, nothing else to start)."""

from __future__ import annotations

import argparse
import logging
import os

from storytime import create_app
from storytime.config import Defaults

# Waitress runs each request, and each open live screen, on a thread of its own: a
# stream holds its thread for minutes. With 200 threads, 200 screens took them all
# and every caregiver's share then waited (bench/idle_streams.py). An idle stream's
# thread costs ~40 KB and no CPU between heartbeats, so the default holds a library
# system's 1,000 screens with 100 threads to spare for sharing.
DEFAULT_THREADS = 1100


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
