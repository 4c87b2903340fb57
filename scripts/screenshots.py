"""Screenshot every main page at phone, laptop and TV sizes.

    .venv/bin/python scripts/screenshots.py --out screenshots/
    .venv/bin/python scripts/screenshots.py --out screenshots/ --readme   # also refresh docs/img/

Starts the real server on a random port with a throwaway instance folder, fills it with a
storytime that caregivers shared into, and drives Debian's Chromium (`/usr/bin/chromium`,
or `STORYTIME_CHROMIUM`); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' harness, and the server helpers it uses.
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]

from harness import (  # noqa: E402
    COORDINATOR,
    LAPTOP,
    LIBRARIAN,
    PHONE,
    TV,
    LiveServer,
    chromium_missing,
    create_storytime,
    launch,
    login,
    seed_staff,
    share_item,
)

SIZES = {"phone": PHONE, "laptop": LAPTOP, "tv": TV}
# The README's pictures: (page, size) -> file in docs/img/.
README_SHOTS = {
    ("join", "phone"): "join-phone.png",
    ("display", "tv"): "display-tv.png",
    ("dashboard", "laptop"): "dashboard-laptop.png",
}
README_MAX_BYTES = 200 * 1024

# A busy room: thirty families, long and short, several scripts, names and none.
SHARES = [
    ("hello", "Hi! I'm Maya, here with Leo (10 months)", "Maya", True),
    ("hello", "Hola, somos Sofía y la pequeña Lucía", "Sofía", True),
    ("hello", "مرحبا! أنا ليلى مع ابني يوسف، عمره سنة", "ليلى", True),
    ("hello", "Bonjour, Chloé et Jules (8 mois)", "Chloé", True),
    ("hello", "Xin chào, mình là Lan và bé Minh", "Lan", True),
    ("hello", "Hello from Grandpa Joe and the twins, Ava and Eli", "Joe", True),
    ("hello", "Hi, Priya and baby Arjun, first time here!", "Priya", True),
    ("hello", "Kia ora from Aroha and little Nikau", "Aroha", True),
    ("tip", "Sing the same song at every nappy change: he waits for the chorus now", "Priya", True),
    ("tip", "Bring a spare sock: instant puppet for the car ride", None, True),
    (
        "tip",
        "On long train trips we play 'what can you hear?': the brakes, the doors, the "
        "announcements. She points at the speaker now every time the voice comes on, and we "
        "made up a little song about the conductor that calms her down when she is tired.",
        "Hannah",
        True,
    ),
    (
        "tip",
        "Board books fit in the nappy bag; library ones are free to swap every week",
        None,
        True,
    ),
    ("tip", "نغني أغنية صغيرة عند ركوب الحافلة، فيهدأ طفلي", "سارة", True),
    ("tip", "Pack snacks in a muffin tin: a game and a meal at once", "Tom", True),
    ("song", "Twinkle Twinkle Little Star", "Maya", True),
    ("song", "Les petits poissons dans l'eau", "Chloé", True),
    ("song", "twinkle, twinkle little star", None, True),
    ("song", "The Wheels on the Bus", "Joe", True),
    ("song", "Los pollitos dicen", "Sofía", True),
    ("song", "Row, Row, Row Your Boat", None, True),
    ("song", "Baby Shark", "Ava", True),
    ("question", "Do you have board books in Arabic?", None, False),
    ("question", "Is there a storytime on Saturdays?", "Lan", True),
    ("question", "How do I get a library card for my baby?", None, True),
    ("question", "My son does not talk yet at 2, who can I ask?", None, False),
    ("idea", "A storytime on Saturday mornings for working parents", "Tom", True),
    ("idea", "A bilingual Spanish-English storytime once a month", "Sofía", True),
    ("idea", "Une heure du conte en français, s'il vous plaît !", "Chloé", True),
    ("idea", "A stroller parking sign by the door", None, True),
    ("idea", "Lyrics on the screen so grandparents can sing along", "Joe", True),
]
# The pinned share: the librarian's pick, long enough to test the TV's layout.
PINNED = 10  # Hannah's train tip
PHONE_SHARES = 5  # each phone's shares stay under the per-phone rate limit


class Room:
    """A seeded storytime and the signed-in browser states that look at it."""

    def __init__(self, browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.storytime = create_storytime(server, "Baby Rhyme Time", theme="Things that go")
        self.states: dict[str, dict] = {}
        ids = []
        for first in range(0, len(SHARES), PHONE_SHARES):
            phone = self.context(PHONE)
            page = phone.new_page()
            page.goto(self.storytime["join_url"])
            for n, (kind, text, name, screen) in enumerate(
                SHARES[first : first + PHONE_SHARES], start=first
            ):
                item = share_item(text, f"screenshot-share-{n:03d}", kind, screen)
                item["name"] = name
                ids += post_shares_ids(page, self.storytime["code"], item)
                time.sleep(0.05)  # distinct times
            self.phone_state = phone.storage_state()
            phone.close()
        status, _pinned = server.api("PATCH", f"/shares/{ids[PINNED]}", {"pinned": True})
        assert status == 200, _pinned

    def context(self, device: dict, email: str | None = None, phone: bool = False):
        options = {"base_url": self.server.url, "color_scheme": "light", **device}
        if email:
            if email not in self.states:
                context = self.browser.new_context(**options)
                login(context.new_page(), email)
                self.states[email] = context.storage_state()
                context.close()
            options["storage_state"] = self.states[email]
        elif phone:
            options["storage_state"] = self.phone_state
        return self.browser.new_context(**options)


def post_shares_ids(page, code: str, item: dict) -> list[int]:
    """Send one share from a phone page and return its id."""
    response = page.evaluate(POST_SHARE_JS, [code, item])
    assert response["status"] == 201, response
    return [response["id"]]


POST_SHARE_JS = """
async ([code, item]) => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const response = await fetch(`/api/v1/storytimes/${code}/shares`, {
        method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
        body: JSON.stringify(item),
    });
    return {status: response.status, id: (await response.json()).id};
}
"""


def _page(room: Room, device: dict, email: str | None = None, phone: bool = False):
    context = room.context(device, email, phone)
    return context, context.new_page()


def shoot_home(room, device):
    context, page = _page(room, device)
    page.goto("/")
    return context, page


def shoot_login(room, device):
    context, page = _page(room, device)
    page.goto("/login")
    return context, page


def shoot_join(room, device):
    context, page = _page(room, device)
    page.goto(room.storytime["join_url"])
    page.locator('label[for="kind-song"]').click()
    page.get_by_label("Your message").fill("Row, row, row your boat")
    page.get_by_label("Your first name (optional)").fill("Amara")
    page.locator("body").click(position={"x": 2, "y": 2})
    return context, page


def shoot_join_sent(room, device):
    context, page = _page(room, device, phone=True)
    page.goto(room.storytime["join_url"])
    page.wait_for_load_state("networkidle")
    page.locator('label[for="kind-tip"]').click()
    page.get_by_label("Your message").fill("Library card for the baby: yes, they can have one!")
    page.get_by_role("button", name="Send").click()
    page.locator("#share-status").get_by_text("Sent").wait_for()
    return context, page


def shoot_storytime(room, device):
    context, page = _page(room, device, LIBRARIAN)
    page.goto(f"/storytimes/{room.storytime['id']}")
    return context, page


def shoot_dashboard(room, device):
    context, page = _page(room, device, LIBRARIAN)
    page.goto(f"/storytimes/{room.storytime['id']}/live")
    page.get_by_text("Twinkle Twinkle Little Star").first.wait_for()
    return context, page


def shoot_display(room, device):
    context, page = _page(room, device)
    page.goto(room.storytime["display_url"])
    page.wait_for_timeout(2500)  # let the arrival animation settle
    return context, page


def shoot_review(room, device):
    context, page = _page(room, device, COORDINATOR)
    page.goto("/review")
    return context, page


PAGES: dict[str, Callable] = {
    "home": shoot_home,
    "login": shoot_login,
    "join": shoot_join,
    "storytime": shoot_storytime,
    "dashboard": shoot_dashboard,
    "display": shoot_display,
    "review": shoot_review,
    # Last: each size sends one more share, which the pages above would show.
    "join-sent": shoot_join_sent,
}


def take(browser, server: LiveServer, out: Path, pages=None, sizes=None) -> list[Path]:
    """Write <page>-<size>.png for each page and size into `out`; return the files."""
    out.mkdir(parents=True, exist_ok=True)
    room = Room(browser, server)
    written = []
    for name in pages or PAGES:
        for size in sizes or SIZES:
            context, page = PAGES[name](room, SIZES[size])
            try:
                page.wait_for_load_state("networkidle")
                path = out / f"{name}-{size}.png"
                # What the screen shows (a full-page shot would misplace sticky bars).
                page.screenshot(path=str(path))
                written.append(path)
            finally:
                context.close()
    return written


def shrink_for_readme(source: Path, target: Path, width: int) -> None:
    """Resize and palette-compress a screenshot so the README stays light (< 200 KB)."""
    from PIL import Image

    with Image.open(source) as opened:
        image = opened.convert("RGB")
    while True:
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        for colours in (256, 128, 64):
            buffer = io.BytesIO()
            image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(
                buffer, "PNG", optimize=True
            )
            if buffer.tell() <= README_MAX_BYTES:
                target.write_bytes(buffer.getvalue())
                return
        width = int(image.width * 0.8)  # still too heavy: smaller, and try again


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--page", action="append", choices=list(PAGES), help="only these pages")
    parser.add_argument("--size", action="append", choices=list(SIZES), help="only these sizes")
    parser.add_argument("--readme", action="store_true", help="also refresh docs/img/")
    args = parser.parse_args(argv)
    reason = chromium_missing()
    if reason:
        print(reason, file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="storytime-shots-") as tmp:
        server = LiveServer(Path(tmp))
        server.start()
        try:
            seed_staff(server)
            with sync_playwright() as playwright:
                browser = launch(playwright)
                written = take(browser, server, args.out, args.page, args.size)
                browser.close()
        finally:
            server.stop()
    for path in written:
        print(path)
    if args.readme:
        img = ROOT / "docs" / "img"
        img.mkdir(parents=True, exist_ok=True)
        for (name, size), filename in README_SHOTS.items():
            source = args.out / f"{name}-{size}.png"
            if source.exists():
                shrink_for_readme(source, img / filename, 390 if size == "phone" else 1200)
                print(img / filename)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
