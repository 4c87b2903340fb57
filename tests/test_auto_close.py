"""A storytime left open closes by itself a set time after its planned end, like a Close."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from factories import close_app, make_app, make_storytime

from storytime.extensions import db
from storytime.models import Event, Storytime
from storytime.storytimes import auto_close
from storytime.storytimes.auto_close import close_overdue
from storytime.storytimes.service import set_state

START = datetime(2031, 5, 5, 14, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def open_storytime(app, *, starts_at=START, opened_at=None, **columns) -> int:
    """Make an open storytime that started at `starts_at`; set any other columns."""
    storytime_id = make_storytime(app, starts_at=starts_at).id
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        storytime.opened_at = opened_at or starts_at
        for name, value in columns.items():
            setattr(storytime, name, value)
        db.session.commit()
    return storytime_id


def sweep(app, now: datetime) -> list[int]:
    with app.app_context():
        return close_overdue(now)


def state(app, storytime_id: int) -> tuple[str, datetime | None]:
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        return storytime.state, storytime.closed_at


def events(app, storytime_id: int) -> list[tuple[str, bool, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Event.type, Event.public, Event.share_id)
            .where(Event.storytime_id == storytime_id)
            .order_by(Event.id)
        ).all()
        return [tuple(row) for row in rows]


def test_it_closes_at_the_minute_its_planned_end_plus_the_default_delay(app):
    storytime_id = open_storytime(app)  # 45 minutes planned, 120 minutes' grace
    deadline = START + minutes(45 + 120)

    assert sweep(app, deadline - SECOND) == []
    assert state(app, storytime_id) == ("open", None)
    assert sweep(app, deadline) == [storytime_id]
    assert state(app, storytime_id) == ("closed", deadline)
    assert sweep(app, deadline + minutes(5)) == []


def test_the_planned_length_and_the_storytime_own_delay_count(app):
    short = open_storytime(app, duration_minutes=20, auto_close_minutes=10)
    at_once = open_storytime(app, duration_minutes=25, auto_close_minutes=0)
    default = open_storytime(app, duration_minutes=60)

    assert sweep(app, START + minutes(25)) == [at_once]
    assert sweep(app, START + minutes(30) - SECOND) == []
    assert sweep(app, START + minutes(30)) == [short]
    assert sweep(app, START + minutes(179)) == []
    assert sweep(app, START + minutes(180)) == [default]


@pytest.mark.parametrize("value", ["30", "0"])
def test_the_install_default_comes_from_the_environment(app_config, monkeypatch, value):
    monkeypatch.setenv("STORYTIME_AUTO_CLOSE_MINUTES", value)
    app = make_app(app_config)
    try:
        assert app.config["AUTO_CLOSE_MINUTES"] == int(value)
        storytime_id = open_storytime(app)
        own = open_storytime(app, auto_close_minutes=60)
        deadline = START + minutes(45 + int(value))

        assert sweep(app, deadline - SECOND) == []
        assert sweep(app, deadline) == [storytime_id]
        assert sweep(app, START + minutes(105)) == [own]
    finally:
        close_app(app)


def test_the_event_is_the_one_a_manual_close_records(app, client, staff):
    manual = open_storytime(app)
    automatic = open_storytime(app)
    with app.app_context():
        set_state(db.session.get(Storytime, manual), "closed")

    sweep(app, START + minutes(165))

    assert events(app, automatic) == events(app, manual) == [("storytime.updated", True, None)]
    # The TV follows: the display's own feed says the room closed.
    with app.app_context():
        token = db.session.get(Storytime, automatic).display_token
    feed = client.get(f"/api/v1/storytimes/{automatic}/events?token={token}").get_json()
    assert feed["events"][-1]["type"] == "storytime.updated"
    assert feed["events"][-1]["storytime"]["state"] == "closed"


def test_opened_late_counts_from_the_opening(app):
    late = open_storytime(app, opened_at=START + minutes(300))

    assert sweep(app, START + minutes(165)) == []
    assert sweep(app, START + minutes(300 + 165) - SECOND) == []
    assert sweep(app, START + minutes(300 + 165)) == [late]


def test_opened_again_after_closing_by_itself_it_stays_open(app):
    now = datetime.now(UTC)
    forgotten = open_storytime(app, starts_at=now - timedelta(days=3))
    assert sweep(app, now) == [forgotten]

    with app.app_context():
        set_state(db.session.get(Storytime, forgotten), "open")

    assert sweep(app, datetime.now(UTC) + minutes(1)) == []
    assert state(app, forgotten)[0] == "open"
    assert sweep(app, datetime.now(UTC) + minutes(166)) == [forgotten]


def test_scheduled_and_closed_storytimes_are_left_alone(app):
    scheduled = make_storytime(app, starts_at=START, state="scheduled").id
    closed = make_storytime(app, starts_at=START, state="closed").id
    before = state(app, closed)

    assert sweep(app, START + timedelta(days=30)) == []
    assert state(app, scheduled) == ("scheduled", None)
    assert state(app, closed) == before
    assert events(app, scheduled) == events(app, closed) == []


def test_the_cli_command_closes_what_is_overdue_for_cron(app, runner):
    forgotten = open_storytime(app, starts_at=datetime.now(UTC) - timedelta(days=3))
    current = make_storytime(app).id  # started five minutes ago

    result = runner.invoke(args=["close-overdue"])
    again = runner.invoke(args=["close-overdue"])

    assert result.exit_code == 0, result.output
    assert "Closed 1 storytime(s)" in result.output
    assert "Nothing to close." in again.output
    assert state(app, forgotten)[0] == "closed"
    assert state(app, current)[0] == "open"


@pytest.fixture
def swept_app(app_config):
    """An app whose requests sweep, at most once a minute (by a clock the test moves)."""
    app = make_app({**app_config, "AUTO_CLOSE_SWEEP_SECONDS": 60})
    clock = [1000.0]
    auto_close.sweeper_for(app).clock = lambda: clock[0]
    yield app, clock
    close_app(app)


def test_any_request_sweeps_at_most_once_a_minute_per_process(swept_app):
    app, clock = swept_app
    long_ago = datetime.now(UTC) - timedelta(hours=6)
    first = open_storytime(app, starts_at=long_ago)
    client = app.test_client()

    assert client.get("/healthz").status_code == 200
    assert state(app, first)[0] == "closed"

    second = open_storytime(app, starts_at=long_ago)
    clock[0] += 59
    client.get("/healthz")
    assert state(app, second)[0] == "open"
    clock[0] += 1
    client.get("/")
    assert state(app, second)[0] == "closed"
    assert events(app, second) == [("storytime.updated", True, None)]


def test_a_failing_sweep_never_fails_the_request(swept_app, monkeypatch):
    app, _clock = swept_app
    calls = []

    def broken(now=None):
        calls.append(now)
        raise RuntimeError("database went away")

    monkeypatch.setattr(auto_close, "close_overdue", broken)

    assert app.test_client().get("/healthz").status_code == 200
    assert len(calls) == 1


def test_the_sweep_can_be_turned_off(app_config):
    app = make_app({**app_config, "AUTO_CLOSE_SWEEP_SECONDS": 0})
    try:
        forgotten = open_storytime(app, starts_at=datetime.now(UTC) - timedelta(days=3))
        app.test_client().get("/healthz")
        assert state(app, forgotten)[0] == "open"
    finally:
        close_app(app)


def test_of_many_threads_asking_at_once_one_sweeps():
    sweeper = auto_close.Sweeper(60, clock=lambda: 5000.0)
    start = threading.Barrier(16)
    claims = []

    def ask() -> None:
        start.wait()
        claims.append(sweeper.claim())

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(claims) == [False] * 15 + [True]
