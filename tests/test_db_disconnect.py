"""A PostgreSQL connection killed mid-request: retried once where safe, else a clean 503.

The fault is injected deterministically: on the chosen statement, the request's own
backend is ended with `pg_terminate_backend` from a separate connection (as an operator,
a failover or an idle-session timeout would), and the statement then meets a dead socket.
Each test gets a PostgreSQL database of its own, in the SQLite pass as well.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator

import pytest
from factories import make_storytime
from live_support import events_of, parse_sse, read_stream, wait_for
from pg_faults import SERVER, Killer, LostAnswer, admin_connection, end_backend
from services import missing, postgres_missing
from sqlalchemy.exc import IntegrityError, OperationalError

from storytime.database import is_disconnect, retry_once_if_disconnected
from storytime.extensions import db
from storytime.models import CheckIn, Event, Share

SHARE_INSERT = re.compile(r'^\s*INSERT INTO "?share"?\s', re.IGNORECASE)
SHARE_UPDATE = re.compile(r'^\s*UPDATE "?share"?\s', re.IGNORECASE)
CHECKIN_WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE) "?check_?in"?\s', re.IGNORECASE)
CLIENT_ID = "7d1f0c2e-5b8a-4c3d-9e6f-0a1b2c3d4e5f"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """Create a PostgreSQL database for this test alone and drop it afterwards."""
    if reason := postgres_missing():
        pytest.skip(reason)
    import psycopg

    try:
        admin = admin_connection()
    except psycopg.OperationalError as exc:
        pytest.skip(missing(f"PostgreSQL is not reachable at 127.0.0.1:5432 as postgres ({exc})"))
    name = f"storytime_dbretry_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app_config(app_config: dict, request: pytest.FixtureRequest) -> dict:
    """Point the app at a database of the test's own when it is marked `postgres`."""
    if not request.node.get_closest_marker("postgres"):
        return app_config
    return {**app_config, "DATABASE_URL": request.getfixturevalue("pg_url")}


@pytest.fixture
def kill(app) -> Iterator:
    """Return a function arming a Killer on the app's engine; disarmed after the test."""
    killers: list[Killer] = []

    def arm(pattern: re.Pattern, times: int = 1) -> Killer:
        with app.app_context():
            killer = Killer(db.engine, pattern, times)
        killers.append(killer)
        return killer

    yield arm
    for killer in killers:
        killer.remove()


@pytest.fixture
def lose_answer(app) -> Iterator:
    """Return a function arming a LostAnswer on the app's engine; disarmed after the test."""
    armed: list[LostAnswer] = []

    def arm(pattern: re.Pattern) -> LostAnswer:
        with app.app_context():
            armed.append(LostAnswer(db.engine, pattern))
        return armed[-1]

    yield arm
    for lost in armed:
        lost.remove()


@pytest.fixture
def logs(caplog) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def assert_one_short_warning(logs, *words: str) -> None:
    """Every line logged is short and has no traceback; exactly one warning names the loss."""
    assert not [r for r in logs.records if r.exc_info or r.stack_info]
    assert "Traceback" not in logs.text
    warnings = [
        r.getMessage()
        for r in logs.records
        if r.levelno >= logging.WARNING and "lost" in r.getMessage()
    ]
    assert len(warnings) == 1, logs.text
    assert "\n" not in warnings[0] and all(word in warnings[0] for word in words), warnings


def share_body(**values) -> dict:
    return {
        "kind": "tip",
        "text": "Bring a snack",
        "on_screen": True,
        "client_id": CLIENT_ID,
    } | values


def rows(app, model, **where) -> list:
    with app.app_context():
        found = list(db.session.execute(db.select(model).filter_by(**where)).scalars())
        db.session.expunge_all()
        return found


@pytest.mark.postgres
def test_a_share_whose_connection_is_killed_is_saved_once_by_the_retry(app, client, kill, logs):
    storytime = make_storytime(app)
    killer = kill(SHARE_INSERT)
    response = client.post(f"/api/v1/storytimes/{storytime.code}/shares", json=share_body())
    assert killer.killed, "the fault was not injected"
    assert response.status_code == 201, response.get_data(as_text=True)
    share_id = response.get_json()["id"]
    [share] = rows(app, Share, client_id=CLIENT_ID)
    assert share.id == share_id and share.text == "Bring a snack"
    # The live feed (what the display shows) has it once; the phone's list too.
    feed = client.get(f"/api/v1/storytimes/{storytime.id}/events?token={storytime.display_token}")
    shown = [e["share"]["id"] for e in feed.get_json()["events"] if e["type"] == "share.shown"]
    assert shown == [share_id]
    mine = client.get(f"/api/v1/storytimes/{storytime.code}/shares/mine").get_json()["shares"]
    assert [s["id"] for s in mine] == [share_id]
    # The phone's own resend later answers the same share.
    again = client.post(f"/api/v1/storytimes/{storytime.code}/shares", json=share_body())
    assert again.status_code == 200 and again.get_json()["id"] == share_id
    assert len(rows(app, Share)) == 1
    assert_one_short_warning(logs, "create_share", "trying once more")


