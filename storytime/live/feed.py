"""Turn a storytime's event log into the JSON feed one reader may see.

Events only name what changed; each item carries the share or storytime as it is
*now*, in the reader's shape. Two readers (a storytime's *audience* is its
babies, toddlers…; who reads a feed is its *reader*):

- staff: every event; a share as `share_for_staff`, a deleted one as `{"id": …}`;
  storytime events with the live state (state, quiet, links, counts).
- display: only public events; a share visible on the display now becomes
  `share.shown` with `share_for_display`, anything else `share.hidden` with its id
  alone. Nothing staff-only ever leaves this module for the display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func

from storytime.events.log import events_after
from storytime.extensions import db
from storytime.live.playlist import playlist_for_display
from storytime.models import KINDS, Event, Share, Storytime
from storytime.share.present import share_for_display, share_for_staff
from storytime.storytimes.links import display_url, join_url

STAFF = "staff"
DISPLAY = "display"
READERS = (STAFF, DISPLAY)
PAGE_SIZE = 500


@dataclass
class Feed:
    """One page of the feed: items oldest first, and the id to resume after."""

    items: list[dict[str, Any]] = field(default_factory=list)
    last_id: int = 0
    # True when the page was full and more events wait right after last_id.
    more: bool = False


def counts(storytime_id: int) -> dict[str, Any]:
    """Count the storytime's shares by kind, and the phones that shared."""
    of_storytime = Share.storytime_id == storytime_id
    phones = (
        db.select(func.count(func.distinct(Share.phone)))
        .where(of_storytime, Share.phone != "")
        .scalar_subquery()
    )
    # One statement: a dashboard stream counts again after every read in a busy room.
    rows = db.session.execute(
        db.select(Share.kind, func.count(), phones).where(of_storytime).group_by(Share.kind)
    ).all()
    by_kind = dict.fromkeys(KINDS, 0) | {kind: number for kind, number, _ in rows}
    return {
        "by_kind": by_kind,
        "total": sum(by_kind.values()),
        "phones": rows[0][2] if rows else 0,
    }


def storytime_for_display(storytime: Storytime) -> dict[str, Any]:
    """What the big screen may know about the storytime: nothing secret."""
    return {
        "id": storytime.id,
        "title": storytime.title,
        "state": storytime.state,
        "quiet": storytime.quiet,
        "code": storytime.code,
        "join_url": join_url(storytime),
        "checkins_asked": storytime.checkins_asked_at is not None,
        "playlist": playlist_for_display(storytime) if storytime.playlist_on_screen else None,
    }


def storytime_for_staff(storytime: Storytime) -> dict[str, Any]:
    """The dashboard's view of the storytime: live state, links and counts."""
    return {
        **storytime_for_display(storytime),
        "display_url": display_url(storytime),
        "last_event_id": storytime.last_event_id,
        "counts": counts(storytime.id),
    }


EventWithShare = tuple[Event, Share | None]


def staff_items(storytime: Storytime, events: list[EventWithShare]) -> list[dict[str, Any]]:
    """Render events for staff: everything, in its current state."""
    summary = counts(storytime.id) if events else None
    items = []
    for event, share in events:
        item: dict[str, Any] = {"id": event.id, "type": event.type}
        if event.share_id is not None:
            if share is None:
                # Gone since: whatever the event was, the screen should drop it.
                item["type"] = "share.deleted"
                item["share"] = {"id": event.share_id}
            else:
                item["share"] = share_for_staff(share)
            item["counts"] = summary
        else:
            item["storytime"] = storytime_for_staff(storytime)
        items.append(item)
    return items


def display_items(storytime: Storytime, events: list[EventWithShare]) -> list[dict[str, Any]]:
    """Render public events for the display: on-screen shares or just the id to hide."""
    items = []
    for event, share in events:
        if not event.public:  # never trust the caller to have filtered
            continue
        if event.share_id is not None:
            if share is not None and share.visible_on_display:
                item = {"id": event.id, "type": "share.shown", "share": share_for_display(share)}
            else:
                item = {"id": event.id, "type": "share.hidden", "share": {"id": event.share_id}}
            if storytime.playlist_on_screen and (share is None or share.kind == "song"):
                # The TV's playlist is made of song shares: a song shown or hidden changes it.
                item["storytime"] = storytime_for_display(storytime)
            items.append(item)
        else:
            items.append(
                {"id": event.id, "type": event.type, "storytime": storytime_for_display(storytime)}
            )
    return items


def read_events(storytime_id: int, after: int, reader: str, *, limit: int = PAGE_SIZE):
    """Return the events after `after` that this reader may see, each with its share."""
    if reader not in READERS:
        raise ValueError(f"unknown reader {reader!r}")
    return events_after(storytime_id, after, public_only=reader == DISPLAY, limit=limit)


def render_feed(
    storytime: Storytime,
    events: list[EventWithShare],
    after: int,
    reader: str,
    *,
    limit: int = PAGE_SIZE,
) -> Feed:
    """Turn events read by `read_events` into the reader's feed page."""
    render = staff_items if reader == STAFF else display_items
    return Feed(
        items=render(storytime, events),
        last_id=events[-1][0].id if events else after,
        more=len(events) == limit,
    )


def read_feed(storytime: Storytime, after: int, reader: str, *, limit: int = PAGE_SIZE) -> Feed:
    """Return the reader's items for events after `after`, oldest first."""
    events = read_events(storytime.id, after, reader, limit=limit)
    return render_feed(storytime, events, after, reader, limit=limit)


def mentions_storytime(events: list[EventWithShare]) -> bool:
    """Return whether any event is about the storytime itself (state, quiet, display link)."""
    return any(event.share_id is None for event, _share in events)


def visible_shares(storytime: Storytime, limit: int = 50) -> list[Share]:
    """Return the shares the display shows now, newest first (for the page's first paint)."""
    return list(
        db.session.execute(
            db.select(Share)
            .where(Share.storytime_id == storytime.id, Share.visible_on_display)
            .order_by(Share.id.desc())
            .limit(limit)
        ).scalars()
    )
