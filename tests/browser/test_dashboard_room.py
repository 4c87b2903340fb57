"""The dashboard for one librarian with one free hand: nothing moves under the finger, compact
cards, filters, "Show all held", and the playlist always in sight, on a laptop, a tablet and a
phone, in a busy room of long, hostile and right-to-left text."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from harness import LAPTOP, create_storytime, post_shares
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "is_mobile": True}
TABLET_UPRIGHT = {"viewport": {"width": 768, "height": 1024}, "has_touch": True, "is_mobile": True}
SMALL_PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True, "is_mobile": True}
DEVICES = {"laptop": LAPTOP, "tablet": TABLET, "phone": SMALL_PHONE}
SHOTS = Path("/tmp/h15b-shots")

# A busy room: long words with no spaces, Arabic and Hebrew, emoji, markup, a bidi override.
HOSTILE = [
    "Sing the wheels on the bus twice, then the wipers go swish swish swish " * 3,
    "Supercalifragilisticexpialidocious" * 6,
    "أغنية الحروف العربية مع التصفيق، كررها مرتين من فضلك 🎶",
    "שיר ערש לפני השינה, בבקשה לשיר לאט 🌙",
    "<img src=x onerror=alert(1)> <b>bold?</b>",
    "\u202eevil override text\u202c then normal words after it",
    "🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌🚌",
    "Line one\nLine two\nLine three\nLine four",
]
NAMES = ["Maya", "محمد عبد الرحمن الطويل جداً", "Ōkawa-Fitzgerald-Montgomery-Smythe", None]
KINDS = ["tip", "song", "question", "idea", "hello"]


def room_items(count: int, prefix: str = "", *, kinds=KINDS, screen: bool = True) -> list[dict]:
    """Return `count` shares for the phone API, of every kind and length, with names."""
    items = []
    for n in range(count):
        item = {
            "kind": kinds[n % len(kinds)],
            "text": f"{prefix}{n} {HOSTILE[n % len(HOSTILE)]}",
            "on_screen": screen,
            "client_id": secrets.token_urlsafe(12),
        }
        name = NAMES[n % len(NAMES)]
        if name:
            item["name"] = name
        items.append(item)
    return items


def open_room(contexts, live_server, guard, device, *, shares: int = 30, moderation="instant"):
    """Open a storytime full of shares; return (storytime, phone page, dashboard page)."""
    storytime = create_storytime(live_server, "Busy Baby Rhyme Time", moderation=moderation)
    phone = contexts.new(SMALL_PHONE).new_page()
    phone.goto(storytime["join_url"])
    statuses = post_shares(phone, storytime["code"], room_items(shares, "Earlier "))
    assert set(statuses) <= {200, 201}, statuses
    dashboard = contexts.staff(device).new_page()
    guard.watch(dashboard)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    expect(dashboard.locator("#dashboard")).to_have_attribute("data-connection", "live")
    expect(dashboard.locator("li.share-card")).to_have_count(shares)
    return storytime, phone, dashboard


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


@pytest.mark.parametrize("device", list(DEVICES))
def test_a_card_under_the_finger_stays_put_while_ten_shares_arrive(
    contexts, live_server, guard, device
):
    storytime, phone, dashboard = open_room(contexts, live_server, guard, DEVICES[device])
    shares = dashboard.locator("#share-list")
    # The librarian has scrolled down a little to a card and has a finger (or the mouse) on it.
    shares.evaluate("list => list.scrollTo({top: 260})")
    card = dashboard.locator("li.share-card").nth(6)
    before = box(card)
    if device == "laptop":
        dashboard.mouse.move(before["x"] + 40, before["y"] + before["height"] / 2)

    post_shares(phone, storytime["code"], room_items(10, "Arrived "))
    bar = dashboard.locator("#new-bar")
    expect(bar).to_have_text("10 new", timeout=5000)
    shoot(dashboard, f"dashboard-{device}-waiting")
    assert box(card) == before
    expect(dashboard.locator("li.share-card")).to_have_count(30)

    # A tap on the bar brings them in, newest first, at the top of the list.
    bar.tap() if device != "laptop" else bar.click()
    expect(bar).to_be_hidden()
    expect(dashboard.locator("li.share-card")).to_have_count(40)
    expect(dashboard.locator("li.share-card").first).to_contain_text("Arrived 9")
    assert shares.evaluate("list => list.scrollTop") == 0
    shoot(dashboard, f"dashboard-{device}-after")
    guard.check(dashboard)


def test_on_a_laptop_the_pointer_alone_holds_the_list_at_the_top(contexts, live_server, guard):
    storytime, phone, dashboard = open_room(contexts, live_server, guard, LAPTOP, shares=12)
    card = dashboard.locator("li.share-card").nth(2)
    before = box(card)
    dashboard.mouse.move(before["x"] + 30, before["y"] + 20)
    post_shares(phone, storytime["code"], room_items(3, "Hovered "))
    expect(dashboard.locator("#new-bar")).to_have_text("3 new")
    assert box(card) == before
    # The pointer leaves the list: at the top, the waiting shares come in by themselves.
    dashboard.mouse.move(5, 5)
    expect(dashboard.locator("#new-bar")).to_be_hidden()
    expect(dashboard.locator("li.share-card")).to_have_count(15)
    # Not held any more: the next arrival goes straight in.
    post_shares(phone, storytime["code"], room_items(1, "Straight in "))
    expect(dashboard.locator("li.share-card").first).to_contain_text("Straight in 0")


def fully_visible_cards(page) -> int:
    return page.evaluate(
        """() => {
            const list = document.getElementById('share-list').getBoundingClientRect();
            const top = Math.max(list.top, 0), bottom = Math.min(list.bottom, innerHeight);
            return [...document.querySelectorAll('li.share-card')].filter((card) => {
                const r = card.getBoundingClientRect();
                return !card.hidden && r.top >= top - 0.5 && r.bottom <= bottom + 0.5;
            }).length;
        }"""
    )


def test_a_laptop_shows_at_least_eight_cards_and_nothing_runs_sideways(
    contexts, live_server, guard
):
    _storytime, _phone, dashboard = open_room(contexts, live_server, guard, LAPTOP)
    shoot(dashboard, "dashboard-laptop-busy")
    assert fully_visible_cards(dashboard) >= 8
    # Every card is the same height, whatever its text: a change never moves the others.
    heights = dashboard.locator("li.share-card").evaluate_all(
        "cards => [...new Set(cards.map((c) => Math.round(c.getBoundingClientRect().height)))]"
    )
    assert len(heights) == 1, heights
    assert dashboard.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert dashboard.evaluate("document.documentElement.scrollHeight <= innerHeight")


def in_viewport(page, locator) -> bool:
    found = locator.bounding_box()
    size = page.viewport_size
    return (
        found is not None
        and found["y"] >= 0
        and found["y"] + found["height"] <= size["height"]
        and found["x"] >= 0
        and found["x"] + found["width"] <= size["width"]
    )


@pytest.mark.parametrize("device", ["laptop", "tablet"])
def test_the_playlist_stays_in_sight_while_the_list_scrolls(contexts, live_server, guard, device):
    _storytime, _phone, dashboard = open_room(contexts, live_server, guard, DEVICES[device])
    dashboard.locator("#share-list").evaluate("list => list.scrollTo({top: list.scrollHeight})")
    heading = dashboard.get_by_role("heading", name="Playtime playlist")
    first_song = dashboard.locator("#playlist .song").first
    assert in_viewport(dashboard, heading)
    assert in_viewport(dashboard, first_song)
    shoot(dashboard, f"dashboard-{device}-scrolled")


def test_on_a_phone_the_playlist_is_a_tab_away_and_the_list_keeps_its_place(
    contexts, live_server, guard
):
    _storytime, _phone, dashboard = open_room(contexts, live_server, guard, SMALL_PHONE)
    shares = dashboard.locator("#share-list")
    shares.evaluate("list => list.scrollTo({top: 600})")
    tab = dashboard.get_by_role("button", name="Playlist")
    assert in_viewport(dashboard, tab)
    tab.tap()
    expect(dashboard.locator("#playlist .song").first).to_be_visible()
    shoot(dashboard, "dashboard-phone-playlist")
    dashboard.get_by_role("button", name="Shares", exact=True).tap()
    assert shares.evaluate("list => list.scrollTop") == 600


def test_songs_group_their_spellings_are_marked_sung_and_go_on_the_tv(contexts, live_server, guard):
    storytime = create_storytime(live_server, "Song time")
    phone = contexts.new(SMALL_PHONE).new_page()
    phone.goto(storytime["join_url"])
    songs = ["Twinkle Twinkle Little Star", "twinkle twinkle little star!!", "Old MacDonald"]
    items = [{"kind": "song", "text": t, "client_id": secrets.token_urlsafe(12)} for t in songs]
    post_shares(phone, storytime["code"], items)
    dashboard = contexts.staff(LAPTOP).new_page()
    guard.watch(dashboard)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    playlist = dashboard.locator("#playlist")
    expect(playlist.locator(".song")).to_have_count(2)
    twinkle = playlist.locator(".song").first
    expect(twinkle).to_contain_text("\u00d72")

    twinkle.get_by_role("button", name="Mark sung").click()
    expect(twinkle.get_by_role("button", name="Sung ✓")).to_have_attribute("aria-pressed", "true")
    assert live_server.query(
        "SELECT key FROM sung_song WHERE storytime_id = ?", storytime["id"]
    ) == [("twinkle twinkle little star",)]

    dashboard.get_by_role("button", name="Put on the TV").click()
    expect(dashboard.get_by_role("button", name="On the TV: take it off")).to_be_visible()
    assert live_server.query(
        "SELECT playlist_on_screen FROM storytime WHERE id = ?", storytime["id"]
    ) == [(1,)]
    # A new spelling arrives live and joins its song; the sung mark stays.
    post_shares(phone, storytime["code"], [{**items[0], "client_id": secrets.token_urlsafe(12)}])
    expect(twinkle).to_contain_text("\u00d73")
    expect(twinkle).to_have_class("song is-sung")
    guard.check(dashboard)


def test_filters_and_show_all_held_in_review_mode(contexts, live_server, guard):
    storytime, phone, dashboard = open_room(
        contexts, live_server, guard, TABLET, shares=10, moderation="review"
    )
    post_shares(phone, storytime["code"], room_items(2, "Private ", kinds=["tip"], screen=False))
    cards = dashboard.locator("li.share-card")
    expect(cards).to_have_count(12)

    dashboard.locator(".chip", has_text="Song").tap()
    expect(cards.filter(visible=True)).to_have_count(2)
    assert "kind=song" in dashboard.url
    dashboard.locator(".chip", has_text="All kinds").tap()
    dashboard.locator(".chip", has_text="Held").tap()
    expect(cards.filter(visible=True)).to_have_count(10)  # the private ones were never held

    show = dashboard.get_by_role("button", name="Show all held")
    expect(show).to_contain_text("10")
    show.tap()
    dashboard.get_by_role("dialog").get_by_role("button", name="Show all held").tap()
    expect(cards.filter(visible=True)).to_have_count(0)
    expect(dashboard.get_by_text("No share matches these filters.")).to_be_visible()
    expect(show).to_be_disabled()
    shown = live_server.query(
        "SELECT allow_screen, on_screen, held, COUNT(*) FROM share WHERE storytime_id = ?"
        " GROUP BY allow_screen, on_screen, held",
        storytime["id"],
    )
    assert sorted(shown) == [(0, 0, 0, 2), (1, 1, 0, 10)]
    dashboard.locator(".chip", has_text="On screen").tap()
    expect(cards.filter(visible=True)).to_have_count(10)
    guard.check(dashboard)


@pytest.mark.parametrize("device", [TABLET, TABLET_UPRIGHT], ids=["landscape", "upright"])
def test_every_target_on_a_tablet_is_at_least_44_px(contexts, live_server, guard, device):
    _storytime, _phone, dashboard = open_room(contexts, live_server, guard, device, shares=8)
    small = dashboard.evaluate(
        """() => [...document.querySelectorAll(
                '#dashboard button, #dashboard summary.button, #dashboard a.button')]
            .filter((el) => el.getClientRects().length && !el.closest('dialog'))
            .map((el) => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect().height])
            .filter(([, height]) => height < 44)"""
    )
    assert small == []
    shoot(dashboard, f"dashboard-tablet-{device['viewport']['width']}")


def test_in_arabic_the_dashboard_runs_right_to_left_and_still_fits(contexts, live_server, guard):
    storytime, phone, dashboard = open_room(contexts, live_server, guard, LAPTOP)
    dashboard.goto(f"/storytimes/{storytime['id']}/live?lang=ar")
    expect(dashboard.locator("html")).to_have_attribute("dir", "rtl")
    expect(dashboard.locator("#dashboard")).to_have_attribute("data-connection", "live")
    assert fully_visible_cards(dashboard) >= 8
    assert dashboard.evaluate("document.documentElement.scrollWidth <= innerWidth")
    # The list is held still under the pointer in this direction too.
    card = dashboard.locator("li.share-card").nth(3)
    before = box(card)
    dashboard.mouse.move(before["x"] + before["width"] - 40, before["y"] + 20)
    post_shares(phone, storytime["code"], room_items(2, "RTL arrival "))
    expect(dashboard.locator("#new-bar")).to_be_visible()
    assert box(card) == before
    shoot(dashboard, "dashboard-laptop-arabic")
    dashboard.goto(f"/storytimes/{storytime['id']}/live?lang=en")


@pytest.mark.parametrize(
    "device", [LAPTOP, TABLET_UPRIGHT, SMALL_PHONE], ids=["laptop", "upright", "phone"]
)
def test_a_librarian_only_card_still_shows_who_sent_it(contexts, live_server, guard, device):
    storytime = create_storytime(live_server, "Questions Time")
    phone = contexts.new(SMALL_PHONE).new_page()
    phone.goto(storytime["join_url"])
    question = {
        "kind": "question",
        "text": "Is there a Saturday storytime?",
        "name": "Bo",
        "client_id": secrets.token_urlsafe(12),
    }  # no on_screen: a question stays with the librarian
    assert post_shares(phone, storytime["code"], [question]) == [201]
    dashboard = contexts.staff(device).new_page()
    guard.watch(dashboard)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    card = dashboard.locator("li.share-card").first

    name, flag = card.locator(".share-name"), card.locator(".flag-staff-only")
    expect(name).to_have_text("Bo")
    expect(flag).to_be_visible()
    # The name is whole; on a narrow card the flag keeps only its lock (the reason is its
    # title, and read out by screen readers), never the other way round.
    assert not name.evaluate("(el) => el.scrollWidth > el.clientWidth + 1"), device
    shoot(dashboard, f"librarian-only-{device['viewport']['width']}")
    assert box(flag)["width"] >= 18  # at least the lock, whole
    assert not flag.evaluate("(el) => el.scrollWidth > el.clientWidth + 1"), device
    assert box(name)["x"] + box(name)["width"] <= box(card)["x"] + box(card)["width"]
    assert "did not allow the big screen" in flag.get_attribute("title")
    guard.check(dashboard)