@pytest.mark.postgres
def test_a_share_whose_commit_landed_but_whose_answer_was_lost_reaches_the_screen_at_once(
    app, client, lose_answer, logs
):
    storytime = make_storytime(app)
    # No heartbeat before the stream ends at 8 s: only a ring brings the share sooner.
    app.config.update(STREAM_HEARTBEAT_SECONDS=60, STREAM_MAX_SECONDS=8)
    url = f"/api/v1/storytimes/{storytime.id}/stream?token={storytime.display_token}"
    readers: list[threading.Thread] = []
    chunks = read_stream(client, url, readers)
    try:
        assert wait_for(chunks, lambda text: "live stream" in text)[1]
        lost = lose_answer(SHARE_INSERT)
        response = client.post(f"/api/v1/storytimes/{storytime.code}/shares", json=share_body())
        assert lost.landed == 1, "the fault was not injected"
        # The retry finds the share the lost commit saved, and answers it as saved.
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        share_id = response.get_json()["id"]
        assert [share.id for share in rows(app, Share)] == [share_id]
        text, arrived = wait_for(chunks, lambda text: "event: share." in text, seconds=4)
        assert arrived, text
        [event] = events_of(parse_sse(text))
        assert event["data"]["share"]["id"] == share_id
        assert_one_short_warning(logs, "create_share", "trying once more")
    finally:
        readers.pop().join(timeout=15)  # the stream ends before its database goes


@pytest.mark.postgres
def test_a_share_sent_without_javascript_is_retried_too(app, client, kill, logs):
    storytime = make_storytime(app)
    page = f"/j/{storytime.code}"
    client.get(page)
    killer = kill(SHARE_INSERT)
    form = {
        "kind": "tip",
        "text": "Sing it twice",
        "screen_choice": "screen",
        "client_id": CLIENT_ID,
    }
    response = client.post(page, data=form)
    assert killer.killed and response.status_code == 302, response.get_data(as_text=True)
    [share] = rows(app, Share, client_id=CLIENT_ID)
    assert f"sent={share.id}" in response.headers["Location"]
    assert_one_short_warning(logs, "create_share")


@pytest.mark.postgres
def test_a_share_whose_connection_is_killed_twice_is_a_503_that_saved_nothing(
    app, client, kill, logs
):
    storytime = make_storytime(app)
    killer = kill(SHARE_INSERT, times=2)
    response = client.post(f"/api/v1/storytimes/{storytime.code}/shares", json=share_body())
    assert len(killer.killed) == 2
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["error"] == "unavailable" and body["retry_after"] == 5 and body["message"]
    assert rows(app, Share) == [] and rows(app, Event) == []
    lines = [r.getMessage() for r in logs.records if r.levelno >= logging.WARNING]
    assert len(lines) == 2, lines  # the retry, then the 503
    assert "trying once more" in lines[0] and "answered 503" in lines[1]
    assert "POST /api/v1/storytimes/" in lines[1] and "Bring a snack" not in logs.text
    assert not [r for r in logs.records if r.exc_info] and "Traceback" not in logs.text
    # The phone sends it again once the database is back: stored once, as new.
    again = client.post(f"/api/v1/storytimes/{storytime.code}/shares", json=share_body())
    assert again.status_code == 201 and len(rows(app, Share)) == 1


@pytest.mark.postgres
def test_a_change_that_is_not_retried_answers_503_and_keeps_the_old_text(app, client, kill, logs):
    storytime = make_storytime(app)
    created = client.post(f"/api/v1/storytimes/{storytime.code}/shares", json=share_body())
    share_id = created.get_json()["id"]
    killer = kill(SHARE_UPDATE)
    url = f"/api/v1/storytimes/{storytime.code}/shares/{share_id}"
    response = client.patch(url, json={"text": "Changed my mind"})
    assert killer.killed
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == "unavailable"
    [share] = rows(app, Share)
    assert share.text == "Bring a snack"
    assert [e.type for e in rows(app, Event)] == ["share.created"]
    assert_one_short_warning(logs, "PATCH", "answered 503")
    # The next request gets a fresh connection.
    assert client.patch(url, json={"text": "Changed my mind"}).status_code == 200


