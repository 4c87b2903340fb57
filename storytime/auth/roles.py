"""Role checks for staff routes, and the one check that an account may run a storytime."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request
from flask_login import current_user

from storytime.extensions import login_manager
from storytime.models import Storytime

# The caregiver's phone cookie (share/phone.py): a phone is recognised, never let in here.
PHONE_COOKIE = "st_phone"


def staff_required(*roles: str) -> Callable:
    """Require a signed-in, active staff account, with one of `roles` when given."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        # Lets the tests find every staff route and check it refuses anonymous visitors.
        wrapped.staff_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


admin_required = staff_required("admin")


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
