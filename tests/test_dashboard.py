"""The dashboard's page and its no-script forms: filters, "Show all held", the playlist."""

from __future__ import annotations

import re

import pytest
from factories import make_storytime
from live_support import post_share, share_state

from storytime.extensions import db
from storytime.models import Event, Storytime, SungSong


def _page(client, storytime_id: int, query: str = "") -> str:
    response = client.get(f"/storytimes/{storytime_id}/live{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _cards(page: str) -> dict[int, bool]:
    """Return each card's share id and whether the filters hide it."""
    cards = {}
    for tag in re.findall(r'<li class="share-card[^>]*>', page):
        share_id = int(re.search(r'data-share-id="(\d+)"', tag)[1])
        if share_id == 0:
            continue  # the script's template for new cards
        cards[share_id] = re.search(r"\shidden\s*>$", tag) is not None
    return cards


def _events(app, storytime_id: int) -> list[tuple]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(Event.type, Event.share_id, Event.public)
                .where(Event.storytime_id == storytime_id)
                .order_by(Event.id)
            )
        )


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", {"tip", "song", "question", "private", "answered"}),
        ("?kind=song", {"song"}),
        # A chip pressed without JavaScript comes before the form's current values: it wins.
        ("?kind=song&kind=tip&state=", {"song"}),
        ("?kind=question", {"question", "answered"}),
        ("?state=unanswered", {"question"}),
        ("?state=on_screen", {"tip", "song"}),
        ("?kind=tip&state=on_screen", {"tip"}),
        ("?kind=nonsense&state=<script>", {"tip", "song", "question", "private", "answered"}),
    ],
)
def test_filters_keep_every_card_on_the_page_and_hide_the_others(app, client, staff, query, shown):
    storytime_id = make_storytime(app).id
    ids = {
        "tip": post_share(app, storytime_id, "tip", "Tip"),
        "song": post_share(app, storytime_id, "song", "Song"),
        "question": post_share(app, storytime_id, "question", "Q?", allow_screen=False),
        "private": post_share(app, storytime_id, "idea", "Private idea", allow_screen=False),
        "answered": post_share(app, storytime_id, "question", "Done?", allow_screen=False),
    }
    staff.signed_in(client)
    client.patch(f"/api/v1/shares/{ids['answered']}", json={"answered": True})
    cards = _cards(_page(client, storytime_id, query))
    assert set(cards) == set(ids.values())  # all there, for the script to filter again
    assert {name for name, share_id in ids.items() if not cards[share_id]} == shown


def test_show_all_held_shows_them_in_one_go_with_an_event_each(app, client, staff):
    storytime_id = make_storytime(app, moderation="review").id
    held = [post_share(app, storytime_id, "tip", f"Held {n}") for n in range(3)]
    private = post_share(app, storytime_id, "tip", "Mine only", allow_screen=False)
    staff.signed_in(client)
    page = _page(client, storytime_id)
    assert "Show all held" in page
    before = len(_events(app, storytime_id))

    response = client.post(f"/storytimes/{storytime_id}/live/show-held?kind=tip")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/storytimes/{storytime_id}/live?kind=tip")
    for share_id in held:
        share = share_state(app, share_id)
        assert (share.on_screen, share.held, share.visible_on_display) == (True, False, True)
    assert share_state(app, private).on_screen is False
    assert _events(app, storytime_id)[before:] == [
        ("share.updated", share_id, True) for share_id in held
    ]
    assert "3 shares shown." in client.get(response.headers["Location"]).get_data(as_text=True)

    # Nothing is held any more: a second press changes nothing and says so.
    assert client.post(
        f"/storytimes/{storytime_id}/live/show-held", headers={"Accept": "application/json"}
    ).get_json() == {"shown": 0}
    assert len(_events(app, storytime_id)) == before + 3


def test_show_all_held_refuses_without_csrf_and_for_another_branch(app, client, staff):
    storytime_id = make_storytime(app, moderation="review").id
    held = post_share(app, storytime_id, "tip", "Held")
    staff.signed_in(client, "librarian", "eastside")
    assert client.post(f"/storytimes/{storytime_id}/live/show-held").status_code == 403
    client.post("/logout")
    staff.signed_in(client)
    response = client.post(f"/storytimes/{storytime_id}/live/show-held", csrf=False)
    assert response.status_code == 400
    assert share_state(app, held).held is True


def test_the_playlist_groups_spellings_and_its_forms_work_without_javascript(app, client, staff):
    storytime_id = make_storytime(app).id
    post_share(app, storytime_id, "song", "The wheels on the bus")
    post_share(app, storytime_id, "song", "the Wheels on the Bus 🚌")
    post_share(app, storytime_id, "song", "Mia's secret lullaby", allow_screen=False)
    staff.signed_in(client)
    page = _page(client, storytime_id)
    playlist = page[page.index('id="playlist"') :]
    assert playlist.count('<li class="song') == 2
    assert "\u00d72" in playlist
    assert "Not on the TV" in playlist  # the staff-only song is marked so

    url = f"/storytimes/{storytime_id}/live/playlist"
    response = client.post(f"{url}/sung", data={"key": "the wheels on the bus", "action": "sung"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#playlist-title")
    with app.app_context():
        assert db.session.execute(db.select(SungSong.key)).scalars().all() == [
            "the wheels on the bus"
        ]
    assert "is-sung" in _page(client, storytime_id)
    client.post(f"{url}/sung", data={"key": "the wheels on the bus", "action": "unsung"})
    with app.app_context():
        assert db.session.execute(db.select(SungSong)).first() is None

    # An unknown song or action is refused with a message, and nothing changes.
    client.post(f"{url}/sung", data={"key": "no such song", "action": "sung"})
    assert "not in this storytime" in _page(client, storytime_id)
    client.post(f"{url}/screen", data={"action": "sideways"})
    with app.app_context():
        assert db.session.get(Storytime, storytime_id).playlist_on_screen is False

    client.post(f"{url}/screen", data={"action": "on"})
    with app.app_context():
        assert db.session.get(Storytime, storytime_id).playlist_on_screen is True
    assert "On the TV: take it off" in _page(client, storytime_id)


def test_a_librarian_of_another_branch_cannot_touch_the_playlist(app, client, staff):
    storytime_id = make_storytime(app).id
    post_share(app, storytime_id, "song", "Five little ducks")
    staff.signed_in(client, "librarian", "eastside")
    url = f"/storytimes/{storytime_id}/live"
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/playlist/screen", data={"action": "on"}).status_code == 403
    sung = client.post(f"{url}/playlist/sung", data={"key": "five little ducks", "action": "sung"})
    assert sung.status_code == 403
    with app.app_context():
        assert db.session.get(Storytime, storytime_id).playlist_on_screen is False
        assert db.session.execute(db.select(SungSong)).first() is None


def test_close_asks_first_and_a_closed_storytime_leads_to_its_wrap_up(app, client, staff):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    page = _page(client, storytime_id)
    back = f"/storytimes/{storytime_id}/live"
    assert f'href="/storytimes/{storytime_id}/close?next={back}"' in page
    assert 'value="close"' not in page  # no one-tap close

    client.post(f"/storytimes/{storytime_id}/close")
    closed = _page(client, storytime_id)

    wrap_up = re.search(r'<a class="button primary act-wrap-up" href="([^"]+)"(?! hidden)', closed)
    assert wrap_up and wrap_up.group(1) == f"/storytimes/{storytime_id}/wrap-up"
    open_again = re.search(
        r'<button type="submit" name="action" class="([^"]+)" value="open"', closed
    )
    assert open_again and "primary" not in open_again.group(1)
