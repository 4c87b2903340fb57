"""axe-core on every main page, and the staff dashboard with a keyboard alone."""

from __future__ import annotations

import secrets

import pytest
from a11y import audit
from harness import (
    COORDINATOR,
    LAPTOP,
    PHONE,
    TV,
    create_storytime,
    post_shares,
    send_share,
    share_item,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def room(browser, live_server) -> dict:
    """An open storytime with a share of every kind, some on screen, a question private."""
    storytime = create_storytime(live_server, "Rhymes and Rattles", theme="Animals")
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = context.new_page()
    page.goto(storytime["join_url"])
    items = [
        share_item("Hello from Maya and baby Leo!", secrets.token_urlsafe(9), "hello"),
        share_item("Sing in the bath: it calms him every time", secrets.token_urlsafe(9), "tip"),
        share_item("Twinkle Twinkle Little Star", secrets.token_urlsafe(9), "song"),
        share_item(
            "When is the next baby sign class?", secrets.token_urlsafe(9), "question", False
        ),
        share_item("More books in Ukrainian, please", secrets.token_urlsafe(9), "idea"),
    ]
    assert post_shares(page, storytime["code"], items) == [201] * len(items)
    context.close()
    return storytime


def check(page, name: str, artifacts) -> None:
    blocking = audit(page, name, artifacts)
    assert blocking == [], f"serious or critical axe violations on {name}: {blocking}"


def test_login_page(contexts, artifacts):
    page = contexts.new(PHONE).new_page()
    page.goto("/login")
    check(page, "login", artifacts)


def test_join_page_and_its_confirmation(contexts, room, artifacts):
    page = contexts.new(PHONE).new_page()
    page.goto(room["join_url"])
    check(page, "join", artifacts)
    send_share(page, "tip", "Read the same book twice: they love it")
    expect(page.locator("#share-status")).to_contain_text("Sent")
    check(page, "join-sent", artifacts)


def test_confirmation_page_without_javascript(contexts, room, artifacts):
    plain = contexts.new(PHONE, java_script_enabled=False)
    page = plain.new_page()
    page.goto(room["join_url"])
    send_share(page, "idea", "A stroller parking sign")
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    # axe is JavaScript: audit the same server-rendered page in a browser that runs it.
    same_phone = contexts.new(PHONE, storage_state=plain.storage_state()).new_page()
    same_phone.goto(page.url)
    expect(same_phone.get_by_role("heading", name="Thank you!")).to_be_visible()
    check(same_phone, "confirmation", artifacts)


@pytest.mark.parametrize("device", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_dashboard(contexts, room, artifacts, device):
    page = contexts.staff(device).new_page()
    page.goto(f"/storytimes/{room['id']}/live")
    expect(page.get_by_text("Twinkle Twinkle Little Star").first).to_be_visible()
    check(page, f"dashboard-{'phone' if device is PHONE else 'laptop'}", artifacts)


def test_display(contexts, room, artifacts):
    page = contexts.new(TV).new_page()
    page.goto(room["display_url"])
    expect(page.get_by_text("More books in Ukrainian, please").first).to_be_attached()
    check(page, "display", artifacts)


def test_storytime_page(contexts, room, artifacts):
    page = contexts.staff().new_page()
    page.goto(f"/storytimes/{room['id']}")
    check(page, "storytime", artifacts)


def test_review_pages(contexts, live_server, room, artifacts):
    page = contexts.staff(email=COORDINATOR).new_page()
    page.goto("/review")
    links = page.eval_on_selector_all(
        "main a[href^='/review']", "els => els.map(a => a.getAttribute('href'))"
    )
    paths = ["/review"]
    for href in links:
        path = href.split("#")[0]
        if path not in paths and not path.endswith((".csv", ".json", ".zip")):
            paths.append(path)
    blocking = {}
    for n, path in enumerate(paths[:12]):
        page.goto(path)
        found = audit(page, f"review-{n}", artifacts)
        if found:
            blocking[path] = found
    assert blocking == {}, blocking


FOCUS_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const ring = style.boxShadow && style.boxShadow !== 'none';
    if (!el.dataset.tabSeen) el.dataset.tabSeen = String(Object.keys(window.__seen ||= {}).length);
    window.__seen[el.dataset.tabSeen] = true;
    return {
        id: el.dataset.tabSeen,
        name: (el.getAttribute('aria-label') || el.textContent || el.value || el.tagName).trim().slice(0, 60),
        visible: outline || ring,
        closedSummary: el.tagName === 'SUMMARY' && !el.parentElement.open,
    };
}"""

ACTIONS_JS = """() => [...document.querySelectorAll(
        'main button, main a[href], main input:not([type=hidden]), main select, main textarea, main summary')]
    .filter(el => el.checkVisibility() && !el.disabled && el.tabIndex >= 0)
    .map(el => ({
        id: el.dataset.tabSeen || null,
        name: (el.getAttribute('aria-label') || el.textContent || el.value || el.tagName).trim().slice(0, 60),
    }))"""


def test_every_dashboard_action_is_reachable_by_keyboard_with_a_visible_focus(contexts, room):
    page = contexts.staff(LAPTOP).new_page()
    page.goto(f"/storytimes/{room['id']}/live")
    expect(page.get_by_text("When is the next baby sign class?").first).to_be_visible()

    invisible = []
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_JS)
        if focused is None:
            break
        if not focused["visible"]:
            invisible.append(focused["name"])
        if focused["closedSummary"]:
            page.keyboard.press("Enter")  # open "Delete…" to reach the confirming button
        if focused["id"] == "0" and len(page.evaluate("Object.keys(window.__seen)")) > 1:
            break  # came round again
    missed = [action["name"] for action in page.evaluate(ACTIONS_JS) if action["id"] is None]
    assert missed == [], f"not reachable with Tab: {missed}"
    assert invisible == [], f"focus not visible on: {invisible}"


def test_a_dashboard_action_works_from_the_keyboard(contexts, room):
    page = contexts.staff(LAPTOP).new_page()
    page.goto(f"/storytimes/{room['id']}/live")
    card = page.locator("li.share-card").filter(has_text="Twinkle Twinkle Little Star").last
    star = card.get_by_role("button", name="Star", exact=True)
    star.focus()
    page.keyboard.press("Enter")
    expect(card.get_by_role("button", name="Unstar", exact=True)).to_be_visible()
    page.reload()
    card = page.locator("li.share-card").filter(has_text="Twinkle Twinkle Little Star").last
    expect(card.get_by_role("button", name="Unstar", exact=True)).to_be_visible()
