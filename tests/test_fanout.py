"""Render once, send many: the streams of a room woken together share one read and one page.

What must hold while they share (issue 19): every stream gets the same bytes, the log is
read once per wake and reader shape, a display never gets staff-only content, no wake-up
is lost, and each stream still checks its own display link. Renders in flight and what
is kept in memory: test_fanout_flights.py.
"""

from __future__ import annotations

import queue
import secrets
import threading
from collections.abc import Iterator

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_support import events_of, parse_sse, post_share, read_stream
from sqlalchemy import event as sa_event

from storytime.events import notifier_for
from storytime.extensions import db
from storytime.live.fanout import EXTENSION_KEY, RenderedFeeds, rendered_feeds
from storytime.live.feed import DISPLAY, STAFF
from storytime.live.playlist import set_on_screen
from storytime.live.stream import event_stream
from storytime.models import Share, Storytime
from storytime.share.moderation import moderate
from storytime.storytimes.service import (
    delete_storytime,
    rotate_display_token,
    set_quiet,
    set_state,
)

WAIT = 10  # seconds a test waits for something that happens at once when it works
DISPLAY_SHARE_KEYS = {"id", "kind", "text", "name", "pinned", "created_at"}


@pytest.fixture
def app_config(app_config):
    """Streams that outlive the test's reads; the teardown ends them with the notifier."""
    return {**app_config, "STREAM_MAX_SECONDS": 60, "STREAM_HEARTBEAT_SECONDS": 30}


@pytest.fixture
def threads(app) -> Iterator[list[threading.Thread]]:
    """Threads a test starts; at the end the notifier closes, which ends every stream."""
    started: list[threading.Thread] = []
    yield started
    notifier_for(app).close()
    for thread in started:
        thread.join(timeout=WAIT)
        assert not thread.is_alive(), "a stream did not end when the notifier closed"


@pytest.fixture
def log_reads(app) -> Iterator[list[str]]:
    """Record every SELECT of the event log (the stream's read), with its reader shape."""
    reads: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().startswith("SELECT") and "FROM event LEFT OUTER JOIN" in statement:
            reads.append(DISPLAY if "AND event.public" in statement else STAFF)

    sa_event.listen(engine, "before_cursor_execute", record)
    yield reads
    sa_event.remove(engine, "before_cursor_execute", record)


def chunk_with(chunks: queue.Queue, needle: str | int) -> str:
    """Return the first chunk containing `needle`, or an event about share `needle` (an id)."""
    while True:
        chunk = chunks.get(timeout=WAIT)
        assert chunk is not None, f"the stream ended before {needle!r}"
        if isinstance(needle, str) and needle in chunk:
            return chunk
        if isinstance(needle, int) and needle in share_ids(chunk):
            return chunk


def share_ids(text: str) -> list[int]:
    """Return the ids of the shares the events in `text` are about, in order."""
    return [
        frame["data"]["share"]["id"]
        for frame in events_of(parse_sse(text))
        if "share" in frame.get("data", {})
    ]


def share_event_id(app, share_id: int) -> int:
    """Return the id of the event that logged a share's creation."""
    from storytime.models import Event

    with app.app_context():
        return db.session.execute(
            db.select(Event.id).where(Event.share_id == share_id).order_by(Event.id).limit(1)
        ).scalar_one()


def test_a_rooms_streams_get_the_same_bytes_from_one_read_per_wake(app, staff, threads, log_reads):
    storytime = make_storytime(app)
    email = staff.signed_in(app.test_client())
    url = f"/api/v1/storytimes/{storytime.id}/stream"
    dashboards = []
    for _ in range(4):
        client = app.test_client()
        staff.login(client, email)
        dashboards.append(read_stream(client, url, threads))
    displays = [
        read_stream(app.test_client(), f"{url}?token={storytime.display_token}", threads)
        for _ in range(4)
    ]
    # A first share brings every stream past its first read, to waiting on the doorbell.
    first = post_share(app, storytime.id, "tip", "Warm up")
    for chunks in dashboards + displays:
        chunk_with(chunks, first)
    log_reads.clear()

    question = post_share(app, storytime.id, "question", "Staff-only words", allow_screen=False)
    question_chunks = [chunk_with(chunks, question) for chunks in dashboards]
    song = post_share(app, storytime.id, "song", "Wheels on the bus")
    staff_chunks = [chunk_with(chunks, song) for chunks in dashboards]
    display_chunks = [chunk_with(chunks, song) for chunks in displays]

    # Two wakes, and the log was read once per wake for the four dashboards. The displays'
    # read (public events only) found nothing for the question; they may have woken for it
    # or only for the song, but never read once each.
    assert log_reads.count(STAFF) == 2, log_reads
    assert log_reads.count(DISPLAY) in (1, 2), log_reads
    assert len(set(question_chunks)) == 1
    assert len(set(staff_chunks)) == 1 and len(set(display_chunks)) == 1
    assert share_ids(staff_chunks[0]) == [song]
    [shown] = events_of(parse_sse(display_chunks[0]))
    assert shown["event"] == "share.shown" and set(shown["data"]["share"]) == DISPLAY_SHARE_KEYS
    assert "Staff-only words" not in "".join(display_chunks)


