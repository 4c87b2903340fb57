"""Check-ins change only here: when they are open, which kind a phone is asked, saving one.

A check-in is tied to a phone only by its hash (one per storytime, and the follow-up)
and dated by the library's day alone. `now` and `today` are parameters so tests drive
time instead of waiting for it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from storytime import settings
from storytime.database import (
    begin_write,
    commit_keeping,
    erases_text,
    retry_once_if_disconnected,
)
from storytime.errors import ApiError
from storytime.events.log import record
from storytime.extensions import db
from storytime.models import CheckIn, Storytime, now_utc
from storytime.models.outcome import QUESTIONS, SCALE, STATEMENTS
from storytime.outcomes.statements import statement_ids
from storytime.share.service import clean_text

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class OutcomeError(ApiError, ValueError):
    """A check-in that cannot be taken; the message is shown to the person."""


def local_today(now: datetime | None = None) -> date:
    """Return the library's date at `now` (the only time a check-in keeps)."""
    return (now or now_utc()).astimezone(ZoneInfo(settings.timezone())).date()


def closes_at(storytime: Storytime) -> datetime | None:
    """Return when check-ins stop for a closed storytime (None while it is not closed)."""
    if storytime.state != "closed" or storytime.closed_at is None:
        return None
    return storytime.closed_at + timedelta(hours=current_app.config["CHECKIN_HOURS_AFTER_CLOSE"])


def checkins_open(storytime: Storytime, now: datetime | None = None) -> bool:
    """Return whether phones may check in: while open, and for a while after it closes."""
    if storytime.state == "open":
        return True
    until = closes_at(storytime)
    return until is not None and (now or now_utc()) < until


def require_open(storytime: Storytime, now: datetime | None = None) -> None:
    """Raise a 409 unless check-ins are open for this storytime."""
    if checkins_open(storytime, now):
        return
    if storytime.state == "scheduled":
        raise OutcomeError(_l("This storytime has not started yet."), 409, slug="not_open")
    raise OutcomeError(_l("Check-ins for this storytime are closed."), 409, slug="closed")


def card_shown(storytime: Storytime, now: datetime | None = None) -> bool:
    """Return whether phones see the check-in card: open, and asked for or over."""
    asked = storytime.checkins_asked_at is not None or storytime.state == "closed"
    return asked and checkins_open(storytime, now)


def existing(storytime: Storytime, phone: str | None) -> CheckIn | None:
    """Return this phone's check-in for the storytime, if it made one."""
    if not phone:
        return None
    return db.session.execute(
        db.select(CheckIn).where(CheckIn.storytime_id == storytime.id, CheckIn.phone == phone)
    ).scalar_one_or_none()


def kind_for(storytime: Storytime, phone: str | None, today: date | None = None) -> str:
    """Return "follow_up" when this phone is due one at this branch, else "immediate".

    Due: it checked in (immediate) at the branch at least FOLLOW_UP_AFTER_DAYS days
    before, and has answered no follow-up at the branch since. A phone that already
    checked in here keeps the kind it was asked.
    """
    if not phone:
        return "immediate"
    mine = existing(storytime, phone)
    if mine is not None:
        return mine.kind
    today = today or local_today()
    at_branch = (
        db.select(CheckIn.answered_on)
        .join(CheckIn.storytime)
        .where(
            CheckIn.phone == phone,
            Storytime.branch_id == storytime.branch_id,
            CheckIn.storytime_id != storytime.id,
        )
    )
    last_follow_up = db.session.execute(
        at_branch.where(CheckIn.kind == "follow_up").order_by(CheckIn.answered_on.desc()).limit(1)
    ).scalar()
    due = at_branch.where(
        CheckIn.kind == "immediate",
        CheckIn.answered_on <= today - timedelta(days=current_app.config["FOLLOW_UP_AFTER_DAYS"]),
    )
    if last_follow_up is not None:
        due = due.where(CheckIn.answered_on > last_follow_up)
    return "follow_up" if db.session.execute(due.limit(1)).first() else "immediate"


