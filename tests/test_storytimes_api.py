"""The staff storytimes API: create, read, list, edit, open and close, delete; strict input."""

from __future__ import annotations

import pytest
from storytime_helpers import storytime_count

from storytime.admin.service import find_user
from storytime.auth.tokens import create_token

VALID = {
    "branch": "central",
    "title": "Wheels on the Bus",
    "starts_at": "2030-05-06T10:30:00-04:00",
    "audience": "toddlers",
    "theme": "Transportation",
    "kinds": ["hello", {"kind": "tip", "question": "A tip for the car seat"}, "song"],
    "moderation": "review",
}


def token_for(app, staff, role="librarian", branch="central") -> dict:
    email = f"{role}-token@{branch}.example.org"
    staff.user(role, email, branch)
    with app.app_context():
        return {"Authorization": f"Bearer {create_token(find_user(email), 'test')}"}


@pytest.fixture
def auth(app, staff) -> dict:
    return token_for(app, staff)


def create(client, auth, **changes) -> dict:
    response = client.post("/api/v1/storytimes", json={**VALID, **changes}, headers=auth)
    assert response.status_code == 201, response.json
    return response.json


def test_create_answers_201_with_the_storytime(client, auth):
    response = client.post("/api/v1/storytimes", json=VALID, headers=auth)

    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"] == f"/api/v1/storytimes/{body['id']}"
    assert body["state"] == "scheduled"
    assert body["starts_at"] == "2030-05-06T14:30:00+00:00"
    assert body["branch"] == "central"
    assert body["audience"] == "toddlers"
    assert body["moderation"] == "review"
    assert body["quiet"] is False
    assert body["kinds"] == ["hello", "tip", "song"]
    assert body["prompts"][1] == {"kind": "tip", "question": "A tip for the car seat"}
    assert body["prompts"][0]["question"]  # a kind named alone gets the suggested question
    assert body["join_url"] == f"http://storytime.test/j/{body['code']}"
    assert body["qr_svg_url"] == f"http://storytime.test/storytimes/{body['id']}/qr.svg"
    assert body["qr_png_url"] == f"http://storytime.test/storytimes/{body['id']}/qr.png"
    assert body["display_url"].startswith("http://storytime.test/display/")


def test_room_length_and_auto_close_are_set_read_and_cleared(client, auth):
    created = create(
        client, auth, room="  Story   room ", duration_minutes=30, auto_close_minutes=15
    )
    assert created["room"] == "Story room"
    assert (created["duration_minutes"], created["auto_close_minutes"]) == (30, 15)
    assert created["closes_at"] is None  # only an open storytime closes by itself

    url = f"/api/v1/storytimes/{created['id']}"
    opened = client.patch(url, json={"state": "open", "auto_close_minutes": None}, headers=auth)

    assert opened.json["auto_close_minutes"] is None
    assert opened.json["room"] == "Story room"
    assert opened.json["closes_at"]  # opened now: 30 minutes, then the install's 120


def test_only_the_required_fields_open_every_kind(client, auth):
    required = {key: VALID[key] for key in ("branch", "title", "starts_at")}

    body = client.post("/api/v1/storytimes", json=required, headers=auth).json

    assert body["kinds"] == ["hello", "tip", "song", "question", "idea"]
    assert body["moderation"] == "instant"


@pytest.mark.parametrize("missing", ["branch", "title", "starts_at"])
def test_each_required_field_is_required(app, client, auth, missing):
    body = {key: value for key, value in VALID.items() if key != missing}

    response = client.post("/api/v1/storytimes", json=body, headers=auth)

    assert response.status_code == 422
    assert response.json["field"] == missing
    assert storytime_count(app) == 0


def test_a_session_with_csrf_works_and_without_csrf_is_refused(app, client, staff):
    staff.signed_in(client, "librarian", "central")

    refused = client.post("/api/v1/storytimes", json=VALID, csrf=False)
    assert refused.status_code == 400
    assert refused.json["error"] == "csrf_failed"
    assert storytime_count(app) == 0

    assert client.post("/api/v1/storytimes", json=VALID).status_code == 201


def test_without_credentials_it_is_401(app, client):
    response = client.post("/api/v1/storytimes", json=VALID)

    assert response.status_code == 401
    assert storytime_count(app) == 0


def test_get_reads_one(client, auth):
    created = create(client, auth)

    response = client.get(f"/api/v1/storytimes/{created['id']}", headers=auth)

    assert response.status_code == 200
    assert response.json == created
    assert client.get("/api/v1/storytimes/999", headers=auth).status_code == 404


