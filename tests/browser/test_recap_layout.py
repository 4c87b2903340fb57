"""The recap and its editor fit a phone and a laptop, whatever caregivers typed."""

from __future__ import annotations

import pytest
from harness import LAPTOP, create_storytime
from playwright.sync_api import expect

UNBROKEN = "W" * 300  # no space to break at: a pasted link, a key held down
NAME = "N" * 40  # the longest first name a share takes
PHONE_360 = {"viewport": {"width": 360, "height": 640}, "has_touch": True, "is_mobile": True}
NO_HORIZONTAL_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def long_recap(contexts, live_server) -> dict:
    """A closed storytime whose recap holds unbroken text, published with names on."""
    storytime = create_storytime(live_server, "Long words", kinds=["tip", "song", "question"])
    phone = contexts.new(PHONE_360).new_page()
    phone.goto(storytime["join_url"])
    for kind, text in (
        ("tip", UNBROKEN + "t"),
        ("song", UNBROKEN + "s"),
        ("question", UNBROKEN + "q"),
    ):
        status = phone.evaluate(
            """async ([code, body]) => (await fetch(`/api/v1/storytimes/${code}/shares`, {
                method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken':
                    document.querySelector('meta[name="csrf-token"]').content},
                body: JSON.stringify(body),
            })).status""",
            [
                storytime["code"],
                {
                    "kind": kind,
                    "text": text,
                    "name": NAME,
                    "on_screen": True,
                    "client_id": f"long-{kind}-{storytime['id']}",
                },
            ],
        )
        assert status == 201
    rows = live_server.query("SELECT id FROM share WHERE storytime_id = ?", storytime["id"])
    for (share_id,) in rows:
        assert live_server.api("PATCH", f"/shares/{share_id}", {"starred": True})[0] == 200
    assert live_server.api("PATCH", f"/storytimes/{storytime['id']}", {"state": "closed"})[0] == 200

    editor = contexts.staff(LAPTOP).new_page()
    editor.goto(f"/review/storytimes/{storytime['id']}/recap")
    editor.get_by_label("Note to families").fill(UNBROKEN + "n")
    editor.get_by_label("Families can see this recap on the join link").check()
    editor.get_by_label("Show caregivers' first names in this recap").check()
    editor.get_by_role("button", name="Save recap").click()
    expect(editor.get_by_text("Recap published")).to_be_visible()
    return storytime


@pytest.mark.parametrize("device", [PHONE_360, LAPTOP], ids=["phone-360x640", "laptop"])
def test_unbroken_text_wraps_in_the_recap_and_its_editor(contexts, long_recap, device):
    staff = contexts.staff(device).new_page()
    public = contexts.new(device).new_page()
    pages = [
        (staff, f"/review/storytimes/{long_recap['id']}/recap"),
        (public, f"/j/{long_recap['code']}/recap"),
        (public, f"/j/{long_recap['code']}"),
    ]
    for page, url in pages:
        page.goto(url)
        expect(page.locator(".recap").get_by_text(UNBROKEN + "t")).to_be_visible()
        expect(page.locator(".recap").get_by_text(NAME)).to_be_visible()  # names were turned on
        assert page.evaluate(NO_HORIZONTAL_SCROLL), f"{url} scrolls sideways"
