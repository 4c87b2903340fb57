"""The TV is a layout of fixed regions: whatever the room shares, nothing scrolls or spills.

A busy room (realistic and hostile shares: 500-character tips, 40-character names, RTL,
emoji, a long pinned tip) is drawn at projector, TV and portrait sizes; each screenshot is
read back for the QR code, and every region is measured.
"""

from __future__ import annotations

import io
import re
import secrets

import pytest
import zxingcpp
from harness import ARTIFACTS, PHONE, create_storytime, post_shares
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SIZES = {
    "1920x1080": (1920, 1080),
    "1280x720": (1280, 720),
    "1024x768": (1024, 768),
    "portrait-1080x1920": (1080, 1920),
    "3840x2160": (3840, 2160),
}
LONG_TIP = (
    "When the baby fusses in the car seat, we sing the bus song slowly and tap the rhythm "
    "on her feet; by the third round she is giggling. Grandma taught us to add a verse "
    "for every stop we pass: the library, the bakery, the park with the big red slide. "
    "It works on the train too, and on long waits at the doctor's office. Try it! 🚌🎶"
)[:500]
PINNED = (
    "Today's rhyme, all together: " + "Row, row, row your boat, gently down the stream. " * 12
)[:500]
NAMES = [
    "Ana",
    "Bo",
    "Chen",
    "Maximiliana-Josefina de la Cruz-Olivares",  # 40 characters, the longest a name takes
    "فاطمة الزهراء",
    "נועה",
    "Ngọc Ánh 🌸",
    "Wolfgang Amadeus Mozart-Hoffmannsthaler",
]
TEXTS = [
    "Hi from Leo and his big sister!",
    "مرحبا! نحن نحب وقت القصة كثيرا 📚",
    LONG_TIP,
    "Wheels on the bus",
    "Twinkle twinkle little star ⭐⭐⭐",
    "שלום! אנחנו אוהבים לשיר",
    "Could you do a dinosaur theme next time? 🦕🦖",
    "W" * 300,  # no space to break at: a pasted link, a key held down
    "Bath-time tip: keep a cup to pour water and count the pours aloud.",
    "👶🏽🍼🧸🎈🎉🌈🐣🦆🐥🐤",
    LONG_TIP.replace("bus", "boat"),
    "Itsy bitsy spider",
]
KINDS = ["hello", "tip", "song", "idea"]


def client_id() -> str:
    return secrets.token_urlsafe(12)


def busy_items(count: int = 36) -> list[dict]:
    """Return `count` shares: every kind, long and short, LTR and RTL, names and none."""
    items = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        text = TEXTS[n % len(TEXTS)]
        item = {"kind": kind, "text": text, "on_screen": True, "client_id": client_id()}
        if n % 3:
            item["name"] = NAMES[n % len(NAMES)]
        items.append(item)
    return items


def pin(live_server, storytime_id: int, text: str) -> None:
    """Pin the share with this text, as the librarian's pin button does."""
    live_server.python(
        "from storytime.extensions import db\n"
        "from storytime.models import Share\n"
        "from storytime.share.moderation import moderate\n"
        f"share = db.session.execute(db.select(Share).where(Share.storytime_id == {storytime_id},"
        f" Share.text == {text!r})).scalars().first()\n"
        "moderate(share, {'pinned': True})"
    )


@pytest.fixture(scope="module")
def busy_room(live_server, browser) -> dict:
    """An open storytime with 36 shares and a long pinned tip on screen."""
    storytime = create_storytime(live_server, "Wheels, Boats and Trains: a Busy Saturday")
    context = browser.new_context(base_url=live_server.url, **PHONE)
    phone = context.new_page()
    phone.goto(storytime["join_url"])
    items = busy_items()
    items.append({"kind": "tip", "text": PINNED, "name": NAMES[3], "on_screen": True})
    items[-1]["client_id"] = client_id()
    statuses = post_shares(phone, storytime["code"], items, parallel=4)
    assert statuses.count(201) == len(items), statuses
    context.close()
    pin(live_server, storytime["id"], PINNED)
    return storytime


