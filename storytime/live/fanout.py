"""Render once, send many: the live streams of a room share one rendered page per wake.

A share wakes every stream of its storytime, and the streams of one reader shape (staff,
display) all want the same thing: the events after the same id, rendered the same way.
Each app keeps, per (storytime, reader), the latest page it rendered and the renders in
flight. A stream asking for a page takes a finished one or waits for one in flight when it
may (below); otherwise it renders the page itself, and the streams asking meanwhile wait
for it and send the very same text. A stream resuming from an older id (Last-Event-ID)
asks for its own `after`, so it reads its own pages.

Never a lost wake-up: a stream notes the notifier's generation `seen` before asking. A
page carries the generation noted before its database read; the doorbell rings after the
commit, so that read saw every commit rung up to it. A stream therefore takes only a page
whose generation is at least its `seen`, and then waits for the generation to move past
the page's. After a wait that timed out (a heartbeat, no ring) it takes only a page whose
read began after its wait did, so a deleted storytime is still noticed.

Privacy: the reader is part of the key, the display's page is rendered by `display_items`
as before, and each stream still checks the page's storytime row against its own display
link (stream.py), so a revoked link or a deleted storytime ends it.

Memory: at most MAX_ROOMS keys per app, least recently used first out, each keeping one
page (and only a small one: a long catch-up page goes to the streams waiting for it but is
not kept) and one storytime row.

The storytime row: rendering needs it, and reading it for every page would add a statement
per wake. A key keeps the row its last read found with `fresh_through`, an event id up to
which the row holds every change (every change to a storytime is a public event, and its
`last_event_id` moves with the log). A page after `after` may use the kept row when
`after <= fresh_through` and its events say nothing about the storytime; otherwise the row
is read again, as each stream did before (on its first pass, on an event about the
storytime, and on a wake that brought nothing).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from storytime.extensions import db
from storytime.live.feed import PAGE_SIZE, mentions_storytime, read_events, render_feed
from storytime.models import Storytime

EXTENSION_KEY = "storytime_rendered_feeds"
# Keys are (storytime, reader): a library system's 1,000 screens in a few hundred rooms.
MAX_ROOMS = 512
# A wake's page is a few frames; a catch-up page of PAGE_SIZE events is not worth keeping.
MAX_KEPT_CHARS = 16_000
# How long a stream waits for another's render before reading for itself.
WAIT_SECONDS = 30.0


def frame(item: dict[str, Any]) -> str:
    """Return one SSE frame for a feed item."""
    data = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
    return f"id: {item['id']}\nevent: {item['type']}\ndata: {data}\n\n"


@dataclass(frozen=True)
class Page:
    """One rendered page of a reader's feed, shared by the streams that asked for it."""

    after: int
    # The notifier's generation and the monotonic time noted before the database read.
    generation: int
    started: float
    # The storytime row the page was rendered with; None when the storytime is gone.
    storytime: Storytime | None
    text: str = ""
    last_id: int = 0
    more: bool = False


@dataclass
class _Flight:
    """A render under way; the streams asking for the same page wait for it."""

    after: int
    generation: int
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    page: Page | None = None

    def serves(self, after: int, seen: int, not_before: float) -> bool:
        return self.after == after and self.generation >= seen and self.started >= not_before


@dataclass
class _Room:
    """What one (storytime, reader) keeps: its latest page, renders in flight, the row."""

    latest: Page | None = None
    flights: dict[int, _Flight] = field(default_factory=dict)
    storytime: Storytime | None = None
    fresh_through: int = -1


