"""Faults are logged when they start, at intervals while they last, and when they end.

The tracker is tested with a fake clock; then a Redis of the test's own is stopped under an
app that uses it for its doorbells and its rate limits, and started again.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
from factories import close_app, make_app
from seeded_world import Phone, seed
from server_process import free_port
from services import missing

from storytime.extensions import db
from storytime.faults import Fault, describe, duration, redact_url
from storytime.models import Share

LOGGER = "storytime.test.faults"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fault(clock: Clock) -> Fault:
    return Fault(
        "cache",
        logging.getLogger(LOGGER),
        what="the cache unreachable at redis://cache:6379/0",
        meanwhile="pages are rendered every time",
        back="the cache answers again",
        interval=60,
        clock=clock,
    )


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_a_fault_is_logged_once_when_it_starts_however_often_it_fails(fault, clock, caplog):
    caplog.set_level(logging.INFO, LOGGER)
    assert fault.failed("ConnectionError: refused") is True
    for _ in range(197):
        clock.now += 0.1
        assert fault.failed("ConnectionError: refused") is False
    assert lines(caplog) == [
        "fault cache started: the cache unreachable at redis://cache:6379/0 "
        "(ConnectionError: refused); meanwhile pages are rendered every time"
    ]
    assert caplog.records[0].levelno == logging.WARNING
    assert fault.active


def test_while_it_lasts_one_line_per_interval_counts_the_failures_since_the_last(
    fault, clock, caplog
):
    caplog.set_level(logging.INFO, LOGGER)
    fault.failed("first")
    for second in range(1, 151):  # one failure a second for 150 s
        clock.now += 1
        fault.failed(f"failure {second}")
    assert lines(caplog)[1:] == [
        "fault cache continues: 60 failures in the last 1 min, 1 min since it started; "
        "last: failure 60",
        "fault cache continues: 60 failures in the last 1 min, 2 min since it started; "
        "last: failure 120",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_no_interval_line_comes_while_nothing_fails(fault, clock, caplog):
    caplog.set_level(logging.INFO, LOGGER)
    fault.failed()
    clock.now += 3600
    assert len(lines(caplog)) == 1  # lines are written when failures come, never by a timer
    fault.failed()
    assert lines(caplog)[1] == (
        "fault cache continues: 1 failure in the last 1 h, 1 h since it started"
    )


def test_it_ends_once_with_its_duration_and_its_count(fault, clock, caplog):
    caplog.set_level(logging.INFO, LOGGER)
    assert fault.recovered() is False  # nothing to end: nothing logged
    for _ in range(5):
        fault.failed("refused")
        clock.now += 26.6
    assert fault.recovered() is True
    assert fault.recovered() is False
    assert not fault.active
    assert lines(caplog)[-1] == (
        "fault cache ended after 2 min 13 s (5 failures in all): the cache answers again"
    )
    assert [line.split(":")[0] for line in lines(caplog)] == [
        "fault cache started",
        "fault cache continues",
        "fault cache ended after 2 min 13 s (5 failures in all)",
    ]


def test_a_second_outage_is_a_new_fault_with_counts_of_its_own(fault, clock, caplog):
    caplog.set_level(logging.INFO, LOGGER)
    fault.failed("down")
    fault.failed("down")
    clock.now += 10
    fault.recovered()
    clock.now += 100
    assert fault.failed("down again") is True
    clock.now += 1
    fault.recovered()
    assert lines(caplog)[2].startswith("fault cache started: ")
    assert lines(caplog)[2].endswith("(down again); meanwhile pages are rendered every time")
    assert lines(caplog)[3] == (
        "fault cache ended after 1 s (1 failure in all): the cache answers again"
    )


def test_many_threads_failing_at_once_start_it_once_and_end_it_once(fault, caplog):
    caplog.set_level(logging.INFO, LOGGER)
    start = threading.Barrier(16)

    def fail_many() -> None:
        start.wait()
        for _ in range(500):
            fault.failed("refused")

    threads = [threading.Thread(target=fail_many) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = [threading.Thread(target=fault.recovered) for _ in range(16)]
    for thread in ended:
        thread.start()
    for thread in ended:
        thread.join()
    assert [line.split(" ")[2].rstrip(":") for line in lines(caplog)] == ["started", "ended"]
    assert "(8000 failures in all)" in lines(caplog)[-1]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@redis.internal:6379/0", "redis://redis.internal:6379/0"),
        ("redis://app:s3cret@redis.internal:6379/2", "redis://app@redis.internal:6379/2"),
        (
            "rediss://redis.internal/0?password=s3cret&db=1",
            "rediss://redis.internal/0?password=***&db=1",
        ),
        ("unix://:s3cret@/run/redis.sock?db=3", "unix:///run/redis.sock?db=3"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("memory://", "memory://"),
    ],
)
def test_urls_in_log_lines_carry_no_password(url, shown):
    assert redact_url(url) == shown
    assert "s3cret" not in redact_url(url)


def test_an_exception_is_one_line_with_the_password_masked():
    error = ConnectionError("AUTH s3cret failed\n  at redis.internal:6379")
    assert describe(error, "s3cret") == "ConnectionError: AUTH *** failed at redis.internal:6379"
    assert describe(TimeoutError()) == "TimeoutError"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0 s"), (59, "59 s"), (60, "1 min"), (133, "2 min 13 s"), (7260, "2 h 1 min")],
)
def test_durations_read_as_an_operator_reads_them(seconds, text):
    assert duration(seconds) == text


# --- a Redis of the test's own, stopped under a running app and started again ---

REDIS_SERVER = shutil.which("redis-server")
WAIT = 60  # the limiter looks at its storage again after 1, 2, 4, … 32 s


class OwnRedis:
    """A redis-server on a free port, without persistence; never the machine's Redis."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with open(self.folder / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    *(str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while not self.answers():
            assert self.process.poll() is None, (self.folder / "redis.log").read_text()
            assert time.monotonic() < deadline, "redis-server did not answer in 10 s"
            time.sleep(0.05)

    def answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stored_keys(self) -> list[str]:
        client = redis.Redis.from_url(self.url)
        try:
            return [key.decode() for key in client.keys("*")]
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def wait_for(condition, what: str, timeout: float = WAIT):
    """Poll `condition` until it returns something true; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def fault_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("fault ")]


def named(lines: list[str], prefix: str) -> list[str]:
    return [line for line in lines if line.startswith(prefix)]


@pytest.mark.redis
@pytest.mark.skipif(
    REDIS_SERVER is None,
    reason=missing("no redis-server binary to start a Redis of the test's own (CI installs it)"),
)
def test_a_redis_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    app_config, own_redis, caplog
):
    caplog.set_level(logging.INFO)
    app = make_app({**app_config, "REDIS_URL": own_redis.url, "RATELIMIT_ENABLED": True})
    try:
        assert app.config["RATELIMIT_STORAGE_URI"] == own_redis.url
        assert app.extensions["storytime_notifier"].wait_until_listening()
        world = seed(app)
        client = app.test_client()
        health = lambda: client.get("/healthz").get_json()  # noqa: E731
        phones = [Phone(app, world.code) for _ in range(6)]  # one library address
        assert phones[0].share("Before the outage").status_code == 201
        assert any("share-phone" in key for key in own_redis.stored_keys())  # limits live in Redis
        assert health() == {
            "status": "ok",
            "notifier": "redis",
            "notifier_healthy": True,
            "ratelimit_storage": "redis",
        }
        assert fault_lines(caplog) == []

        own_redis.stop()
        wait_for(lambda: not health()["notifier_healthy"], "the listener notices")
        statuses = [phones[n % 6].share(f"During the outage {n}").status_code for n in range(30)]
        assert statuses == [201] * 30
        with app.app_context():
            saved = db.session.scalars(db.select(Share.text).where(Share.text.like("During%")))
            assert len(saved.all()) == 30  # nothing lost
        # Each share failed to publish and was limited in memory: two faults, one line each.
        lines = fault_lines(caplog)
        assert len(lines) == 2, lines
        [redis_started] = named(lines, "fault redis started: ")
        assert redis_started.startswith(
            f"fault redis started: Redis unreachable at {own_redis.url}"
        )
        assert "look at the database about once a second" in redis_started
        [limits_started] = named(lines, "fault ratelimit started: ")
        assert f"rate limit storage unreachable at {own_redis.url} (ConnectionError" in (
            limits_started
        )
        assert "counts rate limits in its own memory" in limits_started
        assert health() == {
            "status": "ok",
            "notifier": "redis",
            "notifier_healthy": False,
            "ratelimit_storage": "memory-fallback",
        }
        # Flask-Limiter's own lines are folded into the fault; nothing else warned per share.
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.getMessage() for r in warnings] == lines

        own_redis.start()  # the same port, empty
        wait_for(
            lambda: health()["notifier_healthy"] and health()["ratelimit_storage"] == "redis",
            "the listener and the limiter are back on Redis",
        )
        lines = fault_lines(caplog)
        assert len(lines) == 4, lines
        [redis_ended] = named(lines, "fault redis ended after ")
        assert redis_ended.endswith(
            f"Redis answers again at {own_redis.url}; live screens are rung through it again"
        )
        [limits_ended] = named(lines, "fault ratelimit ended after ")
        assert "requests limited in memory in all" in limits_ended
        assert limits_ended.endswith(f"rate limits are counted in {own_redis.url} again")
        assert phones[1].share("After the outage").status_code == 201
        assert any("share-phone" in key for key in own_redis.stored_keys())
        assert len(fault_lines(caplog)) == 4
    finally:
        close_app(app)
