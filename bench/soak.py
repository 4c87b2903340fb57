"""Run Storytime under steady sharing with live screens for a long while and watch its memory.

    .venv/bin/python -m bench.soak                          # embedded, 30 minutes, 10 shares/s
    .venv/bin/python -m bench.soak --minutes 60             # the figure in docs/performance.md
    .venv/bin/python -m bench.soak --config scaleout        # gunicorn + PostgreSQL + Redis
    .venv/bin/python -m bench.soak --minutes 5 --trace-memory   # what grew, by traceback

It starts the server itself (loopback only), opens R storytimes with S live streams each,
and lets P phones (spread over the rooms) share in turn at a steady total rate. Phones come
and go: every minute a share of them leaves and new ones (new cookies) arrive, as over a
library's week, and none stays past 100 shares (its limit is 120 an hour). Every
`--sample` seconds it prints the server's memory (its whole process tree), the shares
acknowledged and the deliveries still missing; at the end, how much memory grew per share
after the warm-up, what was lost (not seen `--drain` seconds after the last share) and what
came late (over 10 s after its 201), with the slowest delivery. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import signal
import ssl
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/soak.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import servers
from bench.load import Phone, Room, Run, Stream, _expected, _phone_client, create_rooms, follow

LATE_SECONDS = 10.0  # a delivery not seen this long after its 201 counts as missing (so far)


def _missing(run: Run, now: float) -> int:
    return sum(
        1
        for share, stream in _expected(run)
        if share.share_id not in stream.arrivals and now - share.acked > LATE_SECONDS
    )


def _slope(points: list[tuple[int, int]]) -> float | None:
    """Least-squares bytes per share over (shares, rss) points."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    if not var:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var


