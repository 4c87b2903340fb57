"""Who may follow a storytime's live room: a display token decides alone, else its runner."""

from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l

from storytime.auth.roles import display_token_sent, require_runner
from storytime.live.feed import DISPLAY, STAFF
from storytime.live.stream import token_is_current
from storytime.models import Storytime


def feed_reader(storytime: Storytime) -> tuple[str, str | None]:
    """Return which reader this request is (staff or display) and the display token.

    A display token decides alone, even for signed-in staff, so a staff laptop
    opening the display link sees exactly what the room sees.
    """
    token = display_token_sent()
    if token is not None:
        if not token_is_current(storytime, token):
            abort(403, description=_l("This display link has been replaced or is not valid."))
        return DISPLAY, token
    require_runner(storytime)
    return STAFF, None
