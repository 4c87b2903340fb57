"""The outcome check-in API: caregivers check in, staff read the results.

A phone is known by its `st_phone` cookie, stored only as a hash; messages are in the
caregiver's language. Staff read aggregated figures (small groups suppressed) and
exports with one row per check-in: never a phone, a hash or a time of day.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from storytime.api.routes import bp, date_arg, query_arg
from storytime.auth.roles import staff_required
from storytime.errors import ApiError, json_object
from storytime.models import CheckIn, Storytime
from storytime.models.outcome import SCALE
from storytime.outcomes import exports, queries, service, statements
from storytime.ratelimits import code_lookup_limit, share_limits
from storytime.review.queries import FilterError
from storytime.share.phone import current_phone
from storytime.storytimes.service import find_by_code


def _storytime(code: str) -> Storytime:
    storytime = find_by_code(code)
    if storytime is None:
        raise ApiError(_("No storytime has this code. Please check it."), 404, field="code")
    return storytime


def checkin_for_phone(checkin: CheckIn) -> dict[str, Any]:
    """Return a phone's own check-in: its kind, answers and words (the day, never a time)."""
    return {
        "kind": checkin.kind,
        "answers": checkin.answers(),
        "comments": {"liked": checkin.liked, "wish": checkin.wish},
        "done": True,
    }


@bp.route("/storytimes/<code>/checkin", endpoint="checkin_form")
@code_lookup_limit
def checkin_form_json(code: str):
    """Return what this phone is asked: its kind, the statements, the scale and the questions."""
    storytime = _storytime(code)
    service.require_open(storytime)
    phone = current_phone(create=False)
    kind = service.kind_for(storytime, phone)
    response = jsonify(
        kind=kind,
        statements=statements.statements(kind),
        scale=list(SCALE),
        questions=statements.questions(),
        done=service.existing(storytime, phone) is not None,
        asked=service.card_shown(storytime),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/storytimes/<code>/checkin", methods=["POST"], endpoint="checkin")
@code_lookup_limit
@share_limits
def checkin_json(code: str):
    """Save this phone's check-in: 201 when stored, 200 when the client id was seen."""
    body = json_object()
    storytime = _storytime(code)
    checkin, stored = service.check_in(
        storytime,
        current_phone(),
        client_id=body.get("client_id"),
        answers=body.get("answers"),
        comments=body.get("comments"),
    )
    return jsonify(checkin_for_phone(checkin)), 201 if stored else 200


def _filters(*, default_kind: str | None = "immediate") -> queries.OutcomeFilters:
    """Return the query's filters, or raise an ApiError naming the bad one."""
    for name in ("branch", "audience", "kind", "by"):
        query_arg(name)
    for name in ("from", "to"):
        date_arg(name)
    try:
        return queries.parse_outcome_filters(
            request.args, current_user, strict=True, default_kind=default_kind
        )
    except FilterError as exc:
        raise ApiError(exc.message, exc.status, field=exc.field) from exc


@bp.route("/outcomes")
@staff_required()
def outcomes_api():
    """Return check-in figures grouped by branch, month, audience or storytime."""
    filters = _filters()
    return jsonify(queries.aggregate(current_user, filters, filters.by))


@bp.route("/outcomes/export.csv")
@staff_required()
def outcomes_export_csv():
    """Return one row per check-in as CSV."""
    filters = _filters(default_kind=None)
    return exports.csv_response(queries.export_rows(current_user, filters), filters)


@bp.route("/outcomes/export.json")
@staff_required()
def outcomes_export_json():
    """Return one row per check-in as JSON."""
    filters = _filters(default_kind=None)
    return exports.json_export(queries.export_rows(current_user, filters), filters)
