"""Permanent screen links per branch room, what they show, and pairing a TV by a short code."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from storytime.database import begin_write
from storytime.errors import ApiError
from storytime.extensions import db
from storytime.models import Branch, DisplayPairing, DisplayScreen, Storytime, now_utc
from storytime.storytimes.service import (
    CODE_ALPHABET,
    CODE_LENGTH,
    LATE_START_GRACE,
    normalise_code,
)

ROOM_MAX = 60  # DisplayScreen.room's column
PAIRING_LIFETIME = timedelta(minutes=15)
# A storytime that just closed keeps the screen for its goodbye (and the recap's QR) a
# little while, unless another one opens in the room; then the room moves on.
GOODBYE = timedelta(minutes=10)
MAIN_ROOM_LABEL = _l("Main room")


class ScreenError(ApiError, ValueError):
    """A change to a screen or a pairing that cannot be made."""


def room_name(room: str) -> str:
    """Return a room's name as stored: trimmed, inner spaces collapsed ("" is the main room)."""
    return " ".join((room or "").split())


def room_label(room: str) -> str:
    """Return how a room is named to people: its name, or "Main room"."""
    return room or str(MAIN_ROOM_LABEL)


def _in_room(room: str):
    """Return a condition: the storytime is in that room (same name whatever its case)."""
    # Both sides go through the database's lower(), so they fold the same way.
    return db.func.lower(db.func.trim(Storytime.room)) == db.func.lower(room_name(room))


def new_screen_token() -> str:
    """Return a fresh secret for a permanent screen link."""
    return secrets.token_urlsafe(24)


# --- screens ---


def find_by_token(token: str) -> DisplayScreen | None:
    """Return the screen whose current link carries this token (a replaced one is gone)."""
    if not token:
        return None
    return db.session.execute(
        db.select(DisplayScreen).where(DisplayScreen.token == token)
    ).scalar_one_or_none()


def screens_of(branch: Branch) -> list[DisplayScreen]:
    """Return a branch's screens, the main room first, then by room name."""
    return list(
        db.session.execute(
            db.select(DisplayScreen)
            .where(DisplayScreen.branch_id == branch.id)
            .order_by(DisplayScreen.room != "", db.func.lower(DisplayScreen.room))
        ).scalars()
    )


def find_screen(branch_id: int, room: str) -> DisplayScreen | None:
    """Return the screen of a branch room (its name in any case), or None."""
    return db.session.execute(
        db.select(DisplayScreen).where(
            DisplayScreen.branch_id == branch_id,
            db.func.lower(DisplayScreen.room) == db.func.lower(room_name(room)),
        )
    ).scalar_one_or_none()


def _check_room(room: str) -> str:
    name = room_name(room)
    if len(name) > ROOM_MAX:
        raise ScreenError(
            _("A room's name can be at most %(max)d characters.", max=ROOM_MAX), field="room"
        )
    return name


def add_screen(branch: Branch, room: str = "") -> DisplayScreen:
    """Give a branch room its permanent link; a room that has one already is refused."""
    name = _check_room(room)
    begin_write()
    existing = find_screen(branch.id, name)
    if existing is not None:
        label = room_label(existing.room)
        db.session.rollback()
        raise ScreenError(
            _("%(room)s already has a screen link.", room=label),
            409,
            field="room",
        )
    screen = DisplayScreen(branch_id=branch.id, room=name, token=new_screen_token())
    db.session.add(screen)
    db.session.commit()
    return screen


def replace_link(screen: DisplayScreen) -> str:
    """Give the screen a new link; a TV on the old one shows "pair again" at its next poll."""
    begin_write()
    screen.token = new_screen_token()
    screen.replaced_at = now_utc()
    # A TV still waiting on a pairing with this screen must not learn the new link.
    db.session.execute(db.delete(DisplayPairing).where(DisplayPairing.screen_id == screen.id))
    db.session.commit()
    return screen.token