@pytest.mark.postgres
def test_the_form_page_answers_a_lost_connection_with_a_friendly_503(app, client, kill, logs):
    storytime = make_storytime(app)
    created = client.post(f"/api/v1/storytimes/{storytime.code}/shares", json=share_body())
    share_id = created.get_json()["id"]
    kill(SHARE_UPDATE)
    edit = f"/j/{storytime.code}/shares/{share_id}/edit"
    response = client.post(edit, data={"text": "Changed", "screen_choice": "screen"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html"
    assert "Please try again in a minute" in response.get_data(as_text=True)
    assert rows(app, Share)[0].text == "Bring a snack"
    assert_one_short_warning(logs, "answered 503")


@pytest.mark.postgres
def test_a_check_in_whose_connection_is_killed_is_saved_once_by_the_retry(app, client, kill, logs):
    storytime = make_storytime(app)
    killer = kill(CHECKIN_WRITE)
    body = {"client_id": CLIENT_ID, "answers": {"learned": 5, "confident": 4}}
    response = client.post(f"/api/v1/storytimes/{storytime.code}/checkin", json=body)
    assert killer.killed
    assert response.status_code == 201, response.get_data(as_text=True)
    [checkin] = rows(app, CheckIn)
    assert checkin.client_id == CLIENT_ID and checkin.learned == 5
    again = client.post(f"/api/v1/storytimes/{storytime.code}/checkin", json=body)
    assert again.status_code == 200 and len(rows(app, CheckIn)) == 1
    assert_one_short_warning(logs, "check_in")


@pytest.mark.postgres
def test_connections_dropped_while_idle_are_replaced_before_use(app, client, logs, pg_url):
    """pool_pre_ping: a restart or an idle timeout between requests is never seen at all."""
    storytime = make_storytime(app)
    assert client.get(f"/api/v1/storytimes/{storytime.code}/shares/mine").status_code == 200
    name = pg_url.rsplit("/", 1)[1]
    with admin_connection() as admin:
        ended = [
            pid
            for (pid,) in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            ).fetchall()
        ]
        for pid in ended:
            end_backend(admin, pid)
    assert ended, "the pool held no connection to end"
    response = client.post(f"/api/v1/storytimes/{storytime.code}/shares", json=share_body())
    assert response.status_code == 201
    assert not [r for r in logs.records if r.levelno >= logging.WARNING], logs.text


def _wrapped(orig: Exception, *, invalidated: bool = False) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig, connection_invalidated=invalidated)


def test_only_a_lost_connection_counts_as_a_disconnect():
    import psycopg
    from psycopg import errors

    assert is_disconnect(_wrapped(Exception("server closed"), invalidated=True))
    assert is_disconnect(_wrapped(psycopg.OperationalError("connection refused")))
    assert is_disconnect(_wrapped(errors.AdminShutdown("terminating connection")))
    assert not is_disconnect(_wrapped(sqlite3.OperationalError("database is locked")))
    assert not is_disconnect(_wrapped(errors.QueryCanceled("statement timeout")))
    assert not is_disconnect(_wrapped(errors.DeadlockDetected("deadlock detected")))
    assert not is_disconnect(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_disconnect(ValueError("no database involved"))


def test_the_retry_runs_the_work_twice_at_most_and_only_after_a_disconnect(app):
    calls = []

    @retry_once_if_disconnected
    def work(fail_with: list) -> str:
        calls.append(1)
        if fail_with:
            raise fail_with.pop(0)
        return "done"

    lost = _wrapped(Exception("server closed"), invalidated=True)
    locked = _wrapped(sqlite3.OperationalError("database is locked"))
    with app.app_context():
        assert work([lost]) == "done" and len(calls) == 2
        calls.clear()
        with pytest.raises(OperationalError) as raised:
            work([lost, lost])
        assert raised.value.__context__ is None and len(calls) == 2  # not chained to the first
        calls.clear()
        with pytest.raises(OperationalError):
            work([locked, lost])
        assert len(calls) == 1  # a refused query is never retried
