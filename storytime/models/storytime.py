"""A storytime (one session in a room) and the prompts the librarian asks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storytime.extensions import db
from storytime.models.base import JSONDocument, UTCDateTime, now_utc
from storytime.models.staff import Branch, User

if TYPE_CHECKING:
    from storytime.models.share import Share

AUDIENCES = ("babies", "toddlers", "preschool", "families", "all_ages")
MODERATION_MODES = ("instant", "review")
STATES = ("scheduled", "open", "closed")


class Storytime(db.Model):
    __table_args__ = (
        # A join code is unique among storytimes that are not closed; closed ones free it.
        Index(
            "uq_storytime_live_code",
            "code",
            unique=True,
            sqlite_where=text("state != 'closed'"),
            postgresql_where=text("state != 'closed'"),
        ),
        Index("ix_storytime_branch_starts", "branch_id", "starts_at"),
        # Ids are never reused: old links and exports never point at a newer storytime.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    audience: Mapped[str] = mapped_column(String(20), default="all_ages")
    theme: Mapped[str] = mapped_column(String(200), default="")
    moderation: Mapped[str] = mapped_column(String(10), default="instant")
    state: Mapped[str] = mapped_column(String(10), default="scheduled", index=True)
    code: Mapped[str] = mapped_column(String(12))
    # Capability secret in the display link: the TV needs no login. Rotating it kills old links.
    display_token: Mapped[str] = mapped_column(String(64), unique=True)
    quiet: Mapped[bool] = mapped_column(default=False)
    # Bumped with every event; the row lock it takes orders event ids by commit.
    last_event_id: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    headcount_adults: Mapped[int | None]
    headcount_children: Mapped[int | None]
    headcount_babies: Mapped[int | None]
    recap_published: Mapped[bool] = mapped_column(default=False)
    recap_note: Mapped[str] = mapped_column(Text, default="")
    # The recap note in other languages, by language code ("es": "…"); optional.
    recap_note_translations: Mapped[dict[str, str]] = mapped_column(
        JSONDocument, default=dict, server_default="{}"
    )
    # A bilingual storytime: the TV shows its own words and the prompts in this one too.
    second_language: Mapped[str] = mapped_column(String(10), default="", server_default=text("''"))
    # Caregivers agreed to the room's TV, not a public page: names only when staff opt in.
    recap_show_names: Mapped[bool] = mapped_column(default=False, server_default=false())

    # Which room of the branch; "" is its main room (a branch may run two at once).
    room: Mapped[str] = mapped_column(String(60), default="", server_default=text("''"))
    # The planned length; it closes by itself auto_close_minutes after the planned end
    # (None: STORYTIME_AUTO_CLOSE_MINUTES).
    duration_minutes: Mapped[int] = mapped_column(default=45, server_default="45")
    auto_close_minutes: Mapped[int | None]
    # The playlist is on the TV for playtime.
    playlist_on_screen: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The librarian asked every phone for a check-in.
    checkins_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    branch: Mapped[Branch] = relationship()
    created_by: Mapped[User | None] = relationship()
    prompts: Mapped[list[Prompt]] = relationship(
        back_populates="storytime",
        cascade="all, delete-orphan",
        order_by="Prompt.position",
    )
    shares: Mapped[list[Share]] = relationship(
        back_populates="storytime", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def open_kinds(self) -> list[str]:
        return [prompt.kind for prompt in self.prompts]

    def prompt_for(self, kind: str) -> Prompt | None:
        """Return the prompt for a kind of share, or None when that kind is not open."""
        return next((prompt for prompt in self.prompts if prompt.kind == kind), None)

    def __repr__(self) -> str:
        return f"<Storytime {self.id} {self.code} {self.state}>"


class Prompt(db.Model):
    """What the librarian asks for one kind of share; a kind without a prompt is not open."""

    __table_args__ = (UniqueConstraint("storytime_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    storytime_id: Mapped[int] = mapped_column(ForeignKey("storytime.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    # What caregivers are asked; the column keeps its first name ("question" is also a kind).
    text: Mapped[str] = mapped_column("question", String(300), default="")
    # The prompt in other languages, by language code ("es": "…"); optional. A built-in
    # suggestion is stored as its English text and translated from the catalogs instead.
    translations: Mapped[dict[str, str]] = mapped_column(
        JSONDocument, default=dict, server_default="{}"
    )
    position: Mapped[int] = mapped_column(default=0)

    storytime: Mapped[Storytime] = relationship(back_populates="prompts")
