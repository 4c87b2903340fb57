"""The one live client (static/js/live-feed.js) under a broken stream; the dashboard's errors
and questions on the page rather than in the browser's own dialogs; its shortcuts and bar."""

from __future__ import annotations

import json
import re
import secrets
import time

import pytest
from a11y import audit
from harness import LAPTOP, PHONE, TV, create_storytime, post_shares, share_item
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

STREAM = "**/api/v1/storytimes/*/stream*"


def is_poll(url: str) -> bool:
    return "/events?" in url and "after=" in url


def client_id() -> str:
    return secrets.token_urlsafe(12)


def refuse_streams(page) -> list[str]:
    """Answer every stream request with a 502, as a proxy that will not stream might; return
    the list the stream requests are counted in."""
    asked: list[str] = []

    def refuse(route) -> None:
        asked.append(route.request.url)
        route.fulfill(status=502, content_type="text/plain", body="Bad Gateway")

    page.route(STREAM, refuse)
    return asked


def test_the_display_follows_by_polling_when_the_stream_is_refused(contexts, live_server, guard):
    storytime = create_storytime(live_server, "No streams here")
    display = contexts.new(TV).new_page()
    guard.watch(display)
    refused = refuse_streams(display)
    polls: list[str] = []
    display.on("request", lambda r: polls.append(r.url) if is_poll(r.url) else None)
    display.goto(storytime["display_url"])
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])

    shared = post_shares(phone, storytime["code"], [share_item("Came by polling", client_id())])
    assert shared == [201]
    expect(display.get_by_text("Came by polling")).to_be_visible(timeout=10_000)
    assert polls and refused
    assert all("token=" in url for url in polls + refused), "the display's link is its key"

    # A refused stream is retried a moment after each poll, never in a tight loop.
    before = len(refused)
    display.wait_for_timeout(4000)
    assert len(refused) - before <= 4, refused
    expect(display.get_by_text("Came by polling")).to_have_count(1)
    guard.check(display)


def test_the_dashboard_catches_up_by_polling_and_returns_to_the_stream(
    contexts, live_server, guard
):
    storytime = create_storytime(live_server, "Streams come and go")
    dashboard = contexts.staff(LAPTOP).new_page()
    guard.watch(dashboard)
    refuse_streams(dashboard)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])

    assert post_shares(phone, storytime["code"], [share_item("Polled in", client_id())]) == [201]
    expect(dashboard.locator("#share-list").get_by_text("Polled in")).to_be_visible(timeout=10_000)

    # Streams work again: the dashboard is back on one, and live.
    dashboard.unroute(STREAM)
    expect(dashboard.locator("#dashboard")).to_have_attribute(
        "data-connection", "live", timeout=10_000
    )
    expect(dashboard.locator(".live-status")).to_contain_text("Live")
    assert post_shares(phone, storytime["code"], [share_item("Streamed in", client_id())]) == [201]
    expect(dashboard.locator("#share-list").get_by_text("Streamed in")).to_be_visible(timeout=2000)
    expect(dashboard.locator("#share-list").get_by_text("Polled in")).to_have_count(1)
    guard.check(dashboard)


def open_dashboard_with_a_share(contexts, live_server, guard, text: str):
    storytime = create_storytime(live_server, "Questions on the page")
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])
    assert post_shares(phone, storytime["code"], [share_item(text, client_id())]) == [201]
    dashboard = contexts.staff(LAPTOP).new_page()
    guard.watch(dashboard)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    card = dashboard.locator("li.share-card").filter(has_text=text)
    expect(card).to_be_visible()
    expect(dashboard.locator("#dashboard")).to_have_attribute("data-connection", "live")
    return storytime, dashboard, card