# Every visible region, and any element inside one that leaves it or is cut.
LAYOUT_JS = """
() => {
  const visible = (el) => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0;
  };
  const box = (r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const regions = [...document.querySelectorAll('[data-region]')].filter(visible);
  const problems = [];
  const out = (inner, outer) => inner.left < outer.left - 1 || inner.top < outer.top - 1 ||
    inner.right > outer.right + 1 || inner.bottom > outer.bottom + 1;
  const screen = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
  for (const region of regions) {
    const name = region.dataset.region;
    const rect = region.getBoundingClientRect();
    if (out(rect, screen)) problems.push(`${name} leaves the screen ${JSON.stringify(box(rect))}`);
    if (region.scrollHeight > region.clientHeight + 1 || region.scrollWidth > region.clientWidth + 1) {
      problems.push(`${name} overflows: ${region.scrollWidth}x${region.scrollHeight} in ` +
                    `${region.clientWidth}x${region.clientHeight}`);
    }
    for (const el of region.querySelectorAll('*')) {
      if (!visible(el) || el.closest('svg') && el.tagName !== 'svg') continue;
      const r = el.getBoundingClientRect();
      if (out(r, rect)) {
        problems.push(`${name}: <${el.tagName.toLowerCase()} class="${el.className.baseVal ?? el.className}"> ` +
                      `leaves it: ${JSON.stringify(box(r))} in ${JSON.stringify(box(rect))}`);
      }
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
        problems.push(`${name}: <${el.tagName.toLowerCase()}> is cut across`);
      }
    }
  }
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const a = regions[i].getBoundingClientRect(), b = regions[j].getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) problems.push(`${regions[i].dataset.region} overlaps ${regions[j].dataset.region}`);
    }
  }
  const doc = document.documentElement;
  if (doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth) {
    problems.push(`the page scrolls: ${doc.scrollWidth}x${doc.scrollHeight}`);
  }
  return {regions: regions.map((r) => r.dataset.region), problems};
}
"""

# Is the element at the centre of this one the element itself (or inside it)?
UNCOVERED_JS = """
(selector) => {
  const el = document.querySelector(selector);
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {covered: !(hit === el || el.contains(hit)), text: el.textContent.trim(),
          width: r.width, height: r.height};
}
"""

# How many lines a text element takes.
LINES_JS = """
(selector) => {
  const el = document.querySelector(selector);
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
                        .map((r) => Math.round(r.bottom)));
  return tops.size;
}
"""


