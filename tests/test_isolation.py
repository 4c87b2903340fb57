"""Caregiver text is set apart on every page: a direction override cannot reorder the page.

A share's text or name may hold a bidi override (U+202E RIGHT-TO-LEFT OVERRIDE and its
kin). Rendered inline, it reverses whatever follows it on the line: the TV's welcome
could greet "Maya" with the other names and words turned backwards. Every page therefore
puts each text and each name in an element of its own that isolates it (`<bdi>`, or an
element with `dir`), holding nothing else.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from seeded_world import Phone, seed, sign_in

RLO, PDF = "\u202e", "\u202c"
# Elements whose text is not laid out in the page's lines.
NOT_RENDERED = {"head", "title", "template", "script", "style", "textarea", "option"}


class TextNodes(HTMLParser):
    """Collect each text node holding an override, with whether its element isolates it."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.found: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if RLO not in data or any(tag in NOT_RENDERED for tag, _ in self.stack):
            return
        tag, attrs = self.stack[-1]
        self.found.append((data.strip(), tag == "bdi" or "dir" in attrs))


def overrides_on(html: str) -> list[tuple[str, bool]]:
    parser = TextNodes()
    parser.feed(html)
    return parser.found


TEXTS = {
    "hello": f"We came by bus {RLO}today",
    "tip": f"Bring {RLO}snacks{PDF} and water",
    "question": f"When is {RLO}the next one",
    "idea": f"More {RLO}sign language",
    "song": f"Wheels on the {RLO}bus",
}
NAMES = {kind: f"Ana{RLO}{kind[:2]}" for kind in TEXTS}


@pytest.fixture
def room(app):
    """A storytime where a phone shared each kind with an override in its text and name."""
    world = seed(app)
    phone = Phone(app, world.code)
    staff = app.test_client()
    sign_in(staff, world.users["librarian"])
    ids = []
    for kind, text in TEXTS.items():
        response = phone.share(text, kind=kind, name=NAMES[kind], on_screen=True)
        assert response.status_code == 201
        ids.append(response.get_json()["id"])
        staff.patch(f"/api/v1/shares/{ids[-1]}", json={"starred": True})
    return world, phone, staff, ids


def assert_isolated(html: str, where: str, expected: set[str]) -> None:
    nodes = overrides_on(html)
    loose = [text for text, isolated in nodes if not isolated]
    assert not loose, f"{where}: not isolated: {loose!r}"
    # The node holds one text or one name, nothing around it ("— Ana" would turn too).
    assert {text for text, _ in nodes} <= expected, f"{where}: {nodes!r}"
    assert nodes, f"{where}: the shares were not on the page at all"


def test_every_page_isolates_each_share_text_and_name(app, room):
    world, phone, staff, ids = room
    expected = set(TEXTS.values()) | set(NAMES.values())
    pages = {
        "display": (app.test_client(), f"/display/{world.display_token}"),
        "dashboard": (staff, f"/storytimes/{world.storytime_id}/live"),
        "join page": (phone.client, f"/j/{world.code}"),
        "delete page": (phone.client, f"/j/{world.code}/shares/{ids[1]}/delete"),
        "review": (staff, f"/review/storytimes/{world.storytime_id}"),
        "questions": (staff, "/review/questions"),
        "tips": (staff, "/review/tips"),
        "ideas": (staff, "/review/ideas"),
        "search": (staff, "/review/search?q=bus"),
        "recap editor": (staff, f"/review/storytimes/{world.storytime_id}/recap"),
    }
    for where, (client, url) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_isolated(response.get_data(as_text=True), where, expected)


def test_the_welcome_line_puts_each_name_in_its_own_bdi(app, room):
    world, *_ = room
    html = app.test_client().get(f"/display/{world.display_token}").get_data(as_text=True)
    welcome = html.split('id="welcome"', 1)[1].split("</p>", 1)[0]
    assert f"<bdi>{NAMES['hello']}</bdi>" in welcome
    assert welcome.count("<bdi>") == 1 and "Welcome, " in welcome
