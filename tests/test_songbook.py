"""The community songbook: grouping of spellings, merge and split by hand, plans, and its API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import make_storytime
from review_data import add_share

from storytime.auth.tokens import create_token
from storytime.extensions import db
from storytime.models import PlannedSong, Share, SongAlias, SongbookEntry, User
from storytime.songbook.grouping import closest_key, song_key
from storytime.songbook.service import add_alias

# Real spellings families type: each inner list must land in one entry, and no two lists together.
SPELLINGS = [
    ["Twinkle, Twinkle Little Star", "twinkle twinkle little star!", "Twinkle twinkle"],
    ["Frère Jacques", "frere jacques 🎵", "Frère Jacques, dormez-vous?"],
    ["Los pollitos dicen", "los pollitos", "LOS POLLITOS DICEN 🐣🐣"],
    ["Itsy Bitsy Spider", "itsy-bitsy spider", "Itsy bitsy spider 🕷️"],
    ["Incy Wincy Spider"],
    ["The Wheels on the Bus", "wheels on the bus"],
    ["两只老虎", "两只老虎\uff01"],
]


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Twinkle, Twinkle Little Star", "twinkle twinkle little star"),
        ("  twinkle   twinkle little star!!! ⭐ ", "twinkle twinkle little star"),
        ("Frère Jacques, dormez-vous?", "frere jacques dormez vous"),
        ("itsy-bitsy spider", "itsy bitsy spider"),
        ("Pin Pon es un muñeco", "pin pon es un muneco"),
        ("Smørrebrød song", "smorrebrod song"),
        ("🎵🎶", ""),
        ("两只老虎\uff01", "两只老虎"),
    ],
)
def test_song_key_ignores_case_accents_punctuation_and_emoji(title, key):
    assert song_key(title) == key


def test_closest_key_is_deterministic_and_needs_two_words_for_a_prefix():
    known = ["twinkle twinkle little star", "row row row your boat"]
    assert closest_key("twinkle twinkle", known) == "twinkle twinkle little star"
    assert closest_key("twinkle", known) is None  # one word is too little to be sure
    assert closest_key("row row row your boat gently", known) == "row row row your boat"
    assert closest_key("incy wincy spider", ["itsy bitsy spider"]) is None
    assert closest_key("wheels on the bus", ["the wheels on the bus"]) == "the wheels on the bus"


def _file_all(app, spellings):
    st = make_storytime(app).id
    ids = [[add_share(app, st, "song", text) for text in group] for group in spellings]
    with app.app_context():
        return [[db.session.get(Share, i).song_entry_id for i in group] for group in ids]


def test_variant_spellings_land_in_one_entry_and_different_songs_do_not(app):
    entries = _file_all(app, SPELLINGS)
    for group, spellings in zip(entries, SPELLINGS, strict=True):
        assert None not in group
        assert len(set(group)) == 1, spellings
    firsts = [group[0] for group in entries]
    assert len(set(firsts)) == len(firsts)  # Incy Wincy is a different title: merged by hand


def test_grouping_does_not_depend_on_which_spelling_came_first(app):
    entries = _file_all(app, [list(reversed(group)) for group in SPELLINGS])
    assert all(len(set(group)) == 1 for group in entries)


def test_an_entry_title_is_tidy(app):
    st = make_storytime(app).id
    share_id = add_share(app, st, "song", "frere jacques 🎵")
    with app.app_context():
        assert db.session.get(Share, share_id).song_entry.title == "Frere jacques"


def test_a_racing_alias_insert_returns_the_winners_entry_and_keeps_the_session(app):
    st = make_storytime(app).id
    share_id = add_share(app, st, "song", "Baa Baa Black Sheep")
    with app.app_context():
        winner = db.session.get(Share, share_id).song_entry
        # The other request inserted the same key first: the savepoint is undone, not the caller.
        assert add_alias("baa baa black sheep", None, "baa baa black sheep") == winner.id
        db.session.commit()
        assert db.session.execute(db.select(db.func.count(SongbookEntry.id))).scalar() == 1


def _entry_of(app, share_id):
    with app.app_context():
        return db.session.get(Share, share_id).song_entry_id


def test_a_librarian_merges_entries_and_later_shares_follow(app, client, staff):
    staff.signed_in(client)
    st = make_storytime(app).id
    itsy = add_share(app, st, "song", "Itsy Bitsy Spider")
    incy = add_share(app, st, "song", "Incy Wincy Spider")
    itsy_entry, incy_entry = _entry_of(app, itsy), _entry_of(app, incy)
    assert itsy_entry != incy_entry

    page = client.get(f"/review/songbook/merge?entries={itsy_entry}&entries={incy_entry}")
    assert page.status_code == 200
    response = client.post(
        "/review/songbook/merge", data={"entries": [itsy_entry, incy_entry], "target": itsy_entry}
    )
    assert response.status_code == 303
    assert _entry_of(app, incy) == itsy_entry
    with app.app_context():
        assert db.session.get(SongbookEntry, incy_entry) is None
    later = add_share(app, st, "song", "incy wincy spider!")
    assert _entry_of(app, later) == itsy_entry


@pytest.mark.parametrize(
    "data",
    [
        {"entries": [], "target": ""},
        {"entries": ["ENTRY"], "target": "ENTRY"},
        {"entries": ["ENTRY", "9999"], "target": "ENTRY"},
    ],
)
def test_a_merge_needs_two_existing_entries_and_changes_nothing_otherwise(app, client, staff, data):
    staff.signed_in(client)
    st = make_storytime(app).id
    entry = _entry_of(app, add_share(app, st, "song", "Hickory Dickory Dock"))
    data = {
        k: [str(entry) if v == "ENTRY" else v for v in (w if isinstance(w, list) else [w])]
        for k, w in data.items()
    }
    assert client.post("/review/songbook/merge", data=data).status_code == 400
    with app.app_context():
        assert db.session.get(SongbookEntry, entry) is not None


def test_a_librarian_splits_a_variant_out_and_later_shares_follow(app, client, staff):
    staff.signed_in(client)
    st = make_storytime(app).id
    itsy = add_share(app, st, "song", "Itsy Bitsy Spider")
    itsy2 = add_share(app, st, "song", "itsy-bitsy spider")
    incy = add_share(app, st, "song", "Incy Wincy Spider")
    target = _entry_of(app, itsy)
    client.post(
        "/review/songbook/merge", data={"entries": [target, _entry_of(app, incy)], "target": target}
    )
    with app.app_context():
        alias = db.session.execute(
            db.select(SongAlias).where(SongAlias.key == "incy wincy spider")
        ).scalar_one()
        alias_id = alias.id
    page = client.get(f"/review/songbook/{target}").get_data(as_text=True)
    assert "Incy Wincy Spider" in page and "Split out" in page

    response = client.post(f"/review/songbook/{target}/split", data={"alias_id": alias_id})
    assert response.status_code == 303
    split_entry = _entry_of(app, incy)
    assert split_entry != target
    assert _entry_of(app, itsy) == _entry_of(app, itsy2) == target
    assert _entry_of(app, add_share(app, st, "song", "Incy wincy spider 🕷")) == split_entry


def test_the_last_variant_cannot_be_split_out(app, client, staff):
    staff.signed_in(client)
    st = make_storytime(app).id
    entry = _entry_of(app, add_share(app, st, "song", "Row, Row, Row Your Boat"))
    with app.app_context():
        alias_id = db.session.execute(db.select(SongAlias.id)).scalar_one()
    assert (
        client.post(f"/review/songbook/{entry}/split", data={"alias_id": alias_id}).status_code
        == 422
    )
    assert client.post(f"/review/songbook/{entry}/split", data={"alias_id": 999}).status_code == 404


def test_the_songbook_lists_counts_branches_and_variants(app, client, staff):
    staff.signed_in(client)
    central = make_storytime(app, "central").id
    riverside = make_storytime(app, "riverside").id
    add_share(app, central, "song", "Twinkle, Twinkle Little Star")
    add_share(app, central, "song", "twinkle twinkle little star!")
    add_share(app, riverside, "song", "Twinkle twinkle")
    add_share(app, riverside, "song", "Baa Baa Black Sheep")
    page = client.get("/review/songbook").get_data(as_text=True)
    assert page.index("Twinkle, Twinkle Little Star") < page.index("Baa Baa Black Sheep")
    assert "Central, Riverside" in page
    assert (
        client.get("/review/songbook?q=twinkle").get_data(as_text=True).count("/review/songbook/")
        >= 1
    )
    assert "Baa Baa" not in client.get("/review/songbook?q=twinkle").get_data(as_text=True)


def test_songbook_api_gives_title_count_variants_branches_and_last_shared(app, client, staff):
    staff.user("librarian", "lib@central.example.org")
    central = make_storytime(app, "central").id
    riverside = make_storytime(app, "riverside").id
    add_share(app, central, "song", "Frère Jacques")
    add_share(app, central, "song", "Frère Jacques")
    add_share(app, riverside, "song", "frere jacques 🎵")
    with app.app_context():
        token = create_token(db.session.execute(db.select(User)).scalar_one())
    response = client.get("/api/v1/songbook", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    (entry,) = response.get_json()["entries"]
    assert entry["title"] == "Frère Jacques"
    assert entry["count"] == 3
    assert {"title": "Frère Jacques", "count": 3} in entry["variants"]
    assert [b["name"] for b in entry["branches"]] == ["Central", "Riverside"]
    assert datetime.fromisoformat(entry["last_shared"]) > datetime.now(UTC) - timedelta(minutes=5)
    assert client.get("/api/v1/songbook").status_code == 401


def test_a_song_is_picked_into_an_upcoming_storytimes_plan(app, client, staff):
    staff.signed_in(client)
    past = make_storytime(app, starts_at=datetime.now(UTC) - timedelta(days=7)).id
    entry = _entry_of(app, add_share(app, past, "song", "Five Little Ducks"))
    upcoming = make_storytime(
        app, starts_at=datetime.now(UTC) + timedelta(days=2), state="scheduled"
    ).id
    other_branch = make_storytime(
        app, "riverside", starts_at=datetime.now(UTC) + timedelta(days=2), state="scheduled"
    ).id
    page = client.get(f"/review/songbook/{entry}").get_data(as_text=True)
    assert f'value="{upcoming}"' in page and f'value="{other_branch}"' not in page

    for target in (past, other_branch, 999):  # closed, another branch, missing
        client.post(f"/review/songbook/{entry}/plan", data={"storytime_id": target})
    client.post(f"/review/songbook/{entry}/plan", data={"storytime_id": upcoming})
    client.post(f"/review/songbook/{entry}/plan", data={"storytime_id": upcoming})  # twice: once
    with app.app_context():
        plans = db.session.execute(db.select(PlannedSong)).scalars().all()
        assert [(p.storytime_id, p.entry_id) for p in plans] == [(upcoming, entry)]
    assert "Five Little Ducks" in client.get(f"/review/storytimes/{upcoming}").get_data(
        as_text=True
    )
