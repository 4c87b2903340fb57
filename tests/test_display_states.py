"""The display page draws one screen per state, and its feed carries what the TV may show."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_support import post_share

from storytime.extensions import db
from storytime.live.display import WELCOME_NAMES, welcome_line
from storytime.live.feed import read_feed, storytime_for_display
from storytime.models import Share, Storytime
from storytime.share.moderation import moderate
from storytime.storytimes.qr import svg
from storytime.storytimes.service import set_state


def display_page(app, storytime) -> str:
    response = app.test_client().get(f"/display/{storytime.display_token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def state_of(page: str) -> str:
    return re.search(r'id="display"\s+data-state="(\w+)"', page)[1]


def test_before_opening_the_display_shows_the_title_the_start_and_a_qr_to_say_hello(app):
    app.config["TIMEZONE"] = "America/Toronto"
    starts = datetime(2031, 5, 6, 14, 30, tzinfo=ZoneInfo("UTC"))
    storytime = make_storytime(app, title="Toddler Tales", starts_at=starts, state="scheduled")
    page = display_page(app, storytime)
    assert state_of(page) == "scheduled"
    before = page.split('id="before"', 1)[1].split("</section>", 1)[0]
    assert "Toddler Tales" in before
    # 14:30 UTC is 10:30 in Toronto (summer time): the library's zone, not the server's.
    assert re.search(r"Starts at [^<]*10:30", before), before
    assert "Scan to say hello" in page
    join = f"{app.config['BASE_URL'].rstrip('/')}/j/{storytime.code}"
    assert svg(join, "QR code to join this storytime") in page


def test_the_closed_display_is_a_goodbye_with_the_recap_qr_and_no_shares(app):
    storytime = make_storytime(app)
    post_share(app, storytime.id, "tip", "A tip from the room", name="Ana")
    with app.app_context():
        set_state(db.session.get(Storytime, storytime.id), "closed")
    page = display_page(app, storytime)
    assert state_of(page) == "closed"
    assert 'class="display is-closed"' in page
    recap = f"{app.config['BASE_URL'].rstrip('/')}/j/{storytime.code}/recap"
    goodbye = page.split('id="goodbye"', 1)[1].split("</section>", 1)[0]
    assert "Thank you for coming to storytime!" in goodbye
    assert svg(recap, "QR code of this storytime's recap") in goodbye
    # The shares are gone: not on the wall, and not waiting in the page for its script.
    assert "A tip from the room" not in page


@pytest.mark.parametrize(("state", "quiet"), [("open", False), ("open", True)])
def test_the_open_display_says_which_state_it_is_in(app, client, staff, state, quiet):
    storytime = make_storytime(app, state=state)
    if quiet:
        staff.signed_in(client)
        client.patch(f"/api/v1/storytimes/{storytime.id}", json={"quiet": True})
    page = display_page(app, storytime)
    assert state_of(page) == "open"
    assert f'data-quiet="{"true" if quiet else "false"}"' in page
    # Every region the layout test measures is on the page, named.
    for region in ("welcome", "pinned", "wall", "playlist", "checkin", "join", "before", "goodbye"):
        assert f'data-region="{region}"' in page


def test_cards_name_their_kind_in_words_and_hellos_are_cards(app):
    storytime = make_storytime(app)
    post_share(app, storytime.id, "hello", "Hi from Leo!", name="Leo")
    post_share(app, storytime.id, "song", "Wheels on the Bus")
    page = display_page(app, storytime)
    wall = page.split('id="wall"', 1)[1].split("</ul>", 1)[0]
    assert "Hi from Leo!" in wall and "Leo" in wall
    assert re.search(r'class="wall-kind">.*?</span> Hello</p>', wall)
    assert re.search(r'class="wall-kind">.*?</span> Song</p>', wall)


def test_the_display_knows_when_check_ins_were_asked_for(app):
    storytime = make_storytime(app)
    with app.app_context():
        row = db.session.get(Storytime, storytime.id)
        assert storytime_for_display(row)["checkins_asked"] is False
        row.checkins_asked_at = datetime.now(ZoneInfo("UTC"))
        db.session.commit()
        assert storytime_for_display(row)["checkins_asked"] is True
    assert 'data-checkins="true"' in display_page(app, storytime)


def test_the_playlist_reaches_the_display_only_while_on_screen_and_only_public_songs(app):
    storytime = make_storytime(app)
    post_share(app, storytime.id, "song", "Wheels on the Bus")
    post_share(app, storytime.id, "song", "A secret lullaby", allow_screen=False)
    with app.app_context():
        row = db.session.get(Storytime, storytime.id)
        assert storytime_for_display(row)["playlist"] is None
        row.playlist_on_screen = True
        db.session.commit()
        titles = [song["title"] for song in storytime_for_display(row)["playlist"]]
    assert any("Wheels" in title for title in titles)
    assert not any("secret" in title.lower() for title in titles)
    page = display_page(app, storytime)
    assert 'data-playlist="true"' in page and "Songs for playtime" in page
    assert "secret" not in page.lower()


def test_hiding_a_song_while_the_playlist_is_on_screen_updates_the_tvs_playlist(app):
    storytime = make_storytime(app)
    song = post_share(app, storytime.id, "song", "Baby Shark")
    with app.app_context():
        row = db.session.get(Storytime, storytime.id)
        row.playlist_on_screen = True
        db.session.commit()
        after = row.last_event_id
        moderate(db.session.get(Share, song), {"on_screen": False})
        row = db.session.get(Storytime, storytime.id)
        items = read_feed(row, after, "display").items
    hidden = [item for item in items if item["type"] == "share.hidden"]
    assert hidden and hidden[-1]["storytime"]["playlist"] == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=12))
def test_the_welcome_line_names_a_few_then_counts_the_rest(app, names):
    with app.test_request_context():
        hellos = [Share(kind="hello", text="hi", name=name) for name in names]
        line = str(welcome_line(hellos))
    assert line.count("<bdi>") <= WELCOME_NAMES
    shown = min(len([n for n in names[:WELCOME_NAMES] if n.strip()]), WELCOME_NAMES)
    if shown and len(names) > shown:
        assert f"{len(names) - shown} more" in line


def test_a_permanent_screen_carries_its_now_url(app):
    from storytime.live.display import render_display

    storytime = make_storytime(app)
    with app.test_request_context():
        row = db.session.get(Storytime, storytime.id)
        page, _status, _headers = render_display(row, screen_token="abc123")
        plain, *_rest = render_display(row)
    assert 'data-screen-now-url="/screen/abc123/now"' in page
    assert "data-screen-now-url" not in plain


def test_a_start_on_another_day_names_the_day(app):
    starts = datetime.now(ZoneInfo("UTC")) + timedelta(days=3)
    storytime = make_storytime(app, starts_at=starts, state="scheduled")
    before = display_page(app, storytime).split('id="before"', 1)[1].split("</section>", 1)[0]
    assert str(starts.year) in before
