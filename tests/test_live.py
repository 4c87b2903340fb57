"""The live room's pages and feed: dashboard, display, /events, quiet screen, privacy."""

from __future__ import annotations

import re

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_support import post_share

from storytime.extensions import db
from storytime.models import Share, Storytime
from storytime.share.moderation import moderate
from storytime.share.service import delete_share

DISPLAY_KEYS = {"id", "kind", "text", "name", "pinned", "created_at"}


# --- /events ---


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("wrong_token", 403),
        ("librarian_other_branch", 403),
        ("librarian", 200),
        ("coordinator", 200),
        ("display_token", 200),
    ],
)
def test_who_may_read_the_feed(app, client, staff, who, status):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    url = f"/api/v1/storytimes/{storytime_id}/events"
    if who == "wrong_token":
        url += "?token=not-the-token"
    elif who == "display_token":
        url += f"?token={token}"
    elif who == "librarian_other_branch":
        staff.signed_in(client, "librarian", "eastside")
    elif who in ("librarian", "coordinator"):
        staff.signed_in(client, who, "central")
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert response.get_json() == {"events": [], "last_id": 0, "more": False}


def test_feed_is_404_for_an_unknown_storytime(client, staff):
    staff.signed_in(client)
    assert client.get("/api/v1/storytimes/404/events").status_code == 404


def test_staff_feed_has_every_share_and_the_room_state(app, client, staff):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    tip = post_share(app, storytime_id, "tip", "Sing it twice", name="Ana")
    private = post_share(app, storytime_id, "question", "Private?", allow_screen=False, phone="p2")
    client.patch(f"/api/v1/storytimes/{storytime_id}", json={"quiet": True})
    feed = client.get(f"/api/v1/storytimes/{storytime_id}/events").get_json()
    types = [(item["type"], item.get("share", {}).get("id")) for item in feed["events"]]
    assert types == [
        ("share.created", tip),
        ("share.created", private),
        ("storytime.updated", None),
    ]
    assert feed["events"][1]["share"]["staff_only"] is True
    room = feed["events"][2]["storytime"]
    assert room["quiet"] is True and room["state"] == "open"
    assert room["counts"]["by_kind"]["tip"] == 1 and room["counts"]["phones"] == 2
    assert room["display_url"].startswith("http://storytime.test/display/")
    assert feed["last_id"] == feed["events"][-1]["id"]
    after = client.get(f"/api/v1/storytimes/{storytime_id}/events?after={feed['last_id']}")
    assert after.get_json()["events"] == []


def test_display_feed_shows_and_hides_by_current_state(app, client, staff):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    staff.signed_in(client)
    tip = post_share(app, storytime_id, "tip", "Bubbles")
    url = f"/api/v1/storytimes/{storytime_id}/events?token={token}"
    screen = app.test_client()
    [shown] = screen.get(url).get_json()["events"]
    assert shown["type"] == "share.shown" and set(shown["share"]) == DISPLAY_KEYS
    client.patch(f"/api/v1/shares/{tip}", json={"on_screen": False})
    events = screen.get(url).get_json()["events"]
    # Readers render current state: the first event now hides it too.
    assert [(e["type"], e["share"]) for e in events] == [("share.hidden", {"id": tip})] * 2
    client.patch(f"/api/v1/storytimes/{storytime_id}", json={"quiet": True})
    room = screen.get(url).get_json()["events"][-1]
    assert room["type"] == "storytime.updated"
    assert room["storytime"]["quiet"] is True
    assert "display_url" not in room["storytime"] and "counts" not in room["storytime"]


@pytest.mark.parametrize("bad", ["-3", "x", "1e3", " 1 2"])
def test_bad_after_is_refused(app, client, staff, bad):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    response = client.get(f"/api/v1/storytimes/{storytime_id}/events", query_string={"after": bad})
    assert response.status_code == 422
    assert response.get_json()["field"] == "after"


# --- the property: nothing staff-only or hidden ever reaches the display ---

