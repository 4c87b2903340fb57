"""Server-Sent Events for one storytime, as a plain generator the view wraps.

The loop: note the notifier's generation, take the page of events after the last id
sent, send it, then wait for the generation to move (or for the heartbeat). Reading
the generation *before* the database means a commit landing between the read
and the wait still wakes us at once. The streams of one room and reader woken
together share one read and one rendered page (fanout.py, issue 19). The database session is released before
every wait, so an idle stream holds no connection and, on SQLite, no read
snapshot (a WAL reader that never ends its transaction would not see new
commits, and would stop checkpoints).

A screen that stops reading (asleep, off the Wi-Fi) fills the socket's buffers, and the
next write would then wait for it forever, holding a server thread: the view gives the
stream's writes a timeout (STREAM_SEND_TIMEOUT_SECONDS), after which the server drops the
connection and closes the generator.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import current_app

from storytime.events import notifier_for
from storytime.extensions import db
from storytime.live.fanout import Page, rendered_feeds
from storytime.live.feed import DISPLAY
from storytime.models import Storytime

RETRY_MS = 2000
# Where a server lends the connection's socket: gunicorn, and the embedded server (serve.py).
SOCKET_KEYS = ("gunicorn.socket", "storytime.socket")

log = logging.getLogger(__name__)


def comment(text: str) -> str:
    """Return an SSE comment line (ignored by browsers, keeps proxies from timing out)."""
    return f": {text}\n\n"


def _ending(page: Page, reader: str, display_token: str | None) -> str | None:
    """Return why this stream must end after `page` ("gone", "revoked"), or None."""
    if page.storytime is None:
        return "gone"
    # Each display checks its own link against the row the page was rendered with.
    if reader == DISPLAY and not token_is_current(page.storytime, display_token):
        return "revoked"
    return None


def token_is_current(storytime: Storytime | None, token: str | None) -> bool:
    """Return whether a display token still opens this storytime (constant-time compare)."""
    if storytime is None or not token:
        return False
    return hmac.compare_digest(storytime.display_token.encode(), token.encode())


def limit_send_time(environ: dict[str, Any], seconds: float | None) -> bool:
    """Make every write of this response give up after `seconds`; False where not possible.

    Both servers put the socket back as it was before their next request on the connection
    (gthread sets it blocking again; serve.py restores cheroot's own timeout).
    """
    if not seconds or not str(environ.get("SERVER_PROTOCOL", "")).startswith("HTTP/1"):
        return False  # an HTTP/2 socket carries other requests' streams too
    for key in SOCKET_KEYS:
        sock = environ.get(key)
        if sock is not None:
            sock.settimeout(seconds)
            return True
    return False


def event_stream(
    storytime_id: int,
    *,
    reader: str,
    after: int = 0,
    display_token: str | None = None,
    max_seconds: float | None = None,
    heartbeat_seconds: float | None = None,
) -> Iterator[str]:
    """Yield SSE text for one storytime until `max_seconds` pass or the link is revoked.

    Run it inside an app context (the view uses `stream_with_context`). The server writes
    each piece between two steps: closed after a piece was being written for about
    STREAM_SEND_TIMEOUT_SECONDS, the write timed out, which is logged.
    """
    send_timeout = current_app.config["STREAM_SEND_TIMEOUT_SECONDS"]
    frames = _frames(storytime_id, reader, after, display_token, max_seconds, heartbeat_seconds)
    writing_since = None
    try:
        for text in frames:
            writing_since = time.monotonic()
            yield text
            writing_since = None
    except GeneratorExit:
        waited = time.monotonic() - writing_since if writing_since else 0
        if send_timeout and waited >= 0.9 * send_timeout:  # 0.9: timers are not exact
            log.info(
                "Dropped a live stream of storytime %s: its screen read nothing for %.0f s "
                "(STREAM_SEND_TIMEOUT_SECONDS)",
                storytime_id,
                waited,
            )
        raise
    finally:
        frames.close()


def _frames(
    storytime_id: int,
    reader: str,
    after: int,
    display_token: str | None,
    max_seconds: float | None,
    heartbeat_seconds: float | None,
) -> Iterator[str]:
    """Yield the stream's frames, comments and heartbeats (the loop the module describes)."""
    config = current_app.config
    max_seconds = config["STREAM_MAX_SECONDS"] if max_seconds is None else max_seconds
    heartbeat = (
        config["STREAM_HEARTBEAT_SECONDS"] if heartbeat_seconds is None else heartbeat_seconds
    )
    notifier = notifier_for(current_app)
    feeds = rendered_feeds(current_app)
    started = last_sent = time.monotonic()
    deadline = started + max_seconds
    not_before = 0.0
    try:
        # Headers leave with the first bytes; browsers then wait `retry` ms between reconnects.
        yield f"retry: {RETRY_MS}\n" + comment("storytime live stream")
        while True:
            seen = notifier.generation(storytime_id)
            # One stream of the room reads and renders; the others take its page (fanout.py).
            page = feeds.page(
                storytime_id,
                reader,
                after,
                seen=seen,
                generation=lambda: notifier.generation(storytime_id),
                not_before=not_before,
            )
            # The page's reader has already ended its session (fanout.py): no connection is
            # held while sending or sleeping, nor by a stream abandoned mid-frame.
            ending = _ending(page, reader, display_token)
            if ending:
                yield f"event: {ending}\ndata: {{}}\n\n"
                return
            if page.text:
                yield page.text
                last_sent = time.monotonic()
            after = page.last_id
            now = time.monotonic()
            if now >= deadline:
                return
            not_before = 0.0
            if page.more:
                continue
            if now - last_sent >= heartbeat:
                yield comment("heartbeat")
                last_sent = now
            timeout = min(deadline - now, heartbeat - (now - last_sent))
            waiting_since = time.monotonic()
            # The page saw every commit rung up to its generation: wait for the next ring.
            if not notifier.wait(storytime_id, page.generation, max(timeout, 0.0)):
                # No ring (a heartbeat): read afresh, the storytime may have been deleted.
                not_before = waiting_since
            if notifier.closed:  # the server is stopping; the screen reconnects elsewhere
                return
    finally:
        db.session.remove()
