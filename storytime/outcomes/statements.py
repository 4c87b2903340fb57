"""The words of a check-in: statements, questions and the scale, with the library's rewording.

Statement ids never change, so results stay comparable across libraries and years; the
library may reword a statement in Settings (a `Setting` row `checkin_statement_<id>`),
shown as typed in every language. Left empty, the translated default is used.
"""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from storytime.extensions import db
from storytime.i18n import default_language, reader_language
from storytime.models import Setting
from storytime.models.outcome import (
    FOLLOW_UP_STATEMENTS,
    IMMEDIATE_STATEMENTS,
    QUESTIONS,
    SCALE,
    STATEMENTS,
)

SETTING_PREFIX = "checkin_statement_"
WORDING_MAX = 200

DEFAULT_STATEMENTS = {
    "learned": _l("I learned something helpful."),
    "confident": _l("I feel more confident helping my child learn."),
    "will_use": _l("I will do something I learned here with my child."),
    "aware": _l("I know more about what the library offers."),
    "tried": _l("I tried something new with my child."),
    "more_time": _l("I spend more time reading, singing or playing with my child."),
    "other_resources": _l("I used other library resources."),
    "understand": _l("I understand better why reading and playing together matter."),
}
DEFAULT_QUESTIONS = {
    "liked": _l("What was the best part?"),
    "wish": _l("What would help you next time?"),
}
SCALE_LABELS = {
    1: _l("Strongly disagree"),
    2: _l("Disagree"),
    3: _l("Neither agree nor disagree"),
    4: _l("Agree"),
    5: _l("Strongly agree"),
}
# Which follow-up statement looks back on which immediate one, for the change between them.
FOLLOW_UP_PAIRS = {
    "learned": "understand",
    "confident": "more_time",
    "will_use": "tried",
    "aware": "other_resources",
}


def statement_ids(kind: str) -> tuple[str, ...]:
    """Return the statement ids asked in a check-in of that kind."""
    return FOLLOW_UP_STATEMENTS if kind == "follow_up" else IMMEDIATE_STATEMENTS


def reworded() -> dict[str, str]:
    """Return the library's own wording, by statement id (read once per request)."""
    if "checkin_wording" not in g:
        rows = db.session.execute(
            db.select(Setting).where(Setting.key.startswith(SETTING_PREFIX, autoescape=True))
        ).scalars()
        g.checkin_wording = {
            row.key.removeprefix(SETTING_PREFIX): row.value
            for row in rows
            if row.key.removeprefix(SETTING_PREFIX) in STATEMENTS and row.value.strip()
        }
    return g.checkin_wording


def statement_text(statement_id: str) -> str:
    """Return a statement's words: the library's, else the default in the reader's language.

    The library writes its wording in its default language; a phone in another language
    gets the translated default rather than one sentence in another tongue.
    """
    if reader_language() == default_language():
        own = reworded().get(statement_id)
        if own:
            return own
    return str(DEFAULT_STATEMENTS[statement_id])


def statements(kind: str) -> list[dict[str, str]]:
    """Return the statements of a check-in of that kind as `{"id", "text"}`."""
    return [{"id": s, "text": statement_text(s)} for s in statement_ids(kind)]


def questions() -> list[dict[str, str]]:
    """Return the two open questions as `{"id", "text"}`."""
    return [{"id": q, "text": str(DEFAULT_QUESTIONS[q])} for q in QUESTIONS]


def scale() -> list[dict[str, object]]:
    """Return the five points of the scale with their words, lowest first."""
    return [{"value": v, "text": str(SCALE_LABELS[v])} for v in SCALE]


def forget_wording() -> None:
    """Drop this request's cached wording, after the library changed it."""
    g.pop("checkin_wording", None)
