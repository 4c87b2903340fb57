"""Stopping gunicorn workers end their live streams; a screen that stops reading is dropped.

Real servers on loopback, each on a fresh SQLite file (issue 18): gunicorn reloaded (SIGHUP)
and recycled (`max_requests`) while screens follow their streams and a phone keeps sharing,
and a client that never reads its stream, on gunicorn and on the embedded server.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
import redis
from factories import close_app, make_storytime, make_user
from server_process import free_port, log_tail, wait_until_healthy
from services import redis_missing

from storytime import create_app
from storytime.auth.tokens import create_token
from storytime.extensions import db
from storytime.models import User

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/14"  # this file's own Redis database, flushed
REDIS_MISSING = redis_missing()
RETIRE_SECONDS = 15  # the bound for an old worker to be gone
WAIT = 30  # generous: workers load the app slowly on a busy machine

pytestmark = pytest.mark.slow


@dataclass
class World:
    """A seeded instance folder: one open storytime, a display link and a staff token."""

    instance: Path
    storytime_id: int
    code: str
    display_token: str
    bearer: str


@pytest.fixture
def world(tmp_path: Path) -> World:
    instance = tmp_path / "instance"
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'storytime.sqlite'}",
            "SECRET_KEY": "worker-shutdown-test",
            "AUTO_MIGRATE": True,
            "REDIS_URL": "",
        }
    )
    try:
        storytime = make_storytime(app, "central")
        user_id = make_user(app, "librarian@central.example.org", "librarian", "central")
        with app.app_context():
            bearer = create_token(db.session.get(User, user_id), "worker shutdown test")
    finally:
        close_app(app)
    return World(instance, storytime.id, storytime.code, storytime.display_token, bearer)


class Servers:
    """Server processes a test starts, each in its own process group, stopped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
        port = free_port()
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        command = [part.replace("{port}", str(port)) for part in command]
        log = self.folder / f"server-{len(self.started)}.log"
        with open(log, "w") as output:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.log = log  # type: ignore[attr-defined]
        self.started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, log, 60)
        return process, url

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)


@pytest.fixture
def servers(tmp_path: Path):
    started = Servers(tmp_path)
    yield started
    started.stop_all()


def server_env(world: World, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYTIME_", "GUNICORN_"))}
    env.update(
        STORYTIME_INSTANCE_PATH=str(world.instance),
        STORYTIME_DATABASE_URL=f"sqlite:///{world.instance / 'storytime.sqlite'}",
        STORYTIME_SECRET_KEY="worker-shutdown-test",
        STORYTIME_BASE_URL="http://127.0.0.1",
        STORYTIME_AUTO_MIGRATE="false",
        STORYTIME_RATELIMIT_ENABLED="false",
        STORYTIME_STREAM_MAX_SECONDS="120",
        # A heartbeat a second: followers notice the end of the test between frames.
        STORYTIME_STREAM_HEARTBEAT_SECONDS="1",
    )
    env.update(extra)
    return env


GUNICORN = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "storytime:create_app()"]
EMBEDDED = [str(BIN / "storytime"), "--host", "127.0.0.1", "--port", "{port}"]


def workers(master: subprocess.Popen) -> set[int]:
    """Return the pids of the master's worker processes still running (not yet reaped)."""
    try:
        children = psutil.Process(master.pid).children()
    except psutil.NoSuchProcess:
        return set()
    alive = set()
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.add(child.pid)
    return alive


def wait_for(condition, timeout: float, what: str, log: Path | None = None) -> None:
    """Poll `condition` until true, or fail saying `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} (after {timeout} s)\n{log_tail(log) if log else ''}")
        time.sleep(0.05)


class Follower(threading.Thread):
    """A screen: follows the stream and reconnects with Last-Event-ID whenever it ends."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.shares: list[int] = []  # the share id of every share event, as received
        self.connections = 0
        self.last_id: str | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=httpx.Timeout(WAIT)) as client:
            while not self.stopping.is_set():
                headers = dict(self.headers)
                if self.last_id is not None:
                    headers["Last-Event-ID"] = self.last_id
                try:
                    with client.stream("GET", self.url, headers=headers) as response:
                        if response.status_code == 200:
                            self.connections += 1
                            self._read(response.iter_lines())
                except httpx.HTTPError:
                    pass
                self.stopping.wait(0.2)  # a browser waits `retry` ms; the test need not

    def _read(self, lines) -> None:
        event_id = data = None
        for line in lines:
            if self.stopping.is_set():
                return
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and event_id is not None:
                if "share" in data:
                    self.shares.append(data["share"]["id"])
                self.last_id, event_id = event_id, None

    def stop(self) -> None:
        self.stopping.set()
        self.join(WAIT)


