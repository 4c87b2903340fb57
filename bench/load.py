"""Load Storytime like a library system's Saturday morning and print the figures.

    .venv/bin/python -m bench.load                       # the targets (bench/targets.py), ~5 min
    .venv/bin/python -m bench.load --rooms 100 --phones 30 --streams 2   # one scenario
    .venv/bin/python -m bench.load --steady-rate 60 --burst-shares 0     # a steady offered rate

For each configuration it starts the server itself (loopback only), creates R open
storytimes, follows each with S live streams (dashboards with a bearer token,
displays with the display token), and lets P phones per room open the join page,
share at a realistic rhythm, then all share at once (the burst: "everyone say
hello now!"). Then it runs the same phones against bench/baseline.py served the
same way. Everything is bounded in count and time, and stops by itself.
See docs/performance.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookiejar
import json
import random
import re
import ssl
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/load.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil

from bench import servers

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?(?:href|src)="(/static/[^"]+)"')
KINDS = ("hello", "tip", "song", "question", "idea")
TEXTS = {
    "hello": "Hi, I'm {name} and this is Leo, 9 months",
    "tip": "Sing the song again in the car, it calms them down",
    "song": "Wheels on the bus",
    "question": "Is there a storytime on Saturdays for toddlers?",
    "idea": "A lending kit of baby sign language cards",
}
NAMES = ("Maya", "Ana", "Sam", "Noor", "Lucía", "Kwame", "Mei", "Jonas")


@dataclass
class Settings:
    rooms: int
    phones: int
    streams: int
    arrival: float
    steady: float
    interval: float
    burst_shares: int
    drain: float
    steady_rate: float
    threads: int | None
    workers: int
    max_seconds: float


@dataclass
class Stream:
    room: Room
    audience: str  # "staff" or "display"
    arrivals: dict[int, float] = field(default_factory=dict)
    event_ids: set[int] = field(default_factory=set)
    duplicates: int = 0
    out_of_order: int = 0
    connects: int = 0
    errors: Counter = field(default_factory=Counter)
    connected: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Room:
    id: int
    code: str
    display_token: str
    streams: list[Stream] = field(default_factory=list)


@dataclass
class ShareSent:
    room: Room
    share_id: int
    shown: bool
    acked: float


@dataclass
class Run:
    """Everything measured in one configuration's run."""

    name: str
    settings: Settings
    rooms: list[Room] = field(default_factory=list)
    shares: list[ShareSent] = field(default_factory=list)
    post_seconds: list[float] = field(default_factory=list)
    burst_post_seconds: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    join_client: list[float] = field(default_factory=list)
    join_server: list[float] = field(default_factory=list)
    steady_acks: int = 0
    steady_seconds: float = 0.0
    burst_acks: int = 0
    burst_seconds: float = 0.0
    page_bytes: int = 0
    page_bytes_plain: int = 0
    peak_rss: int = 0
    cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    streams_held: int = 0
    wall_seconds: float = 0.0
    aborted: str = ""


class _KeepNothing(http.cookiejar.CookieJar):
    """A cookie jar that never stores: each simulated phone carries its own cookies."""

    def extract_cookies(self, response, request) -> None:
        return None

    def set_cookie(self, cookie) -> None:
        return None


def _no_cookie_jar() -> http.cookiejar.CookieJar:
    # Passed as a CookieJar, httpx uses it as is (an httpx.Cookies would be copied).
    return _KeepNothing()


def _phone_client(base_url: str, timeout: httpx.Timeout, tls: ssl.SSLContext) -> httpx.AsyncClient:
    """Return one phone's HTTP client: one kept-alive connection, cookies kept by the phone."""
    return httpx.AsyncClient(
        base_url=base_url,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        timeout=timeout,
        cookies=_no_cookie_jar(),
        verify=tls,
    )


def _server_ms(response: httpx.Response) -> float | None:
    timing = response.headers.get("Server-Timing", "")
    match = re.search(r"dur=([\d.]+)", timing)
    return float(match.group(1)) if match else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


