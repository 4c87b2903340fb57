"""The dashboard's no-script forms: one button per action, posted to the live blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired

# Each dashboard button maps to the same moderation call the JSON API makes.
SHARE_ACTIONS: dict[str, dict[str, bool] | None] = {
    "show": {"on_screen": True},
    "hide": {"on_screen": False},
    "pin": {"pinned": True},
    "unpin": {"pinned": False},
    "answer": {"answered": True},
    "unanswer": {"answered": False},
    "star": {"starred": True},
    "unstar": {"starred": False},
    "delete": None,
}
CONTROL_ACTIONS = ("open", "close", "quiet", "unquiet", "rotate")


class ShareActionForm(FlaskForm):
    """One action on one share (the pressed button's value)."""

    action = StringField(validators=[InputRequired(), AnyOf(list(SHARE_ACTIONS))])


class ControlForm(FlaskForm):
    """One control of the storytime: open, close, quiet screen, rotate the display link."""

    action = StringField(validators=[InputRequired(), AnyOf(CONTROL_ACTIONS)])
