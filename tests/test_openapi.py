"""The OpenAPI document describes exactly the /api/v1 routes, and the API keeps to it."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from seeded_world import seed

API = "/api/v1"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# Bounded so the whole suite stays fast on two cores; raise locally for a deeper run.
EXAMPLES_PER_OPERATION = 25
# No 5xx, and every status, content type, header and body as documented. Not "positive data
# acceptance": some rules span fields (from <= to, a branch that exists), which a schema
# cannot say, so a schema-valid request may rightly get 422.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Endless here: test_api_contract.py checks its events, .ci/contract the rest.
STREAMS = {"liveStream"}


def documented(document) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method.upper() in METHODS
    }


def routed(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(API))
        found |= {(method, path) for method in rule.methods & METHODS}
    return found


def test_the_document_is_served_as_openapi_3_1_with_this_install_as_server(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://storytime.test/api/v1"}]
    assert document["components"]["schemas"]["Error"]["required"] == ["error", "message"]


def test_every_api_route_is_documented_and_every_documented_route_exists(app, client):
    document = client.get(f"{API}/openapi.json").get_json()
    in_app, in_document = routed(app), documented(document)
    assert in_app - in_document == set(), "routes missing from storytime/api/openapi/"
    assert in_document - in_app == set(), "documented routes that do not exist"
    assert len(in_app) >= 20


def test_every_operation_documents_its_errors_in_the_error_shape(client):
    document = client.get(f"{API}/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method.upper() not in METHODS:
                continue
            assert operation.get("operationId"), (method, path)
            statuses = operation["responses"]
            assert any(code.startswith("2") for code in statuses), (method, path)
            for code, response in statuses.items():
                if code.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)
            if method.upper() in {"POST", "PATCH", "DELETE", "PUT"}:
                assert "400" in statuses, f"{method} {path}: a missing CSRF token gives 400"


@pytest.fixture
def api_world(app):
    """An open storytime with a share, and an admin's token for the staff routes."""
    return seed(app)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, api_world):
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    # identity: the WSGI transport hands schemathesis the raw (otherwise compressed) body.
    bearer = {
        "Authorization": f"Bearer {api_world.tokens['admin']}",
        "Accept-Encoding": "identity",
    }
    real = {
        "storytime_id": api_world.storytime_id,
        "share_id": api_world.share_id,
        "code": api_world.code,
    }
    ran: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") in STREAMS:
            continue
        ran[f"{operation.method.upper()} {operation.path}"] = 0
        check_operation(operation, bearer, real, ran)
    total = sum(ran.values())
    print(f"schemathesis ran {total} cases over {len(ran)} operations: {ran}")
    assert len(ran) >= 16
    assert total >= len(ran) * 5


def check_operation(operation, bearer: dict, real: dict, ran: dict) -> None:
    """Run bounded generated cases of one operation; half of them with the seeded ids."""
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(), use_real_ids=st.booleans())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case, use_real_ids):
        ran[label] += 1
        if use_real_ids and case.path_parameters:
            for name in case.path_parameters:
                if name in real:
                    case.path_parameters[name] = real[name]
        case.call_and_validate(headers=bearer, checks=CHECKS)

    check()