class Phone:
    """One caregiver's phone: its cookies, its CSRF token, its shares."""

    def __init__(self, run: Run, room: Room, client: httpx.AsyncClient) -> None:
        self.run, self.room, self.client = run, room, client
        self.cookies: dict[str, str] = {}
        self.token = ""

    def _keep_cookies(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()

    def _headers(self) -> dict[str, str]:
        headers = {"X-CSRFToken": self.token}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    async def open_join_page(self) -> bool:
        started = time.perf_counter()
        try:
            response = await self.client.get(f"/j/{self.room.code}", headers=self._headers())
        except httpx.HTTPError as exc:
            self.run.errors[f"join {type(exc).__name__}"] += 1
            return False
        self.run.join_client.append(time.perf_counter() - started)
        server_ms = _server_ms(response)
        if server_ms is not None:
            self.run.join_server.append(server_ms / 1000)
        if response.status_code != 200:
            self.run.errors[f"join {response.status_code}"] += 1
            return False
        self._keep_cookies(response)
        match = META_CSRF.search(response.text)
        self.token = match.group(1) if match else ""
        return True

    async def share(self, burst: bool = False) -> bool:
        kind = random.choice(KINDS)
        body = {
            "kind": kind,
            "text": TEXTS[kind].format(name=random.choice(NAMES)),
            "on_screen": kind != "question" and random.random() < 0.8,
            "client_id": uuid.uuid4().hex,
        }
        if random.random() < 0.5:
            body["name"] = random.choice(NAMES)
        started = time.perf_counter()
        try:
            response = await self.client.post(
                f"/api/v1/storytimes/{self.room.code}/shares", json=body, headers=self._headers()
            )
        except httpx.HTTPError as exc:
            self.run.errors[f"share {type(exc).__name__}"] += 1
            return False
        acked = time.perf_counter()
        self._keep_cookies(response)
        if response.status_code != 201:
            self.run.errors[f"share {response.status_code}"] += 1
            return False
        self.run.post_seconds.append(acked - started)
        if burst:
            self.run.burst_post_seconds.append(acked - started)
        answer = response.json()
        self.run.shares.append(
            ShareSent(self.room, int(answer["id"]), bool(answer.get("shown")), acked)
        )
        return True


async def phone_life(phone: Phone, settings: Settings, clock: dict, burst: asyncio.Event) -> None:
    """Arrive, open the join page, share now and then, then join the burst."""
    await asyncio.sleep(random.uniform(0, settings.arrival))
    if not await phone.open_join_page():
        return
    # With --steady-rate the phones together offer that many shares a second.
    interval = (
        settings.rooms * settings.phones / settings.steady_rate
        if settings.steady_rate
        else settings.interval
    )
    while True:
        wait = random.expovariate(1 / interval)
        if time.perf_counter() + wait >= clock["steady_end"]:
            break
        await asyncio.sleep(wait)
        if await phone.share() and time.perf_counter() <= clock["steady_end"]:
            phone.run.steady_acks += 1
    await burst.wait()
    for _ in range(settings.burst_shares):
        if await phone.share(burst=True):
            phone.run.burst_acks += 1
            clock["burst_last_ack"] = time.perf_counter()


async def follow(stream: Stream, client: httpx.AsyncClient, token: str) -> None:
    """Hold one live stream like a browser's EventSource: reconnect with Last-Event-ID."""
    room, last_id = stream.room, 0
    url = f"/api/v1/storytimes/{room.id}/stream"
    while True:
        headers, params = {}, {}
        if last_id:
            headers["Last-Event-ID"] = str(last_id)
        if stream.audience == "display":
            params["token"] = room.display_token
        else:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with client.stream("GET", url, headers=headers, params=params) as response:
                if response.status_code != 200:
                    stream.errors[response.status_code] += 1
                    await asyncio.sleep(1)
                    continue
                stream.connects += 1
                event_id, data = None, None
                async for line in response.aiter_lines():
                    stream.connected.set()
                    if line.startswith("id:"):
                        event_id = int(line[3:])
                    elif line.startswith("data:"):
                        data = line[5:]
                    elif line == "" and event_id is not None:
                        _arrived(stream, event_id, data, time.perf_counter())
                        last_id = max(last_id, event_id)
                        event_id, data = None, None
        except httpx.HTTPError as exc:
            stream.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.5)


