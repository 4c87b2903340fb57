"""The check-in form, the dashboard's ask button and the library's wording of statements."""

from __future__ import annotations

import secrets
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from storytime.models.outcome import STATEMENTS
from storytime.outcomes.statements import DEFAULT_STATEMENTS, WORDING_MAX

ANSWER_PREFIX = "answer_"
POINTS = ("1", "2", "3", "4", "5")


class CheckInForm(FlaskForm):
    """A check-in without JavaScript: one radio group per statement, two optional comments.

    The statements' radios are read from the request by `answers()`: which ones are asked
    depends on the phone (immediate or follow-up), and the service checks every value.
    """

    client_id = HiddenField()
    liked = TextAreaField(_l("What was the best part? (optional)"), render_kw={"rows": 3})
    wish = TextAreaField(_l("What would help you next time? (optional)"), render_kw={"rows": 3})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.client_id.data = secrets.token_urlsafe(16)

    def answers(self) -> dict[str, Any]:
        """Return the chosen points (`answer_<id>`) as numbers; anything else as sent.

        The service refuses what is not a point of the scale or not asked of this phone.
        """
        chosen: dict[str, Any] = {}
        for key in request.form:
            if not key.startswith(ANSWER_PREFIX):
                continue
            value = request.form.get(key, "").strip()
            if value:
                chosen[key.removeprefix(ANSWER_PREFIX)] = int(value) if value in POINTS else value
        return chosen


class AskForm(FlaskForm):
    """The librarian's "Ask for check-ins": only the CSRF token."""


class WordingForm(FlaskForm):
    """The library's own words for each statement; empty keeps the translated default."""


for _statement in STATEMENTS:
    setattr(
        WordingForm,
        _statement,
        StringField(
            DEFAULT_STATEMENTS[_statement],
            validators=[Optional(), Length(max=WORDING_MAX)],
            render_kw={"placeholder": DEFAULT_STATEMENTS[_statement]},
        ),
    )