class Soak:
    """The phones, streams and figures of one soak run."""

    def __init__(self, args: argparse.Namespace, server: servers.Server, token: str) -> None:
        self.args, self.server, self.token = args, server, token
        self.run = Run("soak", None)  # type: ignore[arg-type]
        self.phones: list[Phone] = []
        self.retired: list[Phone] = []
        self.sent: Counter[int] = Counter()  # shares sent, by id(phone)
        self.samples: list[tuple[float, int, int]] = []  # (seconds, shares acked, rss)
        self.timeout = httpx.Timeout(30.0, read=60.0)
        self.tls = ssl.create_default_context()

    async def new_phone(self, room: Room) -> Phone:
        phone = Phone(self.run, room, _phone_client(self.server.base_url, self.timeout, self.tls))
        await phone.open_join_page()
        return phone

    async def turnover(self) -> None:
        """Every minute, let a share of the phones go home and new ones arrive."""
        while True:
            await asyncio.sleep(60)
            # A random few go home, and so does a phone near its hourly limit (120 shares).
            leaving = set(
                random.sample(range(len(self.phones)), int(len(self.phones) * self.args.turnover))
            )
            leaving |= {n for n, phone in enumerate(self.phones) if self.sent[id(phone)] >= 100}
            for index in leaving:
                old = self.phones[index]
                self.phones[index] = await self.new_phone(old.room)
                # A share of the old phone may still be on its way: closed at the end.
                self.retired.append(old)

    async def share_steadily(self) -> None:
        """Send shares at the chosen total rate, the phones in turn (within their limits)."""
        gap = 1.0 / self.args.rate
        pending: set[asyncio.Task] = set()
        next_at = time.perf_counter()
        for index in itertools.cycle(range(len(self.phones))):
            next_at += gap
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            phone = self.phones[index]
            self.sent[id(phone)] += 1
            task = asyncio.create_task(phone.share())
            pending.add(task)
            task.add_done_callback(pending.discard)

    def sample(self, started: float) -> None:
        elapsed = time.perf_counter() - started
        rss = self.server.watch.rss() if self.server.watch else 0
        acked = len(self.run.shares)
        self.samples.append((elapsed, acked, rss))
        if self.args.trace_memory and elapsed >= self.args.warmup * 60:
            self.server.process.send_signal(signal.SIGUSR1)
        errors = sum(self.run.errors.values())
        print(
            f"{elapsed / 60:6.1f} min  rss {rss / 2**20:7.1f} MB  shares {acked:7d}  "
            f"missing {_missing(self.run, time.perf_counter()):4d}  errors {errors}",
            flush=True,
        )

    async def main(self) -> None:
        args = self.args
        staff = httpx.AsyncClient(base_url=self.server.base_url, timeout=self.timeout)
        streams_client = httpx.AsyncClient(
            base_url=self.server.base_url,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
            timeout=self.timeout,
        )
        tasks: list[asyncio.Task] = []
        try:
            self.run.rooms = await create_rooms(staff, self.token, args.rooms)
            for room in self.run.rooms:
                room.streams = [
                    Stream(room, "staff" if n % 2 == 0 else "display") for n in range(args.streams)
                ]
            streams = [s for room in self.run.rooms for s in room.streams]
            tasks += [asyncio.create_task(follow(s, streams_client, self.token)) for s in streams]
            self.phones = [
                await self.new_phone(self.run.rooms[n % len(self.run.rooms)])
                for n in range(args.phones)
            ]
            tasks += [
                asyncio.create_task(self.share_steadily()),
                asyncio.create_task(self.turnover()),
            ]
            started = time.perf_counter()
            end = started + args.minutes * 60
            self.sample(started)
            while time.perf_counter() < end:
                await asyncio.sleep(min(args.sample, max(0.0, end - time.perf_counter())))
                self.sample(started)
            tasks[-2].cancel()  # stop sharing, let the last events arrive
            drain_until = time.perf_counter() + args.drain
            while time.perf_counter() < drain_until and _missing(self.run, float("inf")):
                await asyncio.sleep(0.2)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            phones = self.phones + self.retired
            await asyncio.gather(*(phone.client.aclose() for phone in phones))
            await staff.aclose()
            await streams_client.aclose()

    def report(self) -> str:
        args, run = self.args, self.run
        after = [(acked, rss) for t, acked, rss in self.samples if t >= args.warmup * 60]
        slope = _slope(after)
        first, last = (after[0], after[-1]) if after else ((0, 0), (0, 0))
        expected = _expected(run)
        lost = sum(1 for share, stream in expected if share.share_id not in stream.arrivals)
        delays = [
            stream.arrivals[share.share_id] - share.acked
            for share, stream in expected
            if share.share_id in stream.arrivals
        ]
        late = sum(1 for delay in delays if delay > LATE_SECONDS)
        streams = [stream for room in run.rooms for stream in room.streams]
        rows = {
            "configuration": args.config,
            "minutes x shares/s": f"{args.minutes:g} x {args.rate:g}",
            "rooms x phones x streams": f"{args.rooms}x{args.phones}x{args.streams}",
            "shares acknowledged (201)": str(len(run.shares)),
            "errors by status": ", ".join(f"{k}: {v}" for k, v in sorted(run.errors.items()))
            or "none",
            f"deliveries expected / lost (unseen {args.drain:g} s after the last share)": (
                f"{len(expected)} / {lost}"
            ),
            f"deliveries late (> {LATE_SECONDS:g} s after the 201) / slowest s": (
                f"{late} / {max(delays):.2f}" if delays else "0 / -"
            ),
            "duplicated / disordered": f"{sum(s.duplicates for s in streams)} / "
            f"{sum(s.out_of_order for s in streams)}",
            "rss at start MB": f"{self.samples[0][2] / 2**20:.1f}" if self.samples else "-",
            f"rss after {args.warmup:g} min warm-up -> end MB": f"{first[1] / 2**20:.1f} -> "
            f"{last[1] / 2**20:.1f}",
            "shares after warm-up": str(last[0] - first[0]),
            "growth after warm-up, bytes/share (fit)": f"{slope:.0f}" if slope is not None else "-",
            "growth after warm-up, bytes/share (ends)": f"{(last[1] - first[1]) / (last[0] - first[0]):.0f}"
            if last[0] > first[0]
            else "-",
        }
        width = max(map(len, rows))
        return "\n".join(f"| {k.ljust(width)} | {v} |" for k, v in rows.items())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", choices=["embedded", "scaleout"], default="embedded")
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to share")
    parser.add_argument("--rate", type=float, default=10.0, help="shares per second, all rooms")
    parser.add_argument("--rooms", type=int, default=4, help="storytimes open at once")
    parser.add_argument("--phones", type=int, default=100, help="phones, spread over the rooms")
    parser.add_argument("--streams", type=int, default=2, help="live streams per room")
    parser.add_argument(
        "--turnover", type=float, default=0.1, help="share of phones replaced every minute"
    )
    parser.add_argument("--sample", type=float, default=60.0, help="seconds between samples")
    parser.add_argument(
        "--drain",
        type=float,
        default=60.0,
        help="seconds to wait after the last share for deliveries still missing (lost after)",
    )
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="minutes left out of the growth figure"
    )
    parser.add_argument(
        "--threads", type=int, help="server threads (embedded) or threads per worker"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (scaleout)")
    parser.add_argument(
        "--database", default="storytime_soak", help="PostgreSQL (created, dropped)"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="flushed")
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="embedded only: run under tracemalloc and print what grew after the warm-up",
    )
    args = parser.parse_args(argv)
    # Each phone stays under its default limit (10 a minute), each room under 300 a minute.
    if args.rate * 60 / args.phones > 9 or args.rate * 60 / args.rooms > 280:
        parser.error("too few phones or rooms for that rate: phones share at most 9 a minute")
    if args.trace_memory and args.config != "embedded":
        parser.error("--trace-memory runs the embedded server only")
    return args


def main(argv: list[str] | None = None) -> None:
    """Start the server, soak it, print the figures."""
    args = parse_args(argv)
    print(f"[soak] starting {args.config}…", file=sys.stderr, flush=True)
    if args.config == "embedded":
        server = servers.start_embedded(args.threads, traced=args.trace_memory)
    else:
        threads = args.threads or args.rooms * args.streams + 64
        server = servers.start_scaleout(args.workers, threads, args.database, args.redis_url)
    soak = None
    try:
        server.watch = servers.ProcessWatch(server.process.pid, interval=1.0)
        soak = Soak(args, server, servers.bench_account(server))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(soak.main())
        if args.trace_memory:
            time.sleep(5)  # the last snapshot is written on the server's own thread
            growth = sorted(server.workdir.glob("growth-*.txt"), key=lambda p: p.stat().st_mtime)
            if growth:
                print(f"\nWhat grew since the first sample ({growth[-1].name}):")
                print("\n".join(growth[-1].read_text().splitlines()[:80]))
    finally:
        server.stop()
    if soak:
        print(soak.report())


if __name__ == "__main__":
    main()