def test_patch_edits_fields_and_keeps_the_code(client, auth):
    created = create(client, auth)

    response = client.patch(
        f"/api/v1/storytimes/{created['id']}",
        json={"title": "Trains", "kinds": ["question"], "theme": ""},
        headers=auth,
    )

    assert response.status_code == 200
    assert response.json["title"] == "Trains"
    assert response.json["kinds"] == ["question"]
    assert response.json["theme"] == ""
    assert response.json["code"] == created["code"]
    assert response.json["audience"] == "toddlers"


def test_patch_keeps_questions_of_kinds_that_stay_open(client, auth):
    created = create(client, auth)

    body = client.patch(
        f"/api/v1/storytimes/{created['id']}", json={"kinds": ["tip", "idea"]}, headers=auth
    ).json

    assert body["prompts"][0] == {"kind": "tip", "question": "A tip for the car seat"}


@pytest.mark.parametrize("state", ["open", "closed", "scheduled"])
def test_patch_sets_the_state(client, auth, state):
    created = create(client, auth)

    response = client.patch(
        f"/api/v1/storytimes/{created['id']}", json={"state": state}, headers=auth
    )

    assert response.status_code == 200
    assert response.json["state"] == state


def test_patch_sets_quiet(client, auth):
    created = create(client, auth)

    body = client.patch(
        f"/api/v1/storytimes/{created['id']}", json={"quiet": True}, headers=auth
    ).json

    assert body["quiet"] is True


def test_list_filters_and_pages(client, app, staff):
    auth = token_for(app, staff, "coordinator", "central")
    staff.branch("Riverside", "riverside")
    for day in range(1, 4):
        create(client, auth, starts_at=f"2030-05-0{day}T10:00:00Z")
    other = create(client, auth, branch="riverside")
    client.patch(f"/api/v1/storytimes/{other['id']}", json={"state": "open"}, headers=auth)

    everything = client.get("/api/v1/storytimes", headers=auth).json
    central = client.get("/api/v1/storytimes?branch=central&per_page=2", headers=auth).json
    page_two = client.get("/api/v1/storytimes?branch=central&per_page=2&page=2", headers=auth)
    open_now = client.get("/api/v1/storytimes?state=open", headers=auth).json

    assert everything["total"] == 4
    assert central["total"] == 3 and central["pages"] == 2 and len(central["storytimes"]) == 2
    assert len(page_two.json["storytimes"]) == 1
    assert [st["id"] for st in open_now["storytimes"]] == [other["id"]]


def test_a_librarian_lists_her_branch_only(client, app, staff, auth):
    coordinator = token_for(app, staff, "coordinator", "central")
    staff.branch("Riverside", "riverside")
    create(client, coordinator, branch="riverside")
    mine = create(client, auth)

    listed = client.get("/api/v1/storytimes", headers=auth).json

    assert [st["id"] for st in listed["storytimes"]] == [mine["id"]]
    assert client.get("/api/v1/storytimes?branch=riverside", headers=auth).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("state=paused", "state"),
        ("branch=nowhere", "branch"),
        ("page=two", "page"),
    ],
)
def test_list_refuses_bad_filters(client, auth, query, field):
    response = client.get(f"/api/v1/storytimes?{query}", headers=auth)

    assert response.status_code == 422
    assert response.json["field"] == field


def test_delete_removes_it(app, client, auth):
    created = create(client, auth)

    response = client.delete(f"/api/v1/storytimes/{created['id']}", headers=auth)

    assert response.status_code == 204
    assert storytime_count(app) == 0


def test_delete_refuses_an_open_storytime(app, client, auth):
    created = create(client, auth)
    client.patch(f"/api/v1/storytimes/{created['id']}", json={"state": "open"}, headers=auth)

    response = client.delete(f"/api/v1/storytimes/{created['id']}", headers=auth)

    assert response.status_code == 409
    assert response.json["error"] == "conflict"
    assert storytime_count(app) == 1


