"""Songbook privacy: a staff-only song's words never reach anyone outside its storytime's
staff, and a song that is deleted, edited or purged takes its words out of the songbook.

Two branches: central (A) and east (B). What A's caregivers share for staff only may be
counted in the community songbook, but its words must not show on B's public recap, the
songbook page, the songbook API, song pages, charts, or anyone's exports' song titles.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from seeded_world import Phone, seed, sign_in

from storytime.extensions import db
from storytime.models import PlannedSong, Share, SongAlias, SongbookEntry, Storytime, now_utc
from storytime.songbook.grouping import display_title, song_key

PRIVATE = "plus something private"


@pytest.fixture
def world(app):
    return seed(app)


def open_room(app, branch: str) -> tuple[int, str]:
    """Open a storytime at a branch; return its id and join code."""
    storytime = make_storytime(app, branch)
    return storytime.id, storytime.code


def close_and_publish(app, *storytime_ids: int) -> None:
    """Close storytimes and publish their recaps (what families then see on the join link)."""
    with app.app_context():
        for storytime_id in storytime_ids:
            storytime = db.session.get(Storytime, storytime_id)
            storytime.state, storytime.recap_published = "closed", True
        db.session.commit()


def staff_client(app, world, who: str):
    client = app.test_client()
    sign_in(client, world.users[who])
    return client


def entry_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.execute(db.select(SongbookEntry.id)).scalars())


def export_song_titles(response) -> list[str]:
    """Return the `song` column of a CSV or JSON export."""
    assert response.status_code == 200, response.get_data(as_text=True)
    if response.mimetype == "application/json":
        return [row["song"] or "" for row in response.get_json()["shares"]]
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    return [row["song"] for row in rows]


def outside_views(app, world, recap_codes: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """What people see of songs beyond a storytime's own staff, by URL, in two parts.

    First what everyone shares: the public recaps, and the community-wide songbook, song
    pages and charts as east's librarian and as a coordinator, with the song titles of a
    coordinator's exports. Then east's librarian's own review pages and exports, which
    show east's staff-only shares to east's staff, but nothing of central's.
    """
    seen: dict[str, str] = {}
    visitor = app.test_client()
    for code in recap_codes:
        response = visitor.get(f"/j/{code}/recap")
        assert response.status_code == 200
        seen[f"visitor /j/{code}/recap"] = response.get_data(as_text=True)
    east = staff_client(app, world, "other_librarian")
    coordinator = staff_client(app, world, "coordinator")
    songbook_urls = ["/review/songbook", "/api/v1/songbook?per_page=500", "/review/charts"]
    songbook_urls += [f"/review/songbook/{i}" for i in entry_ids(app)]
    for name, client in (("east", east), ("coordinator", coordinator)):
        for url in songbook_urls:
            response = client.get(url)
            assert response.status_code == 200, (name, url)
            seen[f"{name} {url}"] = response.get_data(as_text=True)
    east_urls = [
        "/review/",
        "/review/export.csv",
        "/review/export.json",
        "/api/v1/exports/shares.csv",
        "/api/v1/exports/shares.json",
    ]
    with app.app_context():
        east_rooms = db.session.execute(
            db.select(Storytime.id).where(Storytime.branch_id == world.branch_ids["east"])
        ).scalars()
        east_urls += [f"/review/storytimes/{i}" for i in east_rooms]
    for url in ("/review/export.csv", "/api/v1/exports/shares.json"):
        seen[f"coordinator {url} (song column)"] = "\n".join(
            export_song_titles(coordinator.get(url))
        )
    east_own: dict[str, str] = {}
    for url in east_urls:
        response = east.get(url)
        assert response.status_code == 200, url
        east_own[f"east {url}"] = response.get_data(as_text=True)
    return seen, east_own


def leaks(seen: dict[str, str], words) -> list[tuple[str, str]]:
    """Return (where, word) for every forbidden word a view holds, case-insensitively."""
    return [
        (where, word)
        for word in words
        for where, text in seen.items()
        if word.casefold() in text.casefold()
    ]


def songbook_words(app) -> str:
    """Every title and key the songbook tables hold, as one string to search."""
    with app.app_context():
        titles = db.session.execute(db.select(SongbookEntry.title)).scalars()
        keys = db.session.execute(db.select(SongAlias.key)).scalars()
        return "\n".join([*titles, *keys]).casefold()


def api_entries(app, world) -> list[dict]:
    response = app.test_client().get(
        "/api/v1/songbook?per_page=500",
        headers={"Authorization": f"Bearer {world.tokens['coordinator']}"},
    )
    assert response.status_code == 200
    return response.get_json()["entries"]


def delete_as_caregiver(phone: Phone, share_id: int):
    return phone.client.delete(
        f"/api/v1/storytimes/{phone.code}/shares/{share_id}",
        headers={"X-CSRFToken": phone.token},
        csrf=False,
    )


def edit_as_caregiver(phone: Phone, share_id: int, text: str, on_screen: bool):
    return phone.client.patch(
        f"/api/v1/storytimes/{phone.code}/shares/{share_id}",
        json={"text": text, "on_screen": on_screen},
        headers={"X-CSRFToken": phone.token},
        csrf=False,
    )


def delete_as_staff(app, token: str, share_id: int):
    return app.test_client().delete(
        f"/api/v1/shares/{share_id}", headers={"Authorization": f"Bearer {token}"}
    )


def age_everything(app) -> None:
    """Make every share so far older than the purge's cut-off."""
    with app.app_context():
        db.session.execute(db.update(Share).values(created_at=now_utc() - timedelta(days=100)))
        db.session.commit()


