"""On a 360x640 phone, "Who may see it?" is in sight before Send, and Send names the choice.

A share sent with each choice lands with that consent, as staff read it through the API.
The page of a storytime that has not opened yet opens by itself when the librarian opens it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from a11y import audit
from harness import DEFAULT_KINDS, create_storytime
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SMALL_PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True, "is_mobile": True}
SHOTS = Path("/tmp/storytime-phone")
# A prompt as long as the storytime form allows (300 characters), for every kind.
LONG_PROMPT = (
    "Tell us about your morning: your first name, your little one's name and age, the song "
    "that works at bedtime, the book they ask for again and again, and one small thing that "
    "helped this week when nothing else did — we will read some of them out loud together!"
)
LABELS = {"screen": "Send to the screen", "librarian": "Send to the librarian"}


@pytest.fixture(scope="module", autouse=True)
def _shots() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def long_room(live_server) -> dict:
    """An open storytime asking for every kind with the longest prompt the form allows."""
    assert len(LONG_PROMPT) <= 300
    kinds = [{"kind": kind, "question": LONG_PROMPT} for kind in DEFAULT_KINDS]
    return create_storytime(live_server, "Baby Rhyme Time", kinds=kinds)


def open_phone(contexts, url: str, language: str, **options):
    """Open the page on a 360x640 phone that reads the given language."""
    page = contexts.new(SMALL_PHONE, locale=language, **options).new_page()
    page.goto(f"{url}?lang={language}")
    return page


def uncovered(page, selector: str) -> dict:
    """Return where the element is and whether the point at its centre hits it or a child."""
    return page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            const box = el.getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            const bar = document.querySelector('.send-bar').getBoundingClientRect();
            return {top: box.top, bottom: box.bottom, viewport: innerHeight,
                    barTop: bar.top, hit: !!hit && el.contains(hit),
                    hitWhat: hit ? hit.outerHTML.slice(0, 80) : null};
        }""",
        selector,
    )


def send_label(page) -> str:
    """Return what the Send button says (its accessible name: hidden labels are not read)."""
    return page.locator(".send-button").inner_text().strip()


def label_for(page, audience: str) -> str:
    """Return the page's own words for sending to that audience, in its language."""
    return page.locator(f".send-to-{audience}").text_content().strip()


def staff_consents(live_server, storytime_id: int) -> dict[str, bool]:
    """Return each share's consent to the screen, by text, as the staff API tells it."""
    status, feed = live_server.api("GET", f"/storytimes/{storytime_id}/events")
    assert status == 200, feed
    return {
        item["share"]["text"]: item["share"]["allow_screen"]
        for item in feed["events"]
        if "text" in item.get("share", {})
    }


@pytest.mark.parametrize("language", ["en", "es", "fr", "ar"])
def test_the_audience_choice_is_in_sight_and_send_names_it(
    contexts, live_server, long_room, language
):
    page = open_phone(contexts, long_room["join_url"], language)
    page.wait_for_load_state("networkidle")  # share.js is running
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")

    # The choice, and each of its two options, is whole on the first screen and is what a
    # finger at its centre touches: not the sticky Send bar.
    for selector in ("#audience", ".choice-screen", ".choice-librarian"):
        where = uncovered(page, selector)
        assert where["top"] >= 0 and where["bottom"] <= where["barTop"] <= where["viewport"], (
            selector,
            where,
        )
        assert where["hit"], (selector, where)
    page.screenshot(path=str(SHOTS / f"join-{language}-360x640.png"))

    screen, librarian = label_for(page, "screen"), label_for(page, "librarian")
    if language == "en":
        assert (screen, librarian) == (LABELS["screen"], LABELS["librarian"])
    assert screen != librarian
    # "Hello" opens the page and goes to the screen by default; Send says so.
    expect(page.locator(".send-button")).to_have_accessible_name(screen)
    page.locator("label.choice-librarian").tap()
    expect(page.locator(".send-button")).to_have_accessible_name(librarian)
    page.locator("label.choice-screen").tap()
    expect(page.locator(".send-button")).to_have_accessible_name(screen)

    # Each choice lands with that consent.
    sent = {}
    for audience in ("screen", "librarian"):
        text = f"{language} {audience} {secrets.token_hex(4)}"
        page.locator('label[for="kind-tip"]').tap()
        page.locator(f"label.choice-{audience}").tap()
        page.locator("textarea[name=text]").fill(text)
        assert send_label(page) == label_for(page, audience)
        page.locator(".send-button").tap()
        expect(page.locator("#share-status .flash-success")).to_be_visible()
        expect(page.locator("#mine").get_by_text(text)).to_be_visible()
        sent[text] = audience == "screen"
    consents = staff_consents(live_server, long_room["id"])
    assert {text: consents.get(text) for text in sent} == sent


def test_picking_a_question_moves_the_choice_and_the_label_to_the_librarian(contexts, long_room):
    page = open_phone(contexts, long_room["join_url"], "en")
    page.wait_for_load_state("networkidle")
    send = page.locator(".send-button")
    expect(send).to_have_accessible_name(LABELS["screen"])

    page.locator('label[for="kind-question"]').tap()
    expect(page.get_by_role("radio", name="Just for the librarian")).to_be_checked()
    expect(send).to_have_accessible_name(LABELS["librarian"])
    # A choice the caregiver made stays theirs when the kind changes again.
    page.locator("label.choice-screen").tap()
    page.locator('label[for="kind-idea"]').tap()
    page.locator('label[for="kind-question"]').tap()
    expect(send).to_have_accessible_name(LABELS["screen"])


