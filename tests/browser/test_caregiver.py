"""A caregiver shares from a phone: without JavaScript, through a dropped network, on tiny screens."""

from __future__ import annotations

import re

import pytest
from harness import PHONE, send_share
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_phone_without_javascript_can_still_share(contexts, live_server, storytime):
    phone = contexts.new(PHONE, java_script_enabled=False).new_page()
    phone.goto(storytime["join_url"])

    send_share(phone, "tip", "Sing the bus song on the real bus", name="Priya")

    expect(phone.get_by_role("heading", name="Thank you!")).to_be_visible()
    mine = phone.locator("#mine")
    expect(mine.get_by_text("Sing the bus song on the real bus")).to_be_visible()
    assert live_server.share_count(storytime["id"]) == 1


def test_a_share_sent_offline_arrives_once_when_the_phone_is_back(contexts, live_server, storytime):
    dashboard = contexts.staff().new_page()
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    context = contexts.new(PHONE)
    phone = context.new_page()
    phone.goto(storytime["join_url"])
    phone.wait_for_load_state("networkidle")  # share.js is running

    context.set_offline(True)
    send_share(phone, "question", "Where are the board books in Arabic?")
    status = phone.get_by_role("status").filter(has_text=re.compile("when you are back online"))
    expect(status).to_be_visible()
    assert live_server.share_count(storytime["id"]) == 0

    context.set_offline(False)
    expect(phone.get_by_role("status").filter(has_text="saved shares were sent")).to_be_visible(
        timeout=15_000
    )
    expect(dashboard.get_by_text("Where are the board books in Arabic?")).to_have_count(1)
    # A moment later, still once: no retry sends it again.
    phone.wait_for_timeout(1500)
    expect(dashboard.get_by_text("Where are the board books in Arabic?")).to_have_count(1)
    assert live_server.share_count(storytime["id"]) == 1
    expect(
        phone.locator("#mine").get_by_text("Where are the board books in Arabic?")
    ).to_have_count(1)


def test_the_join_page_speaks_to_screen_readers(contexts, storytime):
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])
    phone.wait_for_load_state("networkidle")

    # Every control has a name a screen reader reads out.
    expect(phone.get_by_label("Your message")).to_be_visible()
    expect(phone.get_by_label("Your first name (optional)")).to_be_visible()
    for word in ("Hello", "Tip", "Song", "Question", "Idea"):
        expect(phone.get_by_role("radio", name=word, exact=True)).to_have_count(1)
    expect(phone.get_by_role("radio", name="Show on the big screen")).to_have_count(1)
    expect(phone.get_by_role("radio", name="Just for the librarian")).to_have_count(1)
    live = phone.locator("[aria-live=polite], [role=status]").first
    expect(live).to_be_attached()

    send_share(phone, "hello", "Hi from Sam and baby Noor")

    # The live region that was on the page from the start announces the result.
    expect(phone.locator("#share-status")).to_have_attribute("aria-live", "polite")
    expect(phone.locator("#share-status")).to_contain_text(re.compile(r"\bsent\b", re.I))


SMALL_SCREENS = {
    # The narrowest phones still sold.
    "320px phone": {**PHONE, "viewport": {"width": 320, "height": 640}},
    # A laptop at 200% browser zoom: half the CSS pixels, twice the device pixels.
    "laptop at 200% zoom": {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2},
    # A phone at 200% zoom (WCAG reflow: 390 CSS px at 200%).
    "phone at 200% zoom": {
        **PHONE,
        "viewport": {"width": 195, "height": 422},
        "device_scale_factor": 4,
    },
}


@pytest.mark.parametrize("device", SMALL_SCREENS.values(), ids=SMALL_SCREENS.keys())
def test_the_join_page_never_scrolls_sideways(contexts, storytime, device):
    phone = contexts.new(device).new_page()
    phone.goto(storytime["join_url"])
    phone.locator('label[for="kind-song"]').click()
    phone.get_by_label("Your message").fill("Twinkle twinkle " * 30)

    overflow = phone.evaluate(
        """() => {
            const root = document.documentElement;
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
                .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
            return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide.slice(0, 8)};
        }"""
    )
    assert overflow["scroll"] <= overflow["client"], overflow
    assert overflow["wide"] == [], overflow
    # The send button is still whole and reachable.
    send = phone.get_by_role("button", name="Send")
    send.scroll_into_view_if_needed()
    box = send.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= overflow["client"] + 1
    assert box["height"] >= 44
