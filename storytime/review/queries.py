"""What review pages, exports and charts read: filters, scoping, search and counts.

Scoping: librarians review their own branch only (the shares of other
branches' families are not theirs to read); coordinators and admins see every
branch and may narrow to one. The songbook is community-wide and holds no
caregiver's words beyond the titles of songs shared for the screen.

Purged shares are counted like any other: the purge removes names and personal
words but keeps each share's kind, storytime, times and flags, so every count here
is the same before and after it.

Counts are aggregated in SQL (GROUP BY) for the rows of one page at a time, so
a list stays fast with thousands of storytimes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, extract, func

from storytime import settings
from storytime.extensions import db
from storytime.models import AUDIENCES, KINDS, Branch, Share, Storytime, User

PER_PAGE = 25


class FilterError(ValueError):
    """A filter value that cannot be understood; the message is shown to the person."""

    def __init__(self, message: str, field: str, status: int = 422) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.status = status


@dataclass
class Filters:
    """The filters a review page or an export was asked for, already parsed."""

    branch: Branch | None = None
    date_from: date | None = None
    date_to: date | None = None
    audience: str | None = None
    theme: str = ""
    q: str = ""
    kind: str | None = None
    open_only: bool = False
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    def as_args(self, **overrides: Any) -> dict[str, Any]:
        """Return the filters as query-string arguments (for links to other pages)."""
        args = {
            "branch": self.branch.slug if self.branch else None,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "audience": self.audience,
            "theme": self.theme or None,
            "q": self.q or None,
            "kind": self.kind,
            "open": "1" if self.open_only else None,
        }
        args.update(overrides)
        return {k: v for k, v in args.items() if v not in (None, "")}


def parse_date(value: str | None, name: str) -> date | None:
    """Parse an ISO date (YYYY-MM-DD) or raise FilterError."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise FilterError(_l("Use a date like 2025-03-31."), name) from exc


def parse_filters(
    args: Any, user: User, *, strict: bool = False, every_branch: bool = False
) -> Filters:
    """Read filters from a query string; bad values are reported, or raised when `strict`."""
    filters = Filters()

    def fail(exc: FilterError) -> None:
        if strict:
            raise exc
        filters.errors[exc.field] = str(exc.message)

    slug = (args.get("branch") or "").strip()
    if slug:
        branch = db.session.execute(db.select(Branch).where(Branch.slug == slug)).scalar()
        if branch is None:
            fail(FilterError(_l("There is no branch with that short name."), "branch"))
        elif not (every_branch or user.sees_every_branch) and branch.id != user.branch_id:
            fail(FilterError(_l("You can review your own branch only."), "branch", 403))
        else:
            filters.branch = branch
    for name, attr in (("from", "date_from"), ("to", "date_to")):
        try:
            setattr(filters, attr, parse_date(args.get(name), name))
        except FilterError as exc:
            fail(exc)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        fail(FilterError(_l("The start date is after the end date."), "to"))
    audience = (args.get("audience") or "").strip()
    if audience in AUDIENCES:
        filters.audience = audience
    elif audience:
        fail(FilterError(_l("Choose an audience from the list."), "audience"))
    kind = (args.get("kind") or "").strip()
    if kind in KINDS:
        filters.kind = kind
    elif kind:
        fail(FilterError(_l("Choose a kind of share from the list."), "kind"))
    filters.theme = (args.get("theme") or "").strip()[:200]
    filters.q = (args.get("q") or "").strip()[:200]
    filters.open_only = args.get("open") in ("1", "true", "on")
    try:
        filters.page = max(1, min(int(args.get("page", 1)), 100_000))
    except (TypeError, ValueError):
        filters.page = 1
    return filters


def visible_branch_ids(user: User) -> list[int] | None:
    """Return the branch ids a user reviews, or None for every branch."""
    if user.sees_every_branch:
        return None
    return [user.branch_id] if user.branch_id is not None else []


def can_review(user: User, storytime: Storytime) -> bool:
    """Return whether the user may read this storytime's shares."""
    return user.sees_every_branch or storytime.branch_id == user.branch_id


def local_bounds(filters: Filters) -> tuple[datetime | None, datetime | None]:
    """Turn the date filters (library-local days, inclusive) into UTC instants."""
    zone = ZoneInfo(settings.timezone())
    start = end = None
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, zone).astimezone(UTC)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def in_branch_and_dates(query: Select, filters: Filters) -> Select:
    """Narrow a query that involves Storytime to the filters' branch and dates."""
    if filters.branch is not None:
        query = query.where(Storytime.branch_id == filters.branch.id)
    start, end = local_bounds(filters)
    if start is not None:
        query = query.where(Storytime.starts_at >= start)
    if end is not None:
        query = query.where(Storytime.starts_at < end)
    return query


def scoped_storytimes(query: Select, user: User, filters: Filters) -> Select:
    """Add the user's scope and the storytime filters to a query that involves Storytime."""
    ids = visible_branch_ids(user)
    if ids is not None:
        query = query.where(Storytime.branch_id.in_(ids))
    query = in_branch_and_dates(query, filters)
    if filters.audience:
        query = query.where(Storytime.audience == filters.audience)
    if filters.theme:
        query = query.where(Storytime.theme.icontains(filters.theme, autoescape=True))
    return query


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(query: Select, page: int, per_page: int = PER_PAGE) -> Page:
    """Return one page of a query's rows, with the total count."""
    total = db.session.execute(
        db.select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    items = list(
        db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).unique().scalars()
    )
    return Page(items, total, page, per_page)


