"""Server-side staff sessions: each signed-in browser is a row its cookies point at.

Flask-Login keeps whatever `User.get_id()` returns in the session cookie and in the
"keep me signed in" cookie. Here that is a random token of one `StaffSession`, not the
account's id: a new token per sign-in, only its hash stored, and ending the row signs
that browser out however many copies of its cookies exist.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import update

from storytime.extensions import db
from storytime.models import StaffSession, User, now_utc

# Writing last_seen_at on every request would turn each page view into a write.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
USER_AGENT_MAX_LENGTH = 200


def hash_session_token(token: str) -> str:
    """Return the stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def session_lifetime() -> timedelta:
    """Return how long a session lasts at most: as long as the remember cookie."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))


def start_session(user: User, user_agent: str = "") -> str:
    """Start a session for one browser and return its token; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    now = now_utc()
    db.session.add(
        StaffSession(
            user=user,
            token_hash=hash_session_token(token),
            user_agent=user_agent[:USER_AGENT_MAX_LENGTH],
            created_at=now,
            last_seen_at=now,
        )
    )
    db.session.commit()
    return token


def sign_in(user: User, remember: bool = False) -> None:
    """Sign this browser in as the user, with a session of its own."""
    user.session_token = start_session(user, request.user_agent.string)
    login_user(user, remember=remember)


def is_live(staff_session: StaffSession) -> bool:
    """Return whether a session still signs its browser in."""
    return (
        staff_session.ended_at is None
        and staff_session.user.active
        # The remember cookie's value carries no date: its expiry is kept here.
        and now_utc() - staff_session.created_at < session_lifetime()
    )


def session_for_token(token: str) -> StaffSession | None:
    """Return the live session a token belongs to, noting that it was seen; else None."""
    staff_session = db.session.execute(
        db.select(StaffSession).where(StaffSession.token_hash == hash_session_token(token))
    ).scalar_one_or_none()
    if staff_session is None or not is_live(staff_session):
        return None
    now = now_utc()
    last_seen = staff_session.last_seen_at
    if last_seen is None or now - last_seen > LAST_SEEN_RESOLUTION:
        db.session.execute(
            update(StaffSession).where(StaffSession.id == staff_session.id).values(last_seen_at=now)
        )
        db.session.commit()
    return staff_session


def current_session() -> StaffSession | None:
    """Return the session this request was signed in with, if any."""
    return g.get("staff_session")


def live_sessions(user: User) -> list[StaffSession]:
    """Return the user's live sessions, the most recently seen first."""
    rows = db.session.execute(
        db.select(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
    ).scalars()
    return [row for row in rows if is_live(row)]


def find_live_session(user: User, session_id: int) -> StaffSession | None:
    """Return one of the user's own live sessions; None for anyone else's or an ended one."""
    staff_session = db.session.get(StaffSession, session_id)
    if staff_session is None or staff_session.user_id != user.id or not is_live(staff_session):
        return None
    return staff_session


def end_session(staff_session: StaffSession) -> None:
    """End one session: its cookies, and every copy of them, stop working at once."""
    if staff_session.ended_at is None:
        staff_session.ended_at = now_utc()
    db.session.commit()


def end_sessions(user: User, keep: StaffSession | None = None) -> int:
    """End every session of the user but `keep`; return how many were ended."""
    query = update(StaffSession).where(
        StaffSession.user_id == user.id, StaffSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(StaffSession.id != keep.id)
    ended = db.session.execute(query.values(ended_at=now_utc())).rowcount
    db.session.commit()
    return ended


BROWSERS = (
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("Firefox", "Firefox"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """Return a short "Browser on System" summary of a user agent, or "" if unknown."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in SYSTEMS if marker in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    # Neither recognised (a script, a new browser): its first word, e.g. "curl/8.5".
    return browser or system or (re.split(r"[\s(]", user_agent.strip(), maxsplit=1)[0][:40])
