"""Rendered feeds under contention: who renders, who waits, what is kept (issue 19).

A render is held in flight by making its read of the log wait, so the races the streams
meet (a commit landing during a render, a render failing) happen on cue.
"""

from __future__ import annotations

import threading
import time

from factories import make_storytime
from live_support import events_of, parse_sse, post_share

from storytime.events import notifier_for
from storytime.live import fanout
from storytime.live.fanout import RenderedFeeds
from storytime.live.feed import DISPLAY, STAFF

WAIT = 10  # seconds a test waits for something that happens at once when it works


def share_ids(text: str) -> list[int]:
    """Return the ids of the shares the events in `text` are about, in order."""
    return [frame["data"]["share"]["id"] for frame in events_of(parse_sse(text))]


class HeldRead:
    """Make the first read of the log wait until released, to hold a render in flight."""

    def __init__(self, monkeypatch) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self._held = False
        real = fanout.read_events

        def read_events(*args, **kwargs):
            if not self._held:
                self._held = True
                self.entered.set()
                assert self.release.wait(WAIT)
            return real(*args, **kwargs)

        monkeypatch.setattr(fanout, "read_events", read_events)


def wait_until(condition) -> None:
    """Poll `condition` until it holds; fail after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _page_in_thread(app, feeds, storytime_id, seen, results, name) -> threading.Thread:
    notifier = notifier_for(app)

    def run():
        with app.app_context():
            results[name] = feeds.page(
                storytime_id,
                STAFF,
                0,
                seen=seen,
                generation=lambda: notifier.generation(storytime_id),
            )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_only_renders_begun_after_a_streams_doorbell_are_shared_with_it(app, monkeypatch):
    storytime = make_storytime(app)
    notifier = notifier_for(app)
    held = HeldRead(monkeypatch)
    feeds = RenderedFeeds()
    results: dict = {}
    before = notifier.generation(storytime.id)
    leader = _page_in_thread(app, feeds, storytime.id, before, results, "leader")
    assert held.entered.wait(WAIT)
    # Noted the same doorbell as the leader: it waits for the leader's page.
    joiner = _page_in_thread(app, feeds, storytime.id, before, results, "joiner")
    wait_until(lambda: feeds.waiting == 1)
    share_id = post_share(app, storytime.id, "tip", "Landed during the render")
    # Noted the doorbell of that share: the render in flight may not have read it.
    late = _page_in_thread(app, feeds, storytime.id, before + 1, results, "late")
    late.join(WAIT)
    assert not late.is_alive(), "the late stream waited for a render it cannot use"
    assert share_ids(results["late"].text) == [share_id]
    assert "joiner" not in results
    held.release.set()
    leader.join(WAIT)
    joiner.join(WAIT)
    assert results["joiner"] is results["leader"]
    assert feeds.renders == 2


def test_streams_waiting_together_get_one_render(app, monkeypatch):
    storytime = make_storytime(app)
    share_id = post_share(app, storytime.id, "tip", "One for all")
    held = HeldRead(monkeypatch)
    feeds = RenderedFeeds()
    seen = notifier_for(app).generation(storytime.id)
    results: dict = {}
    first = _page_in_thread(app, feeds, storytime.id, seen, results, 0)
    assert held.entered.wait(WAIT)
    others = [_page_in_thread(app, feeds, storytime.id, seen, results, n) for n in range(1, 8)]
    held.release.set()
    for thread in [first, *others]:
        thread.join(WAIT)
    assert len({id(page) for page in results.values()}) == 1 and len(results) == 8
    assert share_ids(results[0].text) == [share_id]
    assert feeds.renders == 1


def test_streams_waiting_on_a_render_that_fails_read_for_themselves(app, monkeypatch):
    storytime = make_storytime(app)
    share_id = post_share(app, storytime.id, "tip", "Still delivered")
    entered, release = threading.Event(), threading.Event()
    real = fanout.read_events
    calls = []

    def read_events(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            entered.set()
            assert release.wait(WAIT)
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(fanout, "read_events", read_events)
    feeds = RenderedFeeds()
    notifier = notifier_for(app)
    seen = notifier.generation(storytime.id)
    results: dict = {}

    def ask(name: str) -> None:
        with app.app_context():
            try:
                results[name] = feeds.page(
                    storytime.id,
                    STAFF,
                    0,
                    seen=seen,
                    generation=lambda: notifier.generation(storytime.id),
                )
            except RuntimeError as error:
                results[name] = error

    asking = [threading.Thread(target=ask, args=(name,), daemon=True) for name in "ab"]
    asking[0].start()
    assert entered.wait(WAIT)
    asking[1].start()
    wait_until(lambda: feeds.waiting == 1)
    release.set()
    for thread in asking:
        thread.join(WAIT)
    assert isinstance(results["a"], RuntimeError)  # the failing stream has the error
    assert share_ids(results["b"].text) == [share_id]  # the waiting one read for itself
    assert len(calls) == 2


def test_memory_holds_a_bounded_number_of_rooms_and_only_small_pages(app):
    feeds = RenderedFeeds(max_rooms=3, max_kept_chars=2_000)
    notifier = notifier_for(app)
    rooms = [make_storytime(app, title=f"Room {n}").id for n in range(6)]
    with app.app_context():
        for storytime_id in rooms:
            post_share(app, storytime_id, "tip", "x" * 20)
            for reader in (STAFF, DISPLAY):
                feeds.page(
                    storytime_id,
                    reader,
                    0,
                    seen=notifier.generation(storytime_id),
                    generation=lambda sid=storytime_id: notifier.generation(sid),
                )
        assert len(feeds) == 3
        # A page too long to keep reaches its streams, and is read again next time.
        big = rooms[-1]
        for _ in range(5):
            post_share(app, big, "tip", "y" * 480)
        renders = feeds.renders
        for _ in range(2):
            page = feeds.page(
                big,
                STAFF,
                0,
                seen=notifier.generation(big),
                generation=lambda: notifier.generation(big),
            )
            assert len(page.text) > 2_000
        assert feeds.renders == renders + 2
