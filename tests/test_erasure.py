"""Deleted, replaced and purged text leaves every file on disk at once, not at shutdown.

In WAL mode SQLite keeps old page images in `storytime.sqlite-wal` until a checkpoint,
even with `secure_delete`: a backup copied meanwhile kept what a caregiver deleted.
These tests read the raw bytes of every file in the instance folder.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from factories import make_storytime
from live_support import read_stream

from storytime.extensions import db
from storytime.models import FollowUp, Share, Storytime, now_utc

WAIT = 10


@pytest.fixture(autouse=True)
def _sqlite_only(app):
    if not app.config["IS_SQLITE"]:
        pytest.skip("reads the SQLite files themselves")


@pytest.fixture
def app_config(app_config):
    """Streams end soon, so an open one is joined quickly at teardown."""
    return {**app_config, "STREAM_MAX_SECONDS": 2, "STREAM_HEARTBEAT_SECONDS": 1}


@pytest.fixture
def code(app) -> str:
    return make_storytime(app).code


@pytest.fixture
def librarian(app, staff):
    client = app.test_client()
    staff.signed_in(client)
    return client


def marker() -> str:
    """Text found nowhere else on disk."""
    return f"Call me at home {secrets.token_hex(8)}"


def files_holding(app, text: str) -> list[str]:
    """Return the instance folder's files whose raw bytes contain `text`."""
    folder = Path(app.instance_path)
    return sorted(
        p.name for p in folder.iterdir() if p.is_file() and text.encode() in p.read_bytes()
    )


def share(phone, code: str, text: str, kind: str = "tip") -> int:
    response = phone.post(
        f"/api/v1/storytimes/{code}/shares",
        json={
            "kind": kind,
            "text": text,
            "name": None,
            "on_screen": True,
            "client_id": secrets.token_hex(8),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def storytime_id(app, code: str) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(Storytime.id).where(Storytime.code == code)
        ).scalar_one()


def test_sharing_does_not_checkpoint(app, client, code):
    """The hot path leaves the WAL alone: the new text is in it, not yet in the main file."""
    text = marker()
    share(client, code, text)
    assert files_holding(app, text) == ["storytime.sqlite-wal"]


def test_a_caregiver_delete_leaves_no_text_in_any_file(app, client, code):
    text = marker()
    share_id = share(client, code, text)
    assert files_holding(app, text)  # it was on disk

    assert client.delete(f"/api/v1/storytimes/{code}/shares/{share_id}").status_code == 204

    assert files_holding(app, text) == []


def test_an_edit_that_replaces_the_text_leaves_no_old_text_in_any_file(app, client, code):
    old, new = marker(), marker()
    share_id = share(client, code, old)

    response = client.patch(f"/api/v1/storytimes/{code}/shares/{share_id}", json={"text": new})

    assert response.status_code == 200
    assert files_holding(app, old) == []
    assert files_holding(app, new)  # the new text is kept, of course


def test_a_librarian_delete_leaves_no_text_in_any_file(app, client, librarian, code):
    text = marker()
    share_id = share(client, code, text)

    assert librarian.delete(f"/api/v1/shares/{share_id}").status_code == 204

    assert files_holding(app, text) == []


def test_deleting_a_storytime_leaves_none_of_its_text_in_any_file(app, client, librarian, code):
    texts = [marker(), marker()]
    for text in texts:
        share(client, code, text)
    st = storytime_id(app, code)
    librarian.patch(f"/api/v1/storytimes/{st}", json={"state": "closed"})

    assert librarian.delete(f"/api/v1/storytimes/{st}").status_code == 204

    assert [files_holding(app, text) for text in texts] == [[], []]


def test_a_purge_leaves_no_purged_text_in_any_file(app, client, runner, code):
    text = marker()
    share(client, code, text, kind="hello")  # a purge always empties a hello
    with app.app_context():
        db.session.execute(db.update(Share).values(created_at=now_utc() - timedelta(days=100)))
        db.session.commit()

    result = runner.invoke(args=["purge", "--older-than", "90d"])

    assert result.exit_code == 0, result.output
    assert files_holding(app, text) == []


def test_a_delete_while_a_live_stream_is_open_leaves_no_text_in_any_file(
    app, client, librarian, code
):
    st = storytime_id(app, code)
    readers: list[threading.Thread] = []
    chunks = read_stream(librarian, f"/api/v1/storytimes/{st}/stream", readers)
    try:
        assert "live stream" in chunks.get(timeout=WAIT)
        text = marker()
        share_id = share(client, code, text)
        assert "share.created" in chunks.get(timeout=WAIT)  # the stream is following

        assert client.delete(f"/api/v1/storytimes/{code}/shares/{share_id}").status_code == 204

        assert "share.deleted" in chunks.get(timeout=WAIT)
        assert files_holding(app, text) == []
    finally:
        readers.pop().join(timeout=30)


def test_a_delete_while_another_reader_holds_a_snapshot_erases_once_it_ends(app, client, code):
    """A busy checkpoint neither stalls the delete nor gives up: it retries in the background."""
    text = marker()
    share_id = share(client, code, text)
    reader = sqlite3.connect(str(Path(app.instance_path) / "storytime.sqlite"))
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM share").fetchone()  # holds a snapshot with the text
    try:
        started = time.monotonic()
        assert client.delete(f"/api/v1/storytimes/{code}/shares/{share_id}").status_code == 204
        assert time.monotonic() - started < 2  # sharing is not held up behind the reader
    finally:
        reader.rollback()
        reader.close()

    deadline = time.monotonic() + WAIT
    while files_holding(app, text) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert files_holding(app, text) == []


def test_a_replaced_staff_note_and_a_removed_follow_up_leave_no_text_in_any_file(
    app, client, staff, code
):
    coordinator = app.test_client()
    staff.signed_in(coordinator, "coordinator", "central")
    share_id = share(client, code, "A Saturday session please", kind="idea")
    old_note, follow_up = marker(), marker()
    note_url = f"/review/shares/{share_id}/note"
    assert coordinator.post(note_url, data={"note": old_note}).status_code == 303
    assert coordinator.post(note_url, data={"note": "Asked the branch"}).status_code == 303
    assert files_holding(app, old_note) == []

    posted = coordinator.post(f"/review/shares/{share_id}/follow-up", data={"text": follow_up})
    assert posted.status_code == 303
    with app.app_context():
        follow_up_id = db.session.execute(db.select(FollowUp.id)).scalar_one()
    removed = coordinator.post(f"/review/follow-ups/{follow_up_id}/delete")

    assert removed.status_code == 303
    assert files_holding(app, follow_up) == []