class Phone(threading.Thread):
    """A caregiver sharing now and then; a share it got no answer for is sent again."""

    def __init__(self, url: str, code: str, text_size: int = 20) -> None:
        super().__init__(daemon=True)
        self.url, self.code, self.text_size = url, code, text_size
        self.acknowledged: list[int] = []  # share ids answered 201 (or 200 for a repeat)
        self.stopping = threading.Event()

    def share(self, client: httpx.Client, csrf: str) -> None:
        client_id = secrets.token_urlsafe(12)
        text = f"tip {len(self.acknowledged)} ".ljust(self.text_size, "x")
        for _attempt in range(20):
            try:
                response = client.post(
                    f"/api/v1/storytimes/{self.code}/shares",
                    json={"kind": "tip", "text": text, "on_screen": True, "client_id": client_id},
                    headers={"X-CSRFToken": csrf},
                )
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            assert response.status_code in (200, 201), response.text
            self.acknowledged.append(response.json()["id"])
            return
        raise AssertionError("the share was never answered")

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=WAIT) as client:
            csrf = client.get("/api/v1/csrf").json()["csrf_token"]
            while not self.stopping.wait(0.05):
                self.share(client, csrf)


def open_screens(url: str, world: World, count: int) -> list[Follower]:
    """Open `count` streams, staff (bearer token) and display (link token) in turn."""
    stream = f"{url}/api/v1/storytimes/{world.storytime_id}/stream"
    followers = []
    for index in range(count):
        if index % 2:
            follower = Follower(f"{stream}?token={world.display_token}", {})
        else:
            follower = Follower(stream, {"Authorization": f"Bearer {world.bearer}"})
        follower.start()
        followers.append(follower)
    wait_for(lambda: all(f.connections for f in followers), WAIT, "a stream did not open")
    return followers


def assert_each_share_once(followers: list[Follower], acknowledged: list[int]) -> None:
    """Every acknowledged share reaches every screen, each exactly once, in the end."""

    def caught_up() -> bool:
        return all(set(acknowledged) <= set(f.shares) for f in followers)

    wait_for(caught_up, WAIT, "a screen is missing an acknowledged share")
    for follower in followers:
        repeated = {s for s in follower.shares if follower.shares.count(s) > 1}
        assert not repeated, f"shares received twice: {sorted(repeated)}"


@pytest.fixture
def flushed_redis():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.mark.redis
@pytest.mark.skipif(REDIS_MISSING is not None, reason=str(REDIS_MISSING))
def test_a_reload_retires_old_workers_in_seconds_and_screens_miss_nothing(
    world, servers, flushed_redis
):
    env = server_env(
        world, STORYTIME_REDIS_URL=flushed_redis, GUNICORN_WORKERS="2", GUNICORN_THREADS="16"
    )
    master, url = servers.start(GUNICORN, env)
    wait_for(lambda: len(workers(master)) == 2, WAIT, "two workers did not start", master.log)
    followers = open_screens(url, world, 4)
    phone = Phone(url, world.code)
    phone.start()
    wait_for(lambda: len(phone.acknowledged) >= 10, WAIT, "the phone could not share")

    old = workers(master)
    master.send_signal(signal.SIGHUP)
    wait_for(lambda: not old & workers(master), RETIRE_SECONDS, "an old worker ran", master.log)
    shared_during_reload = len(phone.acknowledged)
    wait_for(lambda: len(phone.acknowledged) >= shared_during_reload + 10, WAIT, "no shares")
    phone.stopping.set()
    phone.join(WAIT)
    try:
        assert_each_share_once(followers, phone.acknowledged)
        # Every screen was on an old worker: each stream ended and resumed on a new one.
        assert all(f.connections >= 2 for f in followers)
    finally:
        for follower in followers:
            follower.stop()
    log = master.log.read_text()
    assert log.count("Ending live streams") >= 2, log_tail(master.log)
    # Not a blanket "no Traceback": two processes on one SQLite file may refuse a write now
    # and then (the screen retries); what must not happen is a worker killed or a stream
    # broken by the shutdown.
    for failure in ("WORKER TIMEOUT", "Error handling request", "Exception in worker process"):
        assert failure not in log, log_tail(master.log)
    assert len(workers(master)) == 2