def _arrived(stream: Stream, event_id: int, data: str | None, now: float) -> None:
    if event_id in stream.event_ids:
        stream.duplicates += 1
        return
    if stream.event_ids and event_id < max(stream.event_ids):
        stream.out_of_order += 1
    stream.event_ids.add(event_id)
    item = json.loads(data or "{}")
    share = item.get("share")
    if share and item.get("type") in ("share.created", "share.shown"):
        if share["id"] in stream.arrivals:
            stream.duplicates += 1
        else:
            stream.arrivals[share["id"]] = now


def _expected(run: Run) -> list[tuple[ShareSent, Stream]]:
    """Every (share, stream) pair that must meet: staff see all, displays the shown ones."""
    return [
        (share, stream)
        for share in run.shares
        for stream in share.room.streams
        if stream.audience == "staff" or share.shown
    ]


async def create_rooms(client: httpx.AsyncClient, token: str, count: int) -> list[Room]:
    """Create and open `count` storytimes through the staff API."""
    auth = {"Authorization": f"Bearer {token}"}
    rooms = []
    for number in range(count):
        created = await client.post(
            "/api/v1/storytimes",
            headers=auth,
            json={
                "branch": "bench",
                "title": f"Baby Bounce {number + 1}",
                "starts_at": datetime.now(UTC).isoformat(),
                "audience": "babies",
                "moderation": "instant",
            },
        )
        if created.status_code != 201:
            raise RuntimeError(f"POST /api/v1/storytimes: {created.status_code} {created.text}")
        body = created.json()
        opened = await client.patch(
            f"/api/v1/storytimes/{body['id']}", headers=auth, json={"state": "open"}
        )
        if opened.status_code != 200:
            raise RuntimeError(f"PATCH state open: {opened.status_code} {opened.text}")
        token_part = body["display_url"].rstrip("/").rsplit("/", 1)[-1]
        rooms.append(Room(id=body["id"], code=body["code"], display_token=token_part))
    return rooms


def measure_page_weight(base_url: str, code: str) -> tuple[int, int]:
    """Return (bytes on the wire with gzip, bytes uncompressed) of the join page and assets."""
    wire = plain = 0
    with httpx.Client(base_url=base_url, headers={"Accept-Encoding": "gzip"}) as client:
        page = client.get(f"/j/{code}")
        wire += page.num_bytes_downloaded
        plain += len(page.content)
        for url in dict.fromkeys(ASSET.findall(page.text)):
            asset = client.get(url.replace("&amp;", "&"))
            wire += asset.num_bytes_downloaded
            plain += len(asset.content)
    return wire, plain


