"""What outcome pages, the API and exports read: filters, scoping and counts in SQL.

Librarians read their own branch only; coordinators and admins every branch. Counts
are GROUP BY queries: per statement, how many answered 1, 2, 3, 4 and 5; the share
agreeing and the mean follow from those. A group of fewer than OUTCOMES_MIN_GROUP
responses is never shown, only counted as suppressed, so no family can be singled out.
Nothing here reads a phone beyond the database's own grouping, or a time of day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, extract, func, literal
from sqlalchemy.orm import joinedload

from storytime import settings
from storytime.extensions import db
from storytime.models import AUDIENCES, Branch, CheckIn, Storytime, User
from storytime.models.outcome import CHECKIN_KINDS, SCALE, STATEMENTS
from storytime.outcomes.statements import FOLLOW_UP_PAIRS, statement_ids
from storytime.review.queries import (
    FilterError,
    Filters,
    Page,
    paginate,
    parse_filters,
    visible_branch_ids,
)
from storytime.storytimes.defaults import audience_label

API_GROUPINGS = ("branch", "month", "audience", "storytime")
PAGE_GROUPINGS = ("branch", "series", "audience", "quarter")
GROUPINGS = (*API_GROUPINGS, "series", "quarter")
FILTER_ARGS = ("branch", "from", "to", "audience", "q", "page")


@dataclass
class OutcomeFilters:
    """The filters of an outcome page, the API or an export, already parsed."""

    base: Filters = field(default_factory=Filters)
    kind: str | None = "immediate"
    by: str = "branch"

    @property
    def errors(self) -> dict[str, str]:
        return self.base.errors

    def as_args(self, **overrides: Any) -> dict[str, Any]:
        """Return the filters as query-string arguments (for links to other pages)."""
        args = self.base.as_args(kind=self.kind, by=self.by)
        args.update(overrides)
        return {k: v for k, v in args.items() if v not in (None, "")}


def parse_outcome_filters(
    args: Any,
    user: User,
    *,
    strict: bool = False,
    groupings: tuple[str, ...] = API_GROUPINGS,
    default_kind: str | None = "immediate",
) -> OutcomeFilters:
    """Read the filters; bad values are reported in `errors`, or raised when `strict`."""
    base = parse_filters({k: args.get(k) for k in FILTER_ARGS if k in args}, user, strict=strict)
    filters = OutcomeFilters(base=base, kind=default_kind, by=groupings[0])
    checks = (
        ("kind", CHECKIN_KINDS, _l("Choose immediate or follow_up.")),
        ("by", groupings, _l("Choose one of: %(list)s.", list=", ".join(groupings))),
    )
    for name, allowed, message in checks:
        value = (args.get(name) or "").strip()
        if not value:
            continue
        if value in allowed:
            setattr(filters, name, value)
        elif strict:
            raise FilterError(message, name)
        else:
            base.errors[name] = str(message)
    return filters


def min_group() -> int:
    """Return the fewest responses a group needs before it is shown."""
    return int(current_app.config["OUTCOMES_MIN_GROUP"])


def scoped(query: Select, user: User, filters: OutcomeFilters, *, kind: bool = True) -> Select:
    """Narrow a query over CheckIn joined to Storytime to the user's scope and the filters."""
    ids = visible_branch_ids(user)
    if ids is not None:
        query = query.where(Storytime.branch_id.in_(ids))
    base = filters.base
    if base.branch is not None:
        query = query.where(Storytime.branch_id == base.branch.id)
    if base.audience:
        query = query.where(Storytime.audience == base.audience)
    # The day a family answered is the only date a check-in has.
    if base.date_from:
        query = query.where(CheckIn.answered_on >= base.date_from)
    if base.date_to:
        query = query.where(CheckIn.answered_on <= base.date_to)
    if kind and filters.kind:
        query = query.where(CheckIn.kind == filters.kind)
    return query


def _month(column: Any) -> tuple[Any, Any]:
    return extract("year", column), extract("month", column)


