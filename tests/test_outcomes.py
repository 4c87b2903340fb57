"""Outcomes: the follow-up weeks later, figures with small groups suppressed, branch scoping,
exports without phones or times, the purge, and seed-demo's year of check-ins."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from outcome_helpers import check_in, phone, stored

from storytime.admin.service import find_user
from storytime.extensions import db
from storytime.models import CheckIn, Storytime
from storytime.outcomes import service
from storytime.storytimes.service import delete_storytime

DAY0 = date(2026, 3, 2)
IMMEDIATE = ("learned", "confident", "will_use", "aware")
FOLLOW_UP = ("tried", "more_time", "other_resources", "understand")
TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}")


def kind_at(app, storytime_id: int, who: str, day: date) -> str:
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        return service.kind_for(storytime, phone(who), day)


# --- the follow-up ---


def test_a_follow_up_is_asked_from_the_configured_days_after_and_only_once(app):
    first, second, third, fourth = (make_storytime(app) for _ in range(4))
    assert check_in(app, first.id, "amira", {"learned": 4}, on=DAY0) == ("immediate", True)
    assert kind_at(app, second.id, "amira", DAY0 + timedelta(days=27)) == "immediate"
    assert kind_at(app, second.id, "amira", DAY0 + timedelta(days=28)) == "follow_up"
    assert check_in(app, second.id, "amira", {"tried": 5}, on=DAY0 + timedelta(days=28))[0] == (
        "follow_up"
    )
    # Answered once: the next storytime is an ordinary check-in again...
    assert kind_at(app, third.id, "amira", DAY0 + timedelta(days=90)) == "immediate"
    check_in(app, third.id, "amira", {"aware": 5}, on=DAY0 + timedelta(days=40))
    # ...until that one is old enough in turn.
    assert kind_at(app, fourth.id, "amira", DAY0 + timedelta(days=67)) == "immediate"
    assert kind_at(app, fourth.id, "amira", DAY0 + timedelta(days=68)) == "follow_up"


def test_the_follow_up_days_come_from_the_config(app):
    app.config["FOLLOW_UP_AFTER_DAYS"] = 7
    first, second = make_storytime(app), make_storytime(app)
    check_in(app, first.id, "sam", {"learned": 4}, on=DAY0)
    assert kind_at(app, second.id, "sam", DAY0 + timedelta(days=6)) == "immediate"
    assert kind_at(app, second.id, "sam", DAY0 + timedelta(days=7)) == "follow_up"


def test_a_follow_up_is_asked_at_the_same_branch_only(app):
    east = make_storytime(app, "east")
    central = make_storytime(app, "central")
    check_in(app, east.id, "mei", {"learned": 4}, on=DAY0)
    assert kind_at(app, central.id, "mei", DAY0 + timedelta(days=60)) == "immediate"


def test_a_phone_keeps_the_kind_it_was_asked_at_a_storytime(app):
    first, second = make_storytime(app), make_storytime(app)
    check_in(app, first.id, "omar", {"learned": 4}, on=DAY0)
    check_in(app, second.id, "omar", {"tried": 4}, on=DAY0 + timedelta(days=30))
    # Its replacement is still the follow-up, whatever the day.
    kind, _stored = check_in(
        app,
        second.id,
        "omar",
        {"understand": 2},
        on=DAY0 + timedelta(days=31),
        client_id="again-0001",
    )
    assert kind == "follow_up"
    assert [c.answers() for c in stored(app) if c.storytime_id == second.id] == [{"understand": 2}]


def test_through_http_a_phone_due_a_follow_up_is_asked_the_four_follow_up_statements(app):
    client = app.test_client()
    first, second = make_storytime(app), make_storytime(app)
    client.get(f"/j/{first.code}")  # the phone gets its cookie
    cookie = client.get_cookie("st_phone").value
    with app.app_context():
        from storytime.share.service import phone_hash

        storytime = db.session.get(Storytime, first.id)
        service.check_in(
            storytime,
            phone_hash(cookie),
            client_id="weeks-ago-01",
            answers={"learned": 5},
            today=service.local_today() - timedelta(days=28),
        )
    url = f"/api/v1/storytimes/{second.code}/checkin"
    data = client.get(url).get_json()
    assert data["kind"] == "follow_up"
    assert [s["id"] for s in data["statements"]] == list(FOLLOW_UP)
    refused = client.post(url, json={"client_id": "now-0000001", "answers": {"learned": 5}})
    assert refused.status_code == 422 and refused.get_json()["field"] == "answers.learned"
    saved = client.post(url, json={"client_id": "now-0000001", "answers": {"tried": 4}})
    assert saved.status_code == 201 and saved.get_json()["kind"] == "follow_up"


# --- figures ---


def fill(app, storytime_id: int, answers: list[int], *, prefix: str, on: date = DAY0, **extra):
    for i, value in enumerate(answers):
        check_in(app, storytime_id, f"{prefix}{i}", {"learned": value, **extra}, on=on)


@pytest.fixture
def figures_world(app, staff):
    """Central: five check-ins (enough); east: four (suppressed)."""
    central = make_storytime(app, "central", audience="babies")
    east = make_storytime(app, "east", audience="toddlers")
    fill(app, central.id, [5, 4, 4, 2, 1], prefix="c")
    fill(app, east.id, [5, 5, 5, 5], prefix="e")
    return central, east


def test_figures_count_in_sql_and_suppress_small_groups(app, client, staff, figures_world):
    staff.signed_in(client, "coordinator", None)
    data = client.get("/api/v1/outcomes?by=branch").get_json()
    assert data["min_group"] == 5 and data["suppressed"] == 1
    [group] = data["groups"]
    assert group["key"] == "central" and group["responses"] == 5
    learned = group["statements"]["learned"]
    assert learned == {"n": 5, "agree": 0.6, "mean": 3.2, "counts": [1, 1, 0, 2, 1]}
    assert group["statements"]["aware"] == {"n": 0, "agree": None, "mean": None, "counts": [0] * 5}
    assert set(group["statements"]) == set(IMMEDIATE)


def test_the_smallest_group_shown_comes_from_the_config(app, client, staff, figures_world):
    app.config["OUTCOMES_MIN_GROUP"] = 4
    staff.signed_in(client, "coordinator", None)
    data = client.get("/api/v1/outcomes").get_json()
    assert data["min_group"] == 4 and data["suppressed"] == 0
    assert [g["key"] for g in data["groups"]] == ["central", "east"]


def test_groupings_by_month_audience_and_storytime(app, client, staff, figures_world):
    central, _east = figures_world
    app.config["OUTCOMES_MIN_GROUP"] = 1
    staff.signed_in(client, "admin", None)
    by_month = client.get("/api/v1/outcomes?by=month").get_json()
    assert [(g["key"], g["responses"]) for g in by_month["groups"]] == [("2026-03", 9)]
    by_audience = client.get("/api/v1/outcomes?by=audience").get_json()
    assert [g["key"] for g in by_audience["groups"]] == ["babies", "toddlers"]
    by_storytime = client.get("/api/v1/outcomes?by=storytime&branch=central").get_json()
    assert [g["key"] for g in by_storytime["groups"]] == [central.id]


def test_filters_narrow_by_dates_audience_and_kind(app, client, staff, figures_world):
    app.config["OUTCOMES_MIN_GROUP"] = 1
    staff.signed_in(client, "coordinator", None)
    fetch = lambda q: client.get(f"/api/v1/outcomes?{q}").get_json()["groups"]  # noqa: E731
    assert fetch("from=2026-03-03") == []
    assert sum(g["responses"] for g in fetch("from=2026-03-02&to=2026-03-02")) == 9
    assert [g["key"] for g in fetch("audience=toddlers")] == ["east"]
    assert fetch("kind=follow_up") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("by=week", "by"),
        ("kind=later", "kind"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("audience=dogs", "audience"),
        ("branch=nowhere", "branch"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(client, staff, query, field):
    staff.signed_in(client, "coordinator", None)
    for path in ("/api/v1/outcomes", "/api/v1/outcomes/export.csv", "/api/v1/outcomes/export.json"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, (path, query)
        assert response.get_json()["field"] == field


def test_librarians_read_their_own_branch_only(app, client, staff, figures_world):
    app.config["OUTCOMES_MIN_GROUP"] = 1
    staff.signed_in(client, "librarian", "east")
    data = client.get("/api/v1/outcomes").get_json()
    assert [g["key"] for g in data["groups"]] == ["east"]
    assert client.get("/api/v1/outcomes?branch=central").status_code == 403
    rows = client.get("/api/v1/outcomes/export.json").get_json()["checkins"]
    assert {r["branch"] for r in rows} == {"east"} and len(rows) == 4
    assert client.get("/api/v1/outcomes/export.csv?branch=central").status_code == 403
    page = client.get("/review/outcomes").get_data(as_text=True)
    assert "Central" not in page


def test_outcomes_are_for_staff_only(app, figures_world):
    anonymous = app.test_client()
    for path in ("/api/v1/outcomes", "/api/v1/outcomes/export.csv", "/api/v1/outcomes/export.json"):
        assert anonymous.get(path).status_code == 401
    assert anonymous.get("/review/outcomes").status_code in (302, 401)


# --- exports and privacy ---


def test_the_export_has_one_row_per_check_in_without_phone_or_time(app, client, staff):
    room = make_storytime(app, title="=Rhymes")
    check_in(app, room.id, "a", {"learned": 5}, comments={"liked": "=HYPERLINK(1)", "wish": "+1"})
    check_in(app, room.id, "b", {"aware": 2})
    staff.signed_in(client, "coordinator", None)
    response = client.get("/api/v1/outcomes/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert list(rows[0]) == [
        "date",
        "branch",
        "storytime_id",
        "storytime_title",
        "audience",
        "kind",
        *IMMEDIATE,
        *FOLLOW_UP,
        "liked",
        "wish",
    ]
    assert len(rows) == 2
    first = next(r for r in rows if r["learned"] == "5")
    assert first["storytime_title"] == "'=Rhymes"
    assert first["liked"] == "'=HYPERLINK(1)" and first["wish"] == "'+1"
    assert first["aware"] == "" and first["date"] == service_today(app)
    as_json = client.get("/api/v1/outcomes/export.json").get_json()
    assert as_json["count"] == 2 and len(as_json["checkins"]) == 2
    for body in (text, client.get("/api/v1/outcomes/export.json").get_data(as_text=True)):
        assert not TIME_OF_DAY.search(body)
        for c in stored(app):
            assert c.phone not in body and c.client_id not in body


def service_today(app) -> str:
    with app.app_context():
        return service.local_today().isoformat()


def test_no_staff_view_or_phone_page_carries_a_phone_hash_or_a_check_in_time(app, client, staff):
    room = make_storytime(app)
    fill(app, room.id, [5, 4, 4, 3, 2, 5], prefix="p", on=service_today_date(app))
    check_in(app, room.id, "words", {"aware": 4}, comments={"liked": "Songs", "wish": "More"})
    staff.signed_in(client, "admin", None)
    hashes = [c.phone for c in stored(app)]
    urls = [
        "/review/outcomes",
        "/review/outcomes?by=series",
        "/review/outcomes?by=quarter",
        "/review/outcomes?by=audience",
        "/review/outcomes/comments",
        "/review/outcomes/report",
        "/api/v1/outcomes?by=storytime",
        "/api/v1/outcomes?by=month",
        "/api/v1/outcomes/export.csv",
        "/api/v1/outcomes/export.json",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert not any(h in body for h in hashes), url
        if url.startswith("/api/"):
            assert not TIME_OF_DAY.search(body), url
    phone_page = app.test_client().get(f"/j/{room.code}/checkin").get_data(as_text=True)
    assert not any(h in phone_page for h in hashes)


def service_today_date(app) -> date:
    with app.app_context():
        return service.local_today()


# --- purge and delete ---


def test_purge_empties_comments_and_unlinks_phones_but_keeps_the_numbers(
    app, runner, client, staff
):
    room = make_storytime(app)
    old = date.today() - timedelta(days=100)
    fill(app, room.id, [5, 4, 4, 3, 2], prefix="old", on=old, aware=4)
    check_in(app, room.id, "old-words", {"learned": 5}, on=old, comments={"liked": "Bubbles"})
    check_in(app, room.id, "new", {"learned": 1}, comments={"liked": "Puppets"})
    staff.signed_in(client, "coordinator", None)
    before = client.get("/api/v1/outcomes").get_json()
    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0 and "6 check-in(s)" in result.output
    after = {c.liked: c for c in stored(app)}
    assert set(after) == {"", "Puppets"}
    purged = [c for c in stored(app) if c.purged_on is not None]
    assert len(purged) == 6 and all(c.phone != phone("old0") for c in purged)
    assert {c.learned for c in purged} == {5, 4, 3, 2}
    assert client.get("/api/v1/outcomes").get_json() == before
    words = client.get("/review/outcomes/comments").get_data(as_text=True)
    assert "Puppets" in words and "Bubbles" not in words
    again = runner.invoke(args=["purge", "--older-than", "90d"])
    assert "check-in" not in again.output


def test_deleting_a_storytime_deletes_its_check_ins(app):
    room = make_storytime(app, state="closed")
    other = make_storytime(app)
    check_in(app, other.id, "stay", {"learned": 3})
    with app.app_context():
        db.session.add(CheckIn(storytime_id=room.id, phone=phone("x"), client_id="abcdefgh",
                               kind="immediate", answered_on=DAY0, learned=4))  # fmt: skip
        db.session.commit()
        delete_storytime(db.session.get(Storytime, room.id))
    assert [c.storytime_id for c in stored(app)] == [other.id]


# --- seed-demo ---


def test_seed_demo_fills_check_ins_and_follow_ups_the_review_page_shows(app, runner, client, staff):
    result = runner.invoke(args=["seed-demo", "--weeks", "12", "--seed", "5"])
    assert result.exit_code == 0 and "check-ins" in result.output
    kinds = {c.kind for c in stored(app)}
    assert kinds == {"immediate", "follow_up"}
    staff.signed_in(client, "coordinator", None)
    data = client.get("/api/v1/outcomes?by=branch").get_json()
    assert {g["key"] for g in data["groups"]} == {"central", "riverside", "northgate"}
    assert client.get("/api/v1/outcomes?kind=follow_up").get_json()["groups"]
    page = client.get("/review/outcomes").get_data(as_text=True)
    assert 'id="chart-immediate-title"' in page and 'id="chart-follow_up-title"' in page


# --- words leave the disk ---


def files_holding(app, text: str) -> list[str]:
    """Return the instance folder's files whose raw bytes contain `text`."""
    folder = Path(app.instance_path)
    return sorted(
        p.name for p in folder.iterdir() if p.is_file() and text.encode() in p.read_bytes()
    )