ACTION = st.one_of(
    st.tuples(
        st.just("share"),
        st.sampled_from(["hello", "tip", "song", "question", "idea"]),
        st.booleans(),
    ),
    st.tuples(
        st.just("moderate"),
        st.integers(0, 7),
        st.sampled_from(["on_screen", "pinned", "answered", "starred"]),
        st.booleans(),
    ),
    st.tuples(st.just("delete"), st.integers(0, 7)),
    st.tuples(st.just("quiet"), st.booleans()),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(moderation=st.sampled_from(["instant", "review"]), actions=st.lists(ACTION, max_size=12))
def test_display_never_sees_staff_only_or_hidden_shares(app, moderation, actions):
    storytime = make_storytime(app, moderation=moderation)
    storytime_id, token = storytime.id, storytime.display_token
    secrets_written = []
    share_ids: list[int] = []
    for n, action in enumerate(actions):
        if action[0] == "share":
            _kind, kind, allow = action
            text = f"{'SECRET' if not allow else 'open'}-{n}-{storytime_id}"
            if not allow:
                secrets_written.append(text)
            share_ids.append(post_share(app, storytime_id, kind, text, allow_screen=allow))
        elif action[0] in ("moderate", "delete") and share_ids:
            # A request context: a refused action builds its message in the reader's language.
            with app.test_request_context():
                share = db.session.get(Share, share_ids[action[1] % len(share_ids)])
                if share is None:
                    continue
                try:
                    if action[0] == "delete":
                        delete_share(share)
                    else:
                        moderate(share, {action[2]: action[3]})
                except ValueError:
                    db.session.rollback()
        elif action[0] == "quiet":
            from storytime.storytimes.service import set_quiet

            with app.app_context():
                set_quiet(db.session.get(Storytime, storytime_id), action[1])

    screen = app.test_client()
    feed = screen.get(f"/api/v1/storytimes/{storytime_id}/events?token={token}")
    app.config["STREAM_MAX_SECONDS"] = 0
    stream = screen.get(f"/api/v1/storytimes/{storytime_id}/stream?token={token}")
    page = screen.get(f"/display/{token}")
    for body in (feed, stream, page):
        text = body.get_data(as_text=True)
        assert not any(secret in text for secret in secrets_written)
    with app.app_context():
        visible = {
            share.id
            for share in db.session.execute(
                db.select(Share).where(Share.storytime_id == storytime_id)
            ).scalars()
            if share.visible_on_display
        }
    shown_now: set[int] = set()
    for item in feed.get_json()["events"]:
        assert item["type"] in {"share.shown", "share.hidden", "storytime.updated"}
        if item["type"] == "share.shown":
            assert set(item["share"]) == DISPLAY_KEYS
            assert item["share"]["id"] in visible
            shown_now.add(item["share"]["id"])
        elif item["type"] == "share.hidden":
            assert set(item["share"]) == {"id"}
            shown_now.discard(item["share"]["id"])
    assert shown_now == visible, "replaying the display feed gives exactly what is on screen"


# --- the dashboard page ---


def test_dashboard_shows_shares_newest_first_with_staff_only_marked(app, client, staff):
    storytime_id = make_storytime(app).id
    post_share(app, storytime_id, "song", "Twinkle twinkle")
    post_share(app, storytime_id, "question", "Quiet <b>question</b>", allow_screen=False)
    post_share(app, storytime_id, "song", "Old MacDonald", name="Leo")
    staff.signed_in(client)
    page = client.get(f"/storytimes/{storytime_id}/live").get_data(as_text=True)
    listed = page[page.index('id="share-list"') : page.index("</ol>")]
    assert listed.index("Old MacDonald") < listed.index("Quiet") < listed.index("Twinkle")
    assert "Quiet &lt;b&gt;question&lt;/b&gt;" in page
    assert 'data-allow-screen="false"' in listed
    assert "Librarian only" in page
    playlist = page[page.index('id="playlist"') :]
    assert playlist.index("Twinkle twinkle") < playlist.index("Old MacDonald")
    last = re.search(r'data-last-event-id="(\d+)"', page).group(1)
    assert last == "3"
    assert 'data-count="song">2<' in page and 'data-count="phones">1<' in page
    assert "<script>" not in page and 'style="' not in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("librarian_other_branch", 403), ("librarian", 200), ("admin", 200)],
)
def test_who_may_open_the_dashboard(app, client, staff, who, status):
    storytime_id = make_storytime(app).id
    if who == "librarian_other_branch":
        staff.signed_in(client, "librarian", "eastside")
    elif who != "anonymous":
        staff.signed_in(client, who, "central" if who == "librarian" else None)
    response = client.get(f"/storytimes/{storytime_id}/live")
    assert response.status_code == status


# --- the display page ---


def test_display_page_needs_no_login_and_shows_only_on_screen_shares(app, client):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    post_share(app, storytime_id, "hello", "Hi all", name="Maya")
    post_share(app, storytime_id, "hello", "Hello from Leo's family", name="Leo")
    post_share(app, storytime_id, "tip", "Bring a blanket")
    post_share(app, storytime_id, "question", "SECRET Q", allow_screen=False)
    response = client.get(f"/display/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Welcome, <bdi>Maya</bdi> and <bdi>Leo</bdi>!" in page
    assert "Bring a blanket" in page
    assert "SECRET" not in page
    assert "Scan to share" in page and "<svg" in page
    with app.app_context():
        code = db.session.get(Storytime, storytime_id).code
    assert code in page
    assert "share-actions" not in page and "live/control" not in page, "no staff controls"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_display_page_for_a_quiet_room_is_marked_quiet(app, client, staff):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    staff.signed_in(client)
    client.patch(f"/api/v1/storytimes/{storytime_id}", json={"quiet": True})
    page = app.test_client().get(f"/display/{token}").get_data(as_text=True)
    assert re.search(r'<main id="main" class="display is-quiet', page)


def test_old_display_link_stops_after_rotation(app, client, staff):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    staff.signed_in(client)
    new_url = client.post(f"/api/v1/storytimes/{storytime_id}/display-token").get_json()[
        "display_url"
    ]
    screen = app.test_client()
    assert screen.get(f"/display/{token}").status_code == 404
    assert screen.get(new_url.removeprefix("http://storytime.test")).status_code == 200


def test_display_pins_one_share_large(app, client, staff):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    staff.signed_in(client)
    pinned = post_share(app, storytime_id, "idea", "Puppet show next week")
    client.patch(f"/api/v1/shares/{pinned}", json={"pinned": True})
    page = app.test_client().get(f"/display/{token}").get_data(as_text=True)
    box = page[page.index('id="pinned"') : page.index('id="wall"')]
    assert "Puppet show next week" in box and "hidden" not in box.split(">", 1)[0]
