"""Install-wide settings an admin edits on the settings page; config supplies defaults."""

from __future__ import annotations

from flask import current_app, g

from storytime.extensions import db
from storytime.models import Setting

EDITABLE = ("LIBRARY_NAME", "TIMEZONE", "WORD_LIST", "DEFAULT_LANGUAGE")


def _stored() -> dict[str, str]:
    """Return the admin's saved settings, read once per request."""
    if "storytime_settings" not in g:
        rows = db.session.execute(
            db.select(Setting).where(Setting.key.in_([key.lower() for key in EDITABLE]))
        ).scalars()
        g.storytime_settings = {row.key.upper(): row.value for row in rows}
    return g.storytime_settings


def library_name() -> str:
    return _stored().get("LIBRARY_NAME") or current_app.config["LIBRARY_NAME"]


def timezone() -> str:
    return _stored().get("TIMEZONE") or current_app.config["TIMEZONE"]


def default_language() -> str:
    """Return the language families fall back to: the admin's choice, else config's."""
    return _stored().get("DEFAULT_LANGUAGE") or current_app.config.get("DEFAULT_LANGUAGE") or "en"


def word_list() -> list[str]:
    """Return the words that hold a share for review, lowercased."""
    stored = _stored().get("WORD_LIST")
    words = stored.splitlines() if stored is not None else current_app.config["WORD_LIST"]
    return [word.strip().lower() for word in words if word.strip()]


def save(values: dict[str, str]) -> None:
    """Store edited settings."""
    for key, value in values.items():
        if key not in EDITABLE:
            raise KeyError(key)
        row = db.session.get(Setting, key.lower()) or Setting(key=key.lower())
        row.value = value
        db.session.add(row)
    db.session.commit()
    g.pop("storytime_settings", None)