@pytest.mark.parametrize("how", ["replaced", "purged", "storytime deleted"])
def test_check_in_words_that_go_leave_no_trace_in_any_file(app, runner, how):
    if not app.config["IS_SQLITE"]:
        pytest.skip("reads the SQLite files themselves")
    room = make_storytime(app, state="open")
    words = f"Call me at home {secrets.token_hex(8)}"
    on = date.today() - timedelta(days=100) if how == "purged" else None
    check_in(app, room.id, "w", {"learned": 4}, on=on, comments={"wish": words})
    assert files_holding(app, words)
    if how == "replaced":
        check_in(app, room.id, "w", {"learned": 5}, client_id="replacement-01")
    elif how == "purged":
        assert runner.invoke(args=["purge", "--older-than", "90d"]).exit_code == 0
    else:
        set_state_closed(app, room.id)
        with app.app_context():
            delete_storytime(db.session.get(Storytime, room.id))
    assert files_holding(app, words) == []


def set_state_closed(app, storytime_id: int) -> None:
    with app.app_context():
        db.session.execute(
            db.update(Storytime).where(Storytime.id == storytime_id).values(state="closed")
        )
        db.session.commit()


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(answers=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=12))
def test_figures_match_the_answers_for_any_mix(app, staff, answers):
    app.config["OUTCOMES_MIN_GROUP"] = 1
    room = make_storytime(app)
    for i, value in enumerate(answers):
        check_in(app, room.id, f"h{room.id}-{i}", {"learned": value, "aware": 3})
    client = app.test_client()
    staff.login(client, staff_email(app, staff))
    data = client.get("/api/v1/outcomes?by=storytime").get_json()
    [group] = [g for g in data["groups"] if g["key"] == room.id]
    chosen = [v for v in answers if v is not None]
    figures = group["statements"]["learned"]
    assert group["responses"] == len(answers)
    assert figures["counts"] == [chosen.count(v) for v in range(1, 6)]
    assert figures["n"] == len(chosen)
    if chosen:
        assert figures["agree"] == round(sum(v >= 4 for v in chosen) / len(chosen), 4)
        assert figures["mean"] == round(sum(chosen) / len(chosen), 2)
    else:
        assert figures["agree"] is None and figures["mean"] is None


def staff_email(app, staff) -> str:
    email = "coordinator@all.example.org"
    with app.app_context():
        if find_user(email) is None:
            staff.user("coordinator", email, None)
    return email
