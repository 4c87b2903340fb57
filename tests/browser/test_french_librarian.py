"""A French-speaking librarian's pages say nothing in English: the dashboard (also after
shares arrive live), the storytimes list, a storytime's page and every review page."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from harness import COORDINATOR, LAPTOP, create_storytime, post_shares
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CATALOG = Path(__file__).resolve().parents[2] / "storytime/translations/fr/LC_MESSAGES/messages.po"


def english_only_lines() -> set[str]:
    """Return every English message whose French differs: none may be a line on a page."""
    with CATALOG.open("rb") as file:
        catalog = read_po(file)
    lines = set()
    for message in catalog:
        if not message.id or not isinstance(message.id, str) or "%" in message.id:
            continue
        if message.string and message.string != message.id and len(message.id) > 3:
            lines.add(message.id.strip())
    return lines


def visible_lines(page) -> set[str]:
    """Return each line of text the page shows, and every button's and link's own words."""
    text = page.evaluate(
        """() => [document.body.innerText,
                  ...[...document.querySelectorAll('[aria-label], [title], [placeholder]')]
                     .flatMap((el) => [el.getAttribute('aria-label'), el.getAttribute('title'),
                                       el.getAttribute('placeholder')])
                     .filter(Boolean)].join('\\n')"""
    )
    return {line.strip() for line in text.splitlines() if line.strip()}


def test_the_french_librarian_reads_no_english(contexts, live_server, guard):
    storytime = create_storytime(live_server, "Comptines")
    phone = contexts.new().new_page()
    phone.goto(storytime["join_url"])
    english = english_only_lines()
    french = {"locale": "fr-FR", "extra_http_headers": {"Accept-Language": "fr"}}
    for email in (None, COORDINATOR):  # signed in once, in English, by the login helper
        contexts.staff(LAPTOP, **({"email": email} if email else {}))
    dashboard = contexts.staff(
        LAPTOP, locale="fr-FR", extra_http_headers={"Accept-Language": "fr"}
    ).new_page()
    guard.watch(dashboard)
    dashboard.goto(f"/storytimes/{storytime['id']}/live")
    items = [
        {
            "kind": kind,
            "text": f"Bonjour {kind}",
            "on_screen": kind != "question",
            "client_id": secrets.token_urlsafe(12),
        }
        for kind in ("hello", "tip", "song", "question", "idea")
    ]
    assert set(post_shares(phone, storytime["code"], items)) == {201}
    expect(dashboard.locator("li.share-card")).to_have_count(5)  # arrived live, drawn by JS

    pages = {"dashboard": dashboard}
    for name, path in {
        "storytimes": "/storytimes",
        "storytime": f"/storytimes/{storytime['id']}",
        "review": "/review/",
        "review-storytime": f"/review/storytimes/{storytime['id']}",
    }.items():
        page = dashboard.context.new_page()
        page.goto(path)
        pages[name] = page
    coordinator = contexts.staff(LAPTOP, email=COORDINATOR, **french)
    for path in (
        "/review/songbook",
        "/review/questions",
        "/review/tips",
        "/review/ideas",
        "/review/charts",
        "/review/outcomes",
        "/admin/settings",
    ):
        page = coordinator.new_page()
        page.goto(path)
        pages[path] = page

    found = {name: sorted(visible_lines(page) & english) for name, page in pages.items()}
    assert {name: lines for name, lines in found.items() if lines} == {}
    guard.check(dashboard)