async def drive(run: Run, server: servers.Server, token: str | None) -> None:
    """Run the rooms, streams and phones against one server."""
    settings = run.settings
    timeout = httpx.Timeout(30.0, read=60.0)
    staff_client = httpx.AsyncClient(base_url=server.base_url, timeout=timeout)
    streams_client = httpx.AsyncClient(
        base_url=server.base_url,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        timeout=timeout,
    )
    follow_tasks: list[asyncio.Task] = []
    phones: list[Phone] = []
    try:
        if token:
            run.rooms = await create_rooms(staff_client, token, settings.rooms)
        else:  # the baseline has no storytimes: any code goes
            run.rooms = [
                Room(id=n, code=f"BASE{n:04d}", display_token="") for n in range(settings.rooms)
            ]
        run.page_bytes, run.page_bytes_plain = await asyncio.to_thread(
            measure_page_weight, server.base_url, run.rooms[0].code
        )
        if token:
            for room in run.rooms:
                for number in range(settings.streams):
                    audience = "staff" if number % 2 == 0 else "display"
                    room.streams.append(Stream(room, audience))
            all_streams = [s for room in run.rooms for s in room.streams]
            follow_tasks = [
                asyncio.create_task(follow(s, streams_client, token)) for s in all_streams
            ]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(60):
                    await asyncio.gather(*(s.connected.wait() for s in all_streams))
            run.streams_held = sum(s.connected.is_set() for s in all_streams)
        assert server.watch is not None
        server.watch.mark()
        client_cpu = psutil.Process().cpu_times()
        start = time.perf_counter()
        clock = {"steady_end": start + settings.arrival + settings.steady, "burst_last_ack": 0.0}
        burst = asyncio.Event()
        # One connection per phone, as in a room. (A shared httpx pool rescans every
        # connection for every request: with 100 of them that scan took three quarters of
        # the load generator's CPU, and the generator, not the server, set the burst rate.)
        tls = ssl.create_default_context()  # built once: unused on http://, costly per client
        phones += [
            Phone(run, room, _phone_client(server.base_url, timeout, tls))
            for room in run.rooms
            for _ in range(settings.phones)
        ]
        lives = [asyncio.create_task(phone_life(p, settings, clock, burst)) for p in phones]
        await asyncio.sleep(max(0.0, clock["steady_end"] - time.perf_counter()))
        run.steady_seconds = clock["steady_end"] - start
        burst_start = time.perf_counter()
        burst.set()
        await asyncio.gather(*lives)
        run.burst_seconds = max(clock["burst_last_ack"] - burst_start, 1e-9)
        # Let the last events reach every screen, then stop following.
        deadline = time.perf_counter() + settings.drain
        while time.perf_counter() < deadline:
            if all(share.share_id in stream.arrivals for share, stream in _expected(run)):
                break
            await asyncio.sleep(0.1)
        run.cpu_seconds = server.watch.cpu_since_mark()
        run.peak_rss = server.watch.peak_rss
        after = psutil.Process().cpu_times()
        run.client_cpu_seconds = (after.user + after.system) - (client_cpu.user + client_cpu.system)
        run.wall_seconds = time.perf_counter() - start
    finally:
        for task in follow_tasks:
            task.cancel()
        await asyncio.gather(*follow_tasks, return_exceptions=True)
        await staff_client.aclose()
        await asyncio.gather(*(phone.client.aclose() for phone in phones))
        await streams_client.aclose()


def run_one(name: str, settings: Settings, start) -> Run:
    """Start a server, drive it within the time bound, stop it, return what was measured."""
    run = Run(name, settings)
    print(f"[{name}] starting the server…", file=sys.stderr, flush=True)
    server = start()
    try:
        server.watch = servers.ProcessWatch(server.process.pid)
        token = servers.bench_account(server) if not name.startswith("baseline") else None
        print(
            f"[{name}] running {settings.rooms}x{settings.phones} phones…",
            file=sys.stderr,
            flush=True,
        )
        try:
            asyncio.run(asyncio.wait_for(drive(run, server, token), settings.max_seconds))
        except TimeoutError:
            run.aborted = f"stopped after {settings.max_seconds:.0f}s"
    except Exception as exc:
        run.aborted = f"{type(exc).__name__}: {exc}"
        print(server.log_tail(), file=sys.stderr)
    finally:
        server.stop()
    return run


def _ms(seconds: float | None) -> str:
    return (
        "-"
        if seconds is None
        else f"{seconds * 1000:.0f}"
        if seconds >= 0.01
        else f"{seconds * 1000:.1f}"
    )


