"""Privacy: nothing about the phone's owner is stored; old personal text can be purged;
a deleted share is gone from the database, not hidden."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from seeded_world import Phone, seed, share_rows, sign_in, table_snapshot
from sqlalchemy import text as sql

from storytime.extensions import db
from storytime.models import Event, Share, SongbookEntry, Storytime, now_utc

AGENT = "DistinctiveAgent/9.9 (Trust test; Android 14)"
FORWARDED = "203.0.113.77"
ADDRESS = "198.51.100.66"


@pytest.fixture
def world(app):
    return seed(app)


def everything_stored(app) -> str:
    """Every value in every table, as one string to search."""
    return repr(table_snapshot(app))


def database_bytes(app) -> bytes:
    """The SQLite file (after a checkpoint), to prove text is gone from disk too."""
    with app.app_context():
        db.session.execute(sql("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
        path = db.engine.url.database
    with open(path, "rb") as handle:
        return handle.read()


def sqlite_only(app) -> None:
    if not app.config["IS_SQLITE"]:
        pytest.skip("reads the SQLite file itself")


def test_no_address_or_user_agent_is_stored_with_a_share(app, world):
    phone = Phone(app, world.code, address=ADDRESS)
    response = phone.share(
        "We read Goodnight Moon",
        headers={"User-Agent": AGENT, "X-Forwarded-For": FORWARDED},
        name="Zoë",
    )
    assert response.status_code == 201
    stored = everything_stored(app)
    assert "We read Goodnight Moon" in stored  # the search does see the share
    for secret in (AGENT, "DistinctiveAgent", FORWARDED, ADDRESS):
        assert secret not in stored, secret
    # The phone is kept only as a hash of its random cookie, never the cookie itself.
    cookie = phone.client.get_cookie("st_phone").value
    assert cookie not in stored
    if app.config["IS_SQLITE"]:
        on_disk = database_bytes(app)
        assert b"We read Goodnight Moon" in on_disk
        for secret in (AGENT, FORWARDED, ADDRESS):
            assert secret.encode() not in on_disk, secret
    row = share_rows(app)[-1]
    assert set(Share.__table__.columns.keys()) >= {"phone", "text", "name"}
    assert row.phone and row.phone != cookie and len(row.phone) == 64


def test_a_caregiver_delete_removes_the_text_from_the_database(app, world):
    sqlite_only(app)
    phone = Phone(app, world.code)
    secret = "Our address is 12 Willow Lane"
    created = phone.share(secret, kind="question", on_screen=False).get_json()
    response = phone.client.delete(
        f"/api/v1/storytimes/{world.code}/shares/{created['id']}",
        headers={"X-CSRFToken": phone.token},
        csrf=False,
    )
    assert response.status_code == 204
    with app.app_context():
        assert db.session.get(Share, created["id"]) is None
        events = list(db.session.execute(db.select(Event)).scalars())
        assert {"type", "share_id", "public"} <= set(Event.__table__.columns.keys())
        assert not {"text", "name", "body"} & set(Event.__table__.columns.keys())
        assert any(e.type == "share.deleted" and e.share_id == created["id"] for e in events)
    assert secret not in everything_stored(app)
    assert secret.encode() not in database_bytes(app)


def test_a_librarian_delete_removes_the_text_from_the_database(app, world):
    sqlite_only(app)
    phone = Phone(app, world.code)
    secret = "Call me on 555-0199 about the twins"
    created = phone.share(secret, kind="tip").get_json()
    response = app.test_client().delete(
        f"/api/v1/shares/{created['id']}",
        headers={"Authorization": f"Bearer {world.tokens['librarian']}"},
    )
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    assert secret not in everything_stored(app)
    assert secret.encode() not in database_bytes(app)


def backdate(app, days: int) -> None:
    """Make every share so far `days` old."""
    with app.app_context():
        db.session.execute(db.update(Share).values(created_at=now_utc() - timedelta(days=days)))
        db.session.commit()


def star(app, share_id: int) -> None:
    with app.app_context():
        db.session.execute(db.update(Share).where(Share.id == share_id).values(starred=True))
        db.session.commit()


@pytest.fixture
def aged(app, world):
    """Old shares of every sort from two phones, then a recent one."""
    first, second = Phone(app, world.code), Phone(app, world.code)
    made = {
        "hello": first.share("Hi, I'm Sam, mum of Leo (8 months)", kind="hello", name="Sam"),
        "private": first.share("Leo has a rash, who do I ask?", kind="question", on_screen=False),
        "tip": second.share("Sing while you change nappies", kind="tip", name="Ana"),
        "starred": second.share("Library cards are free for babies", kind="tip"),
        "song": second.share("Wheels on the bus", kind="song", name="Ana"),
        "idea": first.share("A Saturday session please", kind="idea"),
    }
    ids = {key: response.get_json()["id"] for key, response in made.items()}
    star(app, ids["starred"])
    backdate(app, 100)
    ids["recent"] = second.share("Bring a blanket", kind="tip", name="Ana").get_json()["id"]
    return ids


def by_id(app) -> dict[int, Share]:
    return {share.id: share for share in share_rows(app)}


def test_purge_removes_names_and_personal_text_and_keeps_kinds_and_counts(app, world, aged, runner):
    before = by_id(app)
    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    after = by_id(app)
    old = [i for i in before if before[i].created_at < now_utc() - timedelta(days=90)]
    assert result.output.startswith(f"Purged {len(old)} share(s)")
    assert "removed 4 name(s)" in result.output  # Maya's seeded song, Sam, Ana twice

    assert sorted((s.kind, s.storytime_id) for s in before.values()) == sorted(
        (s.kind, s.storytime_id) for s in after.values()
    ), "kinds and counts are kept"
    for share_id in old:
        assert after[share_id].name is None
        assert after[share_id].purged_at is not None
    assert after[aged["hello"]].text == ""
    assert after[aged["private"]].text == ""
    assert after[aged["tip"]].text == ""
    assert after[aged["idea"]].text == ""
    # What the library kept for the public: a starred on-screen tip, a song title.
    assert after[aged["starred"]].text == "Library cards are free for babies"
    assert after[aged["song"]].text == "Wheels on the bus"
    assert after[aged["song"]].song_entry_id == before[aged["song"]].song_entry_id
    # Recent shares are untouched.
    recent = after[aged["recent"]]
    assert (recent.text, recent.name, recent.purged_at) == ("Bring a blanket", "Ana", None)
    # Phones still count per storytime, but no longer link a family across storytimes.
    old_phones = {before[i].phone for i in old}
    assert len({after[i].phone for i in old}) == len(old_phones)
    assert not old_phones & {after[i].phone for i in old}
    for secret in ("Leo", "Sam", "nappies", "rash"):
        assert secret not in everything_stored(app), secret


def test_purge_is_safe_to_run_twice(app, aged, runner):
    assert runner.invoke(args=["purge", "--older-than", "90d"]).exit_code == 0
    snapshot = table_snapshot(app)
    second = runner.invoke(args=["purge", "--older-than", "90d"])
    assert second.exit_code == 0
    assert second.output.startswith("Purged 0 share(s)")
    assert table_snapshot(app) == snapshot


def test_purge_accepts_weeks_and_leaves_younger_shares(app, aged, runner):
    result = runner.invoke(args=["purge", "--older-than", "15w"])  # 105 days: nothing that old
    assert result.exit_code == 0
    assert result.output.startswith("Purged 0 share(s)")
    assert runner.invoke(args=["purge", "--older-than", "14w"]).output.startswith("Purged 7")


@pytest.mark.parametrize("age", ["90", "abc", "0d", "-3d", "90m", ""])
def test_purge_refuses_an_age_it_does_not_understand(app, aged, runner, age):
    snapshot = table_snapshot(app)
    result = runner.invoke(args=["purge", "--older-than", age])
    assert result.exit_code == 2
    assert "--older-than" in result.output
    assert table_snapshot(app) == snapshot


def test_the_purge_after_days_setting_purges_at_start(app, aged):
    from storytime.purge import start_schedule

    assert start_schedule(app) is None  # off by default: nothing is purged behind anyone's back
    app.config["PURGE_AFTER_DAYS"] = 90
    thread = start_schedule(app)
    try:
        assert thread.first_run.wait(30), "the first purge did not finish"
    finally:
        thread.stop.set()
        thread.join(30)
    after = by_id(app)
    assert after[aged["hello"]].purged_at is not None
    assert after[aged["recent"]].purged_at is None


# What a coordinator reads as numbers: table cells, "at a glance" figures, status lines
# ("3 questions"), headings with a count, and the charts' bar labels and descriptions.
FIGURES = re.compile(
    r'class="num">([^<]*)<|<dd>([^<]*)</dd>|role="status">([^<]*)<|\((\d+)\)</h2>'
    r'|class="value">([^<]*)<|<desc id="[^"]*">([^<]*)</desc>'
)
PURGE_WORDS = ("Leo", "Sam", "rash", "nappies", "puppet show", "granddad")


def figures(html: str) -> list[str]:
    return ["".join(groups).strip() for groups in FIGURES.findall(html)]


def export_rows(response) -> list[dict]:
    assert response.status_code == 200
    if response.mimetype == "application/json":
        return response.get_json()["shares"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def without_words(rows: list[dict]) -> list[dict]:
    """Rows minus what a purge may empty: the caregiver's name, text and the staff note."""
    return [{k: v for k, v in row.items() if k not in ("text", "name", "note")} for row in rows]


