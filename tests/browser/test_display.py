"""The projected display runs unattended: it rides out a server restart and a busy morning."""

from __future__ import annotations

import secrets

import pytest
from harness import PHONE, TV, create_storytime, post_shares, share_item
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BULK_SHARES = 2000
MAX_DOM_NODES = 3000
MAX_JS_HEAP_BYTES = 60 * 1024 * 1024


def client_id() -> str:
    return secrets.token_urlsafe(12)


def test_the_display_reconnects_after_a_server_restart(contexts, live_server, storytime):
    display = contexts.new(TV).new_page()
    display.goto(storytime["display_url"])
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])
    code = storytime["code"]

    assert post_shares(phone, code, [share_item("Before the restart", client_id())]) == [201]
    expect(display.get_by_text("Before the restart")).to_be_visible(timeout=2000)

    live_server.stop()
    # The display keeps its last state while the server is away.
    display.wait_for_timeout(1000)
    expect(display.get_by_text("Before the restart")).to_be_visible()
    live_server.start()

    assert post_shares(phone, code, [share_item("While the screen was away", client_id())]) == [201]
    # Browsers retry an EventSource after a few seconds; the display then catches up.
    expect(display.get_by_text("While the screen was away")).to_be_visible(timeout=20_000)
    assert post_shares(phone, code, [share_item("After it came back", client_id())]) == [201]
    expect(display.get_by_text("After it came back")).to_be_visible(timeout=2000)
    # Nothing was shown twice.
    expect(display.get_by_text("Before the restart")).to_have_count(1)
    expect(display.get_by_text("While the screen was away")).to_have_count(1)


def measure(page) -> dict:
    """Return the display's DOM size and JS heap."""
    return page.evaluate(
        """() => ({
            nodes: document.getElementsByTagName('*').length,
            heap: performance.memory ? performance.memory.usedJSHeapSize : 0,
        })"""
    )


def test_the_display_stays_small_after_two_thousand_shares(contexts, live_server, artifacts):
    storytime = create_storytime(live_server, "A very busy morning")
    display = contexts.new(TV).new_page()
    display.goto(storytime["display_url"])
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])
    before = measure(display)

    items = [share_item(f"Busy tip number {n}", client_id()) for n in range(BULK_SHARES)]
    statuses = post_shares(phone, storytime["code"], items, parallel=6)
    assert statuses.count(201) == BULK_SHARES, set(statuses)
    assert live_server.share_count(storytime["id"]) == BULK_SHARES

    # The newest share arrives on the display, then the page is measured.
    last = f"Busy tip number {BULK_SHARES - 1}"
    expect(display.get_by_text(last, exact=True)).to_be_attached(timeout=30_000)
    display.wait_for_timeout(1000)
    live = measure(display)

    # A display opened fresh on the same room is just as small.
    fresh_page = contexts.new(TV).new_page()
    fresh_page.goto(storytime["display_url"])
    fresh_page.wait_for_timeout(1000)
    fresh = measure(fresh_page)

    report = f"before={before} after {BULK_SHARES} live={live} fresh={fresh}\n"
    (artifacts / "display-2000.txt").write_text(report)
    print(report)
    for state in (live, fresh):
        assert state["nodes"] < MAX_DOM_NODES, report
        assert 0 < state["heap"] < MAX_JS_HEAP_BYTES, report


# Where each piece of the welcome line is laid out: (line's top, left edge). The line is
# large on a TV and wraps, so reading order is by line, then left to right.
WELCOME_POSITIONS_JS = """
(pieces) => {
  const welcome = document.getElementById('welcome');
  const walker = document.createTreeWalker(welcome, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  return pieces.map((piece) => {
    for (const node of nodes) {
      const at = node.data.indexOf(piece);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + piece.length);
      const rect = range.getBoundingClientRect();
      return [Math.round(rect.top), rect.left];
    }
    return null;
  });
}
"""


def test_a_direction_override_in_a_name_does_not_reorder_the_welcome_line(
    contexts, live_server, storytime
):
    display = contexts.new(TV).new_page()
    display.goto(storytime["display_url"])
    phone = contexts.new(PHONE).new_page()
    phone.goto(storytime["join_url"])
    hellos = [("Hi", "Maya"), ("Hello", "\u202eLeo"), ("Hey", "Sam")]
    items = [
        {"kind": "hello", "text": text, "name": name, "on_screen": True, "client_id": client_id()}
        for text, name in hellos
    ]
    assert post_shares(phone, storytime["code"], items) == [201, 201, 201]
    expect(display.locator("#welcome")).to_contain_text("Sam", timeout=2000)

    pieces = ["Welcome", "Maya", "Leo", "Sam", "!"]
    laid_out = [tuple(p) if p else None for p in display.evaluate(WELCOME_POSITIONS_JS, pieces)]
    where = dict(zip(pieces, laid_out, strict=True))
    assert None not in laid_out, where
    # Read in the order written: the override turns "Leo" around, nothing else.
    assert laid_out == sorted(laid_out), where