def rows(run: Run, baseline: Run | None) -> dict[str, str]:
    """The figures of one run, by row label."""
    s = run.settings
    has_streams = bool(run.rooms and run.rooms[0].streams)
    expected = _expected(run) if has_streams else []
    latencies = [
        max(0.0, stream.arrivals[share.share_id] - share.acked)
        for share, stream in expected
        if share.share_id in stream.arrivals
    ]
    streams = [stream for room in run.rooms for stream in room.streams]
    lost = len(expected) - len(latencies)
    dup = sum(stream.duplicates for stream in streams)
    disorder = sum(stream.out_of_order for stream in streams)
    errors = run.errors + sum(
        (Counter({f"stream {k}": v for k, v in st.errors.items()}) for st in streams), Counter()
    )
    burst_rate = run.burst_acks / run.burst_seconds if run.burst_seconds else 0.0
    base_rate = (
        (baseline.burst_acks / baseline.burst_seconds) if baseline and baseline.burst_seconds else 0
    )
    n_streams = s.rooms * s.streams if has_streams else 0
    return {
        "rooms x phones x streams": f"{s.rooms}x{s.phones}x{s.streams if has_streams else 0}",
        "streams held": f"{run.streams_held}/{n_streams}" if has_streams else "-",
        "shares acknowledged (201)": str(len(run.shares)),
        "steady acked shares/s": f"{run.steady_acks / run.steady_seconds:.1f}"
        if run.steady_seconds
        else "-",
        "burst peak acked shares/s": f"{burst_rate:.0f}",
        "burst vs baseline": f"{burst_rate / base_rate:.2f}"
        if base_rate and run is not baseline
        else "-",
        "share POST p50/p99 ms": f"{_ms(_percentile(run.post_seconds, 50))}/{_ms(_percentile(run.post_seconds, 99))}",
        "burst share POST p50/p99 ms": f"{_ms(_percentile(run.burst_post_seconds, 50))}/{_ms(_percentile(run.burst_post_seconds, 99))}",
        "share->screen p50 ms": _ms(_percentile(latencies, 50)) if has_streams else "-",
        "share->screen p95 ms": _ms(_percentile(latencies, 95)) if has_streams else "-",
        "share->screen p99 ms": _ms(_percentile(latencies, 99)) if has_streams else "-",
        "deliveries expected": str(len(expected)) if has_streams else "-",
        "lost / duplicated / disordered": f"{lost} / {dup} / {disorder}" if has_streams else "-",
        "errors by status": ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "none",
        "join page server p50/p99 ms": f"{_ms(_percentile(run.join_server, 50))}/{_ms(_percentile(run.join_server, 99))}",
        "join page client p50/p99 ms": f"{_ms(_percentile(run.join_client, 50))}/{_ms(_percentile(run.join_client, 99))}",
        "join page + assets, gzip KB": f"{run.page_bytes / 1024:.1f} ({run.page_bytes_plain / 1024:.1f} raw)",
        "server peak RSS MB": f"{run.peak_rss / 2**20:.0f}",
        "server CPU s (load phase)": f"{run.cpu_seconds:.1f}",
        "load generator CPU s": f"{run.client_cpu_seconds:.1f}",
        "load phase wall s": f"{run.wall_seconds:.1f}",
        "aborted": run.aborted or "no",
    }


def table(columns: list[tuple[str, dict[str, str]]]) -> str:
    """Render the runs side by side as a Markdown table."""
    labels = list(columns[0][1])
    header = ["", *(name for name, _ in columns)]
    body = [[label, *(values.get(label, "-") for _, values in columns)] for label in labels]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    return "\n".join(
        [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]
    )


