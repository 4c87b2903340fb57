"""The JSON endpoints the join page's script uses: send, replay, list, edit, delete."""

from __future__ import annotations

import pytest
from factories import make_storytime
from share_helpers import share_count, shares

from storytime.extensions import db
from storytime.models import Storytime


@pytest.fixture
def code(app) -> str:
    return make_storytime(app, kinds=("hello", "tip", "question")).code


def body(**values) -> dict:
    data = {
        "kind": "tip",
        "text": "Bring a snack for after.",
        "name": "Sam",
        "on_screen": True,
        "client_id": "2b0c5f0e-8a4d-4f7a-9a55-3f1c2d4e5f60",
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not ...}


def post(client, code: str, payload, **kwargs):
    return client.post(f"/api/v1/storytimes/{code}/shares", json=payload, **kwargs)


def test_a_share_is_created_with_201(app, client, code):
    response = post(client, code, body())
    assert response.status_code == 201
    share = response.get_json()
    assert share["kind"] == "tip" and share["text"] == "Bring a snack for after."
    assert share["name"] == "Sam" and share["on_screen"] is True and share["shown"] is True
    assert share["client_id"] == "2b0c5f0e-8a4d-4f7a-9a55-3f1c2d4e5f60"
    assert set(share) == {
        "id",
        "client_id",
        "kind",
        "text",
        "name",
        "on_screen",
        "shown",
        "created_at",
    }
    assert share_count(app) == 1


def test_the_code_is_case_insensitive(app, client, code):
    assert post(client, code.lower(), body()).status_code == 201


def test_a_replay_of_the_same_client_id_returns_the_same_share(app, client, code):
    first = post(client, code, body())
    again = post(client, code, body())
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert share_count(app) == 1


def test_a_replay_after_the_storytime_closed_still_answers_with_the_share(app, client, code):
    first = post(client, code, body())
    with app.app_context():
        db.session.execute(db.update(Storytime).values(state="closed"))
        db.session.commit()
    again = post(client, code, body())
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert post(client, code, body(client_id="another-id-123")).status_code == 409
    assert share_count(app) == 1


def test_another_phone_cannot_claim_a_client_id(app, client, code):
    post(client, code, body())
    response = post(app.test_client(), code, body(text="Someone else"))
    assert response.status_code == 409
    assert shares(app)[0]["text"] == "Bring a snack for after."


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        (["not", "an", "object"], 400, None),
        ("just text", 400, None),
        (body(kind=...), 422, "kind"),
        (body(text=...), 422, "text"),
        (body(client_id=...), 422, "client_id"),
        (body(text=42), 422, "text"),
        (body(text=None), 422, "text"),
        (body(kind=["tip"]), 422, "kind"),
        (body(name=7), 422, "name"),
        (body(on_screen="yes"), 422, "on_screen"),
        (body(on_screen=1), 422, "on_screen"),
        (body(text=""), 422, "text"),
        (body(text=" \t "), 422, "text"),
        (body(text="a" * 501), 422, "text"),
        (body(name="n" * 41), 422, "name"),
        (body(kind="song"), 422, "kind"),
        (body(kind="nonsense"), 422, "kind"),
        (body(client_id="short"), 400, "client_id"),
        (body(client_id="has spaces in it"), 400, "client_id"),
    ],
)
def test_bad_input_gets_a_clear_json_error_and_stores_nothing(
    app, client, code, payload, status, field
):
    response = post(client, code, payload)
    assert response.status_code == status
    error = response.get_json()
    assert error["error"] and error["message"]
    assert error.get("field") == field
    assert share_count(app) == 0


@pytest.mark.parametrize(("kind", "allowed"), [("question", False), ("tip", True), ("hello", True)])
def test_a_share_sent_without_a_screen_choice_gets_its_kinds_default(
    app, client, code, kind, allowed
):
    response = post(client, code, body(kind=kind, on_screen=...))
    assert response.status_code == 201
    assert response.get_json()["on_screen"] is allowed
    assert response.get_json()["shown"] is allowed
    [stored] = shares(app)
    assert stored["allow_screen"] is allowed and stored["on_screen"] is allowed


def test_unknown_fields_are_ignored(app, client, code):
    assert post(client, code, body(colour="blue", version=2)).status_code == 201


def test_a_body_that_is_not_json_is_refused(app, client, code):
    response = client.post(
        f"/api/v1/storytimes/{code}/shares", data="kind=tip", content_type="text/plain"
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
    assert share_count(app) == 0


@pytest.mark.parametrize(("state", "error"), [("closed", "closed"), ("scheduled", "not_open")])
def test_only_an_open_storytime_takes_shares(app, client, state, error):
    code = make_storytime(app, "other", state=state).code
    response = post(client, code, body())
    assert response.status_code == 409
    assert response.get_json()["error"] == error
    assert share_count(app) == 0


def test_unknown_code_is_a_json_404(app, client, code):
    response = post(client, "ZZZZZZ", body())
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize("token", [None, "wrong"])
def test_missing_or_wrong_csrf_token_is_refused(app, client, code, token):
    headers = {"X-CSRFToken": token} if token else {}
    response = post(client, code, body(), csrf=False, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"
    assert share_count(app) == 0


def test_a_fresh_csrf_token_can_be_fetched(app, client, code):
    response = client.get("/api/v1/csrf")
    assert response.headers["Cache-Control"] == "no-store"
    token = response.get_json()["csrf_token"]
    sent = post(client, code, body(), csrf=False, headers={"X-CSRFToken": token})
    assert sent.status_code == 201


def test_errors_are_in_the_caregivers_language(app, client, code):
    response = post(client, code, body(text=""), headers={"Accept-Language": "es"})
    assert response.get_json()["message"] == "Por favor, escribe algo para compartir."


def test_list_edit_and_delete_ones_own_shares(app, client, code):
    share = post(client, code, body()).get_json()
    mine = client.get(f"/api/v1/storytimes/{code}/shares/mine").get_json()
    assert mine["can_change"] is True and [s["id"] for s in mine["shares"]] == [share["id"]]

    url = f"/api/v1/storytimes/{code}/shares/{share['id']}"
    edited = client.patch(url, json={"text": "Bring two snacks.", "on_screen": False})
    assert edited.status_code == 200
    assert edited.get_json()["text"] == "Bring two snacks."
    assert edited.get_json()["on_screen"] is False and edited.get_json()["name"] == "Sam"
    assert client.patch(url, json={"on_screen": "no"}).status_code == 422
    assert client.patch(url, json={"text": ""}).status_code == 422
    assert shares(app)[0]["text"] == "Bring two snacks."

    assert client.delete(url).status_code == 204
    assert share_count(app) == 0
    assert client.delete(url).status_code == 404


def test_another_phone_sees_and_changes_nothing(app, client, code):
    share = post(client, code, body()).get_json()
    other = app.test_client()
    assert other.get(f"/api/v1/storytimes/{code}/shares/mine").get_json()["shares"] == []
    url = f"/api/v1/storytimes/{code}/shares/{share['id']}"
    assert other.patch(url, json={"text": "Mine now"}).status_code == 404
    assert other.delete(url).status_code == 404
    assert shares(app)[0]["text"] == "Bring a snack for after."


def test_a_share_of_another_storytime_is_not_found_under_this_code(app, client, code):
    other_code = make_storytime(app, "other").code
    share = post(client, other_code, body()).get_json()
    url = f"/api/v1/storytimes/{code}/shares/{share['id']}"
    assert client.delete(url).status_code == 404
    assert share_count(app) == 1
