"""The screens' forms: pair a TV by its code, add a room, replace a link."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import Length, Optional

from storytime.screens.service import ROOM_MAX


class PairForm(FlaskForm):
    """The code a TV shows, and which screen it becomes (a storytime's room by default)."""

    code = StringField(
        _l("Type the code the TV shows"),
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": 12,
            "inputmode": "text",
        },
    )
    storytime_id = IntegerField(validators=[Optional()])
    screen_id = IntegerField(validators=[Optional()])
    next = HiddenField()


class RoomForm(FlaskForm):
    """A room of the branch that gets its own screen link (blank: the main room)."""

    room = StringField(
        _l("Room name"),
        validators=[Length(max=ROOM_MAX)],
        description=_l("Leave it empty for the main room. Storytimes name their room."),
    )


class ReplaceForm(FlaskForm):
    """A button that only posts its CSRF token: replace a screen's link."""
