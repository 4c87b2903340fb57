"""A JSON body that is not one object is a clear 400 on every URL, and changes nothing.

A form page handed a JSON list used to fail inside Flask-WTF (which reads a JSON body as
form data) with a 500; the API already answered 400 for the same mistake.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seeded_world import page_csrf, seed, table_snapshot

NOT_OBJECTS = {
    "list": "[1, 2]",
    "string": '"hello"',
    "number": "3",
    "null": "null",
    "invalid": "{kind: tip}",
}
URLS = {
    "join page": "/j/{code}",
    "phone api": "/api/v1/storytimes/{code}/shares",
    "login page": "/login",
    "unknown": "/nowhere/at/all",
}


@pytest.fixture
def world(app):
    return seed(app)


def post_json(client, url: str, body: str, token: str):
    return client.post(
        url, data=body, content_type="application/json", headers={"X-CSRFToken": token}
    )


@pytest.mark.parametrize("body", NOT_OBJECTS.values(), ids=NOT_OBJECTS.keys())
@pytest.mark.parametrize("url", URLS.values(), ids=URLS.keys())
def test_a_json_body_that_is_not_an_object_is_a_400_that_changes_nothing(
    app, client, world, url, body
):
    token = page_csrf(client.get(f"/j/{world.code}", follow_redirects=True).get_data(True))
    before = table_snapshot(app)

    response = post_json(client, url.format(code=world.code), body, token)

    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.get_json()["error"] == "bad_request"
    assert table_snapshot(app) == before


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )
)
def test_no_json_value_posted_to_the_join_page_is_a_server_error(app, client, world, body):
    token = page_csrf(client.get(f"/j/{world.code}", follow_redirects=True).get_data(True))

    response = post_json(client, f"/j/{world.code}", json.dumps(body), token)

    assert response.status_code < 500