def test_many_streams_share_one_render_per_wake(app, threads):
    storytime = make_storytime(app)
    streams = 12
    seen: list[queue.Queue] = [queue.Queue() for _ in range(streams)]

    def read(n: int) -> None:
        with app.app_context():
            reader = STAFF if n % 2 else DISPLAY
            stream = event_stream(
                storytime.id, reader=reader, display_token=storytime.display_token
            )
            for text in stream:
                seen[n].put(text)
            seen[n].put(None)

    for n in range(streams):
        threads.append(threading.Thread(target=read, args=(n,), daemon=True))
        threads[-1].start()
    first = post_share(app, storytime.id, "tip", "Warm up")
    for chunks in seen:
        chunk_with(chunks, first)
    feeds = rendered_feeds(app)
    renders = feeds.renders
    share_id = post_share(app, storytime.id, "tip", "For every screen")
    texts = [chunk_with(chunks, share_id) for chunks in seen]
    assert feeds.renders - renders == 2  # one per reader shape, for 12 streams
    assert len({id(text) for text in texts}) == 2  # the very same text objects


def test_a_stream_never_takes_a_page_read_before_its_own_doorbell(app):
    storytime = make_storytime(app)
    with app.app_context():
        early = event_stream(storytime.id, reader=STAFF, max_seconds=30, heartbeat_seconds=30)
        next(early)
        first = post_share(app, storytime.id, "tip", "First")
        assert share_ids(next(early)) == [first]  # rendered, kept as the room's latest page
        # A commit lands after that page was read and before a new stream notes the doorbell.
        second = post_share(app, storytime.id, "tip", "Second")
        late = event_stream(storytime.id, reader=STAFF, max_seconds=30, heartbeat_seconds=30)
        next(late)
        page = next(late)
        late.close()
        early.close()
    assert share_ids(page) == [first, second], (
        "the late stream took a page read before its doorbell"
    )


def test_long_logs_come_in_pages_and_an_old_resume_point_reads_its_own(app):
    storytime = make_storytime(app)
    app.extensions[EXTENSION_KEY] = RenderedFeeds(page_size=3)
    shares = [post_share(app, storytime.id, "tip", f"Tip {n}") for n in range(7)]

    with app.app_context():
        head = event_stream(storytime.id, reader=STAFF, max_seconds=30, heartbeat_seconds=30)
        next(head)
        pages = [share_ids(next(head)) for _ in range(3)]
        resume = share_event_id(app, shares[1])
        old = event_stream(
            storytime.id, reader=STAFF, after=resume, max_seconds=30, heartbeat_seconds=30
        )
        next(old)
        old_pages = [share_ids(next(old)) for _ in range(2)]
        last = post_share(app, storytime.id, "tip", "After the catch-up")
        assert share_ids(next(head)) == [last]
        assert share_ids(next(old)) == [last]
        head.close()
        old.close()
    assert pages == [shares[0:3], shares[3:6], shares[6:7]]
    assert old_pages == [shares[2:5], shares[5:7]]


def test_a_stream_resuming_past_the_kept_storytime_row_reads_the_row_again(app):
    storytime = make_storytime(app)
    with app.app_context():
        set_on_screen(db.session.get(Storytime, storytime.id), True)
        tv = event_stream(storytime.id, reader=DISPLAY, display_token=storytime.display_token)
        next(tv)
        next(tv)  # renders with the row as it is now, and keeps the row for the room
        # The TV goes quiet, then a song arrives; a screen that saw the quiet event elsewhere
        # resumes right after it, so its page has only the song.
        set_quiet(db.session.get(Storytime, storytime.id), True)
        quiet = db.session.get(Storytime, storytime.id).last_event_id
        db.session.remove()  # the streams read in this context too: no old snapshot
        song = post_share(app, storytime.id, "song", "Baby shark")
        resumed = event_stream(
            storytime.id, reader=DISPLAY, after=quiet, display_token=storytime.display_token
        )
        next(resumed)
        [frame] = events_of(parse_sse(next(resumed)))
        resumed.close()
        tv.close()
    assert frame["data"]["share"]["id"] == song
    assert frame["data"]["storytime"]["quiet"] is True  # not the row kept from before


