"""A share that arrives live on the dashboard and the same share after a reload read the same
time: the server formats both (storytime/i18n.py), in the reader's language and the library's
zone, never the browser's own clock or language."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from harness import LAPTOP, PASSWORD, PHONE, create_storytime, post_shares, share_item
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LIBRARY_ZONE = ZoneInfo("America/Toronto")  # the live server's STORYTIME_TIMEZONE


@pytest.mark.parametrize(("locale", "language"), [("en-US", "en"), ("fr-FR", "fr"), ("ar", "ar")])
def test_a_live_share_and_a_reloaded_one_show_the_same_time(
    contexts, live_server, guard, locale, language
):
    storytime = create_storytime(live_server, f"Times agree ({language})")
    # Far from the library's zone: a time from the browser's own clock would show it.
    dashboard = contexts.staff(LAPTOP, timezone_id="Asia/Tokyo", locale=locale).new_page()
    guard.watch(dashboard)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])
    text = f"Arrived live {secrets.token_hex(3)}"

    assert post_shares(phone, storytime["code"], [share_item(text, secrets.token_urlsafe(12))]) == [
        201
    ]
    card = dashboard.locator("#share-list .share-card", has_text=text)
    expect(card).to_be_visible(timeout=10_000)
    live = card.locator(".share-time")
    expect(live).not_to_have_text("")
    live_text = live.inner_text()
    sent = datetime.fromisoformat(live.get_attribute("datetime"))

    dashboard.reload()
    reloaded = dashboard.locator("#share-list .share-card", has_text=text).locator(".share-time")
    expect(reloaded).to_be_visible()

    assert reloaded.inner_text() == live_text
    # The library's wall clock (harness.py sets America/Toronto) in the page's language.
    assert live_text == format_time(sent, "short", tzinfo=LIBRARY_ZONE, locale=language)
    assert live_text != format_time(sent, "short", tzinfo=ZoneInfo("Asia/Tokyo"), locale=language)
    guard.check(dashboard)


ADMIN = "admin.times@library.example.org"


def test_the_time_zone_box_finds_a_city_and_the_select_keeps_it(contexts, live_server, guard):
    if not live_server.query("select 1 from user where email = ?", ADMIN):
        live_server.flask(
            "create-user", ADMIN, "--role", "admin", "--name", "Ada", "--password", PASSWORD
        )
    page = contexts.staff(LAPTOP, email=ADMIN).new_page()
    guard.watch(page)
    page.goto("/admin/settings?lang=en")
    select = page.get_by_label("Time zone", exact=True)
    expect(select).to_have_value("America/Toronto")  # the server's STORYTIME_TIMEZONE

    box = page.get_by_label("Find a time zone")
    box.fill("kolkata")
    expect(select).to_have_value("Asia/Kolkata")
    # The city first, then its old IANA name (Asia/Calcutta), which names it too.
    expect(page.locator("#timezone-matches")).to_have_text("Time zones that match: 2")
    visible = select.evaluate("s => [...s.options].filter(o => !o.hidden).map(o => o.value)")
    assert visible == ["Asia/Kolkata", "Asia/Calcutta"]
    hidden_groups = select.evaluate(
        "s => [...s.querySelectorAll('optgroup')].filter(g => g.hidden).length"
    )
    assert hidden_groups == select.evaluate("s => s.querySelectorAll('optgroup').length") - 1

    box.fill("new york")  # a space finds the underscore
    expect(select).to_have_value("America/New_York")
    box.press("Enter")  # picks; it does not send the form
    expect(select).to_be_focused()
    assert "/admin/settings" in page.url

    box.fill("eastern")  # old names are on the list too: US/Eastern, Canada/Eastern
    assert select.input_value() in ("Canada/Eastern", "US/Eastern")
    box.fill("atlantis")
    expect(page.locator("#timezone-matches")).to_have_text(
        "No time zone matches: try a nearby city."
    )
    box.fill("")
    assert select.evaluate("s => [...s.options].every(o => !o.hidden)")

    page.goto("/admin/settings?lang=es")
    page.locator("#timezone-filter").fill("nueva york")  # the city in the page's language
    expect(page.locator("#timezone")).to_have_value("America/New_York")
    guard.check(page)