def _group_columns(by: str | None) -> list[Any]:
    """Return the SQL columns a grouping groups by (first ones form the key)."""
    year, month = _month(CheckIn.answered_on)
    if by == "branch":
        return [Branch.slug, Branch.name]
    if by == "month":
        return [year, month]
    if by == "quarter":
        quarter = case((month <= 3, 1), (month <= 6, 2), (month <= 9, 3), else_=4)
        return [year, quarter]
    if by == "audience":
        return [Storytime.audience]
    if by == "storytime":
        return [Storytime.id, Storytime.title, Storytime.starts_at]
    if by == "series":
        return [Branch.slug, Storytime.title, Branch.name]
    return [literal("all")]


def _key_label(by: str | None, row: Any) -> tuple[Any, str, Any]:
    """Return (key, label, sort key) of one grouped row."""
    if by == "branch":
        return row[0], row[1], row[1].casefold()
    if by in ("month", "quarter"):
        year, part = int(row[0]), int(row[1])
        key = f"{year:04d}-{part:02d}" if by == "month" else f"{year:04d}-Q{part}"
        return key, key, key
    if by == "audience":
        order = AUDIENCES.index(row[0]) if row[0] in AUDIENCES else len(AUDIENCES)
        return row[0], audience_label(row[0]), order
    if by == "storytime":
        day = row[2].astimezone(ZoneInfo(settings.timezone())).date().isoformat()
        return row[0], f"{row[1]} ({day})", (day, row[0])
    if by == "series":
        return f"{row[0]}/{row[1]}", f"{row[1]} · {row[2]}", (row[2].casefold(), row[1])
    return "all", str(_l("All check-ins")), 0


def _tallies(asked: tuple[str, ...]) -> list[Any]:
    """Return, per statement and point of the scale, the SQL that counts those answers."""
    return [
        func.coalesce(func.sum(case((getattr(CheckIn, s) == v, 1), else_=0)), 0)
        for s in asked
        for v in SCALE
    ]


def _figures(asked: tuple[str, ...], numbers: list[int]) -> dict[str, dict[str, Any]]:
    """Split a row of tallies into each statement's figures."""
    width = len(SCALE)
    return {s: statement_figures(numbers[i * width : (i + 1) * width]) for i, s in enumerate(asked)}


def statement_figures(counts: list[int]) -> dict[str, Any]:
    """Return n, agree (share of 4s and 5s, 0 to 1), mean and counts for one statement."""
    n = sum(counts)
    return {
        "n": n,
        "agree": round((counts[3] + counts[4]) / n, 4) if n else None,
        "mean": round(sum(v * c for v, c in zip(SCALE, counts, strict=True)) / n, 2) if n else None,
        "counts": counts,
    }


def aggregate(
    user: User, filters: OutcomeFilters, by: str | None = None, *, kind: str | None = None
) -> dict[str, Any]:
    """Return `{"groups", "suppressed", "min_group"}` for one kind of check-in, grouped `by`."""
    kind = kind or filters.kind or "immediate"
    asked = statement_ids(kind)
    columns = _group_columns(by)
    tallies = _tallies(asked)
    query = db.select(*columns, func.count(CheckIn.id), *tallies).select_from(CheckIn)
    query = query.join(CheckIn.storytime).join(Storytime.branch)
    query = scoped(query, user, filters, kind=False).where(CheckIn.kind == kind)
    query = query.group_by(*columns)
    threshold = min_group()
    groups, suppressed = [], 0
    width = len(columns)
    for row in db.session.execute(query):
        responses = int(row[width])
        if responses == 0:
            continue
        if responses < threshold:
            suppressed += 1
            continue
        key, label, order = _key_label(by, row)
        numbers = [int(v) for v in row[width + 1 :]]
        figures = _figures(asked, numbers)
        groups.append(
            (order, {"key": key, "label": label, "responses": responses, "statements": figures})
        )
    groups.sort(key=lambda pair: pair[0])
    return {"groups": [g for _o, g in groups], "suppressed": suppressed, "min_group": threshold}


def overall(user: User, filters: OutcomeFilters, kind: str) -> dict[str, Any] | None:
    """Return the one group of every check-in of a kind the filters select, or None if too few."""
    result = aggregate(user, filters, None, kind=kind)
    return result["groups"][0] if result["groups"] else None