def counts_seen(app, client) -> dict[str, object]:
    """Every count a coordinator sees on the review pages, charts, songbook API and exports."""
    with app.app_context():
        storytimes = list(db.session.execute(db.select(Storytime.id)).scalars())
        entries = list(db.session.execute(db.select(SongbookEntry.id)).scalars())
    pages = [
        "/review/",
        "/review/questions",
        "/review/questions?open=1",
        "/review/tips",
        "/review/ideas",
        "/review/charts",
        "/review/songbook",
        *(f"/review/storytimes/{i}" for i in storytimes),
        *(f"/review/songbook/{i}" for i in entries),
    ]
    seen: dict[str, object] = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = figures(response.get_data(as_text=True))
    seen["/api/v1/songbook"] = client.get("/api/v1/songbook").get_json()
    exports = ["/review/export.csv", "/review/export.json", "/api/v1/exports/shares.json"]
    exports += [f"/review/storytimes/{i}/export.csv" for i in storytimes]
    for url in exports:
        seen[url] = without_words(export_rows(client.get(url)))
    return seen


def test_every_count_a_coordinator_sees_is_the_same_after_a_purge(app, world, runner):
    with app.app_context():
        east = db.session.get(Storytime, world.other_storytime_id).code
    first, second, third = Phone(app, world.code), Phone(app, world.code), Phone(app, east)
    made = [
        first.share("Hi, I'm Sam, mum of Leo (8 months)", kind="hello", name="Sam"),
        first.share("Leo has a rash, who do I ask?", kind="question", on_screen=False),
        second.share("Is there a Saturday session?", kind="question"),
        second.share("Sing while you change nappies", kind="tip", name="Ana"),
        second.share("Library cards are free for babies", kind="tip"),
        second.share("Wheels on the bus", kind="song", name="Ana"),
        first.share("wheels on the bus, granddad's way", kind="song", on_screen=False),
        first.share("A puppet show please", kind="idea"),
        third.share("Twinkle twinkle little star", kind="song"),
        third.share("Ask granddad about the bus", kind="tip", on_screen=False),
    ]
    assert all(response.status_code == 201 for response in made)
    ids = [response.get_json()["id"] for response in made]
    with app.app_context():
        db.session.execute(
            db.update(Share).where(Share.id.in_([ids[2], ids[4]])).values(starred=True)
        )
        db.session.execute(db.update(Share).where(Share.id == ids[2]).values(answered=True))
        db.session.execute(db.update(Share).values(created_at=now_utc() - timedelta(days=100)))
        db.session.commit()
    # Younger shares in the same storytimes, from the same phones: the purge leaves them.
    second.share("Bring a blanket", kind="tip", name="Ana")
    third.share("Baa baa black sheep", kind="song")
    with app.app_context():
        db.session.execute(db.update(Storytime).values(state="closed"))
        db.session.commit()
    coordinator = app.test_client()
    sign_in(coordinator, world.users["coordinator"])
    before = counts_seen(app, coordinator)
    assert before["/review/storytimes/1"], "the storytime page shows its counts"

    result = runner.invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Purged 11 share(s)")  # with the seeded song
    after = counts_seen(app, coordinator)
    for url in before:
        assert after[url] == before[url], url

    rows = {row["share_id"]: row for row in export_rows(coordinator.get("/review/export.json"))}
    # Every purged row stays, with no words in it: not even those the songbook keeps.
    for share_id in ids:
        assert (rows[share_id]["name"], rows[share_id]["text"], rows[share_id]["note"]) == (
            "",
            "",
            "",
        )
    page = coordinator.get("/review/storytimes/1").get_data(as_text=True)
    assert "Words removed by the purge" in page
    everything = "".join(
        coordinator.get(url).get_data(as_text=True)
        for url in (*before, "/review/search?q=bus", "/review/export.csv")
    )
    for word in PURGE_WORDS:
        assert word not in everything, word
