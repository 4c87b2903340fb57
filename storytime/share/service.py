"""What a caregiver may share, change and delete; deleting any share.

Every change saves the share and appends to the storytime's event log in one
transaction; the live screens are woken after commit (see events/log.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from storytime.database import (
    begin_write,
    commit_keeping,
    erases_text,
    retry_once_if_disconnected,
)
from storytime.errors import ApiError
from storytime.events.log import record
from storytime.extensions import db
from storytime.models import KINDS, Share, Storytime
from storytime.models.base import now_utc
from storytime.share.wordlist import matches_word_list
from storytime.songbook.service import file_song

if TYPE_CHECKING:
    from storytime.share.lookup import SharingTo

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Unicode categories never kept: controls (but newline and tab), surrogates, unassigned.
DROPPED_CATEGORIES = {"Cc", "Cs", "Cn"}
KEPT_CONTROLS = {"\n", "\t"}
# Kinds that go to the librarian only unless the caregiver says otherwise.
PRIVATE_BY_DEFAULT = {"question"}


class ShareError(ApiError, ValueError):
    """A share that cannot be accepted or changed; the message is shown to the person."""


class ShareGone(ShareError):
    """The share was deleted before the change could be made."""


@dataclass
class ShareChange:
    """A share loaded under the write lock, and whether the display showed it before."""

    share: Share
    was_visible: bool


@contextmanager
def share_change(
    share_id: int, event: str = "share.updated", *, public: bool | None = None
) -> Iterator[ShareChange]:
    """Load a share under the write lock; once the body has changed it, log the event and commit.

    The event is public when the display showed the share before or shows it after,
    unless `public` says otherwise. Raise ShareGone (404) when the share no longer
    exists; roll back when the body raises.
    """
    begin_write()
    share = db.session.get(Share, share_id)
    if share is None:
        db.session.rollback()
        raise ShareGone(_l("This share has been deleted."), 404)
    storytime_id = share.storytime_id
    change = ShareChange(share, was_visible=share.visible_on_display)
    try:
        yield change
    except BaseException:
        db.session.rollback()
        raise
    if public is None:
        public = change.was_visible or share.visible_on_display
    record(storytime_id, event, share_id=share_id, public=public)
    db.session.commit()


def clean_text(value: str) -> str:
    """Normalise to NFC and drop characters that cannot be stored or shown (NUL, lone surrogates)."""
    value = "".join(
        ch
        for ch in value
        if ch in KEPT_CONTROLS or unicodedata.category(ch) not in DROPPED_CATEGORIES
    )
    return unicodedata.normalize("NFC", value).strip()


def phone_hash(phone_cookie: str) -> str:
    """Return the stored form of a phone's random cookie id."""
    return hashlib.sha256(phone_cookie.encode()).hexdigest()


def _validated(
    storytime: Storytime | SharingTo, kind: str, text: str, name: str | None
) -> tuple[str, str, str | None]:
    config = current_app.config
    if not storytime.is_open:
        raise ShareError(_l("This storytime is not open for sharing right now."), 409)
    if kind not in KINDS or kind not in storytime.open_kinds:
        raise ShareError(_l("Please choose one of the kinds of share on this page."), field="kind")
    text = clean_text(text)
    if not text:
        raise ShareError(_l("Please write something to share."), field="text")
    if len(text) > config["SHARE_MAX_LENGTH"]:
        raise ShareError(
            _l("Please keep it under %(n)d characters.", n=config["SHARE_MAX_LENGTH"]),
            field="text",
        )
    name = clean_text(name or "") or None
    if name is not None and len(name) > config["NAME_MAX_LENGTH"]:
        raise ShareError(
            _l("Please keep the name under %(n)d characters.", n=config["NAME_MAX_LENGTH"]),
            field="name",
        )
    return kind, text, name