def total_responses(user: User, filters: OutcomeFilters) -> dict[str, int]:
    """Return how many check-ins of each kind the filters select (a count is never singling)."""
    query = scoped(
        db.select(CheckIn.kind, func.count(CheckIn.id)).join(CheckIn.storytime),
        user,
        filters,
        kind=False,
    ).group_by(CheckIn.kind)
    counts = dict.fromkeys(CHECKIN_KINDS, 0)
    counts.update({k: int(n) for k, n in db.session.execute(query)})
    return counts


def change(user: User, filters: OutcomeFilters) -> list[dict[str, Any]]:
    """Return, per immediate statement, % agree then and at the follow-up, and the change."""
    before = overall(user, filters, "immediate")
    after = overall(user, filters, "follow_up")
    rows = []
    for first, later in FOLLOW_UP_PAIRS.items():
        then = before["statements"][first] if before else None
        now = after["statements"][later] if after else None
        points = None
        if then and now and then["agree"] is not None and now["agree"] is not None:
            points = round((now["agree"] - then["agree"]) * 100)
        rows.append(
            {"immediate": first, "follow_up": later, "then": then, "now": now, "points": points}
        )
    return rows


def comments(user: User, filters: OutcomeFilters, per_page: int = 25) -> Page:
    """Return a page of check-ins with words (not purged), newest day first; `q` searches them."""
    query = scoped(
        db.select(CheckIn)
        .join(CheckIn.storytime)
        .options(joinedload(CheckIn.storytime).joinedload(Storytime.branch))
        .where(CheckIn.purged_on.is_(None), (CheckIn.liked != "") | (CheckIn.wish != "")),
        user,
        filters,
    )
    q = filters.base.q
    if q:
        query = query.where(
            CheckIn.liked.icontains(q, autoescape=True) | CheckIn.wish.icontains(q, autoescape=True)
        )
    # Within a day, by the phone's hash: an order that says nothing about when.
    query = query.order_by(CheckIn.answered_on.desc(), CheckIn.storytime_id.desc(), CheckIn.phone)
    return paginate(query, filters.base.page, per_page)


EXPORT_COLUMNS = (
    "date",
    "branch",
    "storytime_id",
    "storytime_title",
    "audience",
    "kind",
    *STATEMENTS,
    "liked",
    "wish",
)


def export_rows(user: User, filters: OutcomeFilters) -> list[dict[str, Any]]:
    """Return one row per check-in: the day, where, which kind, the numbers and the words."""
    query = scoped(
        db.select(CheckIn, Storytime, Branch.slug).join(CheckIn.storytime).join(Storytime.branch),
        user,
        filters,
    ).order_by(CheckIn.answered_on, Storytime.id, CheckIn.phone)
    rows = []
    for checkin, storytime, branch in db.session.execute(query):
        row = {
            "date": checkin.answered_on.isoformat(),
            "branch": branch,
            "storytime_id": storytime.id,
            "storytime_title": storytime.title,
            "audience": storytime.audience,
            "kind": checkin.kind,
        }
        row.update({s: getattr(checkin, s) for s in STATEMENTS})
        row["liked"], row["wish"] = checkin.liked, checkin.wish
        rows.append(row)
    return rows


def storytime_results(storytime: Storytime) -> dict[str, Any]:
    """Return one storytime's check-ins: how many, and its figures once the group is big enough."""
    counts = dict.fromkeys(CHECKIN_KINDS, 0)
    counts.update(
        dict(
            db.session.execute(
                db.select(CheckIn.kind, func.count(CheckIn.id))
                .where(CheckIn.storytime_id == storytime.id)
                .group_by(CheckIn.kind)
            ).all()
        )
    )
    threshold = min_group()
    results = {}
    for kind in CHECKIN_KINDS:
        if counts[kind] < threshold:
            continue
        asked = statement_ids(kind)
        tallies = _tallies(asked)
        row = db.session.execute(
            db.select(*tallies).where(CheckIn.storytime_id == storytime.id, CheckIn.kind == kind)
        ).one()
        numbers = [int(v) for v in row]
        results[kind] = _figures(asked, numbers)
    return {
        "responses": sum(counts.values()),
        "counts": counts,
        "results": results,
        "min_group": threshold,
    }
