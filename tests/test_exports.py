"""CSV and JSON exports: spreadsheet-safe CSV, JSON that matches the database, scoping, errors."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from factories import make_storytime
from review_data import add_share

from storytime.auth.tokens import create_token
from storytime.extensions import db
from storytime.models import Share, Storytime, User

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+2", "-3+4", "@SUM(A1:A9)"]


def _token(app, email):
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        return create_token(user)


def _parse_csv(response):
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def storytime(app):
    st = make_storytime(app, title="Toddler Tales", theme="Weather").id
    add_share(app, st, "tip", 'Line one\nline two, with a comma and "quotes"', name="Amira")
    for text in FORMULAS:
        add_share(app, st, "idea", text)
    add_share(
        app, st, "question", "Where are the bilingual books?", allow_screen=False, note="=1+1"
    )
    add_share(app, st, "hello", "¡Hola! Somos Lucía y su abuela 👋", name="Lucía")
    return st


def test_storytime_csv_opens_in_a_spreadsheet_with_formulas_neutralised(
    app, client, staff, storytime
):
    staff.signed_in(client)
    response = client.get(f"/review/storytimes/{storytime}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="storytime-' in response.headers["Content-Disposition"]
    rows = _parse_csv(response)
    assert len(rows) == 7
    assert rows[0]["text"] == 'Line one\nline two, with a comma and "quotes"'
    assert rows[0]["name"] == "Amira"
    ideas = [row["text"] for row in rows if row["kind"] == "idea"]
    assert ideas == ["'" + text for text in FORMULAS]
    question = next(row for row in rows if row["kind"] == "question")
    assert question["note"] == "'=1+1"
    assert question["staff_only"] == "true"
    assert rows[-1]["text"] == "¡Hola! Somos Lucía y su abuela 👋"
    assert "phone" not in rows[0]


def test_storytime_json_matches_the_database(app, client, staff, storytime):
    staff.signed_in(client)
    body = client.get(f"/review/storytimes/{storytime}/export.json").get_json()
    with app.app_context():
        st = db.session.get(Storytime, storytime)
        shares = db.session.execute(
            db.select(Share).where(Share.storytime_id == storytime).order_by(Share.id)
        ).scalars()
        expected = [
            (s.id, s.kind, s.text, s.name, not s.allow_screen, s.note, s.created_at) for s in shares
        ]
        assert body["storytime"]["title"] == st.title == "Toddler Tales"
        assert body["storytime"]["branch"] == "central"
    got = [
        (
            r["share_id"],
            r["kind"],
            r["text"],
            r["name"],
            r["staff_only"],
            r["note"],
            datetime.fromisoformat(r["created_at"]),
        )
        for r in body["shares"]
    ]
    assert got == expected  # JSON keeps text as typed: no formula prefix there


def test_range_exports_filter_by_branch_and_dates(app, client, staff):
    staff.signed_in(client, "coordinator", branch=None)
    march = make_storytime(app, "central", starts_at=datetime(2025, 3, 4, 10, tzinfo=UTC)).id
    april = make_storytime(app, "central", starts_at=datetime(2025, 4, 8, 10, tzinfo=UTC)).id
    river = make_storytime(app, "riverside", starts_at=datetime(2025, 3, 5, 10, tzinfo=UTC)).id
    for st, text in ((march, "march tip"), (april, "april tip"), (river, "river tip")):
        add_share(app, st, "tip", text)

    def texts(query):
        response = client.get(f"/api/v1/exports/shares.json{query}")
        assert response.status_code == 200, response.get_json()
        return [row["text"] for row in response.get_json()["shares"]]

    assert texts("") == ["march tip", "river tip", "april tip"]
    assert texts("?branch=central") == ["march tip", "april tip"]
    assert texts("?from=2025-04-01") == ["april tip"]
    assert texts("?to=2025-03-31&branch=riverside") == ["river tip"]
    csv_rows = _parse_csv(client.get("/api/v1/exports/shares.csv?from=2025-03-01&to=2025-03-31"))
    assert [r["text"] for r in csv_rows] == ["march tip", "river tip"]
    page = client.get("/review/export.csv?branch=riverside")
    assert [r["text"] for r in _parse_csv(page)] == ["river tip"]


@pytest.mark.parametrize(
    "query",
    ["?from=yesterday", "?to=2025-13-01", "?from=2025-05-01&to=2025-04-01", "?branch=nowhere"],
)
@pytest.mark.parametrize("ext", ["csv", "json"])
def test_bad_range_filters_get_a_422_json_error(app, client, staff, query, ext):
    staff.user("coordinator", "coord@example.org", branch=None)
    token = _token(app, "coord@example.org")
    response = client.get(
        f"/api/v1/exports/shares.{ext}{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid"
    assert response.get_json()["message"]


def test_bearer_tokens_export_and_librarians_are_kept_to_their_branch(app, client, staff):
    staff.user("librarian", "lib@central.example.org", "central")
    mine = make_storytime(app, "central").id
    theirs = make_storytime(app, "riverside").id
    add_share(app, mine, "tip", "ours")
    add_share(app, theirs, "tip", "theirs")
    headers = {"Authorization": f"Bearer {_token(app, 'lib@central.example.org')}"}
    assert client.get(f"/api/v1/storytimes/{mine}/export.json", headers=headers).status_code == 200
    csv_response = client.get(f"/api/v1/storytimes/{mine}/export.csv", headers=headers)
    assert [r["text"] for r in _parse_csv(csv_response)] == ["ours"]
    assert (
        client.get(f"/api/v1/storytimes/{theirs}/export.json", headers=headers).status_code == 403
    )
    assert client.get(f"/api/v1/storytimes/{theirs}/export.csv", headers=headers).status_code == 403
    assert client.get("/api/v1/storytimes/999/export.json", headers=headers).status_code == 404
    everything = client.get("/api/v1/exports/shares.json", headers=headers).get_json()
    assert [r["text"] for r in everything["shares"]] == ["ours"]
    other = client.get("/api/v1/exports/shares.json?branch=riverside", headers=headers)
    assert other.status_code == 403
    assert client.get("/api/v1/exports/shares.json").status_code == 401
