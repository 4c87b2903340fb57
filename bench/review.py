"""Time the coordinators' review pages over a year of demo data (`seed-demo`).

    .venv/bin/python -m bench.review                  # 30 requests per page
    .venv/bin/python -m bench.review --requests 100 --weeks 52

It starts the embedded `storytime` (or, with --config scaleout, gunicorn on a fresh
PostgreSQL database), seeds a year at three branches, signs in as an admin (who may
review every branch) and fetches each review page in turn, reporting p50 and p99 of
the server's own time (Server-Timing) and of the whole request seen from loopback.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/review.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import servers
from bench.load import META_CSRF, _percentile, _server_ms

PAGES = [
    "/review/",
    "/review/?page=2",
    "/review/search?q=song",
    "/review/storytimes/{storytime}",
    "/review/songbook",
    "/review/questions",
    "/review/tips",
    "/review/ideas",
    "/review/charts",
    "/review/outcomes",
    "/review/outcomes?by=quarter",
    "/review/outcomes/comments",
    "/review/outcomes/report",
]
STORYTIME_LINK = re.compile(r'href="/review/storytimes/(\d+)"')


def sign_in(client: httpx.Client) -> None:
    page = client.get("/login")
    token = META_CSRF.search(page.text)
    response = client.post(
        "/login",
        data={
            "email": servers.BENCH_EMAIL,
            "password": servers.BENCH_PASSWORD,
            "csrf_token": token.group(1) if token else "",
        },
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"sign-in failed: {response.status_code}")


def measure(server: servers.Server, requests: int) -> list[tuple[str, str, str, str]]:
    rows = []
    all_server: list[float] = []
    all_client: list[float] = []
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        sign_in(client)
        index = client.get("/review/")
        match = STORYTIME_LINK.search(index.text)
        storytime = match.group(1) if match else "1"
        for template in PAGES:
            url = template.format(storytime=storytime)
            server_times, client_times, statuses = [], [], set()
            client.get(url)  # warm: first-use caches, compiled templates
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(url)
                client_times.append(time.perf_counter() - started)
                statuses.add(response.status_code)
                ms = _server_ms(response)
                if ms is not None:
                    server_times.append(ms / 1000)
            all_server += server_times
            all_client += client_times
            rows.append(
                (
                    url,
                    _pair(server_times),
                    _pair(client_times),
                    ",".join(map(str, sorted(statuses))),
                )
            )
    rows.append(("all review pages", _pair(all_server), _pair(all_client), ""))
    return rows


def _pair(values: list[float]) -> str:
    p50, p99 = _percentile(values, 50), _percentile(values, 99)
    if p50 is None or p99 is None:
        return "-"
    return f"{p50 * 1000:.0f} / {p99 * 1000:.0f}"


def main(argv: list[str] | None = None) -> None:
    """Seed, sign in, time every review page; print one table."""
    parser = argparse.ArgumentParser(prog="python -m bench.review", description=__doc__)
    parser.add_argument("--config", choices=["embedded", "scaleout"], default="embedded")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--weeks", type=int, default=52, help="weeks of demo data")
    parser.add_argument("--database", default="storytime_bench_review")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 1000:
        parser.error("keep 1 <= --requests <= 1000")
    if args.config == "embedded":
        server = servers.start_embedded(None)
    else:
        server = servers.start_scaleout(2, 32, args.database, args.redis_url)
    try:
        servers.bench_account(server)
        started = time.perf_counter()
        seeded = server.flask("seed-demo", "--weeks", str(args.weeks)).strip()
        print(f"[review] {seeded} ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
        rows = measure(server, args.requests)
    finally:
        server.stop()
    header = ("page", "server p50 / p99 ms", "client p50 / p99 ms", "status")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print(
        f"Review pages, {args.config}, {args.weeks} weeks of demo data, {args.requests} requests each"
    )
    for row in [header, None, *rows]:
        if row is None:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        else:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
