"""A deeply nested JSON body is a clear 400 on any URL, before CSRF, with one short log line.

Six hundred and sixty bytes of "[" used to exhaust Python's stack while the body was
parsed for the NUL check: a 500, before the CSRF check, and 100 KB of traceback in the log.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seeded_world import page_csrf, seed, table_snapshot

from storytime.security import MAX_JSON_DEPTH

DEEP = 660
BODIES = {
    "closed array": "[" * DEEP + "]" * DEEP,
    "unclosed array": "[" * DEEP,
    "unclosed, deeper than the stack": "[" * 5000,
    "closed object": '{"a":' * DEEP + "1" + "}" * DEEP,
    "in a share": '{"kind": "tip", "text": ' + "[" * DEEP + "]" * DEEP + "}",
}
URLS = {
    "api": "/api/v1/storytimes/{code}/shares",
    "page": "/j/{code}",
    "unknown": "/nowhere/at/all",
}


@pytest.fixture
def world(app):
    return seed(app)


def post_json(client, url: str, body: str, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(url, data=body, content_type="application/json", headers=headers, csrf=False)


def assert_too_deep(response, url: str) -> None:
    assert response.status_code == 400, (url, response.status_code)
    if url.startswith("/api/"):
        body = response.get_json()
        assert body["error"] == "bad_request"
        assert "nested too deeply" in body["message"]
    else:
        page = response.get_data(as_text=True)
        assert "nested too deeply" in page
        assert "<html" in page


@pytest.mark.parametrize("with_csrf", [True, False], ids=["with csrf", "without csrf"])
@pytest.mark.parametrize("where", sorted(URLS))
@pytest.mark.parametrize("shape", sorted(BODIES))
def test_a_deeply_nested_json_body_is_a_400_with_one_short_log_line(
    app, client, world, caplog, shape, where, with_csrf
):
    url = URLS[where].format(code=world.code)
    token = page_csrf(client.get(f"/j/{world.code}").get_data(as_text=True)) if with_csrf else None
    before = table_snapshot(app)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = post_json(client, url, BODIES[shape], token)
    assert_too_deep(response, url)
    assert table_snapshot(app) == before
    logged = [record for record in caplog.records if record.name != "werkzeug"]
    assert len(logged) <= 1, [record.getMessage() for record in logged]
    for record in logged:
        assert record.exc_info is None
        assert len(record.getMessage()) < 200


def test_a_bearer_api_call_with_a_deep_body_gets_the_same_400(app, client, world):
    response = client.post(
        "/api/v1/storytimes",
        data="[" * DEEP,
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['admin']}"},
    )
    assert_too_deep(response, "/api/v1/storytimes")


def test_brackets_inside_strings_do_not_count_as_nesting(app, client, world):
    token = page_csrf(client.get(f"/j/{world.code}").get_data(as_text=True))
    body = (
        '{"kind": "tip", "text": "'
        + "[{" * 100
        + '\\"'
        + "[" * 50
        + '", "on_screen": true, "client_id": "brackets1"}'
    )
    response = post_json(client, f"/api/v1/storytimes/{world.code}/shares", body, token)
    assert response.status_code == 201, response.get_json()


def nested(depth: int, openers: list[str], closed: bool) -> str:
    """Return a JSON text nesting arrays and objects `depth` deep, closed or cut off."""
    levels = [openers[level % len(openers)] for level in range(depth)]
    if not closed:
        return "".join(levels)
    closers = ["]" if opener.startswith("[") else "}" for opener in reversed(levels)]
    return "".join(levels) + "1" + "".join(closers)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    depth=st.integers(min_value=1, max_value=3000),
    openers=st.lists(st.sampled_from(["[", '{"k":', "[1,", '{"a": 1, "b":']), min_size=1),
    closed=st.booleans(),
    where=st.sampled_from(sorted(URLS)),
)
def test_no_nesting_depth_is_a_server_error(app, client, world, depth, openers, closed, where):
    url = URLS[where].format(code=world.code)
    token = client.csrf_token()
    response = post_json(client, url, nested(depth, openers, closed), token)
    assert response.status_code < 500
    if depth > MAX_JSON_DEPTH:
        assert_too_deep(response, url)
