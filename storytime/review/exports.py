"""CSV and JSON exports of shares, for one storytime or a filtered range.

The CSV opens as-is in Excel and LibreOffice: UTF-8 with a byte-order mark,
every text cell quoted when needed (newlines stay inside their cell), CRLF
line ends, and cells a spreadsheet would run as a formula are prefixed with an
apostrophe. Phones are never exported, not even hashed. A purged share keeps its
row (kind, times, storytime, flags), with the name and the words the purge removed
left empty, so row counts are the same before and after a purge.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import Response
from sqlalchemy.orm import joinedload

from storytime.extensions import db
from storytime.models import Share, Storytime
from storytime.review.queries import Filters, scoped_storytimes

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "storytime_id",
    "storytime_title",
    "branch",
    "starts_at",
    "share_id",
    "kind",
    "text",
    "name",
    "staff_only",
    "on_screen",
    "pinned",
    "answered",
    "starred",
    "song",
    "note",
    "created_at",
)
MAX_RANGE_ROWS = 200_000


def neutralise(value: Any) -> Any:
    """Make a text cell safe to open in a spreadsheet: formulas become plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def storytime_dict(storytime: Storytime) -> dict[str, Any]:
    """Return a storytime's fields for an export."""
    return {
        "id": storytime.id,
        "title": storytime.title,
        "branch": storytime.branch.slug,
        "branch_name": storytime.branch.name,
        "starts_at": storytime.starts_at.isoformat(),
        "audience": storytime.audience,
        "theme": storytime.theme,
        "state": storytime.state,
        "headcount": {
            "adults": storytime.headcount_adults,
            "children": storytime.headcount_children,
            "babies": storytime.headcount_babies,
        },
        "recap_published": storytime.recap_published,
        "recap_note": storytime.recap_note,
    }


def share_row(share: Share, storytime: Storytime) -> dict[str, Any]:
    """Return one share as an export row (the same keys in CSV and JSON)."""
    # A purged share keeps its row for the counts, but no words leave in a file.
    purged = share.purged_at is not None
    return {
        "storytime_id": storytime.id,
        "storytime_title": storytime.title,
        "branch": storytime.branch.slug,
        "starts_at": storytime.starts_at.isoformat(),
        "share_id": share.id,
        "kind": share.kind,
        "text": "" if purged else share.text,
        "name": "" if purged else share.name,
        "staff_only": not share.allow_screen,
        "on_screen": share.on_screen,
        "pinned": share.pinned,
        "answered": share.answered,
        "starred": share.starred,
        "song": share.song_entry.title if share.song_entry is not None else None,
        "note": "" if purged else share.note,
        "created_at": share.created_at.isoformat(),
    }


def _rows(query) -> Iterator[dict[str, Any]]:
    query = query.options(
        joinedload(Share.storytime).joinedload(Storytime.branch), joinedload(Share.song_entry)
    )
    for share in db.session.execute(query).scalars():
        yield share_row(share, share.storytime)


def storytime_rows(storytime: Storytime) -> list[dict[str, Any]]:
    """Return every share of one storytime, oldest first."""
    query = (
        db.select(Share)
        .where(Share.storytime_id == storytime.id)
        .order_by(Share.created_at, Share.id)
    )
    return list(_rows(query))


def range_rows(user, filters: Filters) -> list[dict[str, Any]]:
    """Return the shares of every storytime the filters select, in time order."""
    query = scoped_storytimes(db.select(Share).join(Share.storytime), user, filters)
    if filters.kind:
        query = query.where(Share.kind == filters.kind)
    query = query.order_by(Storytime.starts_at, Share.created_at, Share.id).limit(MAX_RANGE_ROWS)
    return list(_rows(query.execution_options(yield_per=1000)))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """Render rows as CSV text (with BOM) for spreadsheets."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in COLUMNS])
    return buffer.getvalue()


def filename(stem: str, extension: str) -> str:
    """Return a download file name that is safe in a header."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem)
    return f"{safe.strip('-') or 'export'}.{extension}"


def csv_response(rows: Iterable[dict[str, Any]], stem: str) -> Response:
    """Return a CSV download."""
    response = Response(to_csv(rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(stem, "csv")}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def json_response(body: dict[str, Any], stem: str, *, download: bool = True) -> Response:
    """Return a JSON export (an attachment when `download`)."""
    response = Response(
        json.dumps(body, ensure_ascii=False, indent=1) + "\n", mimetype="application/json"
    )
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename(stem, "json")}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def storytime_stem(storytime: Storytime) -> str:
    """Return the file name stem for one storytime's export."""
    return f"storytime-{storytime.id}-{storytime.starts_at:%Y-%m-%d}"


def range_stem(filters: Filters) -> str:
    """Return the file name stem for a range export."""
    parts = ["shares"]
    if filters.branch:
        parts.append(filters.branch.slug)
    if filters.date_from:
        parts.append(f"from-{filters.date_from.isoformat()}")
    if filters.date_to:
        parts.append(f"to-{filters.date_to.isoformat()}")
    return "-".join(parts)


def range_body(filters: Filters, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the JSON body of a range export."""
    return {
        "filters": {
            "branch": filters.branch.slug if filters.branch else None,
            "from": filters.date_from.isoformat() if filters.date_from else None,
            "to": filters.date_to.isoformat() if filters.date_to else None,
            "kind": filters.kind,
        },
        "count": len(rows),
        "generated_at": datetime.now().astimezone().isoformat(),
        "shares": rows,
    }