def kind_counts_by_storytime(storytime_ids: list[int]) -> dict[int, dict[str, int]]:
    """Return {storytime id: {kind: count}} in one GROUP BY query."""
    counts: dict[int, dict[str, int]] = {sid: dict.fromkeys(KINDS, 0) for sid in storytime_ids}
    if not storytime_ids:
        return counts
    rows = db.session.execute(
        db.select(Share.storytime_id, Share.kind, func.count(Share.id))
        .where(Share.storytime_id.in_(storytime_ids))
        .group_by(Share.storytime_id, Share.kind)
    )
    for storytime_id, kind, count in rows:
        counts[storytime_id][kind] = count
    return counts


def past_storytimes(user: User, filters: Filters, per_page: int = PER_PAGE) -> Page:
    """Return a page of storytimes (newest first) with their counts by kind."""
    query = scoped_storytimes(db.select(Storytime), user, filters)
    if filters.q:
        matching = db.select(Share.storytime_id).where(
            Share.text.icontains(filters.q, autoescape=True)
        )
        query = query.where(Storytime.id.in_(matching))
    query = query.order_by(Storytime.starts_at.desc(), Storytime.id.desc())
    page = paginate(query, filters.page, per_page)
    counts = kind_counts_by_storytime([st.id for st in page.items])
    page.items = [(st, counts[st.id]) for st in page.items]
    return page


def search_shares(user: User, filters: Filters, per_page: int = PER_PAGE) -> Page:
    """Return a page of shares whose text (or staff note) holds the search words."""
    query = scoped_storytimes(db.select(Share).join(Share.storytime), user, filters)
    if filters.q:
        query = query.where(
            Share.text.icontains(filters.q, autoescape=True)
            | Share.note.icontains(filters.q, autoescape=True)
        )
    if filters.kind:
        query = query.where(Share.kind == filters.kind)
    return paginate(
        query.order_by(Share.created_at.desc(), Share.id.desc()), filters.page, per_page
    )


def shares_of_kind(user: User, filters: Filters, kind: str, *, per_page: int = PER_PAGE) -> Page:
    """Return a page of one kind of share (questions, tips, ideas), newest first."""
    query = scoped_storytimes(
        db.select(Share).join(Share.storytime).where(Share.kind == kind), user, filters
    )
    if filters.q:
        query = query.where(
            Share.text.icontains(filters.q, autoescape=True)
            | Share.note.icontains(filters.q, autoescape=True)
        )
    if filters.open_only:
        query = query.where(Share.answered.is_(False))
    return paginate(
        query.order_by(Share.created_at.desc(), Share.id.desc()), filters.page, per_page
    )


def storytime_summary(storytime: Storytime) -> dict[str, Any]:
    """Return counts by kind, phones that shared and state counts for one storytime."""
    kinds = kind_counts_by_storytime([storytime.id])[storytime.id]
    row = db.session.execute(
        db.select(
            func.count(Share.id),
            func.count(func.distinct(Share.phone)),
            func.sum(case((Share.allow_screen.is_(False), 1), else_=0)),
            func.sum(case((Share.on_screen.is_(True), 1), else_=0)),
            func.sum(case((Share.starred.is_(True), 1), else_=0)),
        ).where(Share.storytime_id == storytime.id)
    ).one()
    total, phones, staff_only, on_screen, starred = (v or 0 for v in row)
    return {
        "kinds": kinds,
        "total": total,
        "phones": phones,
        "staff_only": staff_only,
        "on_screen": on_screen,
        "starred": starred,
    }


def month_expr(column: Any) -> tuple[Any, Any]:
    """Return (year, month) SQL expressions for a timestamp column (UTC months)."""
    return extract("year", column), extract("month", column)


def counts_by_branch_and_month(user: User, filters: Filters, kind: str) -> dict[str, Any]:
    """Count one kind of share by branch and month (of the storytime), for planning."""
    year, month = month_expr(Storytime.starts_at)
    query = scoped_storytimes(
        db.select(Branch.name, year, month, func.count(Share.id))
        .select_from(Share)
        .join(Share.storytime)
        .join(Storytime.branch)
        .where(Share.kind == kind),
        user,
        filters,
    )
    query = query.group_by(Branch.name, year, month)
    table: dict[str, dict[str, int]] = defaultdict(dict)
    months: set[str] = set()
    for branch, y, m, count in db.session.execute(query):
        label = f"{int(y):04d}-{int(m):02d}"
        months.add(label)
        table[branch][label] = count
    ordered = sorted(months)
    return {
        "months": ordered,
        "rows": [
            (branch, [table[branch].get(m, 0) for m in ordered], sum(table[branch].values()))
            for branch in sorted(table)
        ],
        "totals": [sum(table[b].get(m, 0) for b in table) for m in ordered],
    }


def branches_for(user: User, *, every_branch: bool = False) -> list[Branch]:
    """Return the branches a user may pick in a filter."""
    query = db.select(Branch).order_by(Branch.name)
    ids = None if every_branch else visible_branch_ids(user)
    if ids is not None:
        query = query.where(Branch.id.in_(ids))
    return list(db.session.execute(query).scalars())


def themes_for(user: User) -> list[str]:
    """Return the storytime themes used so far, for the tips filter."""
    query = scoped_storytimes(
        db.select(Storytime.theme).where(Storytime.theme != "").distinct(), user, Filters()
    )
    return sorted(t for (t,) in db.session.execute(query.limit(200)))
