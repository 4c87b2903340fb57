"""A TV is set up once: it shows a code, the librarian types it, the TV follows its room."""

from __future__ import annotations

import re

import pytest
from harness import TV, create_storytime
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREEN_URL = re.compile(r"/screen/[A-Za-z0-9_-]{20,}$")


def put_in_room(live_server, storytime_id: int, room: str) -> None:
    """Put a storytime in a room of its own, so other tests' storytimes stay off this TV."""
    live_server.python(
        "from storytime.extensions import db\n"
        "from storytime.models import Storytime\n"
        f"db.session.get(Storytime, {storytime_id}).room = {room!r}\n"
        "db.session.commit()"
    )


def no_scrolling(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollHeight <= window.innerHeight"
        " && document.documentElement.scrollWidth <= window.innerWidth"
    )


def test_a_tv_paired_by_its_code_lands_on_the_storytime_by_itself(contexts, live_server, guard):
    storytime = create_storytime(live_server, "Pairing Rhymes")
    put_in_room(live_server, storytime["id"], "Pairing Room")
    tv = contexts.new(TV).new_page()
    guard.watch(tv)
    tv.goto("/tv")
    code = tv.locator("#tv-code").inner_text().strip()
    assert re.fullmatch(r"[23456789BCDFGHJKMNPQRSTVWXYZ]{6}", code)
    expect(tv.get_by_text("Type this code on the librarian's dashboard:")).to_be_visible()
    # With script, the TV checks by itself: no "Check again" button to press.
    expect(tv.get_by_role("button", name="Check again")).to_be_hidden()
    assert no_scrolling(tv)
    tv.screenshot(path="/tmp/tv-pairing-code.png")

    dashboard = contexts.staff().new_page()
    guard.watch(dashboard)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    box = dashboard.locator(".screen-pair")
    box.locator("input[name=code]").fill(code.lower())
    box.get_by_role("button", name="Pair").click()
    expect(dashboard.get_by_text("The TV is set up for Pairing Room")).to_be_visible()
    expect(box.get_by_text(f"Open {live_server.url.split('://')[1]}/tv on the TV")).to_be_visible()
    dashboard.locator(".screen-pair").screenshot(path="/tmp/dashboard-tv-setup.png")
    link = dashboard.locator(".screen-pair .screen-link").inner_text()
    assert SCREEN_URL.search(link)

    # The TV moves on by itself, to its permanent link, showing this storytime.
    tv.wait_for_url(SCREEN_URL, timeout=10_000)
    assert tv.url == link
    expect(tv.locator("#display")).to_be_attached()
    expect(tv.locator(".join-code")).to_have_text(storytime["code"])
    tv.screenshot(path="/tmp/tv-paired-display.png")
    assert not guard.dialogs and not guard.foreign


def test_an_idle_screen_shows_the_storytime_as_soon_as_it_opens(contexts, live_server, guard):
    storytime = create_storytime(live_server, "Annex Songs", open_now=False)
    put_in_room(live_server, storytime["id"], "Annex")
    token = live_server.python(
        "from storytime.admin.service import find_branch\n"
        "from storytime.screens.service import add_screen, find_screen\n"
        "branch = find_branch('central')\n"
        "print((find_screen(branch.id, 'Annex') or add_screen(branch, 'Annex')).token)"
    ).strip()
    # Scheduled for now: the screen shows it before it opens; moved away, the room is idle.
    live_server.python(
        "from datetime import timedelta\n"
        "from storytime.extensions import db\n"
        "from storytime.models import Storytime, now_utc\n"
        f"db.session.get(Storytime, {storytime['id']}).starts_at = now_utc() - timedelta(days=2)\n"
        "db.session.commit()"
    )
    tv = contexts.new(TV).new_page()
    guard.watch(tv)
    tv.goto(f"/screen/{token}")
    expect(tv.get_by_text("No storytime right now")).to_be_visible()
    assert no_scrolling(tv)
    tv.screenshot(path="/tmp/tv-idle.png")

    status, _opened = live_server.api("PATCH", f"/storytimes/{storytime['id']}", {"state": "open"})
    assert status == 200

    expect(tv.locator("#display")).to_be_attached(timeout=15_000)
    expect(tv.locator(".join-code")).to_have_text(storytime["code"])
    assert tv.url.endswith(f"/screen/{token}")

    # Staff replace the link: the TV says to pair it again at its next look.
    live_server.python(
        "from storytime.screens.service import find_by_token, replace_link\n"
        f"replace_link(find_by_token({token!r}))"
    )
    tv.goto(f"/screen/{token}")
    expect(tv.get_by_role("link", name="Pair this TV again")).to_be_visible()
    assert not guard.dialogs and not guard.foreign


SCREENS = (
    {"width": 1024, "height": 768},
    {"width": 1280, "height": 720},
    {"width": 1080, "height": 1920},
    {"width": 3840, "height": 2160},
)


def test_the_tv_pages_fit_any_screen_without_scrolling(contexts, live_server):
    token = live_server.python(
        "from storytime.admin.service import find_branch\n"
        "from storytime.screens.service import add_screen, find_screen\n"
        "branch = find_branch('central')\n"
        "name = 'Salle des contes مرحبا 👩‍👧‍👦 with a long name'\n"
        "print((find_screen(branch.id, name) or add_screen(branch, name)).token)"
    ).strip()
    page = contexts.new(TV).new_page()
    for size in SCREENS:
        page.set_viewport_size(size)
        for url in ("/tv", f"/screen/{token}", "/screen/not-a-screen"):
            page.goto(url)
            assert no_scrolling(page), (url, size)
        page.goto("/tv")
        code = page.locator("#tv-code").bounding_box()
        assert code["x"] >= 0 and code["x"] + code["width"] <= size["width"], size