def parse_answers(kind: str, answers: Any) -> dict[str, int]:
    """Return the answers as {statement id: 1..5}; raise a 422 naming the one at fault."""
    if answers is None:
        return {}
    if not isinstance(answers, dict):
        raise OutcomeError(_l("Answers must be a list of statements and numbers."), field="answers")
    asked = statement_ids(kind)
    parsed = {}
    for key, value in answers.items():
        if key not in STATEMENTS or key not in asked:
            raise OutcomeError(
                _l("That statement is not part of this check-in."), field=f"answers.{key}"
            )
        if value is None:
            continue  # each statement is optional
        # bool is an int in Python; "5" is text: both are refused.
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise OutcomeError(_l("Please choose a number from 1 to 5."), field=f"answers.{key}")
        parsed[key] = value
    return parsed


def parse_comments(comments: Any) -> dict[str, str]:
    """Return the two optional comments, cleaned; raise a 422 naming the one at fault."""
    if comments is None:
        return dict.fromkeys(QUESTIONS, "")
    if not isinstance(comments, dict):
        raise OutcomeError(_l("Comments must be text."), field="comments")
    limit = current_app.config["SHARE_MAX_LENGTH"]
    parsed = dict.fromkeys(QUESTIONS, "")
    for key, value in comments.items():
        if key not in QUESTIONS:
            raise OutcomeError(
                _l("That question is not part of this check-in."), field=f"comments.{key}"
            )
        if value is None:
            continue
        if not isinstance(value, str):
            raise OutcomeError(_l("Comments must be text."), field=f"comments.{key}")
        text = clean_text(value)
        if len(text) > limit:
            raise OutcomeError(
                _l("Please keep it under %(n)d characters.", n=limit), field=f"comments.{key}"
            )
        parsed[key] = text
    return parsed


@retry_once_if_disconnected
def check_in(
    storytime: Storytime,
    phone: str,
    *,
    client_id: Any,
    answers: Any,
    comments: Any = None,
    now: datetime | None = None,
    today: date | None = None,
) -> tuple[CheckIn, bool]:
    """Save this phone's check-in; return it and whether anything new was stored.

    The same client id again answers with the stored check-in (a resend); another
    check-in from the phone for the storytime replaces the first. Nothing is stored
    when any value is refused. The client id makes a database connection lost on the
    way safe to retry once.
    """
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.match(client_id):
        require_open(storytime, now)  # a closed storytime says so first
        raise OutcomeError(_l("Please reload the page and try again."), field="client_id")
    for attempt in range(2):
        begin_write()
        try:
            saved = _save(storytime, phone, client_id, answers, comments, now, today)
        except IntegrityError:
            # Two tabs of one phone at once (PostgreSQL): the second replaces the first.
            db.session.rollback()
            if attempt:
                raise
            continue
        except BaseException:
            db.session.rollback()
            raise
        commit_keeping(saved[0])
        return saved
    raise AssertionError("unreachable")


def _save(
    storytime: Storytime,
    phone: str,
    client_id: str,
    answers: Any,
    comments: Any,
    now: datetime | None,
    today: date | None,
) -> tuple[CheckIn, bool]:
    """Store the check-in inside the caller's write transaction (see check_in)."""
    mine = existing(storytime, phone)
    if mine is not None and client_id in (mine.client_id, *mine.replaced_client_ids):
        return mine, False
    require_open(storytime, now)
    today = today or local_today(now)
    kind = mine.kind if mine is not None else kind_for(storytime, phone, today)
    parsed = parse_answers(kind, answers)
    texts = parse_comments(comments)
    if not parsed and not any(texts.values()):
        raise OutcomeError(_l("Please answer at least one statement or question."), field="answers")
    if mine is None:
        mine = CheckIn(storytime_id=storytime.id, phone=phone, kind=kind)
        db.session.add(mine)
    else:
        mine.replaced_client_ids = [*mine.replaced_client_ids, mine.client_id]
        if mine.liked or mine.wish:
            erases_text()  # the words replaced must not linger on disk
    mine.client_id = client_id
    mine.answered_on = today
    for statement in STATEMENTS:
        setattr(mine, statement, parsed.get(statement))
    mine.liked, mine.wish = texts["liked"], texts["wish"]
    mine.purged_on = None
    db.session.flush()
    return mine, True


def ask_for_checkins(storytime: Storytime, now: datetime | None = None) -> None:
    """Put the check-in card on every phone and a line on the display."""
    begin_write()
    db.session.refresh(storytime)
    require_open(storytime, now)
    storytime.checkins_asked_at = now or now_utc()
    record(storytime.id, "storytime.updated", public=True)
    db.session.commit()
