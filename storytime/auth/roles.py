"""Role checks for staff routes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from storytime.extensions import login_manager
from storytime.models import Storytime


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


def require_run(storytime: Storytime) -> None:
    """Abort with 403 unless the current account may run this storytime."""
    if not current_user.can_run_branch(storytime.branch_id):
        abort(403)
