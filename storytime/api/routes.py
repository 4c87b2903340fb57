"""API routes that belong to no single feature."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from storytime.auth.roles import deny_non_staff, staff_required
from storytime.errors import ApiError

bp = Blueprint("api", __name__)
# The document's `format: date`: a calendar date and nothing else (not 20250331, not a week).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def runner_only(view: Callable) -> Callable:
    """Refuse a call without staff credentials: 401, or 403 for a phone or a display link.

    Checked before the CSRF token (security.refused_for_who_it_is reads the mark) and
    before any lookup, so ids are not probed anonymously.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            deny_non_staff()
        return view(*args, **kwargs)

    wrapped.staff_roles = ()  # type: ignore[attr-defined]
    return wrapped


def query_arg(name: str, *, free_text: bool = False) -> str | None:
    """Return a query argument, None when absent; refuse one sent empty (`?to=`).

    The OpenAPI document gives each argument a type an empty value does not have, and
    what the document forbids the API refuses rather than reading it as "no filter". A
    value from a list (a kind, a slug, a date) must also come without spaces around it;
    only free text (a search) may have them.
    """
    value = request.args.get(name)
    if value is not None and not value.strip():
        raise ApiError(
            _("'%(name)s' is empty: leave it out, or give a value.", name=name), field=name
        )
    if value is not None and not free_text and value != value.strip():
        raise ApiError(
            _("'%(name)s' has spaces around it: send the value alone.", name=name), field=name
        )
    return value


def date_arg(name: str) -> str | None:
    """Return a query argument that must be a date written YYYY-MM-DD, None when absent."""
    value = query_arg(name)
    if value is not None and not ISO_DATE.fullmatch(value):
        raise ApiError(_("Use a date like 2025-03-31."), field=name)
    return value


def whole_number_arg(name: str, default: int, lowest: int, highest: int) -> int:
    """Return a query argument that must be a whole number from `lowest` to `highest`."""
    raw = query_arg(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not lowest <= int(raw) <= highest:
        raise ApiError(
            _(
                "'%(name)s' must be a whole number from %(low)d to %(high)d.",
                name=name,
                low=lowest,
                high=highest,
            ),
            field=name,
        )
    return int(raw)


@bp.route("/me")
@staff_required()
def me():
    """Return the signed-in staff account (useful to check a token)."""
    return jsonify(
        id=current_user.id,
        email=current_user.email,
        display_name=current_user.display_name,
        role=current_user.role,
        branch=current_user.branch.slug if current_user.branch else None,
    )
