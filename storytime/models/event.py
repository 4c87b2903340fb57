"""The append-only, per-storytime event log that live screens follow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storytime.extensions import db
from storytime.models.base import UTCDateTime, now_utc


class Event(db.Model):
    """One change to a storytime or its shares; ids increase in commit order per storytime.

    An event names what changed, not its content: readers render the current
    state, so a purge or a delete never leaves text behind in the log.
    """

    __table_args__ = (
        Index("ix_event_storytime_id", "storytime_id", "id"),
        # A stream's Last-Event-ID must never match a later, different event.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    storytime_id: Mapped[int] = mapped_column(ForeignKey("storytime.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(30))
    share_id: Mapped[int | None]
    # Whether the display's feed carries this event at all.
    public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
