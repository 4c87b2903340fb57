"""The whole mission in one test: QR on the wall, a share from a phone, live on every screen."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from harness import PHONE, TV, create_storytime, login, send_share
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# The spec: a share reaches the dashboard and the display within a second, without a reload.
LIVE_WITHIN_MS = 1000


def read_qr(locator) -> str:
    """Decode the QR code the page shows, from a screenshot of the element."""
    image = Image.open(io.BytesIO(locator.screenshot()))
    results = zxingcpp.read_barcodes(image)
    assert results, "no QR code could be read from the page"
    return results[0].text


def mark_page(page) -> None:
    """Leave a value in the page's window; a reload would lose it."""
    page.evaluate("window.__storytimeNoReload = true")


def still_same_page(page) -> bool:
    return page.evaluate("window.__storytimeNoReload === true")


def test_a_caregiver_shares_and_the_room_sees_it_live(contexts, live_server, guard):
    created = create_storytime(live_server, "Wheels on the Bus", open_now=False)

    # The librarian signs in on her phone and opens the storytime she planned.
    librarian = contexts.new(PHONE)
    detail = librarian.new_page()
    guard.watch(detail)
    login(detail)
    detail.goto(f"/storytimes/{created['id']}")
    expect(detail.get_by_role("heading", name="Wheels on the Bus")).to_be_visible()
    detail.get_by_role("button", name=re.compile(r"^Open", re.I)).first.tap()
    expect(detail.get_by_text(re.compile(r"\bopen\b", re.I)).first).to_be_visible()

    # Dashboard and display in two more pages.
    dashboard = librarian.new_page()
    guard.watch(dashboard)
    dashboard.goto(f"/storytimes/{created['id']}/live")
    display_href = dashboard.locator("a[href*='/display/'], [data-display-url]").first
    display_url = display_href.get_attribute("href") or display_href.get_attribute(
        "data-display-url"
    )
    assert display_url and "/display/" in display_url
    display = contexts.new(TV).new_page()
    guard.watch(display)
    display.goto(display_url)
    mark_page(dashboard)
    mark_page(display)

    # A caregiver scans the QR the storytime's page shows.
    detail.reload()
    qr = detail.locator("svg.qr, .qr svg, img[src$='qr.svg'], img[src$='qr.png']").first
    join_url = read_qr(qr)
    assert re.fullmatch(rf"{re.escape(live_server.url)}/j/[A-Z0-9]+", join_url), join_url

    phone = contexts.new(PHONE).new_page()
    guard.watch(phone)
    phone.goto(join_url)
    send_share(phone, "song", "Wheels on the bus, with the hand moves", name="Maya")
    expect(phone.locator("#share-status")).to_contain_text("Sent")

    text = "Wheels on the bus, with the hand moves"
    shares = dashboard.locator("li.share-card")
    expect(shares.get_by_text(text)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(display.get_by_text(text)).to_be_visible(timeout=LIVE_WITHIN_MS)

    # A question stays with the librarian: on the dashboard, never on the display.
    send_share(phone, "question", "Is there a baby storytime on Saturdays?")
    question = "Is there a baby storytime on Saturdays?"
    expect(shares.get_by_text(question)).to_be_visible(timeout=LIVE_WITHIN_MS)
    display.wait_for_timeout(LIVE_WITHIN_MS)
    expect(display.get_by_text(question)).to_have_count(0)

    # The song joined the playtime playlist too (on a phone, one tab away).
    dashboard.get_by_role("button", name="Playlist").tap()
    expect(dashboard.locator(".playlist").get_by_text(text)).to_be_visible()
    assert still_same_page(dashboard) and still_same_page(display)
    guard.check()


def test_in_review_mode_a_share_reaches_the_display_when_the_librarian_shows_it(
    contexts, live_server, guard
):
    created = create_storytime(live_server, "Toddler Tales", moderation="review")
    dashboard = contexts.staff(PHONE).new_page()
    dashboard.goto(f"/storytimes/{created['id']}/live")
    display = contexts.new(TV).new_page()
    display.goto(created["display_url"])
    mark_page(display)

    phone = contexts.new(PHONE).new_page()
    phone.goto(created["join_url"])
    send_share(phone, "tip", "Bring a spare sock for the puppet song")

    tip = "Bring a spare sock for the puppet song"
    item = dashboard.locator("li.share-card").filter(has_text=tip).last
    expect(item).to_be_visible(timeout=LIVE_WITHIN_MS)
    display.wait_for_timeout(300)
    expect(display.get_by_text(tip)).to_have_count(0)

    item.get_by_role("button", name=re.compile(r"^Show", re.I)).tap()
    expect(display.get_by_text(tip)).to_be_visible(timeout=LIVE_WITHIN_MS)
    assert still_same_page(display)
