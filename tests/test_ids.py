"""Ids are never reused: a deleted share, event or storytime's id is never handed out again.

On SQLite a plain INTEGER PRIMARY KEY hands out max(id) + 1, so deleting the newest row
gave its id to the next one: a phone's "my shares", a display's `Last-Event-ID` or a
bookmarked storytime could then name something else. AUTOINCREMENT (migration 0002)
and PostgreSQL's sequences never go back.
"""

from __future__ import annotations

import uuid

import pytest
from factories import make_storytime

from storytime.database import upgrade_database

VALID = {
    "branch": "central",
    "title": "Wheels on the Bus",
    "starts_at": "2030-05-06T10:30:00-04:00",
    "kinds": ["hello", "tip", "song"],
}


@pytest.fixture
def librarian(app, staff):
    """A client signed in as the central branch's librarian."""
    client = app.test_client()
    staff.signed_in(client)
    return client


def new_storytime(librarian, *, state: str = "scheduled") -> dict:
    response = librarian.post("/api/v1/storytimes", json=VALID)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    if state != "scheduled":
        changed = librarian.patch(f"/api/v1/storytimes/{created['id']}", json={"state": state})
        assert changed.status_code == 200, changed.get_json()
    return created


def share(phone, code: str, text: str = "Sing it twice") -> int:
    response = phone.post(
        f"/api/v1/storytimes/{code}/shares",
        json={
            "kind": "tip",
            "text": text,
            "name": None,
            "on_screen": True,
            "client_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def event_ids(librarian, storytime_id: int, after: int = 0) -> list[int]:
    response = librarian.get(f"/api/v1/storytimes/{storytime_id}/events?after={after}")
    assert response.status_code == 200
    return [event["id"] for event in response.get_json()["events"]]


def test_a_phone_that_deletes_its_newest_share_gets_a_new_id_next_time(app, librarian):
    code = new_storytime(librarian, state="open")["code"]
    phone = app.test_client()
    share(phone, code, "First")
    newest = share(phone, code, "Oops, wrong storytime")

    assert phone.delete(f"/api/v1/storytimes/{code}/shares/{newest}").status_code == 204
    again = share(phone, code, "Second try")

    assert again > newest
    mine = phone.get(f"/api/v1/storytimes/{code}/shares/mine").get_json()["shares"]
    assert [s["text"] for s in mine] == ["First", "Second try"]


def test_a_share_the_librarian_deleted_leaves_its_id_unused(app, librarian):
    code = new_storytime(librarian, state="open")["code"]
    phone = app.test_client()
    newest = share(phone, code)

    assert librarian.delete(f"/api/v1/shares/{newest}").status_code == 204

    assert share(phone, code) > newest


@pytest.mark.parametrize("how", ["api", "page"])
def test_staff_who_delete_the_newest_storytime_never_see_its_id_again(librarian, how):
    new_storytime(librarian)
    newest = new_storytime(librarian)["id"]

    if how == "api":
        assert librarian.delete(f"/api/v1/storytimes/{newest}").status_code == 204
    else:
        assert librarian.post(f"/storytimes/{newest}/delete").status_code == 302
    assert librarian.get(f"/api/v1/storytimes/{newest}").status_code == 404

    assert new_storytime(librarian)["id"] > newest


def test_event_ids_in_the_live_feed_never_repeat_after_a_storytime_is_deleted(app, librarian):
    kept = new_storytime(librarian, state="open")
    deleted = new_storytime(librarian, state="open")
    phone = app.test_client()
    share(phone, kept["code"])
    share(phone, deleted["code"])
    share(phone, deleted["code"])
    librarian.patch(f"/api/v1/storytimes/{deleted['id']}", json={"state": "closed"})
    seen = event_ids(librarian, kept["id"]) + event_ids(librarian, deleted["id"])
    # The deleted storytime holds the newest events: the ones a reuse would hand out again.
    assert max(event_ids(librarian, deleted["id"])) == max(seen)
    last_kept = max(event_ids(librarian, kept["id"]))

    assert librarian.delete(f"/api/v1/storytimes/{deleted['id']}").status_code == 204
    share(phone, kept["code"])
    librarian.patch(f"/api/v1/storytimes/{kept['id']}", json={"quiet": True})

    fresh = event_ids(librarian, kept["id"], after=last_kept)
    assert len(fresh) == 2
    assert min(fresh) > max(seen)
    assert len(set(seen + fresh)) == len(seen) + len(fresh)


def test_a_database_built_by_the_migrations_never_reuses_ids_either(empty_app):
    upgrade_database(empty_app)  # as `storytime` builds it, not create_all()
    code = make_storytime(empty_app).code
    phone = empty_app.test_client()
    newest = share(phone, code)
    assert phone.delete(f"/api/v1/storytimes/{code}/shares/{newest}").status_code == 204

    assert share(phone, code) > newest
