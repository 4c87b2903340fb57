"""Nothing staff see is kept by a cache: every staff response carries Cache-Control: no-store.

Walks the app's url_map with the authorisation table: every staff-only GET route, as a
signed-in admin, anonymously (the sign-in redirect or the 401), with a bearer token,
and a signed-in librarian's refusals and errors. Public things keep their own caching.
"""

from __future__ import annotations

import re

import pytest
from seeded_world import build_url, page_csrf, seed, sign_in
from test_authorisation import TABLE

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+\?v=[^"]+)"')


@pytest.fixture
def world(app):
    return seed(app)


def directives(response) -> set[str]:
    header = response.headers.get("Cache-Control", "")
    return {part.strip() for part in header.split(",") if part.strip()}


def get(client, url: str, **kwargs):
    """GET without reading a stream to its end (the live stream never ends by itself)."""
    response = client.get(url, buffered=False, **kwargs)
    response.close()
    return response


def staff_get_rules(app, *, api: bool | None = None) -> list:
    """Return one url_map rule for every staff-only GET endpoint.

    Staff-only: the authorisation table refuses an anonymous visitor, or (for a route
    not in the table yet) the view is marked by `staff_required`.
    """
    rules = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in rules:
            continue
        marked = hasattr(app.view_functions[rule.endpoint], "staff_roles")
        anonymous = TABLE.get((rule.endpoint, "GET"), ("login" if marked else 200,))[0]
        if anonymous not in ("login", 401):
            continue
        if api is not None and rule.rule.startswith("/api/") != api:
            continue
        rules[rule.endpoint] = rule
    return [rules[endpoint] for endpoint in sorted(rules)]


def test_the_walk_covers_the_staff_pages_named_in_the_report(app):
    endpoints = {rule.endpoint for rule in staff_get_rules(app)}
    named = {
        "storytimes.index",
        "storytimes.detail",
        "review.index",
        "review.storytime",
        "review.export_range",
        "admin.staff",
        "admin.settings_page",
        "auth.tokens",
        "live.dashboard",
        "api.me",
        "api.list_storytimes",
        "api.shares_export_json",
    }
    assert named <= endpoints, named - endpoints


def test_every_staff_get_route_is_no_store_for_signed_in_staff(app, client, world):
    sign_in(client, world.users["admin"])
    for rule in staff_get_rules(app):
        url = build_url(rule, world)
        response = get(client, url)
        assert response.status_code < 500, (url, response.status_code)
        assert "no-store" in directives(response), (url, response.headers.get("Cache-Control"))


def test_every_staff_get_route_is_no_store_for_a_bearer_token(app, client, world):
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    for rule in staff_get_rules(app, api=True):
        url = build_url(rule, world)
        response = get(client, url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        assert "no-store" in directives(response), (url, response.headers.get("Cache-Control"))
    revoked = get(client, "/api/v1/me", headers={"Authorization": "Bearer st_not-a-token"})
    assert revoked.status_code == 401
    assert "no-store" in directives(revoked)


def test_staff_routes_send_no_store_with_their_sign_in_redirect_and_401(app, client, world):
    for rule in staff_get_rules(app):
        url = build_url(rule, world)
        response = get(client, url)
        assert response.status_code in (302, 401), (url, response.status_code)
        assert "no-store" in directives(response), (url, response.headers.get("Cache-Control"))


def test_refusals_redirects_and_errors_for_signed_in_staff_are_no_store(app, client, world):
    sign_in(client, world.users["other_librarian"])  # another branch's librarian
    answers = {
        f"/storytimes/{world.storytime_id}": 403,
        "/admin/staff": 403,
        f"/api/v1/storytimes/{world.storytime_id}": 403,
        "/no/such/page": 404,
        "/api/v1/no/such/thing": 404,
        "/login": 302,  # already signed in: on to the storytimes
        "/": 200,
        "/privacy": 200,
    }
    for url, status in answers.items():
        response = get(client, url)
        assert response.status_code == status, (url, response.status_code)
        assert "no-store" in directives(response), (url, response.headers.get("Cache-Control"))


def test_the_page_that_shows_a_new_api_token_is_no_store(app, client, world):
    sign_in(client, world.users["librarian"])
    token = page_csrf(client.get("/account/tokens").get_data(as_text=True))
    response = client.post("/account/tokens", data={"name": "Sign-up sheet", "csrf_token": token})
    assert response.status_code == 200
    assert "st_" in response.get_data(as_text=True)
    assert "no-store" in directives(response)


def test_the_display_is_live_so_none_of_it_is_stored(app, client, world):
    headers = {"X-Display-Token": world.display_token}
    page = get(client, f"/display/{world.display_token}")
    feed = get(client, f"/api/v1/storytimes/{world.storytime_id}/events", headers=headers)
    app.config["STREAM_MAX_SECONDS"] = 0
    stream = get(client, f"/api/v1/storytimes/{world.storytime_id}/stream", headers=headers)
    for response in (page, feed, stream):
        assert response.status_code == 200, response.request.path
        assert "no-store" in directives(response), response.request.path
    assert "no-transform" in directives(stream)  # proxies must not buffer it


def test_a_phone_list_of_its_own_shares_is_no_store(app, client, world):
    client.set_cookie("st_phone", world.phone_cookie)
    response = client.get(f"/api/v1/storytimes/{world.code}/shares/mine")
    assert response.get_json()["shares"], "the phone's share is listed"
    assert "no-store" in directives(response)


def test_shared_files_keep_their_caching_for_staff_too(app, client, world):
    sign_in(client, world.users["admin"])
    page = client.get("/storytimes").get_data(as_text=True)
    for url in ASSET.findall(page):
        with client.get(url) as response:
            assert {"public", "max-age=31536000", "immutable"} <= directives(response), url
    spec = client.get("/api/v1/openapi.json")
    assert directives(spec) == {"public", "max-age=300"}
    assert "Pragma" not in spec.headers


def test_public_pages_for_visitors_are_not_forced_to_no_store(app, client, world):
    for url in ("/", "/privacy", f"/j/{world.closed_code}/recap"):
        response = client.get(url)
        assert "Pragma" not in response.headers, url