@retry_once_if_disconnected
def create_share(
    storytime: Storytime | SharingTo,
    *,
    kind: str,
    text: str,
    name: str | None,
    allow_screen: bool | None,
    client_id: str,
    phone: str,
) -> tuple[Share, bool]:
    """Save a caregiver's share; return it and whether it is new.

    ``allow_screen=None`` means the phone made no choice: the kind's default applies
    (questions go to the librarian only). Sending the same client id again (a phone
    retrying after a dropped connection) returns the share saved the first time; that
    is also why a database connection lost on the way is retried here once.
    """
    if not CLIENT_ID_PATTERN.match(client_id or ""):
        raise ShareError(_l("This page is out of date. Please reload it."), 400, field="client_id")
    storytime_id = storytime.id
    # A replay is answered whatever else is wrong: the share was accepted when first sent,
    # even if the storytime has closed since or the limits changed. It is not looked for
    # up front, though: the (storytime, client id) unique constraint finds it for free on
    # the insert (see docs/performance.md, "The share's statements").
    try:
        kind, text, name = _validated(storytime, kind, text, name)
    except ShareError as error:
        return _replay_or(error, storytime_id, client_id, phone)
    if allow_screen is None:
        allow_screen = kind not in PRIVATE_BY_DEFAULT
    # Read the word list before taking the write lock: it is not part of the write.
    words_match = allow_screen and matches_word_list(text, name)
    begin_write()
    # Lock the storytime before inserting, or two shares deadlock on PostgreSQL (see
    # docs/performance.md, Lock order); read its state again: it may have closed meanwhile.
    current = db.session.execute(_state_for_update(), {"storytime_id": storytime_id}).one_or_none()
    if current is None or current.state != "open":  # closed while we waited for the lock
        db.session.rollback()
        closed = ShareError(_l("This storytime is not open for sharing right now."), 409)
        return _replay_or(closed, storytime_id, client_id, phone)
    held = bool(allow_screen and (current.moderation == "review" or words_match))
    now = now_utc()
    values = {
        "storytime_id": storytime_id,
        "kind": kind,
        "text": text,
        "name": name,
        "allow_screen": bool(allow_screen),
        "on_screen": bool(allow_screen and not held),
        "held": held,
        "hidden_by_staff": False,
        "pinned": False,
        "answered": False,
        "starred": False,
        "phone": phone,
        "client_id": client_id,
        "note": "",
        "song_entry_id": None,
        "created_at": now,
        "updated_at": now,
        "purged_at": None,
    }
    # Core, not a unit-of-work flush: the values are all known here, and the share
    # answered with is built from them (no read after the write).
    connection = db.session.connection()
    share_id = connection.execute(_insert_share(connection.dialect.name), values).scalar()
    if share_id is None:
        # The same client id was saved before: a phone's retry. The unique constraint
        # decides, also when the retry raced its first attempt; answer with that share.
        db.session.rollback()
        existing = _find_by_client_id(storytime_id, client_id)
        if existing is None:  # deleted meanwhile: the phone's share is gone
            raise ShareError(_l("This page is out of date. Please reload it."), 409)
        return _replayed(existing, phone), False
    share = _as_loaded(Share(id=share_id, **values))
    if kind == "song":
        file_song(share)
    record(
        storytime_id,
        "share.created",
        share=share,
        public=share.visible_on_display,
        locked=True,
    )
    commit_keeping(share)
    return share, True


@cache
def _state_for_update():
    return (
        db.select(Storytime.state, Storytime.moderation)
        .where(Storytime.id == bindparam("storytime_id"))
        .with_for_update()
    )


@cache
def _insert_share(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: no id back means a replay."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(Share.__table__)
        .on_conflict_do_nothing(index_elements=["storytime_id", "client_id"])
        .returning(Share.__table__.c.id)
    )


def _as_loaded(share: Share) -> Share:
    """Put a share just inserted with Core into the session, as if loaded: nothing to flush."""
    make_transient_to_detached(share)
    db.session.add(share)
    return share


def _replay_or(
    error: ShareError, storytime_id: int, client_id: str, phone: str
) -> tuple[Share, bool]:
    """Answer a replay with the share first saved; raise `error` when this is no replay."""
    existing = _find_by_client_id(storytime_id, client_id)
    if existing is None:
        raise error
    return _replayed(existing, phone), False


def _find_by_client_id(storytime_id: int, client_id: str) -> Share | None:
    return db.session.execute(
        db.select(Share).where(Share.storytime_id == storytime_id, Share.client_id == client_id)
    ).scalar_one_or_none()


def _replayed(share: Share, phone: str) -> Share:
    if share.phone != phone:
        raise ShareError(_l("This page is out of date. Please reload it."), 409, field="client_id")
    return share


def edit_own_share(
    share: Share, phone: str, *, text: str, name: str | None, allow_screen: bool
) -> Share:
    """Let the phone that sent a share change it while the storytime is open."""
    _check_owner(share, phone)
    _kind, text, name = _validated(share.storytime, share.kind, text, name)
    with share_change(share.id) as change:
        share = change.share
        if (share.text, share.name) != (text, name):
            erases_text()  # the words replaced must not stay on disk
        share.text, share.name = text, name
        share.allow_screen = allow_screen
        if not allow_screen:
            # Withdrawing consent always works, at once; a staff hide stays recorded.
            share.on_screen = share.pinned = share.held = False
        elif share.hidden_by_staff:
            # Staff took it off the screen: neither a new choice nor new words bring it back.
            share.on_screen = share.pinned = False
        elif share.storytime.moderation == "review" or matches_word_list(text, name):
            # Changed words are checked again before they can reach the screen.
            share.on_screen, share.held = False, True
        elif not change.was_visible:
            share.on_screen, share.held = True, False
        if share.kind == "song":
            file_song(share)
    return share


def delete_own_share(share: Share, phone: str) -> None:
    """Let the phone that sent a share delete it while the storytime is open."""
    _check_owner(share, phone)
    delete_share(share)


def _check_owner(share: Share, phone: str) -> None:
    if share.phone != phone:
        raise ShareError(_l("You can only change what you shared from this phone."), 403)
    if not share.storytime.is_open:
        raise ShareError(_l("This storytime has ended, so shares can no longer be changed."), 409)


def delete_share(share: Share) -> None:
    """Delete a share for good: its text leaves the database, screens drop it."""
    try:
        with share_change(share.id, "share.deleted") as change:
            db.session.delete(change.share)
            db.session.flush()
            erases_text()
    except ShareGone:
        return  # deleted meanwhile: nothing is left to delete
