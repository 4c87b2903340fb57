"""Personal API tokens: `Authorization: Bearer …` on /api/v1, hashed, revocable."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from flask import Flask, jsonify, request
from flask_login import current_user

from storytime.auth.roles import staff_required
from storytime.extensions import db

LEE = "lee@library.example.org"
ECHO = "/api/v1/test-echo"
NEW_TOKEN = re.compile(r'<code class="token" id="new-token">(st_[^<]+)</code>')


@pytest.fixture
def app(app: Flask) -> Flask:
    """The test app, plus a staff API route that accepts POST."""

    @staff_required()
    def echo():
        return jsonify(email=current_user.email, received=request.get_json(silent=True))

    app.add_url_rule(ECHO, "test_echo", echo, methods=["POST"])
    return app


@pytest.fixture
def lee(staff) -> int:
    return staff.user("librarian", LEE)


@pytest.fixture
def token(runner, lee) -> str:
    result = runner.invoke(args=["create-token", LEE])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def assert_unauthorized(response) -> None:
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "unauthorized"
    assert body["message"]


# --- using a token ------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_token_signs_api_calls_in(client, token, scheme):
    response = client.get("/api/v1/me", headers=bearer(token, scheme))

    assert response.status_code == 200
    assert response.get_json() == {
        "id": 1,
        "email": LEE,
        "display_name": "lee",
        "role": "librarian",
        "branch": "central",
    }
    assert "Set-Cookie" not in response.headers  # a script's call opens no session


def test_a_post_with_a_token_needs_no_csrf_token(client, token):
    response = client.post(ECHO, json={"hello": 1}, headers=bearer(token))

    assert response.status_code == 200
    assert response.get_json() == {"email": LEE, "received": {"hello": 1}}


def test_a_post_with_a_session_needs_a_csrf_token(client, staff, lee):
    staff.login(client, LEE)

    refused = client.post(ECHO, json={"hello": 1}, csrf=False)
    accepted = client.post(ECHO, json={"hello": 1})

    assert refused.status_code == 400
    body = refused.get_json()
    assert body["error"] == "csrf_failed"
    assert body["message"]
    assert accepted.status_code == 200


def test_a_post_without_session_or_token_is_refused_as_unauthenticated(client, lee):
    # Who you are is decided before the CSRF check: no credentials at all is a 401.
    assert_unauthorized(client.post(ECHO, json={"hello": 1}, csrf=False))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Bearer st_made_up_token", "Basic bGVlOnB3", "Token st_x", "st_x"],
)
def test_a_missing_or_made_up_token_gets_401(client, token, authorization):
    assert_unauthorized(client.get("/api/v1/me", headers={"Authorization": authorization}))


def test_a_made_up_token_cannot_skip_the_csrf_check(client):
    response = client.post(ECHO, json={}, headers=bearer("st_made_up_token"))

    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_a_bad_token_is_not_rescued_by_a_session_cookie(client, staff, token):
    staff.signed_in(client, "admin", branch=None)

    assert client.get("/api/v1/me").get_json()["role"] == "admin"
    assert_unauthorized(client.get("/api/v1/me", headers=bearer("st_made_up_token")))
    # A good token wins over the cookie: the call acts as the token's owner.
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["email"] == LEE


def test_a_revoked_token_gets_401(client, runner, token):
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    runner.invoke(args=["revoke-token", token[:10]])

    assert_unauthorized(client.get("/api/v1/me", headers=bearer(token)))
    assert client.post(ECHO, json={}, headers=bearer(token)).status_code == 401


def test_deactivating_an_account_revokes_its_tokens_for_good(app, client, staff, lee, token):
    admin = app.test_client()
    staff.signed_in(admin, "admin", branch=None)

    admin.post(f"/admin/staff/{lee}/active")
    assert_unauthorized(client.get("/api/v1/me", headers=bearer(token)))

    # Reactivating brings back no old credential: its owner makes new tokens.
    admin.post(f"/admin/staff/{lee}/active")
    assert_unauthorized(client.get("/api/v1/me", headers=bearer(token)))


def test_tokens_do_not_open_pages(client, token):
    """Pages go by the session: a token cannot open them or mint more tokens."""
    assert client.get("/account/tokens", headers=bearer(token)).status_code == 302
    refused = client.post("/account/tokens", data={"name": "sneaky"}, headers=bearer(token))
    assert refused.status_code in (302, 400)

    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_tokens_are_stored_hashed(app, token):
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                assert not any(token in str(value) for value in row), table.name
        stored = db.session.execute(db.text("SELECT token_hash, prefix FROM api_token")).one()

    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.prefix == token[:10]


def test_the_sqlite_file_never_holds_the_plain_token(app, token):
    if not app.config["IS_SQLITE"]:
        pytest.skip("looks at the SQLite file")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # checkpoints the WAL into the file
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))

    assert token.encode() not in path.read_bytes()


# --- the tokens page ----------------------------------------------------------------------


@pytest.fixture
def signed_in(client, staff, lee):
    staff.login(client, LEE)
    return client


def test_the_tokens_page_creates_a_token_shown_once(signed_in):
    page = signed_in.post("/account/tokens", data={"name": "calendar sync"})

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = NEW_TOKEN.search(html).group(1)
    assert "calendar sync" in html
    assert f"<code>{token[:10]}…</code>" in html
    assert signed_in.get("/api/v1/me", headers=bearer(token)).get_json()["email"] == LEE
    assert token not in signed_in.get("/account/tokens").get_data(as_text=True)


def test_the_tokens_page_revokes_a_token(app, signed_in):
    html = signed_in.post("/account/tokens", data={"name": "old script"}).get_data(as_text=True)
    token = NEW_TOKEN.search(html).group(1)
    token_id = re.search(r'action="/account/tokens/(\d+)/revoke"', html).group(1)

    response = signed_in.post(f"/account/tokens/{token_id}/revoke")

    assert response.status_code == 302
    page = signed_in.get("/account/tokens").get_data(as_text=True)
    assert "Token revoked." in page
    assert "Revoked" in page
    assert f"/account/tokens/{token_id}/revoke" not in page
    assert signed_in.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_nobody_revokes_someone_elses_token(app, staff, token):
    other = app.test_client()
    staff.signed_in(other, "admin", branch=None)

    assert other.post("/account/tokens/1/revoke").status_code == 404
    assert other.post("/account/tokens/999/revoke").status_code == 404
    assert "st_" not in other.get("/account/tokens").get_data(as_text=True)
    assert other.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_a_token_name_that_is_too_long_is_refused(signed_in):
    page = signed_in.post("/account/tokens", data={"name": "x" * 81})

    assert NEW_TOKEN.search(page.get_data(as_text=True)) is None
    assert "No tokens yet." in signed_in.get("/account/tokens").get_data(as_text=True)


def test_the_tokens_page_shows_when_a_token_was_last_used(signed_in, token):
    assert "—" in signed_in.get("/account/tokens").get_data(as_text=True)

    signed_in.get("/api/v1/me", headers=bearer(token))

    assert "—" not in signed_in.get("/account/tokens").get_data(as_text=True)