@pytest.mark.parametrize("language", ["en", "ar"])
def test_without_javascript_send_still_names_the_audience(
    contexts, live_server, long_room, language
):
    page = open_phone(contexts, long_room["join_url"], language, java_script_enabled=False)
    send = page.locator(".send-button")
    screen, librarian = label_for(page, "screen"), label_for(page, "librarian")
    # Questions are open, so no choice is checked without script: the kind's default
    # (what the server applies) names the audience until the caregiver chooses.
    expect(page.locator('input[name="on_screen"]:checked')).to_have_count(0)
    expect(send).to_have_accessible_name(screen)
    page.locator('label[for="kind-question"]').tap()
    expect(send).to_have_accessible_name(librarian)
    where = uncovered(page, "#audience")
    assert where["hit"] and where["bottom"] <= where["barTop"], where
    page.screenshot(path=str(SHOTS / f"join-nojs-{language}-360x640.png"))

    text = f"no script {language} {secrets.token_hex(4)}"
    page.locator("textarea[name=text]").fill(text)
    send.tap()
    expect(page.locator("#sent")).to_be_visible()
    assert staff_consents(live_server, long_room["id"])[text] is False

    page.locator('label[for="kind-question"]').tap()
    page.locator("label.choice-screen").tap()
    expect(send).to_have_accessible_name(screen)
    text = f"no script to the screen {language} {secrets.token_hex(4)}"
    page.locator("textarea[name=text]").fill(text)
    send.tap()
    expect(page.locator("#sent")).to_be_visible()
    assert staff_consents(live_server, long_room["id"])[text] is True


def test_a_phone_waiting_for_storytime_opens_by_itself(contexts, live_server, artifacts):
    storytime = create_storytime(live_server, "Toddler Tales", open_now=False)
    page = contexts.new(SMALL_PHONE).new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.clock.install()  # the page's timers run when the test says, its requests for real
    page.goto(storytime["join_url"])

    waiting = page.locator("#waiting")
    expect(waiting).to_contain_text("This storytime is not open yet.")
    expect(waiting).to_contain_text("Storytime starts at")
    expect(page.get_by_text("This page opens by itself")).to_be_visible()
    page.screenshot(path=str(SHOTS / "waiting-360x640.png"))
    blocking = audit(page, "join-waiting", artifacts)
    assert blocking == [], blocking

    # Still scheduled: the page asks, hears "scheduled" and keeps waiting.
    page.clock.run_for(21_000)
    status_url = f"{live_server.url}/j/{storytime['code']}/status"
    page.wait_for_timeout(500)
    assert asked.count(status_url) == 1, asked
    expect(waiting).to_be_visible()

    status, opened = live_server.api("PATCH", f"/storytimes/{storytime['id']}", {"state": "open"})
    assert status == 200 and opened["state"] == "open"
    page.clock.run_for(21_000)
    expect(page.locator("#share-form")).to_be_visible()
    expect(page.locator("#audience")).to_be_in_viewport()
    assert page.url.endswith(f"/j/{storytime['code']}")
    page.screenshot(path=str(SHOTS / "waiting-opened-360x640.png"))


def test_a_hidden_waiting_page_asks_nothing_and_asks_at_once_when_shown(contexts, live_server):
    storytime = create_storytime(live_server, "Wiggles", open_now=False)
    page = contexts.new(SMALL_PHONE).new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.clock.install()
    page.goto(storytime["join_url"])
    expect(page.get_by_text("This page opens by itself")).to_be_visible()
    status_url = f"{live_server.url}/j/{storytime['code']}/status"

    hide = """(hidden) => {
        Object.defineProperty(document, 'visibilityState', {value: hidden ? 'hidden' : 'visible',
                                                            configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }"""
    page.evaluate(hide, True)
    page.clock.run_for(120_000)
    page.wait_for_timeout(300)
    assert status_url not in asked

    live_server.api("PATCH", f"/storytimes/{storytime['id']}", {"state": "open"})
    page.evaluate(hide, False)
    page.clock.run_for(10)  # shown again: it asks now, not in 15 s
    expect(page.locator("#share-form")).to_be_visible()


def test_without_javascript_the_waiting_page_opens_with_check_again(contexts, live_server):
    storytime = create_storytime(live_server, "Songs and Stories", open_now=False)
    page = contexts.new(SMALL_PHONE, java_script_enabled=False).new_page()
    page.goto(storytime["join_url"] + "?kind=song")
    expect(page.locator("#waiting")).to_contain_text("This storytime is not open yet.")
    # It does not promise what it cannot do without script.
    expect(page.get_by_text("This page opens by itself")).to_be_hidden()

    live_server.api("PATCH", f"/storytimes/{storytime['id']}", {"state": "open"})
    page.get_by_role("link", name="Check again").tap()
    expect(page.locator("#share-form")).to_be_visible()
    expect(page.locator("#kind-song")).to_be_checked()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_join_page_passes_axe_on_a_small_phone(contexts, long_room, artifacts, language):
    page = open_phone(contexts, long_room["join_url"], language)
    page.wait_for_load_state("networkidle")
    page.locator('label[for="kind-question"]').tap()
    blocking = audit(page, f"join-360-{language}", artifacts)
    assert blocking == [], blocking
