"""Append to a storytime's event log in the caller's transaction, ring after commit."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from storytime.events import notifier_for
from storytime.extensions import db
from storytime.models import Event, Share, Storytime
from storytime.models.base import now_utc

TOUCHED_KEY = "storytime_touched"
RING_KEY = "storytime_to_ring"


def record(
    storytime_id: int,
    type_: str,
    *,
    share: Share | None = None,
    share_id: int | None = None,
    public: bool,
    locked: bool = False,
) -> int:
    """Append one event to the storytime's log, inside the current transaction; return its id.

    Locking the storytime's row first makes event ids of one storytime commit
    in increasing order, so a reader that saw id N will never later find a
    smaller id appear (on PostgreSQL, sequence values are otherwise handed out
    before commit order is known). Pass `locked=True` when the caller already
    holds that lock. On SQLite, BEGIN IMMEDIATE already serialises writers (and
    FOR UPDATE means nothing there), so the lock is not asked for.
    """
    if not locked and db.session.get_bind().dialect.name != "sqlite":
        db.session.execute(
            db.select(Storytime.id).where(Storytime.id == storytime_id).with_for_update()
        )
    if share is not None and share.id is None:
        db.session.flush()
    # Core, not the ORM: nothing reads the event back as an object, and a share's write
    # is on every phone's path (see docs/performance.md, The share's write).
    connection = db.session.connection()
    event_id = connection.execute(
        _insert_event(),
        {
            "storytime_id": storytime_id,
            "type": type_,
            "share_id": share.id if share is not None else share_id,
            "public": public,
            "created_at": now_utc(),
        },
    ).scalar_one()
    connection.execute(_note_last_event(), {"id_": storytime_id, "last_event_id": event_id})
    db.session.info.setdefault(TOUCHED_KEY, set()).add(storytime_id)
    return event_id


# Built once: every share runs them (building and keying a statement cost more than running it).
@cache
def _insert_event():
    return insert(Event.__table__).returning(Event.__table__.c.id)


@cache
def _note_last_event():
    table = Storytime.__table__
    return update(table).where(table.c.id == bindparam("id_"))


def events_after(
    storytime_id: int, after: int, *, public_only: bool, limit: int = 500
) -> list[tuple[Event, Share | None]]:
    """Return the storytime's events with id > after, oldest first, each with its share.

    The share is None for storytime events and for shares deleted since.
    """
    query = (
        db.select(Event, Share)
        .outerjoin(Share, (Share.id == Event.share_id) & (Share.storytime_id == Event.storytime_id))
        .where(Event.storytime_id == storytime_id, Event.id > after)
        .order_by(Event.id)
        .limit(limit)
    )
    if public_only:
        query = query.where(Event.public)
    return [(event, share) for event, share in db.session.execute(query)]


@sa_event.listens_for(Session, "after_commit")
def _ring_after_commit(session: Session) -> None:
    """Note the storytimes whose log this commit grew; they are rung once it has ended."""
    touched = session.info.pop(TOUCHED_KEY, None)
    if touched:
        session.info.setdefault(RING_KEY, set()).update(touched)


@sa_event.listens_for(Session, "after_transaction_end")
def _ring_when_ended(session: Session, transaction: Any) -> None:
    """Wake the streams once the connection, and with it the writer lock, is back in the pool.

    In after_commit the next writer would wait for the woken threads (see
    docs/performance.md, Waking streams).
    """
    if transaction.parent is not None:
        return
    touched = session.info.pop(RING_KEY, None)
    if not touched:
        return
    notifier = notifier_for(current_app)
    for storytime_id in touched:
        notifier.publish(storytime_id)


@sa_event.listens_for(Session, "after_rollback")
def _ring_after_rollback(session: Session) -> None:
    """Ring anyway: a COMMIT whose answer was lost with its connection may have landed.

    The retry then finds the share saved and records nothing, so without this ring screens
    would wait for their next heartbeat. A needless ring costs each stream one read.
    """
    touched = session.info.pop(TOUCHED_KEY, None)
    if touched:
        session.info.setdefault(RING_KEY, set()).update(touched)
