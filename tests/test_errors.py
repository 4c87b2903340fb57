"""Error pages in the site's look, and `{"error", "message"}` JSON under /api/."""

from __future__ import annotations

import pytest
from flask import Flask, abort, jsonify, request

from storytime.auth.roles import staff_required
from storytime.errors import ApiError
from storytime.extensions import limiter

TOO_BIG = "x" * (64 * 1024 + 1)


@pytest.fixture
def rate_limits() -> bool:
    """Whether the test app enforces rate limits; parametrize a test with True to turn on."""
    return False


@pytest.fixture
def app_config(app_config: dict, rate_limits: bool) -> dict:
    return {**app_config, "RATELIMIT_ENABLED": rate_limits}


@pytest.fixture
def app(app: Flask) -> Flask:
    """The test app plus routes that fail on purpose, on pages and under /api/."""

    def boom():
        raise RuntimeError("secret internals: table user, password hash")

    def bad():
        abort(400)

    def refused():
        raise ApiError("That storytime is still open.", 409, field="state")

    @staff_required("admin")
    def admins_only():
        return jsonify(ok=True)

    def upload():
        return jsonify(size=len(request.form.get("text", "")))

    @limiter.limit("2 per minute")
    def limited():
        return jsonify(ok=True)

    for prefix in ("/test", "/api/v1/test"):
        name = prefix.strip("/").replace("/", "_")
        app.add_url_rule(f"{prefix}/boom", f"{name}_boom", boom)
        app.add_url_rule(f"{prefix}/bad", f"{name}_bad", bad)
        app.add_url_rule(f"{prefix}/refused", f"{name}_refused", refused)
        app.add_url_rule(f"{prefix}/admins-only", f"{name}_admins_only", admins_only)
        app.add_url_rule(f"{prefix}/upload", f"{name}_upload", upload, methods=["POST"])
    app.add_url_rule("/api/v1/test/limited", "api_test_limited", limited)
    return app


def assert_site_page(response, status: int, title: str) -> str:
    """Check an error page: right status, HTML in the site's layout, the right words."""
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    assert 'class="site-header"' in html
    assert '<main id="main"' in html
    assert "/static/css/storytime.css?v=" in html
    assert f'<p class="error-code">{status}</p>' in html
    assert title in html
    assert "Traceback" not in html
    return html