def test_a_failed_action_is_said_in_the_status_region_not_an_alert(contexts, live_server, guard):
    _, dashboard, card = open_dashboard_with_a_share(contexts, live_server, guard, "Star me")
    message = dashboard.locator("#dash-message")
    expect(message).to_have_attribute("role", "status")

    # The server refuses with a message for people: the page shows that message.
    refusal = {"error": "conflict", "message": "Someone changed this share just now."}
    dashboard.route(
        "**/api/v1/shares/*",
        lambda route: route.fulfill(
            status=409, content_type="application/json", body=json.dumps(refusal)
        ),
    )
    card.get_by_role("button", name="Star", exact=True).click()
    expect(message).to_have_text(refusal["message"])
    expect(card).not_to_have_attribute("aria-busy", "true")

    # No answer at all: the page's own words, not the browser's "Failed to fetch".
    dashboard.unroute("**/api/v1/shares/*")
    dashboard.route("**/api/v1/shares/*", lambda route: route.abort())
    card.get_by_role("button", name="Star", exact=True).click()
    expect(message).to_have_text("That did not work. Check the connection and try again.")

    # The next action that works clears the message.
    dashboard.unroute("**/api/v1/shares/*")
    card.get_by_role("button", name="Star", exact=True).click()
    expect(card.get_by_role("button", name="Unstar", exact=True)).to_be_visible()
    expect(message).to_have_text("")
    guard.check(dashboard)


def test_deleting_from_the_keyboard_asks_in_a_page_dialog(contexts, live_server, guard, artifacts):
    storytime, dashboard, card = open_dashboard_with_a_share(
        contexts, live_server, guard, "Delete me, maybe"
    )
    card.click()
    dashboard.keyboard.press("Delete")
    dialog = dashboard.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Delete this share for good?")
    assert audit(dashboard, "dashboard-confirm", artifacts) == []

    # Escape says no: the share stays.
    dashboard.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    dashboard.wait_for_timeout(300)
    expect(card).to_be_visible()

    # Asked again, the librarian confirms in the dialog.
    card.click()
    dashboard.keyboard.press("Delete")
    dialog.get_by_role("button", name="Delete for good").click()
    expect(card).to_have_count(0)
    deadline = time.monotonic() + 5
    while live_server.share_count(storytime["id"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_server.share_count(storytime["id"]) == 0
    guard.check(dashboard)


def test_shortcuts_and_the_action_bar_act_on_the_selected_share(contexts, live_server, guard):
    storytime = create_storytime(live_server, "Hands on the keys")
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])
    items = [share_item(text, client_id()) for text in ("Older tip", "Newer tip")]
    assert post_shares(phone, storytime["code"], items) == [201, 201]
    older, newer = (f"li.share-card:has-text('{text}')" for text in ("Older tip", "Newer tip"))

    laptop = contexts.staff(LAPTOP).new_page()
    guard.watch(laptop)
    laptop.goto(f"/storytimes/{storytime['id']}/live")
    laptop.locator(newer).click()
    laptop.keyboard.press("j")  # next, older
    expect(laptop.locator(older)).to_have_class(re.compile(r"\bis-selected\b"))
    laptop.keyboard.press("*")
    expect(laptop.locator(older).get_by_role("button", name="Unstar")).to_be_visible()
    laptop.keyboard.press("k")  # previous, newer
    laptop.keyboard.press("p")
    expect(laptop.locator(newer)).to_have_attribute("data-pinned", "true")
    expect(laptop.locator(older)).to_have_attribute("data-pinned", "false")

    # On a phone the bar acts on the newest share when none is selected.
    bar_phone = contexts.staff(PHONE).new_page()
    guard.watch(bar_phone)
    bar_phone.goto(f"/storytimes/{storytime['id']}/live")
    bar = bar_phone.locator("#action-bar")
    bar.get_by_role("button", name="Screen").tap()
    expect(bar_phone.locator(newer)).to_have_attribute("data-on-screen", "false")
    expect(bar_phone.locator(newer)).to_have_class(re.compile(r"\bis-selected\b"))
    bar.get_by_role("button", name="Older share").tap()
    bar.get_by_role("button", name="Screen").tap()
    expect(bar_phone.locator(older)).to_have_attribute("data-on-screen", "false")
    guard.check(laptop)
    guard.check(bar_phone)
