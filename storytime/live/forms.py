"""The dashboard's no-script forms: one button per action, posted to the live blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired, Length

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
# The dashboard's filters (`?kind=` and `?state=`); "" is every share.
STATE_FILTERS = ("", "held", "on_screen", "unanswered")


class ShareActionForm(FlaskForm):
    """One action on one share (the pressed button's value)."""

    action = StringField(validators=[InputRequired(), AnyOf(list(SHARE_ACTIONS))])


class ControlForm(FlaskForm):
    """One control of the storytime: open, close, quiet screen, rotate the display link."""

    action = StringField(validators=[InputRequired(), AnyOf(CONTROL_ACTIONS)])


class ShowHeldForm(FlaskForm):
    """Show every held share at once (review mode): the button alone, with its CSRF token."""


class SungForm(FlaskForm):
    """Mark one playlist song as sung or not, by its key."""

    key = StringField(validators=[InputRequired(), Length(max=200)])
    action = StringField(validators=[InputRequired(), AnyOf(["sung", "unsung"])])


class PlaylistScreenForm(FlaskForm):
    """Put the playlist on the TV, or take it off."""

    action = StringField(validators=[InputRequired(), AnyOf(["on", "off"])])