def assert_json_error(response, status: int, error: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert {"error", "message"} <= set(body)
    assert body["error"] == error
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


@pytest.fixture
def librarian(client, staff):
    staff.signed_in(client, "librarian")
    return client


# --- 400 ----------------------------------------------------------------------------------


def test_400_page(client):
    assert_site_page(client.get("/test/bad"), 400, "That request did not make sense")


def test_400_page_for_an_expired_form(client):
    html = assert_site_page(
        client.post("/login", data={"email": "a@b.org", "password": "x"}, csrf=False),
        400,
        "That request did not make sense",
    )
    assert "This form has expired. Please reload the page and try again." in html


def test_400_json(client):
    assert_json_error(client.get("/api/v1/test/bad"), 400, "bad_request")


def test_400_json_for_a_missing_csrf_token(librarian):
    body = assert_json_error(
        librarian.post("/api/v1/test/upload", data={"text": "hi"}, csrf=False), 400, "csrf_failed"
    )
    assert "reload" in body["message"]


# --- ApiError ----------------------------------------------------------------------------


def test_an_api_error_is_json_with_its_slug_and_field(client):
    body = assert_json_error(client.get("/api/v1/test/refused"), 409, "conflict")

    assert body == {
        "error": "conflict",
        "message": "That storytime is still open.",
        "field": "state",
    }


def test_an_api_error_on_a_page_is_the_error_page_with_its_message(client):
    html = assert_site_page(client.get("/test/refused"), 409, "That clashes with something else")

    assert "That storytime is still open." in html


def test_an_api_error_may_name_its_own_slug():
    assert ApiError("Not open yet.", 409, slug="not_open").slug == "not_open"
    assert ApiError("Bad.").slug == "invalid"
    assert ApiError("Bad.").status == 422


# --- 403 ----------------------------------------------------------------------------------


def test_403_page(librarian):
    html = assert_site_page(librarian.get("/admin/staff"), 403, "This page is for other staff")
    assert "Ask an admin" in html


def test_403_json(librarian):
    assert_json_error(librarian.get("/api/v1/test/admins-only"), 403, "forbidden")


# --- 404 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/admin/nope", "/static/nope.css"])
def test_404_page_offers_the_code_box(client, path):
    html = assert_site_page(client.get(path), 404, "We could not find that page")
    assert 'action="/join"' in html


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/nope", "/api/v1/me/more"])
def test_404_json(client, path):
    assert_json_error(client.get(path), 404, "not_found")


# --- 405 ----------------------------------------------------------------------------------


def test_405_page(client):
    response = client.get("/logout")

    assert_site_page(response, 405, "That action is not allowed here")
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_405_json(librarian, method):
    response = librarian.open("/api/v1/me", method=method)

    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


# --- 413 ----------------------------------------------------------------------------------


def test_413_page(client):
    response = client.post("/login", data={"email": TOO_BIG, "password": "x"})

    assert_site_page(response, 413, "That was too much to send at once")


def test_413_json(librarian):
    response = librarian.post("/api/v1/test/upload", data={"text": TOO_BIG})

    assert_json_error(response, 413, "too_large")


def test_a_body_just_under_the_limit_is_accepted(librarian):
    response = librarian.post("/api/v1/test/upload", data={"text": "x" * 60_000})

    assert response.status_code == 200
    assert response.get_json() == {"size": 60_000}


# --- 429 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rate_limits", [True])
def test_429_page_after_too_many_sign_in_attempts(client):
    statuses = [
        client.post("/login", data={"email": "a@library.example.org", "password": "wrong!"})
        for _ in range(6)
    ]

    assert [r.status_code for r in statuses[:5]] == [400] * 5
    response = statuses[5]
    assert_site_page(response, 429, "Slow down a little")
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("rate_limits", [True])
def test_429_json(client):
    responses = [client.get("/api/v1/test/limited") for _ in range(3)]

    assert [r.status_code for r in responses[:2]] == [200, 200]
    assert_json_error(responses[2], 429, "rate_limited")
    assert int(responses[2].headers["Retry-After"]) > 0


def test_limits_are_off_when_disabled(client):
    assert {client.get("/api/v1/test/limited").status_code for _ in range(4)} == {200}


# --- 500 ----------------------------------------------------------------------------------


def test_500_page_hides_the_details(client):
    html = assert_site_page(client.get("/test/boom"), 500, "Something went wrong on our side")

    assert "secret internals" not in html


def test_500_json_hides_the_details(client):
    body = assert_json_error(client.get("/api/v1/test/boom"), 500, "server_error")

    assert "secret internals" not in body["message"]


def test_500_is_logged_with_the_traceback(client, caplog):
    client.get("/test/boom")

    assert "Unhandled error on GET /test/boom" in caplog.text
    assert "secret internals" in caplog.text


def test_the_app_keeps_working_after_a_500(client):
    client.get("/test/boom")

    assert client.get("/login").status_code == 200


# --- health -------------------------------------------------------------------------------


def test_healthz_reports_the_database_and_notifier(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "notifier": "local",
        "notifier_healthy": True,
        "ratelimit_storage": "off",  # the test config turns rate limits off
    }


def test_healthz_answers_503_when_the_database_is_unreachable(app_config, tmp_path):
    from storytime import create_app
    from storytime.extensions import db

    unreachable = f"sqlite:///{tmp_path / 'missing-folder' / 'storytime.sqlite'}"
    app = create_app({**app_config, "DATABASE_URL": unreachable})
    try:
        response = app.test_client().get("/healthz")
    finally:
        with app.app_context():
            db.engine.dispose()
        app.extensions["storytime_notifier"].close()

    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
    assert response.get_json()["database"] == "unreachable"


# --- a body that is not a JSON object -------------------------------------------------------

# Every API call that reads a body, as the OpenAPI document names it (checked below).
JSON_WRITES = [
    ("POST", "/storytimes"),
    ("PATCH", "/storytimes/{storytime_id}"),
    ("POST", "/storytimes/{code}/shares"),
    ("PATCH", "/storytimes/{code}/shares/{share_id}"),
    ("PATCH", "/shares/{share_id}"),
    ("POST", "/storytimes/{code}/checkin"),
    ("POST", "/storytimes/{storytime_id}/playlist/screen"),
]
NOT_OBJECTS = ["[1, 2]", '"just text"', "null", "{not json", ""]


@pytest.fixture
def room(client, staff) -> dict:
    """An open storytime, and a share this client's phone sent; the client is also staff."""
    staff.signed_in(client, "admin")
    created = client.post(
        "/api/v1/storytimes",
        json={"branch": "central", "title": "Rhymes", "starts_at": "2030-05-06T10:30:00Z"},
    ).get_json()
    client.patch(f"/api/v1/storytimes/{created['id']}", json={"state": "open"})
    share = client.post(
        f"/api/v1/storytimes/{created['code']}/shares",
        json={"kind": "tip", "text": "Sing in the car", "client_id": "client-id-0001"},
    ).get_json()
    return {"storytime_id": created["id"], "code": created["code"], "share_id": share["id"]}


def test_every_api_call_with_a_body_is_in_the_list(client):
    document = client.get("/api/v1/openapi.json").get_json()
    with_body = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }
    assert with_body == set(JSON_WRITES)


@pytest.mark.parametrize("payload", NOT_OBJECTS)
@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
def test_a_body_that_is_not_a_json_object_is_400_everywhere(client, room, method, path, payload):
    before = {
        "storytime": client.get(f"/api/v1/storytimes/{room['storytime_id']}").get_json(),
        "mine": client.get(f"/api/v1/storytimes/{room['code']}/shares/mine").get_json(),
        "count": client.get("/api/v1/storytimes").get_json()["total"],
    }

    response = client.open(
        "/api/v1" + path.format(**room),
        method=method,
        data=payload,
        content_type="application/json",
    )

    body = assert_json_error(response, 400, "bad_request")
    assert "field" not in body
    after = {
        "storytime": client.get(f"/api/v1/storytimes/{room['storytime_id']}").get_json(),
        "mine": client.get(f"/api/v1/storytimes/{room['code']}/shares/mine").get_json(),
        "count": client.get("/api/v1/storytimes").get_json()["total"],
    }
    assert after == before
