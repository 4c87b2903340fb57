"""Storytime rules that views, the API and the CLI share: codes, state, display token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from storytime import settings
from storytime.database import begin_write, erases_text
from storytime.errors import ApiError
from storytime.events.log import record
from storytime.extensions import db
from storytime.models import (
    AUDIENCES,
    KINDS,
    MODERATION_MODES,
    STATES,
    Branch,
    Prompt,
    Storytime,
    User,
    now_utc,
)
from storytime.storytimes.schedule import next_slot

# No look-alikes: 0/O, 1/I/L are left out, and so are vowels (no accidental words).
CODE_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6  # 28**6 ≈ 480 million codes; lookups are rate-limited


class StorytimeError(ApiError, ValueError):
    """A change to a storytime that cannot be made; `status` is the HTTP status to answer."""


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
    return (
        db.session.execute(_live_by_code(), {"code": normalise_code(code)})
        .unique()
        .scalar_one_or_none()
    )


@cache
def _live_by_code():
    # Its prompts come in the same statement: every share and join page needs them. Built
    # once: every phone request runs it, and building (and keying) it cost more than running.
    return (
        db.select(Storytime)
        .options(joinedload(Storytime.prompts))
        .where(Storytime.code == bindparam("code"), Storytime.state != "closed")
    )


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


def code_exists(code: str) -> bool:
    """Return whether any storytime, open, scheduled or closed, has this join code."""
    code = normalise_code(code)
    # Every phone request asks: the live code is found through its (partial) index first.
    for condition in (Storytime.state != "closed", Storytime.state == "closed"):
        found = db.session.execute(
            db.select(Storytime.id).where(Storytime.code == code, condition).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def set_state(storytime: Storytime, state: str) -> None:
    """Open, close or reschedule a storytime and tell its screens."""
    if state not in STATES:
        raise StorytimeError(_("state must be one of: %(states)s", states=", ".join(STATES)))
    begin_write()
    if state == storytime.state:
        db.session.commit()
        return
    apply_state(storytime, state, now_utc())
    db.session.commit()


def apply_state(storytime: Storytime, state: str, now: datetime) -> None:
    """Move a storytime to another state and log it, in the caller's write transaction."""
    reopened = storytime.state == "closed"
    # A closed storytime's code may belong to another one by now.
    if reopened and find_live_by_code(storytime.code) is not None:
        storytime.code = new_code()
    storytime.state = state
    if state == "open":
        # Opened again: its planned end counts from now, so auto-close does not undo it.
        storytime.opened_at = now if reopened else (storytime.opened_at or now)
        storytime.closed_at = None
    elif state == "closed":
        storytime.closed_at = now
    record(storytime.id, "storytime.updated", public=True)


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


# Column sizes, so a long value gets a message instead of a database error.
TITLE_MAX = 200
THEME_MAX = 200
PROMPT_MAX = 300
ROOM_MAX = 60
# A planned length and an auto-close delay, in minutes: up to eight hours, up to a day.
DURATION_MIN, DURATION_MAX, DURATION_DEFAULT = 5, 480, 45
AUTO_CLOSE_MAX = 24 * 60
# How long after its start time a storytime that was never opened still counts as "next".
LATE_START_GRACE = timedelta(hours=2)
# Codes can collide between two writers on PostgreSQL; the partial unique index catches it.
INSERT_ATTEMPTS = 3


@dataclass
class Details:
    """What a librarian decides about a storytime, parsed but not yet checked."""

    branch: Branch
    title: str
    starts_at: datetime
    audience: str = "all_ages"
    theme: str = ""
    moderation: str = "instant"
    # (kind, prompt text) for each open kind; order follows KINDS.
    prompts: list[tuple[str, str]] = field(default_factory=list)
    room: str = ""  # "" is the branch's main room
    duration_minutes: int = DURATION_DEFAULT
    auto_close_minutes: int | None = None  # None: the install's AUTO_CLOSE_MINUTES

    @classmethod
    def of(cls, storytime: Storytime) -> Details:
        """Return the details of an existing storytime."""
        return cls(
            branch=storytime.branch,
            title=storytime.title,
            starts_at=storytime.starts_at,
            audience=storytime.audience,
            theme=storytime.theme,
            moderation=storytime.moderation,
            prompts=[(prompt.kind, prompt.text) for prompt in storytime.prompts],
            room=storytime.room,
            duration_minutes=storytime.duration_minutes,
            auto_close_minutes=storytime.auto_close_minutes,
        )


