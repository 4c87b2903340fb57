"""What caregivers share, and the library's public follow-ups on it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, and_, false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storytime.extensions import db
from storytime.models.base import UTCDateTime, now_utc
from storytime.models.staff import Branch, User

if TYPE_CHECKING:
    from storytime.models.songbook import SongbookEntry
    from storytime.models.storytime import Storytime

KINDS = ("hello", "tip", "song", "question", "idea")


class Share(db.Model):
    __table_args__ = (
        # A phone that resends the same client id gets the same share back.
        UniqueConstraint("storytime_id", "client_id"),
        Index("ix_share_storytime_created", "storytime_id", "created_at"),
        Index("ix_share_kind_created", "kind", "created_at"),
        # Ids are never reused, even after the newest share is deleted.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    storytime_id: Mapped[int] = mapped_column(ForeignKey("storytime.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str | None] = mapped_column(String(60))
    # The caregiver's choice: may this go on the big screen at all?
    allow_screen: Mapped[bool] = mapped_column(default=False)
    # Shown on the display now. Only ever true when allow_screen is.
    on_screen: Mapped[bool] = mapped_column(default=False)
    # Waiting for the librarian: review mode, or the word list matched.
    held: Mapped[bool] = mapped_column(default=False)
    # Staff took it off the screen (or held it): only staff may show it again.
    hidden_by_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    pinned: Mapped[bool] = mapped_column(default=False)
    answered: Mapped[bool] = mapped_column(default=False)
    starred: Mapped[bool] = mapped_column(default=False)
    # A random id from the phone's cookie, hashed; never an IP address or user agent.
    phone: Mapped[str] = mapped_column(String(64), default="", index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")  # staff follow-up note
    song_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("songbook_entry.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    storytime: Mapped[Storytime] = relationship(back_populates="shares")
    song_entry: Mapped[SongbookEntry | None] = relationship(back_populates="shares")

    @property
    def staff_only(self) -> bool:
        return not self.allow_screen

    # The one rule for the big screen, in Python on a share and in SQL on the class: the
    # caregiver allowed it there and it is shown now. Staff-only shares never pass.
    @hybrid_property
    def visible_on_display(self) -> bool:
        """Return whether the display may show this share now."""
        return self.allow_screen and self.on_screen

    @visible_on_display.inplace.expression
    @classmethod
    def _visible_on_display_expression(cls):
        return and_(cls.allow_screen, cls.on_screen)


class FollowUp(db.Model):
    """ "You asked, we did": a public answer to families' ideas and questions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    share_id: Mapped[int | None] = mapped_column(ForeignKey("share.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    branch: Mapped[Branch] = relationship()
    share: Mapped[Share | None] = relationship()
    created_by: Mapped[User | None] = relationship()
