"""Live API: the event feed, the SSE stream, moderation and the display link.

Opening, closing and the quiet screen go through `PATCH /api/v1/storytimes/<id>`
(storytime/api/storytimes.py); the dashboard calls it.
"""

from __future__ import annotations

from flask import Response, abort, current_app, jsonify, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import ObjectDeletedError

from storytime.api.routes import bp, query_arg, runner_only
from storytime.auth.roles import require_runner
from storytime.errors import ApiError, json_object
from storytime.extensions import db
from storytime.live.access import feed_reader
from storytime.live.feed import read_feed, storytime_for_staff
from storytime.live.stream import event_stream, limit_send_time
from storytime.models import Share, Storytime
from storytime.security import DatabaseInteger
from storytime.share.moderation import MODERATION_FLAGS, moderate
from storytime.share.present import share_for_staff
from storytime.share.service import delete_share
from storytime.storytimes.service import rotate_display_token

# 18 digits, as the OpenAPI document says (`maximum`, and a header's `pattern`). Event ids
# live in an INTEGER column: a larger id cannot exist, so it reads as the largest one there
# can be (nothing comes after it), where PostgreSQL would fail comparing it (a 500).
MAX_EVENT_ID = 10**18 - 1
LARGEST_STORED_ID = DatabaseInteger.LARGEST


def _event_id(value: str | None, name: str) -> int:
    """Parse an event id from a query argument or header; 0 when absent."""
    if value is None:
        return 0
    if not value.isascii() or not value.isdigit() or int(value) > MAX_EVENT_ID:
        raise ApiError(
            _(
                "'%(name)s' must be a whole number from 0 to %(high)d.",
                name=name,
                high=MAX_EVENT_ID,
            ),
            field=name,
        )
    return min(int(value), LARGEST_STORED_ID)


@bp.route("/storytimes/<int:storytime_id>/events")
def live_events(storytime_id: int):
    """Return the events after `?after=` in the reader's shape (staff or display)."""
    storytime = db.get_or_404(Storytime, storytime_id)
    reader, _token = feed_reader(storytime)
    after = _event_id(query_arg("after"), "after")
    feed = read_feed(storytime, after, reader)
    response = jsonify(events=feed.items, last_id=feed.last_id, more=feed.more)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/storytimes/<int:storytime_id>/stream")
def live_stream(storytime_id: int):
    """Follow the storytime as Server-Sent Events; resumes after `Last-Event-ID`."""
    storytime = db.get_or_404(Storytime, storytime_id)
    reader, token = feed_reader(storytime)
    # An empty header is a browser's first connect: the page's own resume point decides.
    header = request.headers.get("Last-Event-ID", "").strip()
    # The query is checked even when the header wins: what the document forbids is refused.
    from_query = _event_id(query_arg("last_event_id"), "last_event_id")
    after = _event_id(header, "Last-Event-ID") if header else from_query
    # The generator opens its own sessions; hold nothing from this one while streaming.
    db.session.remove()
    body = event_stream(storytime_id, reader=reader, after=after, display_token=token)
    # A screen that stops reading is dropped once a write has waited this long.
    limit_send_time(request.environ, current_app.config["STREAM_SEND_TIMEOUT_SECONDS"])
    response = Response(stream_with_context(body), mimetype="text/event-stream")
    # no-transform: proxies must not compress or rewrite (that would buffer the stream).
    # no-store: it is live, and the display's and staff's feeds are nobody else's.
    response.headers["Cache-Control"] = "no-store, no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _share_for_runner(share_id: int) -> Share:
    # One statement reads both: a storytime deleted meanwhile (with its shares) is a 404,
    # never a share whose storytime is gone by the time it is lazily loaded.
    share = db.session.execute(
        db.select(Share).options(joinedload(Share.storytime)).where(Share.id == share_id)
    ).scalar_one_or_none()
    if share is None or share.storytime is None:
        abort(404)
    require_runner(share.storytime)
    return share


@bp.route("/shares/<int:share_id>", methods=["PATCH"])
@runner_only
def moderate_share(share_id: int):
    """Show, hide, pin, answer or star a share (any of the four booleans)."""
    share = _share_for_runner(share_id)
    changes = json_object()
    if not changes:
        raise ApiError(_("Send at least one of: %(fields)s.", fields=", ".join(MODERATION_FLAGS)))
    share = moderate(share, changes)
    try:
        return jsonify(share=share_for_staff(share))
    except ObjectDeletedError:
        # Deleted by another request while this one changed nothing in it (PostgreSQL
        # runs both at once): it is gone, as the next call would say.
        abort(404)


@bp.route("/shares/<int:share_id>", methods=["DELETE"])
@runner_only
def delete_share_api(share_id: int):
    """Delete a share for good; every screen drops it."""
    share = _share_for_runner(share_id)
    delete_share(share)
    return "", 204


def _storytime_for_runner(storytime_id: int) -> Storytime:
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    return storytime


@bp.route("/storytimes/<int:storytime_id>/display-token", methods=["POST"])
@runner_only
def live_rotate_display_token(storytime_id: int):
    """Give the display link a new secret; the old link stops at once."""
    storytime = _storytime_for_runner(storytime_id)
    rotate_display_token(storytime)
    body = storytime_for_staff(storytime)
    return jsonify(display_url=body["display_url"], storytime=body)