def check_details(details: Details) -> Details:
    """Return the details cleaned up, or raise StorytimeError naming the first bad field."""
    title = (details.title or "").strip()
    theme = (details.theme or "").strip()
    if not title:
        raise StorytimeError(_("Give the storytime a title."), field="title")
    if len(title) > TITLE_MAX:
        raise StorytimeError(
            _("The title can be at most %(n)d characters.", n=TITLE_MAX), field="title"
        )
    if len(theme) > THEME_MAX:
        raise StorytimeError(
            _("The theme can be at most %(n)d characters.", n=THEME_MAX), field="theme"
        )
    if details.branch is None:
        raise StorytimeError(_("Choose a branch."), field="branch")
    if not details.branch.active:
        raise StorytimeError(_("That branch is no longer active."), field="branch")
    if details.starts_at is None or details.starts_at.tzinfo is None:
        raise StorytimeError(_("Give a start time with its time zone."), field="starts_at")
    if details.audience not in AUDIENCES:
        raise StorytimeError(
            _("Audience must be one of: %(choices)s.", choices=", ".join(AUDIENCES)),
            field="audience",
        )
    if details.moderation not in MODERATION_MODES:
        raise StorytimeError(
            _("Moderation must be one of: %(choices)s.", choices=", ".join(MODERATION_MODES)),
            field="moderation",
        )
    room = " ".join((details.room or "").split())  # as screens/ names a room
    if len(room) > ROOM_MAX:
        raise StorytimeError(
            _("The room can be at most %(n)d characters.", n=ROOM_MAX), field="room"
        )
    _check_minutes(details.duration_minutes, "duration_minutes", DURATION_MIN, DURATION_MAX)
    if details.auto_close_minutes is not None:
        _check_minutes(details.auto_close_minutes, "auto_close_minutes", 0, AUTO_CLOSE_MAX)
    texts: dict[str, str] = {}
    for kind, text in details.prompts:
        if kind not in KINDS:
            raise StorytimeError(
                _("Kinds must be among: %(choices)s.", choices=", ".join(KINDS)), field="kinds"
            )
        if kind in texts:
            raise StorytimeError(_("Each kind can be open only once."), field="kinds")
        text = (text or "").strip()
        if len(text) > PROMPT_MAX:
            raise StorytimeError(
                _("A question can be at most %(n)d characters.", n=PROMPT_MAX), field="kinds"
            )
        texts[kind] = text
    if not texts:
        raise StorytimeError(
            _("Open at least one kind of share (hello, tip, song, question or idea)."),
            field="kinds",
        )
    prompts = [(kind, texts[kind]) for kind in KINDS if kind in texts]
    return replace(details, title=title, theme=theme, prompts=prompts, room=room)


def _check_minutes(value: object, name: str, lowest: int, highest: int) -> None:
    """Raise StorytimeError unless `value` is a whole number of minutes in range."""
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise StorytimeError(
            _("Use a number of minutes from %(low)d to %(high)d.", low=lowest, high=highest),
            field=name,
        )


def _apply(storytime: Storytime, details: Details) -> None:
    """Copy checked details onto a storytime, keeping prompt rows whose kind stays open."""
    storytime.branch = details.branch
    storytime.branch_id = details.branch.id
    storytime.title = details.title
    storytime.starts_at = details.starts_at
    storytime.audience = details.audience
    storytime.theme = details.theme
    storytime.moderation = details.moderation
    storytime.room = details.room
    storytime.duration_minutes = details.duration_minutes
    storytime.auto_close_minutes = details.auto_close_minutes
    # Reusing rows avoids a delete and an insert of the same (storytime, kind) in one flush.
    existing = {prompt.kind: prompt for prompt in storytime.prompts}
    prompts = []
    for position, (kind, text) in enumerate(details.prompts):
        prompt = existing.get(kind) or Prompt(kind=kind)
        prompt.text = text
        prompt.position = position
        prompts.append(prompt)
    storytime.prompts = prompts


