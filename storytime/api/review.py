"""Review data for scripts: the songbook and CSV/JSON exports (staff session or bearer token)."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from storytime.api.routes import bp, date_arg, query_arg, whole_number_arg
from storytime.auth.roles import staff_required
from storytime.errors import ApiError
from storytime.extensions import db
from storytime.models import Storytime
from storytime.review import exports, queries
from storytime.songbook import queries as songbook_queries

MAX_SONGBOOK_PAGE = 500
MAX_PAGE = 100_000
# The document's `format: date`; Python alone would also take 20250331 or 2025-W13-1.


@bp.route("/songbook")
@staff_required()
def songbook_api():
    """Return songbook entries, most shared first, with variants, branches and last shared."""
    filters = _filters(every_branch=True)
    per_page = whole_number_arg("per_page", 100, 1, MAX_SONGBOOK_PAGE)
    filters.page = whole_number_arg("page", 1, 1, MAX_PAGE)
    page = songbook_queries.list_entries(filters, "count", per_page=per_page)
    return jsonify(
        entries=[songbook_queries.api_entry(item) for item in page.items],
        total=page.total,
        page=page.page,
        pages=page.pages,
    )


def _filters(*, every_branch: bool = False) -> queries.Filters:
    """Return the query's review filters, or raise an ApiError naming the bad one."""
    for name in ("branch", "kind", "audience"):
        query_arg(name)
    query_arg("q", free_text=True)
    for name in ("from", "to"):
        date_arg(name)
    try:
        return queries.parse_filters(
            request.args, current_user, strict=True, every_branch=every_branch
        )
    except queries.FilterError as exc:
        raise ApiError(exc.message, exc.status, field=exc.field) from exc


def _storytime(storytime_id: int) -> Storytime:
    storytime = db.session.get(Storytime, storytime_id)
    if storytime is None:
        raise ApiError(_l("No storytime with that id."), 404)
    if not queries.can_review(current_user, storytime):
        raise ApiError(_l("You can export your own branch's storytimes only."), 403)
    return storytime


@bp.route("/storytimes/<int:storytime_id>/export.csv")
@staff_required()
def storytime_export_csv(storytime_id: int):
    """Return one storytime's shares as CSV."""
    storytime = _storytime(storytime_id)
    return exports.csv_response(
        exports.storytime_rows(storytime), exports.storytime_stem(storytime)
    )


@bp.route("/storytimes/<int:storytime_id>/export.json")
@staff_required()
def storytime_export_json(storytime_id: int):
    """Return one storytime and its shares as JSON."""
    storytime = _storytime(storytime_id)
    body = {
        "storytime": exports.storytime_dict(storytime),
        "shares": exports.storytime_rows(storytime),
    }
    return exports.json_response(body, exports.storytime_stem(storytime), download=False)


@bp.route("/exports/shares.csv")
@staff_required()
def shares_export_csv():
    """Return the shares of a filtered range (`branch`, `from`, `to`, `kind`) as CSV."""
    filters = _filters()
    return exports.csv_response(
        exports.range_rows(current_user, filters), exports.range_stem(filters)
    )


@bp.route("/exports/shares.json")
@staff_required()
def shares_export_json():
    """Return the shares of a filtered range (`branch`, `from`, `to`, `kind`) as JSON."""
    filters = _filters()
    rows = exports.range_rows(current_user, filters)
    return exports.json_response(
        exports.range_body(filters, rows), exports.range_stem(filters), download=False
    )