BAD_CREATES = [
    ({"colour": "blue"}, "colour"),
    ({"title": ""}, "title"),
    ({"title": 42}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": None}, "title"),
    ({"branch": "nowhere"}, "branch"),
    ({"branch": ["central"]}, "branch"),
    ({"starts_at": "next tuesday"}, "starts_at"),
    ({"starts_at": "2030-05-06T10:30:00"}, "starts_at"),  # no offset
    ({"starts_at": "2030-02-30T10:30:00Z"}, "starts_at"),
    ({"starts_at": 1893456000}, "starts_at"),
    ({"audience": "teenagers"}, "audience"),
    ({"audience": ["babies"]}, "audience"),
    ({"moderation": "never"}, "moderation"),
    ({"theme": 3}, "theme"),
    ({"kinds": []}, "kinds"),
    ({"kinds": "hello"}, "kinds"),
    ({"kinds": ["hello", "gossip"]}, "kinds"),
    ({"kinds": [{"kind": "tip", "question": 5}]}, "kinds"),
    ({"kinds": [{"kind": "tip", "extra": 1}]}, "kinds"),
    ({"kinds": [{"question": "Why?"}]}, "kinds"),
    ({"kinds": ["hello", "hello"]}, "kinds"),
    ({"kinds": [{"kind": "tip", "question": "q" * 301}]}, "kinds"),
    ({"room": 2}, "room"),
    ({"room": "r" * 61}, "room"),
    ({"duration_minutes": "45"}, "duration_minutes"),
    ({"duration_minutes": True}, "duration_minutes"),
    ({"duration_minutes": 4}, "duration_minutes"),
    ({"duration_minutes": 481}, "duration_minutes"),
    ({"auto_close_minutes": -1}, "auto_close_minutes"),
    ({"auto_close_minutes": 1441}, "auto_close_minutes"),
    ({"auto_close_minutes": 2.5}, "auto_close_minutes"),
    ({"second_language": None}, "second_language"),
    ({"kinds": [{"kind": "tip", "translations": None}]}, "translations"),
    ({"kinds": [{"kind": "tip", "translations": ["es"]}]}, "translations"),
    ({"second_language": "klingon"}, "second_language"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_CREATES)
def test_bad_creates_are_422_with_the_field_and_store_nothing(app, client, auth, changes, field):
    response = client.post("/api/v1/storytimes", json={**VALID, **changes}, headers=auth)

    assert response.status_code == 422, response.json
    assert response.json["error"] == "invalid"
    assert response.json["field"] == field
    assert response.json["message"]
    assert storytime_count(app) == 0


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", "null"])
def test_a_body_that_is_not_a_json_object_is_400(app, client, auth, payload):
    response = client.post(
        "/api/v1/storytimes",
        data=payload,
        headers={**auth, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json["error"] == "bad_request"
    assert storytime_count(app) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"state": "paused"}, "state"),
        ({"quiet": "yes"}, "quiet"),
        ({"code": "ABCDEF"}, "code"),
        ({"title": ""}, "title"),
        ({"kinds": []}, "kinds"),
        # A valid title with a bad state: the title must not be saved either.
        ({"title": "New", "state": "paused"}, "state"),
        ({"title": "New", "starts_at": "soon"}, "starts_at"),
    ],
)
def test_bad_patches_change_nothing(client, auth, changes, field):
    created = create(client, auth)

    response = client.patch(f"/api/v1/storytimes/{created['id']}", json=changes, headers=auth)

    assert response.status_code == 422
    assert response.json["field"] == field
    after = client.get(f"/api/v1/storytimes/{created['id']}", headers=auth).json
    assert after == created


def test_a_librarian_cannot_create_at_another_branch(app, client, staff, auth):
    staff.branch("Riverside", "riverside")

    response = client.post(
        "/api/v1/storytimes", json={**VALID, "branch": "riverside"}, headers=auth
    )

    assert response.status_code == 403
    assert response.json["field"] == "branch"
    assert storytime_count(app) == 0


def test_a_librarian_cannot_touch_another_branchs_storytime(app, client, staff, auth):
    coordinator = token_for(app, staff, "coordinator", "central")
    staff.branch("Riverside", "riverside")
    theirs = create(client, coordinator, branch="riverside")
    mine = create(client, auth)
    url = f"/api/v1/storytimes/{theirs['id']}"

    assert client.get(url, headers=auth).status_code == 403
    assert client.patch(url, json={"title": "Mine now"}, headers=auth).status_code == 403
    assert client.delete(url, headers=auth).status_code == 403
    moved = client.patch(
        f"/api/v1/storytimes/{mine['id']}", json={"branch": "riverside"}, headers=auth
    )
    assert moved.status_code == 403
    assert client.get(url, headers=coordinator).json == theirs
    assert storytime_count(app) == 2


def test_a_coordinator_may_move_a_storytime_to_another_branch(app, client, staff):
    coordinator = token_for(app, staff, "coordinator", "central")
    staff.branch("Riverside", "riverside")
    created = create(client, coordinator)

    body = client.patch(
        f"/api/v1/storytimes/{created['id']}", json={"branch": "riverside"}, headers=coordinator
    ).json

    assert body["branch"] == "riverside"
