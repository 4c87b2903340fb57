"""The take-home recap families see on the join link once a storytime has closed.

Only shares the caregiver allowed on the big screen can appear, and of those
only what the librarian starred or showed; held, staff-only and purged shares
never do, whatever else is set on them. Caregivers agreed to the room's screen,
not a public web page: first names are left out unless the librarian turns them
on for that recap (`Storytime.recap_show_names`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from storytime.errors import ApiError
from storytime.extensions import db
from storytime.i18n import all_languages, default_language, reader_language, translated
from storytime.models import Share, Storytime
from storytime.share.service import share_change

RECAP_KINDS = ("tip", "song", "question")
NOTE_MAX_LENGTH = 2000
# A translation of the note arrives in a form field named NOTE_FIELD_PREFIX + language code.
NOTE_FIELD_PREFIX = "note_translation-"


class RecapError(ApiError, ValueError):
    """A change to a recap that cannot be made; the message is shown to the person."""


@dataclass
class Recap:
    storytime: Storytime
    note: str
    show_names: bool = False
    tips: list[Share] = field(default_factory=list)
    songs: list[Share] = field(default_factory=list)
    questions: list[Share] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.note or self.tips or self.songs or self.questions)

    def name_of(self, share: Share) -> str | None:
        """Return the first name to print beside a share, or None (the default)."""
        if not self.show_names or not share.allow_screen or share.purged_at is not None:
            return None
        return share.name or None


def in_recap(share: Share) -> bool:
    """Return whether a share belongs in the public recap (the one rule, also in SQL below)."""
    return (
        share.kind in RECAP_KINDS
        and share.allow_screen
        and not share.held
        and share.purged_at is None
        and (share.starred or share.on_screen)
    )


def recap_query(storytime_id: int):
    """Return the query for the shares a recap shows."""
    return (
        db.select(Share)
        .where(
            Share.storytime_id == storytime_id,
            Share.kind.in_(RECAP_KINDS),
            Share.allow_screen.is_(True),
            Share.held.is_(False),
            Share.purged_at.is_(None),
            or_(Share.starred.is_(True), Share.on_screen.is_(True)),
        )
        .order_by(Share.starred.desc(), Share.created_at, Share.id)
    )


def note_languages() -> list[str]:
    """Return the languages a note may be translated into (every family language but the default)."""
    return [code for code in all_languages() if code != default_language()]


def note_translations_from(form: Mapping[str, str]) -> dict[str, str]:
    """Return the note's translations typed in a form, by language (empty ones left out)."""
    values = {code: (form.get(NOTE_FIELD_PREFIX + code) or "").strip() for code in note_languages()}
    return {code: text[:NOTE_MAX_LENGTH] for code, text in values.items() if text}


def note_in(storytime: Storytime, language: str | None = None) -> str:
    """Return the recap note in `language` (the reader's), else the default language's."""
    return translated(
        storytime.recap_note or "",
        storytime.recap_note_translations,
        language or reader_language(),
    )


def build_recap(storytime: Storytime) -> Recap:
    """Return what the recap shows, published or not (the editor previews it)."""
    recap = Recap(
        storytime=storytime,
        note=note_in(storytime),
        show_names=bool(storytime.recap_show_names),
    )
    for share in db.session.execute(recap_query(storytime.id)).scalars():
        if not in_recap(share):  # belt and braces: the SQL says the same
            continue
        {"tip": recap.tips, "song": recap.songs, "question": recap.questions}[share.kind].append(
            share
        )
    # A song sung twice is listed once.
    seen: set[int | str] = set()
    songs = []
    for share in recap.songs:
        marker = share.song_entry_id or share.text.casefold()
        if marker not in seen:
            seen.add(marker)
            songs.append(share)
    recap.songs = songs
    return recap


def public_recap(storytime: Storytime | None) -> Recap | None:
    """Return the recap families may see, or None while it is not public."""
    if storytime is None or storytime.state != "closed" or not storytime.recap_published:
        return None
    return build_recap(storytime)


def candidates(storytime: Storytime) -> list[Share]:
    """Return the shares a librarian may put in the recap (never staff-only ones)."""
    return list(
        db.session.execute(
            db.select(Share)
            .where(
                Share.storytime_id == storytime.id,
                Share.kind.in_(RECAP_KINDS),
                Share.allow_screen.is_(True),
                Share.purged_at.is_(None),
            )
            .order_by(Share.kind, Share.created_at, Share.id)
        ).scalars()
    )


def save_recap(
    storytime: Storytime,
    note: str,
    published: bool,
    show_names: bool,
    translations: Mapping[str, str] | None = None,
) -> None:
    """Save the librarian's note, whether families may see the recap, and with names or not.

    `translations` (language → text, see note_translations_from) replaces the note's
    translations when given; None leaves them as they are.
    """
    storytime.recap_note = note.strip()[:NOTE_MAX_LENGTH]
    if translations is not None:
        known = set(note_languages())
        storytime.recap_note_translations = {
            code: text.strip()[:NOTE_MAX_LENGTH]
            for code, text in translations.items()
            if code in known and text.strip()
        }
    storytime.recap_published = published
    storytime.recap_show_names = show_names
    db.session.commit()


def set_included(storytime: Storytime, share_id: int, included: bool) -> None:
    """Put a share in the recap (star it) or take it out (unstar it and take it off screen)."""
    storytime_id = storytime.id
    with share_change(share_id) as change:
        share = change.share
        if share.storytime_id != storytime_id:
            raise RecapError(_l("That share is not in this storytime."), 404)
        if not share.allow_screen:
            raise RecapError(_l("This share is for the librarian only; it never goes public."), 409)
        if included:
            share.starred, share.held = True, False
        else:
            share.starred = share.on_screen = share.pinned = False
            share.hidden_by_staff = True  # a staff hide: the caregiver cannot show it again
