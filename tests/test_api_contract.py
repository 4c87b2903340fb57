"""The API answers what its OpenAPI document says: statuses, error shapes, stream events.

The schemathesis run in .ci/contract checks this from outside against a real server; these
tests pin the rules issue 14 found broken, fast, in the normal suite.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest
from live_support import parse_sse
from seeded_world import seed, sign_in, table_snapshot

API = "/api/v1"


@pytest.fixture
def world(app):
    return seed(app)


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get(f"{API}/openapi.json").get_json()


def validator(document: dict[str, Any], name: str):
    """Return a JSON Schema validator for one of the document's component schemas."""
    return jsonschema_rs.Draft202012Validator(
        {**document, "$ref": f"#/components/schemas/{name}"}, validate_formats=True
    )


def assert_documented(document, method: str, path: str, response) -> None:
    """The status is listed for the operation, and an error has the Error shape."""
    operation = document["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {path} answered {status}, undocumented"
    if response.status_code >= 400:
        validator(document, "Error").validate(response.get_json())


def bearer(world, who: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


# --- who you are, before the CSRF token ---------------------------------------------------

STAFF_CALLS = [
    ("DELETE", "/shares/{share_id}", True),
    ("PATCH", "/shares/{share_id}", True),
    ("POST", "/storytimes/{storytime_id}/display-token", True),
    ("DELETE", "/storytimes/{storytime_id}", False),
    ("PATCH", "/storytimes/{storytime_id}", False),
    ("POST", "/storytimes", False),
]


@pytest.mark.parametrize(("method", "path", "live"), STAFF_CALLS)
def test_staff_calls_decide_who_you_are_before_the_csrf_token(
    app, client, world, document, method, path, live
):
    """No CSRF token and no staff credentials: 401, or 403 for a phone or a display link."""
    url = API + path.format(share_id=world.share_id, storytime_id=world.closed_storytime_id)
    body = {"starred": True}
    before = table_snapshot(app)

    anonymous = client.open(url, method=method, json=body, csrf=False)
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"] == "unauthorized"
    assert_documented(document, method, path, anonymous)

    client.set_cookie("st_phone", world.phone_cookie)
    phone = client.open(url, method=method, json=body, csrf=False)
    client.delete_cookie("st_phone")
    display = client.open(
        url, method=method, json=body, csrf=False, headers={"X-Display-Token": world.display_token}
    )
    # The live API recognises a phone or a display link and refuses it; elsewhere it is
    # simply not a staff credential.
    for response in (phone, display):
        assert response.status_code == (403 if live else 401)
        assert_documented(document, method, path, response)

    assert table_snapshot(app) == before

    sign_in(client, world.users["admin"])
    staff_without_token = client.open(url, method=method, json=body, csrf=False)
    assert staff_without_token.status_code == 400
    assert staff_without_token.get_json()["error"] == "csrf_failed"
    after = table_snapshot(app)
    assert [after[name] == before[name] for name in ("share", "storytime")] == [True, True]


# --- the statuses the document lists --------------------------------------------------------

REFUSED = [
    ("/exports/shares.json", "to=", "to"),
    ("/exports/shares.csv", "from=20250331", "from"),
    ("/exports/shares.json", "branch=nowhere", "branch"),
    ("/exports/shares.json", "from=2025-04-02&to=2025-04-01", "to"),
    ("/songbook", "from=2025-W13-1", "from"),
    ("/songbook", "per_page=0", "per_page"),
    ("/songbook", "page=abc", "page"),
    ("/storytimes", "state=", "state"),
    ("/storytimes", "branch=nowhere", "branch"),
    ("/storytimes", "page=", "page"),
    ("/storytimes/{storytime_id}/events", "after=", "after"),
    ("/storytimes/{storytime_id}/events", "after=1000000000000000000", "after"),
    ("/storytimes/{storytime_id}/stream", "last_event_id=%201", "last_event_id"),
    # A value from a list comes without spaces around it (only a search is free text).
    ("/songbook", "kind=%20hello", "kind"),
    ("/exports/shares.csv", "kind=hello%20", "kind"),
    ("/outcomes", "kind=%20follow_up", "kind"),
    ("/outcomes", "by=month%20", "by"),
    ("/outcomes", "audience=babies%20", "audience"),
    ("/outcomes/export.csv", "kind=%20follow_up", "kind"),
    ("/outcomes/export.json", "branch=", "branch"),
]


@pytest.mark.parametrize(("path", "query", "field"), REFUSED)
def test_what_the_document_forbids_in_a_query_is_refused_with_422(
    client, world, document, path, query, field
):
    url = API + path.format(storytime_id=world.storytime_id) + "?" + query
    response = client.get(url, headers=bearer(world))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["field"] == field
    assert_documented(document, "GET", path, response)


def test_a_bad_last_event_id_in_the_query_is_refused_even_beside_a_good_header(
    client, world, document
):
    url = f"{API}/storytimes/{world.storytime_id}/stream?last_event_id=abc"
    response = client.get(url, headers={**bearer(world), "Last-Event-ID": "3"})
    assert response.status_code == 422
    assert response.get_json()["field"] == "last_event_id"


@pytest.mark.parametrize("header", ["abc", "1=", "-1", "1234567890123456789"])
def test_a_last_event_id_that_is_not_a_whole_number_is_422_as_documented(
    client, world, document, header
):
    url = f"{API}/storytimes/{world.storytime_id}/stream"
    response = client.get(url, headers={**bearer(world), "Last-Event-ID": header})
    assert response.status_code == 422
    assert response.get_json()["field"] == "Last-Event-ID"
    assert_documented(document, "GET", "/storytimes/{storytime_id}/stream", response)
    parameter = next(
        p
        for p in document["paths"]["/storytimes/{storytime_id}/stream"]["get"]["parameters"]
        if p["name"] == "Last-Event-ID"
    )
    assert not jsonschema_rs.is_valid(parameter["schema"], header)


@pytest.mark.parametrize(
    "starts_at", ["2030-05-06 10:30:00+00:00", " 2030-05-06T10:30:00Z", "2030-05-06T10:30Z"]
)
def test_a_start_that_is_not_an_rfc_3339_date_time_is_refused(
    app, client, world, document, starts_at
):
    body = {"branch": "central", "title": "Rhymes", "starts_at": starts_at}
    assert not validator(document, "NewStorytime").is_valid(body)
    response = client.post(f"{API}/storytimes", json=body, headers=bearer(world))
    assert response.status_code == 422
    assert response.get_json()["field"] == "starts_at"
    assert_documented(document, "POST", "/storytimes", response)


def test_a_nul_character_is_400_and_documented_on_every_operation(client, world, document):
    response = client.get(f"{API}/storytimes?branch=a%00b", headers=bearer(world))
    assert response.status_code == 400
    assert_documented(document, "GET", "/storytimes", response)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                assert "400" in operation["responses"], (method, path)


# --- the phone: an optional, anonymous identity ---------------------------------------------


def test_my_shares_without_a_phone_cookie_is_an_empty_list_as_documented(client, world, document):
    path = "/storytimes/{code}/shares/mine"
    response = client.get(API + path.format(code=world.code))
    assert response.status_code == 200
    assert response.get_json()["shares"] == []
    operation = document["paths"][path]["get"]
    assert {} in operation["security"] and {"phoneCookie": []} in operation["security"]
    validator(document, "MyShares").validate(response.get_json())

    client.set_cookie("st_phone", world.phone_cookie)
    mine = client.get(API + path.format(code=world.code)).get_json()
    assert [share["id"] for share in mine["shares"]] == [world.share_id]


# --- the live stream, event by event ---------------------------------------------------------


def stream_events(app, client, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Read a whole stream (it ends at once) and return its events as a client parses them."""
    app.config["STREAM_MAX_SECONDS"] = 0
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    text = response.get_data(as_text=True)
    # As an EventSource sees it: `data` is text; parse_sse reads it as JSON for us.
    return [
        {"id": frame.get("id"), "event": frame["event"], "data": json.dumps(frame["data"])}
        for frame in parse_sse(text)
        if "event" in frame
    ]


def assert_event_documented(document: dict[str, Any], event: dict[str, Any]) -> None:
    """The event matches StreamEvent, and its JSON data the schema its type names."""
    validator(document, "StreamEvent").validate({k: v for k, v in event.items() if v is not None})
    frames = document["components"]["schemas"]["StreamEvent"]["oneOf"]
    frame = next(f for f in frames if event["event"] in f["properties"]["event"]["enum"])
    ref = frame["properties"]["data"]["contentSchema"]
    data_schema = {**document, **ref} if "$ref" in ref else ref
    jsonschema_rs.Draft202012Validator(data_schema, validate_formats=True).validate(
        json.loads(event["data"])
    )


def test_every_stream_event_staff_and_display_see_is_described_by_the_document(
    app, client, world, document
):
    api = API
    headers = bearer(world)
    url = f"{api}/storytimes/{world.storytime_id}/stream"
    # Make one event of each kind: a share shown, changed, deleted; the storytime changed.
    other = client.post(
        f"{api}/storytimes/{world.code}/shares",
        json={"kind": "tip", "text": "Sing in the car", "client_id": "contract-1"},
        headers=headers,
    )
    assert other.status_code == 201
    assert (
        client.patch(
            f"{api}/shares/{world.share_id}",
            json={"on_screen": True, "pinned": True},
            headers=headers,
        ).status_code
        == 200
    )
    assert (
        client.delete(f"{api}/shares/{other.get_json()['id']}", headers=headers).status_code == 204
    )
    assert (
        client.patch(
            f"{api}/storytimes/{world.storytime_id}", json={"quiet": True}, headers=headers
        ).status_code
        == 200
    )

    display = stream_events(app, client, url, {"X-Display-Token": world.display_token})
    assert (
        client.post(
            f"{api}/storytimes/{world.storytime_id}/display-token", headers=headers
        ).status_code
        == 200
    )
    staff = stream_events(app, client, url, headers)

    seen = {event["event"] for event in staff + display}
    assert {"share.created", "share.deleted", "share.updated", "storytime.updated"} <= seen
    assert {"share.shown", "share.hidden", "display.rotated"} & seen
    for event in staff + display:
        assert_event_documented(document, event)
    # The same items through /events match the document's Feed.
    feed = client.get(f"{api}/storytimes/{world.storytime_id}/events", headers=headers)
    validator(document, "Feed").validate(feed.get_json())


def test_the_endings_of_a_stream_are_described_too(document):
    for ending in ("revoked", "gone"):
        assert_event_documented(document, {"event": ending, "data": "{}", "id": None})
    with pytest.raises(jsonschema_rs.ValidationError):
        assert_event_documented(document, {"event": "share.created", "data": "{}", "id": "4"})


def test_an_event_id_beyond_any_stored_one_reads_as_nothing_after_it(app, client, world, document):
    """18 digits are allowed; past the INTEGER column's largest id there are no events."""
    url = f"{API}/storytimes/{world.storytime_id}/events?after=999999999999999998"
    response = client.get(url, headers=bearer(world))
    assert response.status_code == 200
    assert response.get_json()["events"] == []
    validator(document, "Feed").validate(response.get_json())
    app.config["STREAM_MAX_SECONDS"] = 0
    stream = client.get(
        f"{API}/storytimes/{world.storytime_id}/stream",
        headers={**bearer(world), "Last-Event-ID": "999999999999999998"},
    )
    assert stream.status_code == 200
    assert "event:" not in stream.get_data(as_text=True)


def test_every_example_body_in_the_document_fits_its_schema(document):
    examples = 0
    for item in document["paths"].values():
        for method, operation in item.items():
            media = (
                operation.get("requestBody", {}).get("content", {})
                if method != "parameters"
                else {}
            )
            for content in media.values():
                if "example" in content:
                    schema = {**document, **content["schema"]}
                    jsonschema_rs.Draft202012Validator(schema).validate(content["example"])
                    examples += 1
    assert examples >= 4