class RenderedFeeds:
    """Pages of the live feed rendered once per wake in this process, thread-safe."""

    def __init__(
        self,
        max_rooms: int = MAX_ROOMS,
        max_kept_chars: int = MAX_KEPT_CHARS,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._lock = threading.Lock()
        self._rooms: OrderedDict[tuple[int, str], _Room] = OrderedDict()
        self.max_rooms = max_rooms
        self.max_kept_chars = max_kept_chars
        self.page_size = page_size
        # Counters for tests and benchmarks: pages rendered, pages a stream took from another,
        # streams waiting for another's render now.
        self.renders = 0
        self.shared = 0
        self.waiting = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._rooms)

    def page(
        self,
        storytime_id: int,
        reader: str,
        after: int,
        *,
        seen: int,
        generation: Callable[[], int],
        not_before: float = 0.0,
    ) -> Page:
        """Return the reader's page after `after`, read no earlier than generation `seen`.

        `generation` returns the notifier's generation now. Run it in an app context: a
        stream that renders reads the database with its own session, and removes it.
        """
        key = (storytime_id, reader)
        while True:
            with self._lock:
                room = self._room(key)
                latest = room.latest
                if (
                    latest is not None
                    and latest.after == after
                    and latest.generation >= seen
                    and latest.started >= not_before
                ):
                    self.shared += 1
                    return latest
                flight = room.flights.get(after)
                leading = flight is None or not flight.serves(after, seen, not_before)
                if leading:
                    # Noted here, before the read: the newest generation this render can claim.
                    flight = room.flights[after] = _Flight(after, generation(), time.monotonic())
                else:
                    self.waiting += 1
            if leading:
                return self._render(key, flight)
            done = flight.done.wait(WAIT_SECONDS)
            with self._lock:
                self.waiting -= 1
                if flight.page is not None:
                    self.shared += 1
                    return flight.page
            if not done:
                # Stuck behind a slow render: read for ourselves, sharing with nobody.
                return self._render(key, _Flight(after, generation(), time.monotonic()))
            # That render failed (its stream has the error): ask again, maybe to lead.

    def _room(self, key: tuple[int, str]) -> _Room:
        """Return the key's room, most recently used now; forget the oldest beyond the cap."""
        room = self._rooms.get(key)
        if room is None:
            room = self._rooms[key] = _Room()
            while len(self._rooms) > self.max_rooms:
                # Streams waiting on a forgotten room's flight hold the flight itself.
                self._rooms.popitem(last=False)
        else:
            self._rooms.move_to_end(key)
        return room

    def _render(self, key: tuple[int, str], flight: _Flight) -> Page:
        """Read and render one page, then hand it to the streams waiting for it."""
        storytime_id, reader = key
        try:
            with self._lock:
                room = self._rooms.get(key)
                kept, fresh_through = (
                    (room.storytime, room.fresh_through) if room is not None else (None, -1)
                )
            events = read_events(storytime_id, flight.after, reader, limit=self.page_size)
            storytime = kept
            if (
                kept is None
                or not events
                or mentions_storytime(events)
                or flight.after > fresh_through
            ):
                storytime = db.session.get(Storytime, storytime_id)
            if storytime is None:
                page = Page(flight.after, flight.generation, flight.started, None)
                fresh = -1
            else:
                feed = render_feed(storytime, events, flight.after, reader, limit=self.page_size)
                page = Page(
                    flight.after,
                    flight.generation,
                    flight.started,
                    storytime,
                    "".join(frame(item) for item in feed.items),
                    feed.last_id,
                    feed.more,
                )
                fresh = max(feed.last_id, storytime.last_event_id or 0)
            # Detach the row before other threads use it: no lazy load through our session.
            db.session.remove()
            flight.page = page
            self._keep(key, page, fresh)
            return page
        finally:
            # Out of the room first: a stream woken by a failed render must not find it again.
            with self._lock:
                room = self._rooms.get(key)
                if room is not None and room.flights.get(flight.after) is flight:
                    del room.flights[flight.after]
            flight.done.set()

    def _keep(self, key: tuple[int, str], page: Page, fresh: int) -> None:
        """Keep the page as the key's latest, and its row, unless newer ones are kept."""
        with self._lock:
            self.renders += 1
            room = self._room(key)
            if page.storytime is None:
                room.storytime, room.fresh_through = None, -1
            elif fresh >= room.fresh_through:
                room.storytime, room.fresh_through = page.storytime, fresh
            latest = room.latest
            if len(page.text) <= self.max_kept_chars and (
                latest is None
                or (page.after, page.generation, page.started)
                >= (latest.after, latest.generation, latest.started)
            ):
                room.latest = page


def rendered_feeds(app: Flask) -> RenderedFeeds:
    """Return the app's rendered feeds, made on first use."""
    feeds = app.extensions.get(EXTENSION_KEY)
    if feeds is None:
        feeds = app.extensions.setdefault(EXTENSION_KEY, RenderedFeeds())
    return feeds
