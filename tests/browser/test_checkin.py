"""A caregiver checks in: without JavaScript, and live when the librarian asks; in Arabic too."""

from __future__ import annotations

import pytest
from harness import PHONE
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def checkins(live_server, storytime_id: int) -> list[tuple]:
    return live_server.query(
        "SELECT kind, learned, confident, will_use, aware, liked, answered_on "
        "FROM check_in WHERE storytime_id = ?",
        storytime_id,
    )


def test_a_phone_without_javascript_checks_in_with_three_taps(contexts, live_server, storytime):
    phone = contexts.new(PHONE, java_script_enabled=False).new_page()
    phone.goto(f"/j/{storytime['code']}/checkin")

    learned = phone.get_by_role("group", name="I learned something helpful.")
    learned.get_by_text("Strongly agree").click()
    phone.get_by_role(
        "group", name="I will do something I learned here with my child."
    ).get_by_text("Agree", exact=True).click()
    phone.get_by_label("What was the best part? (optional)").fill("The bubble song")
    phone.get_by_role("button", name="Send").click()

    expect(phone.get_by_role("heading", name="Thank you for checking in!")).to_be_visible()
    [row] = checkins(live_server, storytime["id"])
    assert row[:6] == ("immediate", 5, None, 4, None, "The bubble song")
    assert len(row[6]) == 10  # a day, never a time


def test_the_card_appears_when_the_librarian_asks_and_thanks_once_done(
    contexts, live_server, storytime
):
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])
    card = phone.locator("#checkin-card")
    expect(card).to_be_hidden()

    dashboard = contexts.staff().new_page()
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    dashboard.get_by_role("button", name="Ask for check-ins").click()
    expect(dashboard.get_by_text("every phone shows a check-in card").first).to_be_visible()

    # The phone's page was open all along: the card comes without a reload.
    expect(card).to_be_visible(timeout=25_000)
    card.get_by_role("link", name="Check in").click()
    phone.get_by_role("group", name="I know more about what the library offers.").get_by_text(
        "Strongly agree"
    ).click()
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("heading", name="Thank you for checking in!")).to_be_visible()

    phone.goto(storytime["join_url"])
    expect(phone.get_by_role("heading", name="Thank you for checking in!")).to_be_visible()
    expect(phone.locator("#checkin-card")).to_have_count(0)
    assert [r[4] for r in checkins(live_server, storytime["id"])] == [5]


def test_the_check_in_fits_a_small_phone_right_to_left(contexts, storytime):
    context = contexts.new(
        {"viewport": {"width": 360, "height": 640}, "has_touch": True, "is_mobile": True},
        locale="ar",
        extra_http_headers={"Accept-Language": "ar"},
    )
    phone = context.new_page()
    phone.goto(f"/j/{storytime['code']}/checkin")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # Big tap targets: every point of the scale is at least 44 px tall and wide.
    for box in phone.locator(".scale-button").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect()).map(r => [r.width, r.height])"
    ):
        assert box[0] >= 44 and box[1] >= 44, box
    phone.screenshot(path="/tmp/h16/checkin-ar-360.png", full_page=True)
