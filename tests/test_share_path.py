"""The phone's share path stays short: cached settings still obeyed, replays, cookies, statements."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from factories import StorytimeClient, close_app, make_storytime
from flask import Flask
from sqlalchemy import event

from storytime import create_app
from storytime.extensions import db
from storytime.models import Prompt

WORD = "pumpernickel"
# A change saved by one worker reaches every other within about a second (settings.py).
REACH_SECONDS = 3.0
_client_ids = itertools.count()


def share(client, code: str, text: str = "We sang", client_id: str | None = None, **extra):
    body = {"kind": "idea", "text": text, "client_id": client_id or next_client_id(), **extra}
    return client.post(f"/api/v1/storytimes/{code}/shares", json=body)


def next_client_id() -> str:
    return f"path-{next(_client_ids):08d}"


def set_word_list(admin, words: str, library_name: str = "Our Library") -> None:
    data = {"library_name": library_name, "timezone": "UTC", "word_list": words}
    response = admin.post("/admin/settings", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def admin(app: Flask, staff) -> StorytimeClient:
    client = app.test_client()
    staff.signed_in(client, "admin", None)
    return client


@pytest.fixture
def second_worker(app: Flask, app_config: dict) -> Iterator[Flask]:
    """Another app on the same database, as a second gunicorn worker would be."""
    other = create_app(app_config)
    other.test_client_class = StorytimeClient
    yield other
    close_app(other)


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL the app runs meanwhile, leaving out BEGINs and the settings re-read."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many):
        if not statement.startswith("BEGIN") and "FROM setting" not in statement:
            seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_word_list_saved_by_the_admin_holds_the_very_next_share(app, admin, client):
    code = make_storytime(app).code
    assert share(client, code, f"The {WORD} song").get_json()["shown"] is True

    set_word_list(admin, WORD)

    held = share(client, code, f"The {WORD} song again")
    assert held.status_code == 201
    assert held.get_json()["shown"] is False
    assert share(client, code, "Nothing to hold").get_json()["shown"] is True


def test_another_worker_obeys_a_new_word_list_within_about_a_second(
    app, admin, second_worker: Flask
):
    code = make_storytime(app).code
    phone = second_worker.test_client()
    # The other worker has read the settings before the change and keeps them for a while.
    assert share(phone, code, f"A {WORD} rhyme").get_json()["shown"] is True

    set_word_list(admin, WORD)
    saved_at = time.monotonic()

    while True:
        answer = share(phone, code, f"A {WORD} rhyme")
        assert answer.status_code == 201
        if answer.get_json()["shown"] is False:
            break
        assert time.monotonic() - saved_at < REACH_SECONDS, "the other worker kept the old list"
        time.sleep(0.05)
    # And it keeps obeying it: no share with the word gets through afterwards.
    assert share(phone, code, f"{WORD.upper()}!").get_json()["shown"] is False


def test_another_worker_shows_a_new_library_name_within_about_a_second(
    app, admin, second_worker: Flask
):
    phone = second_worker.test_client()
    assert "Maple Grove" not in phone.get("/privacy").get_data(as_text=True)

    set_word_list(admin, "", library_name="Maple Grove Library")
    saved_at = time.monotonic()

    while "Maple Grove Library" not in phone.get("/privacy").get_data(as_text=True):
        assert time.monotonic() - saved_at < REACH_SECONDS, "the other worker kept the old name"
        time.sleep(0.05)


def test_a_replay_answers_the_same_share_whatever_changed_since(app, admin, client):
    code = make_storytime(app).code
    first = share(client, code, f"Our {WORD} story", client_id="replayed-01")
    assert first.status_code == 201

    set_word_list(admin, WORD)  # would hold it now
    again = share(client, code, f"Our {WORD} story", client_id="replayed-01")

    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert again.get_json()["shown"] is True
    # Another phone sending the same client id gets no one else's share.
    stranger = app.test_client()
    refused = share(stranger, code, f"Our {WORD} story", client_id="replayed-01")
    assert refused.status_code == 409
    assert "text" not in refused.get_json()


def test_a_replay_of_a_kind_closed_since_still_answers_the_share(app, client):
    storytime = make_storytime(app, kinds=("idea", "hello"))
    first = share(client, storytime.code, "An idea", client_id="replayed-02")
    assert first.status_code == 201
    with app.app_context():
        db.session.execute(db.delete(Prompt).where(Prompt.kind == "idea"))
        db.session.commit()

    again = share(client, storytime.code, "An idea", client_id="replayed-02")
    fresh = share(client, storytime.code, "Another idea")

    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert fresh.status_code == 422
    assert fresh.get_json()["field"] == "kind"


def test_a_phone_s_second_share_sets_no_cookie_and_still_needs_its_csrf_token(app):
    code = make_storytime(app).code
    phone = app.test_client()
    page = phone.get(f"/j/{code}")
    first_cookies = {c.split("=")[0] for c in page.headers.getlist("Set-Cookie")}
    assert {"st_phone", "session"} <= first_cookies
    phone._csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))[1]

    assert share(phone, code).status_code == 201
    second = share(phone, code)
    again = phone.get(f"/j/{code}")

    assert second.status_code == 201
    assert second.headers.getlist("Set-Cookie") == []
    assert again.headers.getlist("Set-Cookie") == []
    without_token = phone.post(
        f"/api/v1/storytimes/{code}/shares",
        json={"kind": "idea", "text": "No token", "client_id": next_client_id()},
        csrf=False,
    )
    assert without_token.status_code == 400


def test_a_share_and_a_join_page_run_few_statements(app, client):
    code = make_storytime(app).code
    share(client, code)  # the phone's cookie, the session and the settings are in place
    client.get(f"/j/{code}")

    with counted_statements(app) as new_share:
        assert share(client, code, client_id="counted-01").status_code == 201
    with counted_statements(app) as replay:
        assert share(client, code, client_id="counted-01").status_code == 200
    with counted_statements(app) as join_page:
        assert client.get(f"/j/{code}").status_code == 200

    # The storytime with its kinds; under the write lock its state, the share, the
    # event, the storytime's last event id. Nothing read back after the commit.
    assert len(new_share) <= 5, new_share
    assert not any(s.startswith("SELECT share.") for s in new_share), new_share
    assert len(replay) <= 5, replay
    # The storytime with its prompts, this phone's shares, its check-in.
    assert len(join_page) <= 3, join_page