def test_a_recycled_worker_with_open_streams_is_gone_in_seconds(world, servers):
    env = server_env(
        world,
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="8",
        GUNICORN_MAX_REQUESTS="12",
        GUNICORN_MAX_REQUESTS_JITTER="0",
    )
    master, url = servers.start(GUNICORN, env)
    (first,) = workers(master)
    followers = open_screens(url, world, 2)
    try:

        def recycling() -> bool:
            httpx.get(f"{url}/healthz", timeout=WAIT)  # one request more, on a new connection
            return "Autorestarting worker" in master.log.read_text()

        wait_for(recycling, WAIT, "max_requests did not recycle the worker", master.log)
        wait_for(lambda: first not in workers(master), RETIRE_SECONDS, "still running", master.log)
        # Screens resume on the worker that replaced it, and follow new shares there.
        wait_for(lambda: all(f.connections >= 2 for f in followers), WAIT, "no reconnect")
        phone = Phone(url, world.code)
        with httpx.Client(base_url=url, timeout=WAIT) as client:
            phone.share(client, client.get("/api/v1/csrf").json()["csrf_token"])
        assert_each_share_once(followers, phone.acknowledged)
    finally:
        for follower in followers:
            follower.stop()
    assert "Traceback" not in master.log.read_text(), log_tail(master.log)


def raw_stream_request(url: str, world: World) -> socket.socket:
    """Ask for the display's stream on a socket with tiny buffers, and never read it."""
    host, port = url.removeprefix("http://").split(":")
    path = f"/api/v1/storytimes/{world.storytime_id}/stream?token={world.display_token}"
    sock = socket.socket()
    try:
        # A small window and segments keep the kernel from buffering much on either side,
        # so the server's writes block after a few tens of kilobytes.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
        sock.connect((host, int(port)))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    except OSError:
        sock.close()
        raise
    return sock


@pytest.mark.parametrize("command", [EMBEDDED, GUNICORN], ids=["embedded", "gunicorn"])
def test_a_screen_that_never_reads_is_dropped_and_frees_its_thread(world, servers, command):
    env = server_env(
        world,
        STORYTIME_STREAM_SEND_TIMEOUT_SECONDS="2",
        STORYTIME_STREAM_HEARTBEAT_SECONDS="60",
        STORYTIME_SHARE_MAX_LENGTH="4000",
        # One thread: while the stuck stream holds it, nothing else is served.
        STORYTIME_THREADS="1",
        STORYTIME_REQUEST_SLOTS="1",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="1",
    )
    process, url = servers.start(command, env)
    phone = Phone(url, world.code, text_size=4000)
    with httpx.Client(base_url=url, timeout=WAIT) as client:
        csrf = client.get("/api/v1/csrf").json()["csrf_token"]
        for _ in range(80):  # ~330 KB of backlog for the stream to send at once
            phone.share(client, csrf)

    with raw_stream_request(url, world) as sock:
        ready, _, _ = select.select([sock], [], [], WAIT)
        assert ready, "the stream did not start"
        started = time.monotonic()
        response = httpx.get(f"{url}/healthz", timeout=WAIT)
        waited = time.monotonic() - started
        assert response.status_code == 200
        # It waited for the only thread, which the stuck write held until its timeout.
        assert 1 <= waited < 12, waited
        received = b""
        sock.settimeout(WAIT)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):  # the server closed: the end comes, then EOF
                received += chunk
    assert received.startswith(b"HTTP/1.1 200")
    assert len(received) < 200_000  # cut off long before the backlog was sent
    wait_for(
        lambda: "read nothing for" in process.log.read_text(),
        WAIT,
        "the drop was not logged",
        process.log,
    )
    assert "Traceback" not in process.log.read_text(), log_tail(process.log)