def _insert(build) -> Storytime:
    """Insert the storytime `build()` returns under a fresh code, retrying a rare clash."""
    for _attempt in range(INSERT_ATTEMPTS):
        begin_write()
        storytime = build()
        storytime.code = new_code()
        storytime.display_token = new_display_token()
        db.session.add(storytime)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return storytime
    raise StorytimeError(_("Could not save the storytime just now. Please try again."), 503)


def create_storytime(details: Details, created_by: User | None = None) -> Storytime:
    """Create a scheduled storytime with a fresh join code and display link."""
    details = check_details(details)

    def build() -> Storytime:
        storytime = Storytime(state="scheduled", quiet=False, created_by=created_by)
        _apply(storytime, details)
        return storytime

    return _insert(build)


def update_storytime(storytime: Storytime, details: Details) -> Storytime:
    """Change a storytime's details and tell its screens; its code and state stay."""
    details = check_details(details)
    begin_write()
    _apply(storytime, details)
    record(storytime.id, "storytime.updated", public=True)
    db.session.commit()
    return storytime


def start_now(
    details: Details, created_by: User | None = None, now: datetime | None = None
) -> Storytime:
    """Create a storytime that starts now and open it at once."""
    now = (now or now_utc()).replace(second=0, microsecond=0)
    storytime = create_storytime(replace(details, starts_at=now), created_by=created_by)
    set_state(storytime, "open")
    return storytime


def library_zone() -> ZoneInfo:
    """Return the library's time zone (an admin's setting, else TIMEZONE)."""
    return ZoneInfo(settings.timezone())


def run_again_at(
    storytime: Storytime, *, now: datetime | None = None, zone: ZoneInfo | None = None
) -> datetime:
    """Return when "run again" proposes: the next future slot of its weekday and local time."""
    return next_slot(storytime.starts_at, now or now_utc(), zone or library_zone())


def duplicate_storytime(
    storytime: Storytime,
    created_by: User | None = None,
    *,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> Storytime:
    """Schedule the same storytime again at its next future slot: same prompts, new code."""
    starts_at = run_again_at(storytime, now=now, zone=zone)
    details = replace(Details.of(storytime), starts_at=starts_at)
    # The original's branch may have been deactivated since; that is checked like a new one.
    return create_storytime(details, created_by=created_by)


def delete_storytime(storytime: Storytime) -> None:
    """Delete a storytime with its prompts, shares and events; an open one must close first."""
    if storytime.state == "open":
        raise StorytimeError(
            _("This storytime is open. Close it before deleting it."), 409, field="state"
        )
    begin_write()
    db.session.delete(storytime)
    erases_text()
    db.session.commit()


def open_at_branch(branch: Branch) -> Storytime | None:
    """Return the storytime open now at a branch; the most recently opened if several."""
    return db.session.execute(
        db.select(Storytime)
        .where(Storytime.branch_id == branch.id, Storytime.state == "open")
        .order_by(Storytime.opened_at.desc().nulls_last(), Storytime.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def next_at_branch(branch: Branch, now: datetime | None = None) -> Storytime | None:
    """Return the next scheduled storytime at a branch (one running a little late counts)."""
    since = (now or now_utc()) - LATE_START_GRACE
    return db.session.execute(
        db.select(Storytime)
        .where(
            Storytime.branch_id == branch.id,
            Storytime.state == "scheduled",
            Storytime.starts_at >= since,
        )
        .order_by(Storytime.starts_at, Storytime.id)
        .limit(1)
    ).scalar_one_or_none()


def visible_to(user: User):
    """Return a select of the storytimes this account may see and run."""
    query = db.select(Storytime)
    if not user.sees_every_branch:
        query = query.where(Storytime.branch_id == user.branch_id)
    return query


def listing_order(now: datetime | None = None) -> tuple:
    """Return how lists sort: open, then the next ones soonest first, then the latest first.

    A scheduled storytime whose start is long past was never run: it sorts with the past.
    """
    since = (now or now_utc()) - LATE_START_GRACE
    group = db.case(
        (Storytime.state == "open", 0),
        ((Storytime.state == "scheduled") & (Storytime.starts_at >= since), 1),
        else_=2,
    )
    upcoming = db.case((group < 2, Storytime.starts_at), else_=None)
    return (group, upcoming, Storytime.starts_at.desc(), Storytime.id.desc())
