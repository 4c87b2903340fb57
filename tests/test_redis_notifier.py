"""Redis doorbells: between notifiers, and between two real server processes."""

from __future__ import annotations

import logging
import os
import queue
import random
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
import redis
from factories import close_app, make_storytime, make_user
from server_process import free_port, stop, wait_until_healthy
from services import missing

from storytime import create_app
from storytime.auth.tokens import create_token
from storytime.events.notifier import RedisNotifier
from storytime.extensions import db
from storytime.models import User

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WAIT = 20


def redis_answers() -> bool:
    try:
        return bool(redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not redis_answers(),
        reason=missing("needs the Redis server at 127.0.0.1:6379 (CI starts it)"),
    ),
]


def redis_url() -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{random.randint(1, 15)}"


def test_a_doorbell_rung_in_one_process_wakes_a_stream_in_another():
    """Two notifiers stand for two worker processes."""
    url = redis_url()
    ringer, listener = RedisNotifier(url), RedisNotifier(url)
    try:
        assert ringer.wait_until_listening() and listener.wait_until_listening()
        room = random.randint(10**6, 10**7)
        seen = listener.generation(room)
        ringer.publish(room)
        assert listener.wait(room, seen, timeout=WAIT), "the other process was not woken"
        assert listener.healthy
    finally:
        ringer.close()
        listener.close()


def test_publishing_during_a_redis_outage_loses_nothing_locally(caplog):
    caplog.set_level(logging.INFO, "storytime.events.notifier")
    notifier = RedisNotifier("redis://:s3cret@127.0.0.1:1/0")  # nothing listens there
    try:
        seen = notifier.generation(7)
        for _ in range(50):
            notifier.publish(7)  # never raises: the share is already saved
        assert notifier.wait(7, seen, timeout=0)
        assert not notifier.healthy
    finally:
        notifier.close()
    # Fifty failed publishes and a listener that cannot connect are one fault, one line.
    lines = [r.getMessage() for r in caplog.records if r.name == "storytime.events.notifier"]
    assert len(lines) == 1, lines
    assert lines[0].startswith("fault redis started: Redis unreachable at redis://127.0.0.1:1/0 (")
    assert "database about once a second" in lines[0]
    assert "s3cret" not in caplog.text


# --- two real server processes sharing one Redis and one SQLite file ---


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYTIME_")}
    env.update(
        STORYTIME_INSTANCE_PATH=str(instance),
        STORYTIME_DATABASE_URL=f"sqlite:///{instance / 'storytime.sqlite'}",
        STORYTIME_SECRET_KEY="two-process-test",
        STORYTIME_REDIS_URL=redis_url(),
        STORYTIME_BASE_URL="http://127.0.0.1",
        STORYTIME_RATELIMIT_ENABLED="false",
        STORYTIME_STREAM_MAX_SECONDS="120",
        # Longer than WAIT: without the Redis doorbell, B's streams would only look again at
        # their next heartbeat, and this test would fail instead of passing by polling.
        STORYTIME_STREAM_HEARTBEAT_SECONDS="60",
    )
    return env


@pytest.fixture
def processes(tmp_path: Path):
    """Servers started by the test (with their log files); stopped by their own handles."""
    started: list[tuple[subprocess.Popen, object]] = []
    yield started, tmp_path
    for process, log in started:
        stop(process)
        log.close()


def start(command: list[str], env: dict[str, str], processes) -> subprocess.Popen:
    started, folder = processes
    log_path = folder / f"server-{len(started)}.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed by the fixture)
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log_path  # type: ignore[attr-defined]
    started.append((process, log))
    return process


@pytest.mark.slow
def test_a_share_posted_to_one_server_reaches_a_stream_held_by_another(server_env, processes):
    # Server A: the embedded `storytime` command (cheroot); it creates the database.
    port_a, port_b = free_port(), free_port()
    a = start(
        [str(BIN / "storytime"), "--port", str(port_a), "--threads", "8"], server_env, processes
    )
    wait_until_healthy(f"http://127.0.0.1:{port_a}", a, a.log_path, 60)

    # The staff account, its token and an open storytime, written straight to the shared file.
    app = create_app(
        {
            "INSTANCE_PATH": server_env["STORYTIME_INSTANCE_PATH"],
            "DATABASE_URL": server_env["STORYTIME_DATABASE_URL"],
            "SECRET_KEY": "two-process-test",
            "AUTO_MIGRATE": False,
            "REDIS_URL": "",
        }
    )
    try:
        storytime = make_storytime(app, "central")
        user_id = make_user(app, "librarian@central.example.org", "librarian", "central")
        with app.app_context():
            secret = create_token(db.session.get(User, user_id), "two-process test")
    finally:
        close_app(app)
    storytime_id, code, token = storytime.id, storytime.code, storytime.display_token

    # Server B: the production command (gunicorn, gthread), one worker, never migrating.
    env_b = {**server_env, "STORYTIME_AUTO_MIGRATE": "false"}
    b = start(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--workers",
            "1",
            "--threads",
            "8",
            "--bind",
            f"127.0.0.1:{port_b}",
            "storytime:create_app()",
        ],
        env_b,
        processes,
    )
    wait_until_healthy(f"http://127.0.0.1:{port_b}", b, b.log_path, 60)

    lines: queue.Queue = queue.Queue()

    def follow(url: str, headers: dict[str, str]) -> None:
        try:
            with httpx.stream("GET", url, headers=headers, timeout=WAIT) as response:
                lines.put(("status", response.status_code, response.headers.get("content-type")))
                for line in response.iter_lines():
                    lines.put(line)
        except httpx.HTTPError as exc:
            lines.put(("error", repr(exc)))
        finally:
            lines.put(None)

    staff_headers = {"Authorization": f"Bearer {secret}"}
    threading.Thread(
        target=follow,
        args=(f"http://127.0.0.1:{port_b}/api/v1/storytimes/{storytime_id}/stream", staff_headers),
        daemon=True,
    ).start()
    threading.Thread(
        target=follow,
        args=(
            f"http://127.0.0.1:{port_b}/api/v1/storytimes/{storytime_id}/stream?token={token}",
            {},
        ),
        daemon=True,
    ).start()
    opened = 0
    while opened < 2:
        line = lines.get(timeout=WAIT)
        assert line is not None and not (isinstance(line, tuple) and line[0] == "error"), line
        if isinstance(line, str) and line.startswith(": storytime live stream"):
            opened += 1

    # A caregiver's phone posts to server A.
    with httpx.Client(base_url=f"http://127.0.0.1:{port_a}", timeout=WAIT) as phone:
        csrf = phone.get("/api/v1/csrf").json()["csrf_token"]
        response = phone.post(
            f"/api/v1/storytimes/{code}/shares",
            json={
                "kind": "song",
                "text": "Baby shark, from A",
                "name": "Maya",
                "on_screen": True,
                "client_id": "two-process-0001",
            },
            headers={"X-CSRFToken": csrf},
        )
        assert response.status_code == 201, response.text

    got = {"staff": False, "display": False}
    while not all(got.values()):
        line = lines.get(timeout=WAIT)
        assert line is not None, "a stream on B ended before the share arrived"
        if isinstance(line, str) and line.startswith("data: ") and "Baby shark, from A" in line:
            got["display" if '"share.shown"' in line else "staff"] = True