def run_purge(app) -> None:
    result = app.test_cli_runner().invoke(args=["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output


# --- The reported case, step by step -------------------------------------------------


def test_a_staff_only_song_is_counted_but_its_words_reach_no_one_outside(app, world):
    central_id, central_code = open_room(app, "central")
    east_id, east_code = open_room(app, "east")
    central, east = Phone(app, central_code), Phone(app, east_code)
    first = central.share(f"Baby Shark — {PRIVATE}", kind="song", on_screen=False)
    assert first.status_code == 201  # matches no public title yet: stays unfiled
    assert east.share("Baby Shark", kind="song").status_code == 201
    again = central.share(f"Baby Shark, {PRIVATE} again", kind="song", on_screen=False)
    assert again.status_code == 201  # matches east's title: counted with it
    close_and_publish(app, east_id)

    seen, east_own = outside_views(app, world, [east_code])
    assert not leaks(seen | east_own, [PRIVATE, "something private"])
    # The title and the only variant are east's words; the staff-only song still counts.
    (entry,) = [e for e in api_entries(app, world) if e["title"] == "Baby Shark"]
    assert entry["count"] == 2
    assert entry["variants"] == [{"title": "Baby Shark", "count": 1}]
    song_page = seen[f"coordinator /review/songbook/{entry['id']}"]
    assert "Staff only (words not shown)" in song_page
    # Central's own dashboard still shows its caregiver's words to its staff.
    central_staff = staff_client(app, world, "librarian")
    dashboard = central_staff.get(f"/storytimes/{central_id}/live").get_data(as_text=True)
    assert PRIVATE in dashboard

    # Deleted by the caregiver: gone from the songbook's count too.
    for share in (first, again):
        assert delete_as_caregiver(central, share.get_json()["id"]).status_code == 204
    (entry,) = [e for e in api_entries(app, world) if e["title"] == "Baby Shark"]
    assert entry["count"] == 1
    assert PRIVATE not in songbook_words(app)


def test_a_staff_only_song_shared_first_makes_no_entry_and_no_title(app, world):
    central_id, central_code = open_room(app, "central")
    east_id, east_code = open_room(app, "east")
    share = Phone(app, central_code).share(f"Baby Shark {PRIVATE}", kind="song", on_screen=False)
    with app.app_context():
        assert db.session.get(Share, share.get_json()["id"]).song_entry_id is None
    assert [e["title"] for e in api_entries(app, world)] == ["Twinkle twinkle little star"]
    assert PRIVATE not in songbook_words(app)

    Phone(app, east_code).share("Baby Shark dance", kind="song")
    close_and_publish(app, east_id, central_id)
    seen, east_own = outside_views(app, world, [east_code, central_code])
    assert not leaks(seen | east_own, [PRIVATE])
    assert "Baby Shark dance" in seen[f"visitor /j/{east_code}/recap"]


def test_a_deleted_song_takes_its_title_and_key_with_it(app, world):
    _id, code = open_room(app, "central")
    phone = Phone(app, code)
    first = phone.share("Wheels on the bus — Leo's favourite", kind="song").get_json()
    phone.share("wheels on the bus", kind="song")
    phone.share("Wheels on the bus", kind="song")
    before = {e["title"] for e in api_entries(app, world)}
    assert "Wheels on the bus — Leo's favourite" in before

    assert delete_as_caregiver(phone, first["id"]).status_code == 204
    titles = {e["title"]: e for e in api_entries(app, world)}
    assert "Wheels on the bus" in titles  # the most common spelling left
    assert titles["Wheels on the bus"]["count"] == 2
    assert "leo" not in songbook_words(app)


def test_a_staff_title_is_kept_and_an_emptied_entry_goes_with_its_plans(app, world):
    _id, code = open_room(app, "central")
    upcoming, _code = open_room(app, "central")
    with app.app_context():
        db.session.get(Storytime, upcoming).state = "scheduled"
        db.session.commit()
    phone = Phone(app, code)
    song = phone.share("Row row row your boat, Mia's", kind="song").get_json()
    hum = phone.share("row row row your boat", kind="song").get_json()
    with app.app_context():
        entry_id = db.session.get(Share, song["id"]).song_entry_id
    coordinator = staff_client(app, world, "coordinator")
    coordinator.post(f"/review/songbook/{entry_id}/title", data={"title": "Row Your Boat"})
    coordinator.post(f"/review/songbook/{entry_id}/plan", data={"storytime_id": upcoming})

    assert delete_as_caregiver(phone, song["id"]).status_code == 204
    (entry,) = [e for e in api_entries(app, world) if e["id"] == entry_id]
    assert entry["title"] == "Row Your Boat"  # staff wrote it: kept
    assert "mia" not in songbook_words(app)

    assert delete_as_staff(app, world.tokens["librarian"], hum["id"]).status_code in (200, 204)
    assert entry_id not in [e["id"] for e in api_entries(app, world)]
    with app.app_context():
        assert db.session.get(SongbookEntry, entry_id) is None
        assert db.session.execute(db.select(PlannedSong)).first() is None


def test_editing_a_song_refiles_it(app, world):
    _id, code = open_room(app, "central")
    phone = Phone(app, code)
    song = phone.share("Five little ducks, for Grandma Ruth", kind="song").get_json()
    assert edit_as_caregiver(phone, song["id"], "Five little ducks", True).status_code == 200
    assert "ruth" not in songbook_words(app)
    assert "Five little ducks" in {e["title"] for e in api_entries(app, world)}

    # Made staff-only: its words leave the songbook, and with no public share the entry goes.
    assert edit_as_caregiver(phone, song["id"], "Five little ducks", False).status_code == 200
    assert "Five little ducks" not in {e["title"] for e in api_entries(app, world)}
    with app.app_context():
        assert db.session.get(Share, song["id"]).song_entry_id is None


def test_deleting_a_storytime_tidies_the_songbook(app, world):
    storytime_id, code = open_room(app, "central")
    Phone(app, code).share("Hickory dickory dock, said Zoe", kind="song")
    close_and_publish(app, storytime_id)
    response = app.test_client().delete(
        f"/api/v1/storytimes/{storytime_id}",
        headers={"Authorization": f"Bearer {world.tokens['librarian']}"},
    )
    assert response.status_code == 204
    assert "zoe" not in songbook_words(app)
    assert [e["title"] for e in api_entries(app, world)] == ["Twinkle twinkle little star"]


def test_a_purge_leaves_counts_and_public_titles_and_removes_staff_only_words(app, world):
    _id, code = open_room(app, "central")
    phone = Phone(app, code)
    phone.share("Baby Shark", kind="song")
    phone.share(f"baby shark {PRIVATE}", kind="song", on_screen=False)
    phone.share("Baby shark", kind="song", on_screen=False)  # same key: counted with it
    age_everything(app)
    before = api_entries(app, world)
    assert [e["count"] for e in before if e["title"] == "Baby Shark"] == [3]
    run_purge(app)
    assert api_entries(app, world) == before
    assert PRIVATE not in songbook_words(app)


# --- The rule, over generated sequences -------------------------------------------------

TEMPLATES = (
    "Baby Shark {w}",
    "baby shark — plus {w}",
    "{w} lullaby for bedtime",
    "Baby Shark",
    "Twinkle twinkle little star {w}",
)
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
index = st.integers(min_value=0, max_value=30)
operation = st.one_of(
    st.tuples(
        st.just("share"),
        st.sampled_from(("central", "east")),
        st.booleans(),
        st.integers(0, len(TEMPLATES) - 1),
    ),
    st.tuples(st.just("edit"), index, st.booleans(), st.integers(0, len(TEMPLATES) - 1)),
    st.tuples(st.just("delete"), index, st.sampled_from(("caregiver", "staff"))),
    st.tuples(st.just("rename"), index),
    st.tuples(st.just("purge")),
)


def empty_songbook_and_shares(app) -> None:
    """Start an example from no shares and an empty songbook (the staff stay)."""
    with app.app_context():
        for model in (PlannedSong, SongAlias, Share, SongbookEntry):
            db.session.execute(db.delete(model))
        db.session.commit()


def check_tables(app, forbidden: set[str]) -> None:
    """The songbook's words come only from the public song shares filed under it."""
    with app.app_context():
        shares = list(db.session.execute(db.select(Share).where(Share.kind == "song")).scalars())
        for alias in db.session.execute(db.select(SongAlias)).scalars():
            assert any(
                s.song_entry_id == alias.entry_id
                and s.allow_screen
                and song_key(s.text) == alias.key
                for s in shares
            ), f"no public share has the key {alias.key!r}"
        for entry in db.session.execute(db.select(SongbookEntry)).scalars():
            mine = [s for s in shares if s.song_entry_id == entry.id]
            assert mine, f"entry {entry.title!r} has no shares"
            if not entry.title_from_staff:
                assert entry.title in {display_title(s.text) for s in mine if s.allow_screen}
    words = songbook_words(app)
    assert not [w for w in forbidden if w.casefold() in words]


@PROPERTY
@given(operations=st.lists(operation, min_size=1, max_size=8))
# The reported case: central's staff-only song first, east's public one, then delete and purge.
@example(
    operations=[("share", "central", False, 1), ("share", "east", True, 3), ("share", "central", False, 0),
                ("delete", 0, "caregiver"), ("purge",), ("delete", 1, "staff")]
)  # fmt: skip
@example(
    operations=[("share", "east", False, 0), ("share", "east", True, 3), ("edit", 1, False, 4)]
)
@example(operations=[("share", "central", True, 0), ("rename", 0), ("edit", 0, False, 0)])
def test_songbook_words_come_only_from_public_shares_that_still_exist(app, world, operations):
    empty_songbook_and_shares(app)
    rooms = {branch: open_room(app, branch) for branch in ("central", "east")}
    phones = {branch: Phone(app, code) for branch, (_id, code) in rooms.items()}
    tokens = {"central": world.tokens["librarian"], "east": world.tokens["other_librarian"]}
    coordinator = staff_client(app, world, "coordinator")
    fresh = (f"zq{a}{b}{c}" for a, b, c in itertools.product("bcdfghjk", repeat=3))
    shares: list[dict] = []  # what the test knows of each share it made
    gone: set[str] = set()  # words of deleted, edited-away and purged staff-only texts

    def text_for(template: int, public: bool) -> tuple[str, str | None]:
        if "{w}" not in TEMPLATES[template]:
            return TEMPLATES[template], None
        word = ("pub" if public else "sec") + next(fresh)
        return TEMPLATES[template].format(w=word), word

    def forget(share: dict) -> None:
        if share["word"]:
            gone.add(share["word"])

    for op in operations:
        alive = [s for s in shares if s["alive"]]
        if op[0] == "share":
            _, branch, public, template = op
            text, word = text_for(template, public)
            response = phones[branch].share(text, kind="song", on_screen=public)
            assert response.status_code == 201
            shares.append(
                {"id": response.get_json()["id"], "branch": branch, "public": public,
                 "word": word, "alive": True, "purged": False}
            )  # fmt: skip
        elif op[0] == "edit" and alive:
            share = alive[op[1] % len(alive)]
            text, word = text_for(op[3], op[2])
            response = edit_as_caregiver(phones[share["branch"]], share["id"], text, op[2])
            if share["purged"]:  # the purge unlinked the phone: it cannot edit any more
                assert response.status_code == 404
                continue
            assert response.status_code == 200, response.get_data(as_text=True)
            forget(share)
            share.update(public=op[2], word=word)
        elif op[0] == "delete" and alive:
            share = alive[op[1] % len(alive)]
            if op[2] == "caregiver" and not share["purged"]:
                response = delete_as_caregiver(phones[share["branch"]], share["id"])
            else:
                response = delete_as_staff(app, tokens[share["branch"]], share["id"])
            assert response.status_code in (200, 204), response.get_data(as_text=True)
            forget(share)
            share["alive"] = False
        elif op[0] == "rename" and alive:
            share = alive[op[1] % len(alive)]
            with app.app_context():
                entry_id = db.session.get(Share, share["id"]).song_entry_id
            if entry_id is not None:
                response = coordinator.post(
                    f"/review/songbook/{entry_id}/title", data={"title": "A staff pick"}
                )
                assert response.status_code == 303
        elif op[0] == "purge":
            age_everything(app)
            run_purge(app)
            for share in alive:
                share["purged"] = True
                if not share["public"]:
                    forget(share)  # the purge empties a staff-only share's text
        staff_only = {
            s["word"] for s in shares if s["alive"] and not s["public"] and not s["purged"]
        }
        check_tables(app, gone | {w for w in staff_only if w})

    close_and_publish(app, *(storytime_id for storytime_id, _code in rooms.values()))
    seen, east_own = outside_views(app, world, [code for _id, code in rooms.values()])
    staff_only = {
        s["word"]: s["branch"]
        for s in shares
        if s["alive"] and not s["public"] and not s["purged"] and s["word"]
    }
    assert not leaks(seen, sorted(gone | set(staff_only)))
    central_only = {word for word, branch in staff_only.items() if branch == "central"}
    assert not leaks(east_own, sorted(gone | central_only))
    # What is public and still there does show: the songbook is not simply empty.
    for share in shares:
        if share["alive"] and share["public"] and share["word"]:
            assert share["word"] in songbook_words(app)
