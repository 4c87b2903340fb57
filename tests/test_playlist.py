"""The playtime playlist: grouping of spellings, sung marks, the TV's copy, and its API."""

from __future__ import annotations

from factories import make_storytime
from live_support import post_share

from storytime.extensions import db
from storytime.live.playlist import playlist, playlist_for_display
from storytime.models import Share, Storytime
from storytime.share.service import moderate


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
