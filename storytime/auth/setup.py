"""First run: a one-time link that lets the first admin set a password and name the library."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, url_for

from storytime import settings
from storytime.database import begin_write
from storytime.extensions import db
from storytime.models import Setting, User

SETUP_KEY = "setup_token_hash"


def staff_exists() -> bool:
    """Return whether any staff account has been created."""
    return db.session.execute(db.select(User.id).limit(1)).first() is not None


def issue_setup_link() -> str | None:
    """Return a fresh one-time setup URL while no staff account exists, else None.

    Each call replaces the previous link, so only the newest printed one works.
    """
    if staff_exists():
        return None
    token = secrets.token_urlsafe(24)
    digest = hashlib.sha256(token.encode()).hexdigest()
    setting = db.session.get(Setting, SETUP_KEY) or Setting(key=SETUP_KEY)
    setting.value = digest
    db.session.add(setting)
    db.session.commit()
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for("auth.setup", token=token, _external=True)


def setup_token_valid(token: str, lock: bool = False) -> bool:
    """Return whether the token is the live setup token and no staff exist yet."""
    setting = db.session.get(Setting, SETUP_KEY, with_for_update=lock)
    if setting is None or not setting.value or staff_exists():
        return False
    digest = hashlib.sha256(token.encode()).hexdigest()
    return hmac.compare_digest(digest, setting.value)


def finish_setup(
    token: str,
    email: str,
    display_name: str,
    password: str,
    library: dict[str, str] | None = None,
) -> User | None:
    """Create the first admin, save the library's settings, kill the link; None if it died.

    `library` is LibraryFields.library_values(): the name, time zone and default language.
    """
    # Checked again under the write lock: two tabs submitting at once make one admin.
    begin_write()
    if not setup_token_valid(token, lock=True):
        db.session.rollback()
        return None
    user = User(email=email.strip().lower(), display_name=display_name.strip(), role="admin")
    user.set_password(password)
    db.session.add(user)
    for key, value in (library or {}).items():
        if key not in settings.EDITABLE:
            raise KeyError(key)
        # In this transaction, not settings.save(): the admin and the library come together.
        row = db.session.get(Setting, key.lower()) or Setting(key=key.lower())
        row.value = value.strip()
        db.session.add(row)
    setting = db.session.get(Setting, SETUP_KEY)
    if setting is not None:
        db.session.delete(setting)
    db.session.commit()
    return user
