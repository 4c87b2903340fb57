"""Check-in exports: one row per response, formula-safe, with no phone, hash or time of day."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response

from storytime.outcomes.queries import EXPORT_COLUMNS, OutcomeFilters
from storytime.review.exports import BOM, filename, json_response, neutralise


def stem(filters: OutcomeFilters) -> str:
    """Return the download's file name stem."""
    base = filters.base
    parts = ["checkins"]
    if base.branch:
        parts.append(base.branch.slug)
    if filters.kind:
        parts.append(filters.kind.replace("_", "-"))
    if base.date_from:
        parts.append(f"from-{base.date_from.isoformat()}")
    if base.date_to:
        parts.append(f"to-{base.date_to.isoformat()}")
    return "-".join(parts)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Render rows as CSV (with BOM) that opens as-is in a spreadsheet."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(["" if row[c] is None else neutralise(row[c]) for c in EXPORT_COLUMNS])
    return buffer.getvalue()


def csv_response(rows: list[dict[str, Any]], filters: OutcomeFilters) -> Response:
    """Return the CSV download."""
    response = Response(to_csv(rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename(stem(filters), "csv")}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def json_export(rows: list[dict[str, Any]], filters: OutcomeFilters) -> Response:
    """Return the JSON export: the filters, the count and the rows."""
    base = filters.base
    body = {
        "filters": {
            "branch": base.branch.slug if base.branch else None,
            "from": base.date_from.isoformat() if base.date_from else None,
            "to": base.date_to.isoformat() if base.date_to else None,
            "audience": base.audience,
            "kind": filters.kind,
        },
        "count": len(rows),
        "checkins": rows,
    }
    return json_response(body, stem(filters), download=False)