def test_each_display_checks_its_own_link_on_a_shared_page(app, threads):
    storytime = make_storytime(app)
    old = storytime.display_token
    texts: dict[str, queue.Queue] = {}

    def read(name: str, reader: str, token: str | None) -> None:
        texts[name] = chunks = queue.Queue()

        def run():
            with app.app_context():
                for text in event_stream(storytime.id, reader=reader, display_token=token):
                    chunks.put(text)
            chunks.put(None)

        threads.append(threading.Thread(target=run, daemon=True))
        threads[-1].start()

    for name in ("tv", "tablet"):
        read(name, DISPLAY, old)
    read("dashboard", STAFF, None)
    share_id = post_share(app, storytime.id, "tip", "Before the new link")
    for chunks in texts.values():
        chunk_with(chunks, share_id)
    with app.app_context():
        new = rotate_display_token(db.session.get(Storytime, storytime.id))
    for name in ("tv", "tablet"):
        assert chunk_with(texts[name], "event: ") == "event: revoked\ndata: {}\n\n"
        assert texts[name].get(timeout=WAIT) is None
    chunk_with(texts["dashboard"], "event: display.rotated")
    # A display on the new link, in the same room, reads on.
    read("new tv", DISPLAY, new)
    share_id = post_share(app, storytime.id, "tip", "After the new link")
    assert "share.shown" in chunk_with(texts["new tv"], share_id)


def test_a_deleted_storytime_ends_streams_that_share_a_page(app):
    storytime = make_storytime(app)
    with app.app_context():
        tv, dashboard = (
            event_stream(storytime.id, reader=STAFF, max_seconds=30, heartbeat_seconds=0.05)
            for _ in range(2)
        )
        next(tv), next(dashboard)
        set_state(db.session.get(Storytime, storytime.id), "closed")
        first, second = next(tv), next(dashboard)
        assert first is second  # one page, the same text
        # No ring for a while: the first stream reads again (nothing new) at its heartbeat.
        assert next(tv) == ": heartbeat\n\n"
        delete_storytime(db.session.get(Storytime, storytime.id))  # rings nobody
        db.session.remove()
        # The other's heartbeat comes after the delete: it may not take the page read before.
        for stream in (dashboard, tv):
            texts = [next(stream) for _ in range(1)]
            while texts[-1] == ": heartbeat\n\n" and len(texts) < 10:
                texts.append(next(stream))
            assert texts[-1] == "event: gone\ndata: {}\n\n", texts
            stream.close()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shares=st.lists(
        st.tuples(
            st.sampled_from(["hello", "tip", "song", "question", "idea"]),
            st.booleans(),  # the caregiver allows the screen
            st.booleans(),  # staff take it off the screen afterwards
            st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_display_woken_with_dashboards_never_gets_staff_only_content(app, shares):
    storytime = make_storytime(app)
    readers = [STAFF, DISPLAY, STAFF, DISPLAY]
    texts: list[queue.Queue] = [queue.Queue() for _ in readers]
    end = "end-" + secrets.token_hex(6)

    def run(reader: str, chunks: queue.Queue) -> None:
        with app.app_context():
            stream = event_stream(
                storytime.id, reader=reader, display_token=storytime.display_token
            )
            for text in stream:
                chunks.put(text)
                if end in text:
                    break
            stream.close()
        chunks.put(None)

    started = [
        threading.Thread(target=run, args=(reader, chunks), daemon=True)
        for reader, chunks in zip(readers, texts, strict=True)
    ]
    for thread in started:
        thread.start()
    staff_only, hidden, marks = [], [], []
    for kind, allow_screen, hide, words in shares:
        mark = "mark" + secrets.token_hex(6)
        marks.append(mark)
        share_id = post_share(app, storytime.id, kind, f"{words} {mark}", allow_screen=allow_screen)
        if not allow_screen:
            staff_only.append(mark)
        elif hide:
            with app.app_context():
                moderate(db.session.get(Share, share_id), {"on_screen": False})
            hidden.append(share_id)
    post_share(app, storytime.id, "tip", end)
    received = []
    for thread, chunks in zip(started, texts, strict=True):
        thread.join(WAIT)
        assert not thread.is_alive()
        received.append("".join(iter(chunks.get, None)))
    for reader, text in zip(readers, received, strict=True):
        if reader == STAFF:
            assert all(mark in text for mark in marks)
            continue
        assert not any(mark in text for mark in staff_only), text
        frames = events_of(parse_sse(text))
        for frame in frames:
            assert frame["event"] in ("share.shown", "share.hidden")
            assert set(frame["data"]["share"]) <= DISPLAY_SHARE_KEYS
        # A share staff took off the screen may have shown for a moment; it ends hidden.
        for share_id in hidden:
            last = [f for f in frames if f["data"]["share"]["id"] == share_id][-1]
            assert last["event"] == "share.hidden" and last["data"]["share"] == {"id": share_id}
