"""Permanent display links for a branch's rooms, and the short codes that pair a TV."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storytime.extensions import db
from storytime.models.base import UTCDateTime, now_utc
from storytime.models.staff import Branch


class DisplayScreen(db.Model):
    """A TV set up once: its link follows whichever storytime is open in its room."""

    __table_args__ = (UniqueConstraint("branch_id", "room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))
    # "" is the branch's main room; a branch running two storytimes at once names the other.
    room: Mapped[str] = mapped_column(String(60), default="")
    # Capability secret in the permanent link; replacing it kills the old link.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    branch: Mapped[Branch] = relationship()


class DisplayPairing(db.Model):
    """A short code a new TV shows, typed into the dashboard to give the TV its link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    # The TV's own secret (a cookie), stored hashed; only that TV learns the link.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    screen_id: Mapped[int | None] = mapped_column(
        ForeignKey("display_screen.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    screen: Mapped[DisplayScreen | None] = relationship()
