"""Open N idle live streams against one embedded Storytime and report what each costs.

    .venv/bin/python -m bench.idle_streams               # 1,000 streams
    .venv/bin/python -m bench.idle_streams --streams 200 --threads 300

It starts `storytime` (cheroot, SQLite) itself, opens N streams spread over a few
storytimes (half dashboards with a bearer token, half displays with the display
token), holds them idle, then posts one share per storytime and checks that it
reaches every stream of its storytime: an idle stream must still be live.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/idle_streams.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import servers
from bench.load import Phone, Room, Run, Stream, _no_cookie_jar, _percentile, create_rooms, follow


async def measure(server: servers.Server, token: str, args: argparse.Namespace) -> dict[str, str]:
    assert server.watch is not None
    timeout = httpx.Timeout(30.0, read=60.0)
    client = httpx.AsyncClient(base_url=server.base_url, timeout=timeout, cookies=_no_cookie_jar())
    streams_client = httpx.AsyncClient(
        base_url=server.base_url,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        timeout=timeout,
    )
    tasks: list[asyncio.Task] = []
    try:
        rooms: list[Room] = await create_rooms(client, token, args.rooms)
        await asyncio.sleep(1)
        rss_before = server.watch.rss()
        for number in range(args.streams):
            room = rooms[number % len(rooms)]
            room.streams.append(Stream(room, "staff" if number % 2 == 0 else "display"))
        streams = [stream for room in rooms for stream in room.streams]
        opened = time.perf_counter()
        tasks = [asyncio.create_task(follow(stream, streams_client, token)) for stream in streams]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.open_timeout):
                await asyncio.gather(*(stream.connected.wait() for stream in streams))
        open_seconds = time.perf_counter() - opened
        held_at_open = sum(stream.connected.is_set() for stream in streams)
        server.watch.mark()
        await asyncio.sleep(args.hold)
        idle_cpu = server.watch.cpu_since_mark()
        rss_after = server.watch.rss()
        # Still live? One share per room must reach every stream of that room.
        run = Run("idle", None)  # type: ignore[arg-type]
        quick = httpx.AsyncClient(
            base_url=server.base_url, timeout=httpx.Timeout(5.0), cookies=_no_cookie_jar()
        )
        async with quick:  # a server whose threads all hold streams answers nothing else
            for room in rooms:
                phone = Phone(run, room, quick)
                if await phone.open_join_page():
                    await phone.share()
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            if all(
                share.share_id in stream.arrivals
                for share in run.shares
                for stream in share.room.streams
                if stream.audience == "staff" or share.shown
            ):
                break
            await asyncio.sleep(0.1)
        delays, missing = [], 0
        for share in run.shares:
            for stream in share.room.streams:
                if stream.audience == "display" and not share.shown:
                    continue
                if share.share_id in stream.arrivals:
                    delays.append(max(0.0, stream.arrivals[share.share_id] - share.acked))
                else:
                    missing += 1
        errors = sum(sum(stream.errors.values()) for stream in streams)
        per_stream = (rss_after - rss_before) / max(held_at_open, 1)
        p50, p99 = _percentile(delays, 50), _percentile(delays, 99)
        return {
            "streams opened / held": f"{held_at_open}/{args.streams}",
            "all held": "yes"
            if held_at_open == args.streams and not errors and not missing
            else "no",
            "time to open all, s": f"{open_seconds:.1f}",
            "server RSS before / with streams, MB": f"{rss_before / 2**20:.0f} / {rss_after / 2**20:.0f}",
            "memory per idle stream, KB": f"{per_stream / 1024:.0f}",
            f"server CPU while idle for {args.hold:.0f}s, s": f"{idle_cpu:.2f}",
            "share reaching every idle stream p50/p99 ms": (
                f"{(p50 or 0) * 1000:.0f}/{(p99 or 0) * 1000:.0f}" if delays else "-"
            ),
            "deliveries missing": str(missing),
            "stream errors / reconnects": (
                f"{errors} / {sum(max(0, s.connects - 1) for s in streams)}"
            ),
            "shares refused": ", ".join(f"{k}: {v}" for k, v in run.errors.items()) or "none",
        }
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.aclose()
        await streams_client.aclose()


def main(argv: list[str] | None = None) -> None:
    """Start the embedded server, hold the streams, print a small table."""
    parser = argparse.ArgumentParser(prog="python -m bench.idle_streams", description=__doc__)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=10, help="storytimes the streams follow")
    parser.add_argument("--threads", type=int, help="server threads (default: the server's own)")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds to hold them idle")
    parser.add_argument("--open-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    if not 1 <= args.streams <= 5000 or not 1 <= args.rooms <= args.streams:
        parser.error("keep 1 <= rooms <= streams <= 5000")
    server = servers.start_embedded(args.threads)
    try:
        server.watch = servers.ProcessWatch(server.process.pid)
        token = servers.bench_account(server)
        figures = asyncio.run(
            asyncio.wait_for(measure(server, token, args), args.open_timeout + args.hold + 120)
        )
    finally:
        server.stop()
    width = max(map(len, figures))
    print(f"| {'idle streams, embedded':<{width}} | |")
    print(f"|{'-' * (width + 2)}|---|")
    for label, value in figures.items():
        print(f"| {label:<{width}} | {value} |")


if __name__ == "__main__":
    main()