def showing(screen: DisplayScreen, now: datetime | None = None) -> Storytime | None:
    """Return the storytime the screen shows now, or None for the idle screen.

    The one open in its room (the most recently opened if several), else one that closed
    there moments ago (its goodbye), else the next scheduled there (one running a little
    late counts), else none.
    """
    now = now or now_utc()
    here = (Storytime.branch_id == screen.branch_id, _in_room(screen.room))
    for state, since, order in (
        ("open", None, (Storytime.opened_at.desc().nulls_last(), Storytime.id.desc())),
        ("closed", now - GOODBYE, (Storytime.closed_at.desc(), Storytime.id.desc())),
        ("scheduled", now - LATE_START_GRACE, (Storytime.starts_at, Storytime.id)),
    ):
        query = db.select(Storytime).where(*here, Storytime.state == state)
        if state == "closed":
            query = query.where(Storytime.closed_at >= since)
        elif since is not None:
            query = query.where(Storytime.starts_at >= since)
        found = db.session.execute(query.order_by(*order).limit(1)).scalar_one_or_none()
        if found is not None:
            return found
    return None


# --- pairing a TV ---


def secret_hash(secret: str) -> str:
    """Return how a TV's pairing secret is stored: only its hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_pairing_secret() -> str:
    return secrets.token_urlsafe(32)


def _new_pairing_code() -> str:
    for _attempt in range(50):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = db.session.execute(
            db.select(DisplayPairing.id).where(DisplayPairing.code == code)
        ).first()
        if taken is None:
            return code
    raise RuntimeError("could not find a free pairing code")  # 480M codes: effectively never


def start_pairing(secret: str, now: datetime | None = None) -> DisplayPairing:
    """Give a TV (known by its secret) a short code to show, valid for 15 minutes."""
    now = now or now_utc()
    begin_write()
    # Expired codes are freed for reuse here, so the table stays small without a job.
    db.session.execute(db.delete(DisplayPairing).where(DisplayPairing.expires_at < now))
    pairing = DisplayPairing(
        code=_new_pairing_code(),
        secret_hash=secret_hash(secret),
        created_at=now,
        expires_at=now + PAIRING_LIFETIME,
    )
    db.session.add(pairing)
    db.session.commit()
    return pairing


def pairing_of(secret: str, now: datetime | None = None) -> DisplayPairing | None:
    """Return the TV's pairing while it is valid (its secret from its cookie), else None."""
    if not secret:
        return None
    pairing = db.session.execute(
        db.select(DisplayPairing).where(DisplayPairing.secret_hash == secret_hash(secret))
    ).scalar_one_or_none()
    if pairing is None or pairing.expires_at <= (now or now_utc()):
        return None
    return pairing


def collect(pairing: DisplayPairing) -> str:
    """Hand the paired TV its screen link once; the pairing is used up."""
    token = pairing.screen.token
    begin_write()
    db.session.delete(pairing)
    db.session.commit()
    return token


WRONG_CODE = _l(
    "That code is not right, or it has expired. Check the code on the TV and type it again."
)


def pair(
    code: str,
    screen: DisplayScreen | None = None,
    *,
    room_of: Storytime | None = None,
    now: datetime | None = None,
) -> DisplayScreen:
    """Give the TV showing this code a screen's link: `screen`, or the storytime's room's.

    A wrong, expired or used code changes nothing (not even a room's first link).
    """
    typed = normalise_code(code or "")
    if not typed:
        raise ScreenError(_("Type the code the TV shows."), field="code")
    begin_write()
    pairing = db.session.execute(
        db.select(DisplayPairing).where(DisplayPairing.code == typed)
    ).scalar_one_or_none()
    if (
        pairing is None
        or pairing.expires_at <= (now or now_utc())
        or pairing.screen_id is not None  # a code pairs one TV once
    ):
        db.session.rollback()
        raise ScreenError(str(WRONG_CODE), field="code")
    if screen is None:
        assert room_of is not None, "pair() needs a screen or a storytime"
        name = _check_room(room_of.room)
        screen = find_screen(room_of.branch_id, name)
        if screen is None:
            screen = DisplayScreen(branch_id=room_of.branch_id, room=name, token=new_screen_token())
            db.session.add(screen)
            db.session.flush()
    pairing.screen_id = screen.id
    db.session.commit()
    return screen
