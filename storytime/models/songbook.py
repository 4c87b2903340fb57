"""The community songbook: songs and rhymes grouped across storytimes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storytime.extensions import db
from storytime.models.base import UTCDateTime, now_utc

if TYPE_CHECKING:
    from storytime.models.share import Share
    from storytime.models.storytime import Storytime


class SongbookEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Staff chose the title; otherwise it is recomputed from the public shares filed here.
    title_from_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    shares: Mapped[list[Share]] = relationship(back_populates="song_entry")
    aliases: Mapped[list[SongAlias]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )


class SongAlias(db.Model):
    """A normalised title that belongs to an entry; merges add aliases so new shares follow."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("songbook_entry.id", ondelete="CASCADE"), index=True
    )

    entry: Mapped[SongbookEntry] = relationship(back_populates="aliases")


class PlannedSong(db.Model):
    """A songbook entry a librarian picked into an upcoming storytime's plan."""

    __table_args__ = (UniqueConstraint("storytime_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    storytime_id: Mapped[int] = mapped_column(
        ForeignKey("storytime.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("songbook_entry.id", ondelete="CASCADE"), index=True
    )
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    storytime: Mapped[Storytime] = relationship()
    entry: Mapped[SongbookEntry] = relationship()


class SungSong(db.Model):
    """A song of a storytime's playlist the librarian marked as sung, by its songbook key."""

    __table_args__ = (UniqueConstraint("storytime_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    storytime_id: Mapped[int] = mapped_column(
        ForeignKey("storytime.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(200))
    sung_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
