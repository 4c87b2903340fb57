"""Storytime rules that views, the API and the CLI share: codes, state, display token."""

from __future__ import annotations

import secrets

from storytime.database import begin_write
from storytime.extensions import db
from storytime.live.events import record
from storytime.models import STATES, Storytime, now_utc

# No look-alikes: 0/O, 1/I/L are left out, and so are vowels (no accidental words).
CODE_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6  # 28**6 ≈ 480 million codes; lookups are rate-limited


class StorytimeError(ValueError):
    """A change to a storytime that cannot be made; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def normalise_code(code: str) -> str:
    """Return a typed code in canonical form: upper case, no spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    """Return a join code that no storytime that is not closed uses."""
    for _attempt in range(50):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if find_live_by_code(code) is None:
            return code
    raise RuntimeError("could not find a free join code")  # 480M codes: effectively never


def new_display_token() -> str:
    """Return a fresh secret for the display link."""
    return secrets.token_urlsafe(24)


def find_live_by_code(code: str) -> Storytime | None:
    """Return the storytime that is not closed with this code, whatever its case."""
    return db.session.execute(
        db.select(Storytime).where(
            Storytime.code == normalise_code(code), Storytime.state != "closed"
        )
    ).scalar_one_or_none()


def find_by_code(code: str) -> Storytime | None:
    """Return the storytime for a join link: the live one, else the newest closed one."""
    live = find_live_by_code(code)
    if live is not None:
        return live
    return db.session.execute(
        db.select(Storytime)
        .where(Storytime.code == normalise_code(code))
        .order_by(Storytime.closed_at.desc().nulls_last(), Storytime.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def set_state(storytime: Storytime, state: str) -> None:
    """Open, close or reschedule a storytime and tell its screens."""
    if state not in STATES:
        raise StorytimeError(f"state must be one of: {', '.join(STATES)}")
    begin_write()
    if state == storytime.state:
        db.session.commit()
        return
    # A closed storytime's code may belong to another one by now.
    if storytime.state == "closed" and find_live_by_code(storytime.code) is not None:
        storytime.code = new_code()
    storytime.state = state
    if state == "open":
        storytime.opened_at = storytime.opened_at or now_utc()
        storytime.closed_at = None
    elif state == "closed":
        storytime.closed_at = now_utc()
    record(storytime.id, "storytime.updated", public=True)
    db.session.commit()


def set_quiet(storytime: Storytime, quiet: bool) -> None:
    """Turn the display's quiet screen (welcome and QR only) on or off."""
    begin_write()
    storytime.quiet = quiet
    record(storytime.id, "storytime.updated", public=True)
    db.session.commit()


def rotate_display_token(storytime: Storytime) -> str:
    """Give the display link a new secret; screens on the old link stop at once."""
    begin_write()
    storytime.display_token = new_display_token()
    record(storytime.id, "display.rotated", public=True)
    db.session.commit()
    return storytime.display_token
