"""The bare baseline: a minimal Flask app that inserts one row into SQLite per share.

Served exactly like Storytime in the same run (cheroot alone, or gunicorn workers),
so the load script can print our overhead as a ratio. It does what a share must do
at the very least: parse JSON, write one row durably, answer 201 with its id. It has
the same routes the phones use, so the same workload runs against it unchanged.

    python -m bench.baseline --port 25000 --threads 200       # cheroot, like `storytime`
    gunicorn 'bench.baseline:create_app()'                      # like the scale-out setup
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import threading

from flask import Flask, jsonify, request

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="csrf-token" content="{token}"><title>Share</title></head>
<body><form method="post"><textarea name="text"></textarea><button>Send</button></form>
</body></html>"""


def create_app(path: str | None = None) -> Flask:
    """Return the baseline app writing to the SQLite file at `path` (or BENCH_BASELINE_DB)."""
    path = path or os.environ.get("BENCH_BASELINE_DB", "baseline.sqlite")
    app = Flask(__name__)
    local = threading.local()

    def connection() -> sqlite3.Connection:
        # The same settings Storytime uses: WAL, synchronous=NORMAL, a busy timeout.
        if getattr(local, "connection", None) is None:
            conn = sqlite3.connect(path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            local.connection = conn
        return local.connection

    connection().execute(
        "CREATE TABLE IF NOT EXISTS share (id INTEGER PRIMARY KEY, code TEXT, kind TEXT, "
        "text TEXT, client_id TEXT)"
    )

    @app.get("/health")
    def health():
        return "ok"

    @app.get("/j/<code>")
    def join(code: str):
        return PAGE.format(token=secrets.token_urlsafe(16))

    @app.post("/api/v1/storytimes/<code>/shares")
    def share(code: str):
        body = request.get_json(silent=True) or {}
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        cursor = conn.execute(
            "INSERT INTO share (code, kind, text, client_id) VALUES (?, ?, ?, ?)",
            (code, body.get("kind", ""), body.get("text", ""), body.get("client_id", "")),
        )
        conn.execute("COMMIT")
        return jsonify(id=cursor.lastrowid), 201

    return app


def main() -> None:
    """Serve the baseline with cheroot, as `storytime` serves Storytime."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=25000)
    parser.add_argument("--threads", type=int, default=200)
    args = parser.parse_args()
    from cheroot import wsgi

    server = wsgi.Server(
        ("127.0.0.1", args.port),
        create_app(),
        numthreads=args.threads,
        request_queue_size=1024,
        timeout=120,
    )
    try:
        server.start()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
