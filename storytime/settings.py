"""Install-wide settings an admin edits on the settings page; config supplies defaults.

Every share and page reads them, so each app (each worker process) keeps what it read
and reads again at most once every RECHECK_SECONDS: an admin's change reaches every
worker within about a second, and the worker that saved it at once (see
docs/performance.md, "Settings and the word list").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from storytime.extensions import db
from storytime.models import Setting

EDITABLE = ("LIBRARY_NAME", "TIMEZONE", "WORD_LIST", "DEFAULT_LANGUAGE")
RECHECK_SECONDS = 1.0
CACHE_KEY = "storytime_settings"
CHANGED_KEY = "storytime_settings_changed"


@dataclass(frozen=True)
class _Read:
    """The saved settings as one app last read them, and when."""

    values: dict[str, str]
    words: tuple[str, ...] | None  # the saved word list, parsed; None when never saved
    at: float


def _select():
    return db.select(Setting.key, Setting.value).where(
        Setting.key.in_([key.lower() for key in EDITABLE])
    )


def _read() -> _Read:
    """Return the saved settings, read again when the app's copy is older than a second."""
    cached: _Read | None = current_app.extensions.get(CACHE_KEY)
    now = time.monotonic()
    if cached is not None and now - cached.at < RECHECK_SECONDS:
        return cached
    values = {key.upper(): value for key, value in db.session.execute(_select())}
    stored = values.get("WORD_LIST")
    words = None if stored is None else _clean(stored.splitlines())
    fresh = _Read(values, words, now)
    current_app.extensions[CACHE_KEY] = fresh
    return fresh


def _stored() -> dict[str, str]:
    """Return the admin's saved settings (at most a second old; this worker's own saves at once)."""
    return _read().values


def _clean(words: list[str]) -> tuple[str, ...]:
    return tuple(word.strip().lower() for word in words if word.strip())


def forget() -> None:
    """Drop this app's copy, so the next read goes to the database."""
    current_app.extensions.pop(CACHE_KEY, None)


def library_name() -> str:
    return _stored().get("LIBRARY_NAME") or current_app.config["LIBRARY_NAME"]


def timezone() -> str:
    return _stored().get("TIMEZONE") or current_app.config["TIMEZONE"]


def default_language() -> str:
    """Return the language families fall back to: the admin's choice, else config's."""
    return _stored().get("DEFAULT_LANGUAGE") or current_app.config.get("DEFAULT_LANGUAGE") or "en"


def words() -> tuple[str, ...]:
    """Return the words that hold a share for review, lowercased, as a tuple."""
    saved = _read().words
    return saved if saved is not None else _clean(current_app.config["WORD_LIST"])


def word_list() -> list[str]:
    """Return the words that hold a share for review, lowercased."""
    return list(words())


def save(values: dict[str, str]) -> None:
    """Store edited settings."""
    for key, value in values.items():
        if key not in EDITABLE:
            raise KeyError(key)
        row = db.session.get(Setting, key.lower()) or Setting(key=key.lower())
        row.value = value
        db.session.add(row)
    db.session.commit()


# Whoever writes a setting (this module, first-run setup), this worker reads it again
# after the commit, so the admin sees the change on the next page.
@event.listens_for(Setting, "after_insert")
@event.listens_for(Setting, "after_update")
@event.listens_for(Setting, "after_delete")
def _note_change(_mapper: Any, _connection: Any, target: Setting) -> None:
    session = object_session(target)
    if session is not None:
        session.info[CHANGED_KEY] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop(CHANGED_KEY, False) and has_app_context():
        forget()


@event.listens_for(Session, "after_rollback")
def _keep_after_rollback(session: Session) -> None:
    session.info.pop(CHANGED_KEY, None)
