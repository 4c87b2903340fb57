"""Outcome check-ins: what caregivers say storytime changed, on a five-point scale."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storytime.extensions import db
from storytime.models.base import JSONDocument
from storytime.models.storytime import Storytime

CHECKIN_KINDS = ("immediate", "follow_up")
IMMEDIATE_STATEMENTS = ("learned", "confident", "will_use", "aware")
FOLLOW_UP_STATEMENTS = ("tried", "more_time", "other_resources", "understand")
STATEMENTS = IMMEDIATE_STATEMENTS + FOLLOW_UP_STATEMENTS
QUESTIONS = ("liked", "wish")
SCALE = (1, 2, 3, 4, 5)


class CheckIn(db.Model):
    """One phone's check-in for one storytime; a second one from that phone replaces it.

    Linked to the phone only by its hash (for one-per-storytime and the follow-up), and
    dated by the day alone: never to a share, a name or a time of day.
    """

    __table_args__ = (UniqueConstraint("storytime_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    storytime_id: Mapped[int] = mapped_column(
        ForeignKey("storytime.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    # The client ids of the check-ins this one replaced: a late retry of one answers with
    # the newest check-in instead of bringing the older answers back.
    replaced_client_ids: Mapped[list[str]] = mapped_column(
        JSONDocument, default=list, server_default="[]"
    )
    kind: Mapped[str] = mapped_column(String(10), default="immediate")
    answered_on: Mapped[date] = mapped_column(Date)
    learned: Mapped[int | None]
    confident: Mapped[int | None]
    will_use: Mapped[int | None]
    aware: Mapped[int | None]
    tried: Mapped[int | None]
    more_time: Mapped[int | None]
    other_resources: Mapped[int | None]
    understand: Mapped[int | None]
    liked: Mapped[str] = mapped_column(Text, default="")
    wish: Mapped[str] = mapped_column(Text, default="")
    # Set when purge emptied the comments; the numbers stay.
    purged_on: Mapped[date | None] = mapped_column(Date)

    storytime: Mapped[Storytime] = relationship()

    def answers(self) -> dict[str, int]:
        """Return the statements this check-in answered, by id."""
        return {s: v for s in STATEMENTS if (v := getattr(self, s)) is not None}
