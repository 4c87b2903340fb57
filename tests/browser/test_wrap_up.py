"""Close asks first and leads to the wrap-up, which a librarian finishes on a laptop or a phone."""

from __future__ import annotations

import re

import pytest
from a11y import audit
from harness import LAPTOP, create_storytime, post_shares, share_item
from playwright.sync_api import expect

PHONE_360 = {"viewport": {"width": 360, "height": 640}, "has_touch": True, "is_mobile": True}
NO_HORIZONTAL_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
LONG_TIP = "Sing it slowly, then faster " * 12
UNBROKEN = "W" * 200  # no space to break at
RTL_TIP = "غنّوا الأغنية ببطء ثم بسرعة"


@pytest.mark.parametrize("device", [LAPTOP, PHONE_360], ids=["laptop-1366x768", "phone-360x640"])
def test_close_then_wrap_up_headcount_and_recap(contexts, live_server, guard, artifacts, device):
    touch = device.get("has_touch", False)

    def press(locator) -> None:
        locator.tap() if touch else locator.click()

    storytime = create_storytime(live_server, "Wrap-up " + UNBROKEN[:40])
    phone = contexts.new(PHONE_360).new_page()
    phone.goto(storytime["join_url"])
    suffix = f"{storytime['id']}-{device['viewport']['width']}"
    statuses = post_shares(
        phone,
        storytime["code"],
        [
            share_item(LONG_TIP, f"long-{suffix}"),
            share_item(UNBROKEN, f"unbroken-{suffix}"),
            share_item(RTL_TIP, f"rtl-{suffix}"),
        ],
    )
    assert statuses == [201, 201, 201]

    page = contexts.staff(device).new_page()
    guard.watch(page)
    page.goto(f"/storytimes/{storytime['id']}")
    press(page.get_by_role("link", name="Close sharing…"))

    # The question, then nothing changed until the librarian says Close.
    expect(page.get_by_text("Phones can no longer share; the TV says goodbye")).to_be_visible()
    close = page.get_by_role("button", name="Close", exact=True)
    keep = page.get_by_role("link", name="Keep open")
    expect(close).to_be_in_viewport()
    expect(keep).to_be_in_viewport()
    assert audit(page, f"close-{suffix}", artifacts) == []
    assert live_server.api("GET", f"/storytimes/{storytime['id']}")[1]["state"] == "open"
    press(close)

    expect(page).to_have_url(f"{live_server.url}/storytimes/{storytime['id']}/wrap-up")
    assert live_server.api("GET", f"/storytimes/{storytime['id']}")[1]["state"] == "closed"
    assert page.evaluate(NO_HORIZONTAL_SCROLL), "the wrap-up scrolls sideways"

    # Step 1: big steppers, saved.
    more_adults = page.get_by_role("button", name="One more Adults")
    box = more_adults.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44
    for _tap in range(3):
        press(more_adults)
    press(page.get_by_role("button", name="One more Babies"))
    expect(page.get_by_label("Adults", exact=True)).to_have_value("3")
    press(page.get_by_role("button", name="Save headcount"))
    expect(page.get_by_text("Headcount saved.")).to_be_visible()
    expect(page.get_by_label("Adults", exact=True)).to_have_value("3")
    expect(page.get_by_label("Babies", exact=True)).to_have_value("1")

    # Step 2: what goes in, names off, publish.
    # What was on the TV is in by default; the librarian takes one out.
    choices = page.locator(".recap-choices .recap-candidate")
    expect(choices.filter(has_text=RTL_TIP).get_by_role("button")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_label("Show caregivers' first names in this recap")).not_to_be_checked()
    press(choices.filter(has_text=UNBROKEN).get_by_role("button"))
    expect(choices.filter(has_text=UNBROKEN).get_by_role("button")).to_have_attribute(
        "aria-pressed", "false"
    )
    page.get_by_label("Note to families").fill("Next week: boats")
    press(page.get_by_role("button", name="Publish the recap"))
    expect(page.get_by_text("Recap published")).to_be_visible()
    assert page.evaluate(NO_HORIZONTAL_SCROLL), "the wrap-up scrolls sideways"
    page.screenshot(path=f"/tmp/wrap-up-{suffix}.png", full_page=True)
    assert audit(page, f"wrap-up-{suffix}", artifacts) == []

    public = contexts.new(device).new_page()
    public.goto(f"/j/{storytime['code']}/recap")
    expect(public.get_by_text(RTL_TIP)).to_be_visible()
    expect(public.get_by_text("Next week: boats")).to_be_visible()
    expect(public.get_by_text(UNBROKEN)).to_have_count(0)

    # After close, Open again is only a secondary action.
    page.goto(f"/storytimes/{storytime['id']}")
    expect(page.locator(".button.primary", has_text="Wrap up")).to_be_visible()
    expect(page.locator(".button.primary", has_text="Open again")).to_have_count(0)
    expect(page.get_by_role("button", name="Open again")).to_have_count(1)
    guard.check(page)


def test_start_now_from_the_new_form_lands_on_the_open_dashboard(contexts, live_server):
    page = contexts.staff(PHONE_360).new_page()
    page.goto("/storytimes/new")
    page.get_by_label("Title").fill("Drop-in rhymes")
    assert page.evaluate(NO_HORIZONTAL_SCROLL), "the form scrolls sideways"
    page.screenshot(path="/tmp/storytime-form-360.png", full_page=True)

    page.get_by_role("button", name="Start now").tap()

    expect(page).to_have_url(re.compile(r"/storytimes/\d+/live$"))
    storytime_id = int(page.url.rstrip("/").split("/")[-2])
    status, storytime = live_server.api("GET", f"/storytimes/{storytime_id}")
    assert status == 200 and storytime["state"] == "open"
