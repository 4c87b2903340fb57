"""What caregivers type is text, everywhere: it shows as typed and never runs."""

from __future__ import annotations

import pytest
from harness import COORDINATOR, PHONE, TV, create_storytime, send_share
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">tap me</a>',
]


def expect_plain(page, guard) -> None:
    """Every payload is on the page as text, and none of it became markup or ran."""
    for payload in PAYLOADS:
        expect(page.get_by_text(payload).first).to_be_attached()
    guard.check(page)


def test_html_and_script_from_caregivers_show_as_plain_text(contexts, live_server, guard):
    storytime = create_storytime(live_server, "Untrusted words", kinds=["tip", "idea", "song"])
    dashboard = contexts.staff(PHONE).new_page()
    display = contexts.new(TV).new_page()
    for page in (dashboard, display):
        guard.watch(page)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    display.goto(storytime["display_url"])

    # With JavaScript: the page's script renders the confirmation and the phone's list.
    phone = contexts.new(PHONE).new_page()
    guard.watch(phone)
    phone.goto(storytime["join_url"])
    for payload in PAYLOADS[:2]:
        send_share(phone, "tip", payload, name="<b>Zoé</b>", screen=True)
        expect(phone.locator("#share-status")).to_contain_text("Sent")
    # Without JavaScript: the server renders the confirmation page.
    plain = contexts.new(PHONE, java_script_enabled=False).new_page()
    guard.watch(plain)
    plain.goto(storytime["join_url"])
    for payload in PAYLOADS[2:]:
        send_share(plain, "idea", payload, screen=True)
        expect(plain.get_by_role("heading", name="Thank you!")).to_be_visible()

    phone.reload()
    expect(phone.locator("#mine").get_by_text(PAYLOADS[0], exact=True)).to_be_visible()
    for page in (dashboard, display):
        expect(page.get_by_text(PAYLOADS[-1]).first).to_be_attached(timeout=2000)
        expect_plain(page, guard)
    expect(dashboard.get_by_text("<b>Zoé</b>").first).to_be_attached()
    # The phones' own lists.
    for payload in PAYLOADS[:2]:
        expect(phone.locator("#mine").get_by_text(payload, exact=True)).to_be_visible()
    for payload in PAYLOADS[2:]:
        expect(plain.locator("#mine").get_by_text(payload, exact=True)).to_be_visible()
    guard.check(phone)
    guard.check(plain)

    # Coordinators' review pages, after the storytime is over.
    status, _ = live_server.api("PATCH", f"/storytimes/{storytime['id']}", {"state": "closed"})
    assert status == 200
    review = contexts.staff(email=COORDINATOR).new_page()
    guard.watch(review)
    seen = 0
    for url in review_pages(review, storytime):
        review.goto(url)
        guard.check(review)
        if review.get_by_text(PAYLOADS[0]).count():
            seen += 1
            for payload in PAYLOADS:
                if review.get_by_text(payload).count() == 0:
                    continue
                expect(review.get_by_text(payload).first).to_be_attached()
    assert seen, "no review page showed the shares of the storytime"
    guard.check()


def review_pages(page, storytime: dict) -> list[str]:
    """Return the review pages linked from /review (and the storytime's own review page)."""
    page.goto("/review")
    links = page.eval_on_selector_all(
        "main a[href^='/review']", "els => els.map(a => a.getAttribute('href'))"
    )
    pages = ["/review"]
    for href in links:
        path = href.split("#")[0]
        if path not in pages and not path.endswith((".csv", ".json", ".zip", ".pdf")):
            pages.append(path)
    return pages[:15]


def test_the_guard_notices_injected_markup_dialogs_and_stray_requests(contexts, guard):
    page = contexts.new().new_page()
    guard.watch(page)
    page.goto("/login")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x>'); alert(1)")
    page.wait_for_load_state("networkidle")
    with pytest.raises(AssertionError, match="became markup"):
        guard.check(page)
    assert guard.dialogs == ["alert: 1"]
    assert any(url.endswith("/x") for url in guard.foreign)