def decoded(png: bytes) -> list[str]:
    """Return the texts of every QR code read from a screenshot."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return [result.text for result in zxingcpp.read_barcodes(image)]


def assert_laid_out(page, expected_regions: set[str]) -> None:
    layout = page.evaluate(LAYOUT_JS)
    assert not layout["problems"], layout["problems"]
    assert set(layout["regions"]) == expected_regions, layout["regions"]


def assert_join_whole(page, join_url: str, code: str, shot: bytes) -> None:
    assert decoded(shot) == [join_url]
    code_box = page.evaluate(UNCOVERED_JS, "#join-code")
    assert not code_box["covered"] and code_box["text"] == code, code_box
    # Readable across a room: the code's letters are tall, the QR large.
    assert code_box["height"] >= 24, code_box
    qr = page.locator("#join-qr svg").bounding_box()
    short_side = min(page.viewport_size["width"], page.viewport_size["height"])
    assert qr["width"] >= short_side * 0.25, qr


def shoot(page, name: str) -> bytes:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = page.screenshot()
    (ARTIFACTS / f"display-{name}.png").write_bytes(png)
    return png


@pytest.mark.parametrize("size", [*SIZES, "1280x720-arabic"])
def test_a_busy_room_fits_the_screen(browser, live_server, busy_room, size):
    width, height = SIZES[size.removesuffix("-arabic")]
    # In Arabic the page runs right to left, its regions mirrored.
    locale = "ar" if size.endswith("-arabic") else "en-US"
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, locale=locale
    )
    try:
        page = context.new_page()
        page.goto(busy_room["display_url"])
        expect(page.locator("#wall .wall-card").first).to_be_visible()
        page.wait_for_timeout(300)
        shot = shoot(page, f"busy-{size}")

        assert_laid_out(page, {"welcome", "pinned", "wall", "join"})
        assert_join_whole(page, busy_room["join_url"], busy_room["code"], shot)

        # The pinned share is whole: all its words, none cut, no page marker.
        pinned = page.locator("#pinned .pinned-text")
        assert pinned.text_content() == PINNED
        assert page.locator("#pinned .pinned-page").text_content() == ""
        # The welcome holds to one line: a few names and a count.
        assert page.evaluate(LINES_JS, "#welcome") == 1
        if locale == "ar":
            assert page.locator("html").get_attribute("dir") == "rtl"
        else:
            expect(page.locator("#welcome")).to_contain_text("more")
        # Every card names its kind in words, and hellos are cards with their text.
        cards = page.locator("#wall .wall-card")
        assert cards.count() >= 1
        labels = set(page.locator("#wall .wall-kind").all_text_contents())
        assert all(label.strip() for label in labels), labels
    finally:
        context.close()


def test_cards_page_through_the_room_and_hellos_are_cards(browser, live_server, busy_room):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.clock.install()
        page.goto(busy_room["display_url"])
        expect(page.locator("#wall .wall-card").first).to_be_visible()
        seen: set[str] = set()
        for turn in range(40):
            seen.update(page.locator("#wall .wall-text").all_text_contents())
            if turn < 4:
                shoot(page, f"page-{turn + 1}-1280x720")
            assert not page.evaluate(LAYOUT_JS)["problems"]
            page.clock.run_for(10_000)
        # Every share on screen came round (the pinned one stays in its own region).
        expected = {t for t in TEXTS} - {PINNED}
        assert expected <= seen, expected - seen
        kinds = {k.strip() for k in page.locator("#wall .wall-kind").all_text_contents()}
        assert kinds  # kind words, e.g. "👋 Hello"
    finally:
        context.close()


def set_storytime(live_server, storytime_id: int, **fields) -> None:
    status, body = live_server.api("PATCH", f"/storytimes/{storytime_id}", fields)
    assert status == 200, body


@pytest.mark.parametrize("size", ["1280x720", "portrait-1080x1920"])
def test_each_state_has_its_own_screen_and_changes_live(browser, live_server, size):
    width, height = SIZES[size]
    storytime = create_storytime(live_server, "Toddler Time in the Maple Room", open_now=False)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    try:
        page = context.new_page()
        page.goto(storytime["display_url"])
        page.evaluate("window.__noReload = true")

        # Before opening: the title, the start time and a QR to say hello with.
        before = page.locator("#before")
        expect(before).to_be_visible()
        expect(before).to_contain_text("Toddler Time in the Maple Room")
        expect(before).to_contain_text("Starts at")
        expect(page.locator("#join-call")).to_have_text("Scan to say hello")
        shot = shoot(page, f"scheduled-{size}")
        assert_laid_out(page, {"before", "join"})
        assert_join_whole(page, storytime["join_url"], storytime["code"], shot)

        # Open: the room's layout, and a share arrives without a reload.
        set_storytime(live_server, storytime["id"], state="open")
        expect(page.locator("#welcome")).to_be_visible()
        expect(before).to_be_hidden()
        phone = context.browser.new_context(base_url=live_server.url, **PHONE).new_page()
        phone.goto(storytime["join_url"])
        hello = {"kind": "hello", "text": "Hi from Leo!", "name": "Leo", "on_screen": True}
        assert post_shares(phone, storytime["code"], [hello | {"client_id": client_id()}]) == [201]
        card = page.locator("#wall .wall-card.kind-hello")
        expect(card).to_contain_text("Hi from Leo!")
        # The newest arrival has its moment of focus.
        expect(card).to_have_class(re.compile(r"\bis-new\b"))
        expect(card).to_contain_text("Leo")
        expect(card.locator(".wall-kind")).to_contain_text("Hello")
        expect(page.locator("#welcome")).to_have_text("Welcome, Leo!")
        assert_laid_out(page, {"welcome", "wall", "join"})

        # The check-in line and the playlist come and go with the librarian's buttons.
        live_server.python(
            "from storytime.extensions import db\n"
            "from storytime.models import Storytime\n"
            "from storytime.outcomes.service import ask_for_checkins\n"
            f"ask_for_checkins(db.session.get(Storytime, {storytime['id']}))"
        )
        # Written by another process: the stream finds it at its next heartbeat (15 s).
        expect(page.locator("#checkin")).to_be_visible(timeout=20_000)
        song = {"kind": "song", "text": "Wheels on the Bus", "on_screen": True}
        assert post_shares(phone, storytime["code"], [song | {"client_id": client_id()}]) == [201]
        status, body = live_server.api(
            "POST", f"/storytimes/{storytime['id']}/playlist/screen", {"on_screen": True}
        )
        assert status == 200, body
        expect(page.locator("#playlist")).to_be_visible()
        expect(page.locator("#playlist")).to_contain_text("Songs for playtime")
        expect(page.locator("#playlist-songs")).to_contain_text("Wheels on the Bus")
        shot = shoot(page, f"open-{size}")
        assert_laid_out(page, {"welcome", "wall", "playlist", "checkin", "join"})
        assert_join_whole(page, storytime["join_url"], storytime["code"], shot)

        # Quiet: only the welcome and the QR.
        set_storytime(live_server, storytime["id"], quiet=True)
        expect(page.locator("#wall")).to_be_hidden()
        shot = shoot(page, f"quiet-{size}")
        assert_laid_out(page, {"welcome", "join"})
        assert_join_whole(page, storytime["join_url"], storytime["code"], shot)

        # Closed: a full-screen goodbye with the recap's QR; the shares are gone.
        set_storytime(live_server, storytime["id"], quiet=False, state="closed")
        expect(page.locator("#goodbye")).to_be_visible()
        expect(page.get_by_text("Hi from Leo!")).to_have_count(0)
        expect(page.locator("#join")).to_be_hidden()
        shot = shoot(page, f"closed-{size}")
        assert_laid_out(page, {"goodbye"})
        assert decoded(shot) == [f"{live_server.url}/j/{storytime['code']}/recap"]
        assert page.evaluate("window.__noReload === true"), "the states changed without a reload"
    finally:
        context.close()


def in_room(live_server, storytime_id: int, room: str) -> None:
    live_server.python(
        "from storytime.extensions import db\n"
        "from storytime.models import Storytime\n"
        f"db.session.get(Storytime, {storytime_id}).room = {room!r}\n"
        "db.session.commit()"
    )


def test_a_permanent_screen_follows_its_room_to_the_next_storytime(browser, live_server):
    room = f"Room {secrets.token_hex(4)}"
    token = live_server.python(
        "from storytime.extensions import db\n"
        "from storytime.models import Branch\n"
        "from storytime.screens.service import add_screen\n"
        "branch = db.session.execute(db.select(Branch).where(Branch.slug == 'central')).scalar_one()\n"
        f"print(add_screen(branch, {room!r}).token)"
    ).strip()
    first = create_storytime(live_server, "Early Rhymes", open_now=False)
    in_room(live_server, first["id"], room)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.clock.install()
        page.goto(f"/screen/{token}")
        display = page.locator("#display")
        expect(display).to_have_attribute("data-storytime-id", str(first["id"]))
        expect(display).to_have_attribute("data-screen-now-url", f"/screen/{token}/now")

        second = create_storytime(live_server, "Late Songs", open_now=False)
        in_room(live_server, second["id"], room)
        set_storytime(live_server, second["id"], state="open")
        # Within 30 s the page asks which storytime its room has now, and follows it.
        page.clock.run_for(31_000)
        expect(display).to_have_attribute("data-storytime-id", str(second["id"]), timeout=10_000)
        expect(display).to_have_attribute("data-state", "open")
    finally:
        context.close()


def test_a_pinned_share_too_long_for_the_smallest_type_pages_and_shows_every_word(
    browser, live_server, busy_room
):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        page.clock.install()
        page.goto(busy_room["display_url"])
        expect(page.locator("#pinned .pinned-text")).to_have_text(PINNED)
        # A pinned region far smaller than any real screen gives it: the share must page.
        page.evaluate("document.body.style.setProperty('--pinned-max', '14vh')")
        page.set_viewport_size({"width": 1023, "height": 768})
        marker = page.locator("#pinned .pinned-page")
        expect(marker).to_have_text(re.compile(r"^1/\d+$"))
        pages = int(marker.text_content().split("/")[1])
        assert pages > 1
        parts = []
        for number in range(1, pages + 1):
            expect(marker).to_have_text(f"{number}/{pages}")
            assert not page.evaluate(LAYOUT_JS)["problems"]
            parts.append(page.locator("#pinned .pinned-text").text_content())
            page.clock.run_for(10_000)
        assert " ".join(parts).split() == PINNED.split()
    finally:
        context.close()
