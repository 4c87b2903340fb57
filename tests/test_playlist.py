"""The playtime playlist: grouping of spellings, sung marks, the TV's copy, and its API."""

from __future__ import annotations

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_support import post_share

from storytime.extensions import db
from storytime.live.playlist import playlist, playlist_for_display
from storytime.models import Event, Share, Storytime
from storytime.share.moderation import moderate
from storytime.share.service import clean_text
from storytime.songbook.grouping import display_title


def _lists(app, storytime_id):
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        return playlist(storytime), playlist_for_display(storytime)


def test_spellings_of_one_song_are_one_item_with_a_count(app):
    storytime_id = make_storytime(app).id
    first = post_share(app, storytime_id, "song", "Twinkle Twinkle Little Star")
    second = post_share(app, storytime_id, "song", "twinkle twinkle, little star ⭐")
    third = post_share(app, storytime_id, "song", "Twinkle twinkle litle star")
    other = post_share(app, storytime_id, "song", "Old MacDonald")
    staff, display = _lists(app, storytime_id)
    assert [(item["count"], item["share_ids"]) for item in staff] == [
        (3, [first, second, third]),
        (1, [other]),
    ]
    assert staff[0]["key"] == "twinkle twinkle little star"
    assert [item["title"] for item in display] == ["Twinkle Twinkle Little Star", "Old MacDonald"]
    assert not any(item["sung"] for item in display)


def test_a_staff_only_or_held_or_hidden_song_never_reaches_the_display(app):
    storytime_id = make_storytime(app).id
    post_share(app, storytime_id, "song", "Secret lullaby for Mia", allow_screen=False)
    hidden = post_share(app, storytime_id, "song", "Song staff took off")
    post_share(app, storytime_id, "song", "Wheels on the bus")
    with app.app_context():
        moderate(db.session.get(Share, hidden), {"on_screen": False})
    staff, display = _lists(app, storytime_id)
    assert len(staff) == 3
    assert display == [{"title": "Wheels on the bus", "sung": False}]
    # A staff-only spelling of a public song never names it on the TV.
    post_share(app, storytime_id, "song", "WHEELS ON THE BUS!!!", allow_screen=False)
    post_share(app, storytime_id, "song", "WHEELS ON THE BUS!!!", allow_screen=False)
    _staff, display = _lists(app, storytime_id)
    assert display == [{"title": "Wheels on the bus", "sung": False}]


# --- the API ---


def _url(storytime_id: int, rest: str = "") -> str:
    return f"/api/v1/storytimes/{storytime_id}/playlist{rest}"


def _events(app, storytime_id):
    with app.app_context():
        return list(
            db.session.execute(
                db.select(Event.type, Event.public).where(Event.storytime_id == storytime_id)
            )
        )


def test_the_api_lists_marks_sung_and_puts_the_playlist_on_the_tv(app, client, staff):
    storytime_id = make_storytime(app).id
    post_share(app, storytime_id, "song", "Baa baa black sheep")
    post_share(app, storytime_id, "song", "baa baa BLACK sheep!")
    staff.signed_in(client)
    body = client.get(_url(storytime_id)).get_json()
    assert body["on_screen"] is False
    [song] = body["songs"]
    assert (song["key"], song["count"], song["sung"]) == ("baa baa black sheep", 2, False)
    before = len(_events(app, storytime_id))

    response = client.put(_url(storytime_id, "/sung/baa baa black sheep"))
    assert response.status_code == 200
    assert response.get_json()["songs"][0]["sung"] is True
    assert client.get(_url(storytime_id)).get_json()["songs"][0]["sung"] is True
    assert _lists(app, storytime_id)[1] == [{"title": "Baa baa black sheep", "sung": True}]
    # Marking twice keeps one mark; a new spelling arriving keeps the song sung.
    client.put(_url(storytime_id, "/sung/baa baa black sheep"))
    post_share(app, storytime_id, "song", "Baa baa black sheep have you any wool")
    assert client.get(_url(storytime_id)).get_json()["songs"][0]["sung"] is True

    response = client.delete(_url(storytime_id, "/sung/baa baa black sheep"))
    assert response.get_json()["songs"][0]["sung"] is False

    response = client.post(_url(storytime_id, "/screen"), json={"on_screen": True})
    assert response.status_code == 200 and response.get_json()["on_screen"] is True
    with app.app_context():
        assert db.session.get(Storytime, storytime_id).playlist_on_screen is True
    # Every write told the TV: one public storytime event each (4 writes + 1 share).
    after = _events(app, storytime_id)[before:]
    assert after.count(("storytime.updated", True)) == 4