# Any of these on the command line runs that one scenario instead of the targets.
SCENARIO_OPTIONS = (
    "rooms",
    "phones",
    "streams",
    "arrival",
    "steady",
    "interval",
    "steady-rate",
    "burst-shares",
)


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", choices=["embedded", "scaleout", "both"], default="both")
    parser.add_argument("--rooms", type=int, default=10, help="storytimes running at once")
    parser.add_argument("--phones", type=int, default=20, help="phones per room")
    parser.add_argument(
        "--streams", type=int, default=2, help="live streams per room (dashboard, display, …)"
    )
    parser.add_argument(
        "--arrival", type=float, default=5.0, help="seconds over which phones arrive"
    )
    parser.add_argument("--steady", type=float, default=20.0, help="seconds of sharing at a rhythm")
    parser.add_argument(
        "--interval", type=float, default=12.0, help="mean seconds between one phone's shares"
    )
    parser.add_argument(
        "--steady-rate",
        type=float,
        default=0.0,
        help="shares/s offered by all phones together in the steady phase (overrides --interval)",
    )
    parser.add_argument(
        "--burst-shares", type=int, default=2, help="shares each phone sends in the burst"
    )
    parser.add_argument(
        "--drain", type=float, default=15.0, help="seconds to wait for the last events"
    )
    parser.add_argument(
        "--threads", type=int, help="server threads (embedded) or threads per worker"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (scaleout)")
    parser.add_argument("--max-seconds", type=float, default=300, help="hard stop for each run")
    parser.add_argument(
        "--database", default="storytime_bench", help="PostgreSQL database to create and drop"
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/11", help="Redis database (flushed)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare baseline")
    parser.add_argument(
        "--targets",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the issue's target table: a burst phase and a steady 60/s phase (the default "
        "when no room, phone, stream or rhythm option is given)",
    )
    args = parser.parse_args(argv)
    if args.targets is None:
        args.targets = not any(
            f"--{name}" in arg
            for arg in (argv if argv is not None else sys.argv[1:])
            for name in SCENARIO_OPTIONS
        )
    if (
        min(args.rooms, args.phones) < 1
        or args.burst_shares < 0
        or args.rooms * args.phones > 20000
        or not 0 <= args.streams <= 20
    ):
        parser.error("keep 1 <= rooms*phones <= 20000 and 0 <= streams <= 20")
    settings = Settings(
        rooms=args.rooms,
        phones=args.phones,
        streams=args.streams,
        arrival=args.arrival,
        steady=args.steady,
        interval=args.interval,
        burst_shares=args.burst_shares,
        drain=args.drain,
        steady_rate=args.steady_rate,
        threads=args.threads,
        workers=args.workers,
        max_seconds=args.max_seconds,
    )
    return args, settings


def run_config(
    config: str, settings: Settings, args: argparse.Namespace, baseline: bool
) -> tuple[Run, Run | None]:
    """Run one configuration (and its bare baseline, served the same way) with `settings`."""
    # gunicorn gives each worker what the OS hands it, not an even share: size for all streams.
    gthreads = settings.threads or settings.rooms * settings.streams + 64
    if config == "embedded":
        run = run_one("embedded", settings, lambda: servers.start_embedded(settings.threads))
        base_start = lambda: servers.start_baseline("embedded", settings.threads or 200, 1)  # noqa: E731
    else:
        run = run_one(
            "scaleout",
            settings,
            lambda: servers.start_scaleout(
                settings.workers, gthreads, args.database, args.redis_url
            ),
        )
        base_start = lambda: servers.start_baseline("scaleout", gthreads, settings.workers)  # noqa: E731
    base = run_one(f"baseline-{config}", settings, base_start) if baseline else None
    return run, base


def main(argv: list[str] | None = None) -> None:
    """Run the chosen configurations and their baselines; print the tables."""
    args, settings = parse_args(argv)
    configs = ["embedded", "scaleout"] if args.config == "both" else [args.config]
    if args.targets:
        from bench.targets import run_targets

        print(run_targets(configs, settings, args))
        return
    columns: list[tuple[str, dict[str, str]]] = []
    for config in configs:
        run, baseline = run_config(config, settings, args, not args.no_baseline)
        columns.append((config, rows(run, baseline)))
        if baseline:
            columns.append((f"baseline ({config})", rows(baseline, baseline)))
    print(table(columns))


if __name__ == "__main__":
    main()
