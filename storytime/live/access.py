"""Who may follow or run a storytime's live room, for the API and the pages."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from storytime.live.feed import DISPLAY, STAFF
from storytime.live.stream import token_is_current
from storytime.models import Storytime

PHONE_COOKIE = "st_phone"


def display_token_sent() -> str | None:
    """Return the display token this request carries (`?token=` or `X-Display-Token`)."""
    return request.args.get("token") or request.headers.get("X-Display-Token") or None


def deny_non_staff():
    """Refuse a request without staff credentials: 403 for a known screen or phone, else 401.

    A display link and a caregiver's phone are recognised but never allowed to
    change anything, so they get 403; a request with no credentials at all gets
    401 (sign in, or send a bearer token).
    """
    if display_token_sent() or request.cookies.get(PHONE_COOKIE):
        abort(403)
    abort(401)


def require_runner(storytime: Storytime) -> None:
    """Abort unless the current staff account may run this storytime's branch."""
    if not current_user.is_authenticated:
        deny_non_staff()
    if not current_user.can_run_branch(storytime.branch_id):
        abort(403)


def feed_reader(storytime: Storytime) -> tuple[str, str | None]:
    """Return which reader this request is (staff or display) and the display token.

    A display token decides alone, even for signed-in staff, so a staff laptop
    opening the display link sees exactly what the room sees.
    """
    token = display_token_sent()
    if token is not None:
        if not token_is_current(storytime, token):
            abort(403, description="This display link has been replaced or is not valid.")
        return DISPLAY, token
    require_runner(storytime)
    return STAFF, None