def test_bad_playlist_writes_get_a_clear_error_and_change_nothing(app, client, staff):
    storytime_id = make_storytime(app).id
    post_share(app, storytime_id, "song", "Row row row your boat")
    staff.signed_in(client)
    before = _events(app, storytime_id)
    response = client.put(_url(storytime_id, "/sung/not a song here"))
    assert response.status_code == 404
    assert response.get_json()["field"] == "key"
    for body in ({}, {"on_screen": "yes"}, {"on_screen": 1}):
        response = client.post(_url(storytime_id, "/screen"), json=body)
        assert response.status_code == 422
        assert response.get_json()["field"] == "on_screen"
    assert client.post(_url(storytime_id, "/screen"), json=[True]).status_code == 400
    assert (
        client.post(_url(storytime_id, "/screen"), json={"on_screen": True}, csrf=False).status_code
        == 400
    )
    assert _events(app, storytime_id) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("librarian_other_branch", 403), ("display", 403), ("librarian", 200)],
)
def test_only_staff_of_the_branch_may_use_the_playlist(app, client, staff, who, status):
    storytime = make_storytime(app)
    post_share(app, storytime.id, "song", "Five little ducks")
    suffix = ""
    if who == "librarian_other_branch":
        staff.signed_in(client, "librarian", "eastside")
    elif who == "librarian":
        staff.signed_in(client)
    elif who == "display":
        suffix = f"?token={storytime.display_token}"
    before = _events(app, storytime.id)
    assert client.get(_url(storytime.id) + suffix).status_code == status
    write = client.put(_url(storytime.id, "/sung/five little ducks") + suffix)
    assert write.status_code == status
    screen = client.post(_url(storytime.id, "/screen") + suffix, json={"on_screen": True})
    assert screen.status_code == status
    if status != 200:
        assert _events(app, storytime.id) == before


def test_a_bearer_token_works_for_scripts(app, client, staff, runner):
    storytime_id = make_storytime(app).id
    post_share(app, storytime_id, "song", "Wind the bobbin up")
    staff.user("librarian", "lee@central.example.org")
    token = runner.invoke(args=["create-token", "lee@central.example.org"]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    response = client.put(_url(storytime_id, "/sung/wind the bobbin up"), headers=headers)
    assert response.status_code == 200
    assert response.get_json()["songs"][0]["sung"] is True


# --- the display's playlist, for any words ---

SONG_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80
).filter(clean_text)
SONG = st.tuples(SONG_TEXT, st.sampled_from(["public", "staff_only", "hidden"]))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(songs=st.lists(SONG, min_size=1, max_size=8))
def test_the_display_names_songs_only_with_words_it_may_show(app, songs):
    storytime_id = make_storytime(app).id
    shown_titles = set()
    for text, who in songs:
        share_id = post_share(app, storytime_id, "song", text, allow_screen=who != "staff_only")
        if who == "hidden":
            with app.app_context():
                moderate(db.session.get(Share, share_id), {"on_screen": False})
        elif who == "public":
            with app.app_context():
                shown_titles.add(display_title(db.session.get(Share, share_id).text))
    staff, display = _lists(app, storytime_id)
    assert sum(item["count"] for item in staff) == len(songs)
    # Every title on the TV is the tidied words of a share the display may show.
    assert {item["title"] for item in display} <= shown_titles
    assert bool(display) == bool(shown_titles)
    assert all(set(item) == {"title", "sung"} for item in display)
