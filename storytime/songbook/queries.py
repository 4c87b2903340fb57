"""Songbook reads: the entries list, an entry's variants, branches and plans, the API shape.

One scoping rule for every count: a song share counts for the entry it is filed under,
purged or not (the purge keeps kinds, entries and public titles), staff-only or not,
narrowed only by the filters' branch and dates (the songbook is community-wide). Of those,
only the shares `grouping.NAMES_ENTRY` allows give titles and variants; staff-only ones
are counted as such, their words unread.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func

from storytime.extensions import db
from storytime.models import Branch, PlannedSong, Share, SongAlias, SongbookEntry, Storytime, User
from storytime.models.base import now_utc
from storytime.review.queries import Filters, Page, in_branch_and_dates
from storytime.songbook.grouping import NAMES_ENTRY, common_spelling, display_title, song_key

SORTS = ("count", "recent", "title")


def _counted(query: Select, filters: Filters | None) -> Select:
    """Narrow a query over shares joined to their storytime to the shares that count."""
    return query if filters is None else in_branch_and_dates(query, filters)


def _shares(*columns: Any) -> Select:
    return (
        db.select(*columns).select_from(Share).join(Storytime, Share.storytime_id == Storytime.id)
    )


def list_entries(filters: Filters, sort: str = "count", per_page: int = 50) -> Page:
    """Return a page of songbook entries with their share count and last shared time."""
    count = func.count(Share.id).label("count")
    last = func.max(Share.created_at).label("last_shared")
    query = _counted(
        db.select(SongbookEntry, count, last)
        .join(Share, Share.song_entry_id == SongbookEntry.id)
        .join(Storytime, Share.storytime_id == Storytime.id),
        filters,
    ).group_by(SongbookEntry.id)
    if filters.q:
        key = song_key(filters.q)
        by_alias = db.select(SongAlias.entry_id).where(SongAlias.key.contains(key, autoescape=True))
        query = query.where(
            SongbookEntry.title.icontains(filters.q, autoescape=True)
            | SongbookEntry.id.in_(by_alias)
        )
    order = {
        "recent": (last.desc(), SongbookEntry.id),
        "title": (SongbookEntry.title, SongbookEntry.id),
    }.get(sort, (count.desc(), SongbookEntry.title, SongbookEntry.id))
    query = query.order_by(*order)
    total = db.session.execute(
        db.select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = list(db.session.execute(query.limit(per_page).offset((filters.page - 1) * per_page)))
    ids = [row[0].id for row in rows]
    per_branch, spelled = branches(ids, filters), variants(ids, filters)
    items = [
        {
            "entry": entry,
            "count": n,
            "last_shared": last_shared,
            "branches": per_branch[entry.id],
            # The list and the API name each variant by its spelling alone.
            "variants": [
                {"title": v.title, "count": v.count}
                for v in sorted(spelled[entry.id], key=lambda v: (-v.count, v.title))
            ],
        }
        for entry, n, last_shared in rows
    ]
    return Page(items, total, filters.page, per_page)


def branches(entry_ids: list[int], filters: Filters | None = None) -> dict[int, list[dict]]:
    """Return where each entry was shared: branch names with counts, most first.

    Staff-only songs count here (a branch name holds none of their words).
    """
    query = _counted(
        _shares(Share.song_entry_id, Branch.name, func.count(Share.id))
        .join(Branch, Storytime.branch_id == Branch.id)
        .where(Share.song_entry_id.in_(entry_ids))
        .group_by(Share.song_entry_id, Branch.name),
        filters,
    )
    per_branch: dict[int, list[tuple[str, int]]] = defaultdict(list)
    if entry_ids:
        for entry_id, name, n in db.session.execute(query):
            per_branch[entry_id].append((name, n))
    return {
        entry_id: [
            {"name": name, "count": n}
            for name, n in sorted(per_branch[entry_id], key=lambda b: (-b[1], b[0]))
        ]
        for entry_id in entry_ids
    }


@dataclass
class Variant:
    """One key of an entry, named by its most common public spelling."""

    key: str
    title: str
    count: int
    alias_id: int | None = None


def variants(
    entry_ids: list[int], filters: Filters | None = None, *, every_alias: bool = False
) -> dict[int, list[Variant]]:
    """Return each entry's variants, most shared first: its keys, spellings and counts.

    Only shares that may name an entry are read (`staff_only_count` counts the others).
    `every_alias` adds each variant's alias id, and the keys no counted share has
    (count 0), for the entry page that splits variants out.
    """
    if not entry_ids:
        return {}
    spellings: dict[int, dict[str, Counter[str]]] = {entry_id: {} for entry_id in entry_ids}
    alias_ids: dict[int, dict[str, int]] = {entry_id: {} for entry_id in entry_ids}
    texts = _counted(
        _shares(Share.song_entry_id, Share.text, func.count(Share.id))
        .where(Share.song_entry_id.in_(entry_ids), NAMES_ENTRY)
        .group_by(Share.song_entry_id, Share.text),
        filters,
    )
    for entry_id, text, n in db.session.execute(texts):
        spellings[entry_id].setdefault(song_key(text), Counter())[display_title(text)] += n
    if every_alias:
        for entry_id, key, alias_id in db.session.execute(
            db.select(SongAlias.entry_id, SongAlias.key, SongAlias.id).where(
                SongAlias.entry_id.in_(entry_ids)
            )
        ):
            alias_ids[entry_id][key] = alias_id
    result = {}
    for entry_id in entry_ids:
        by_key, ids = spellings[entry_id], alias_ids[entry_id]
        found = [
            Variant(
                key,
                common_spelling(by_key[key]) if key in by_key else key,
                sum(by_key[key].values()) if key in by_key else 0,
                ids.get(key),
            )
            for key in set(by_key) | set(ids)
        ]
        result[entry_id] = sorted(found, key=lambda v: (-v.count, v.key))
    return result


def staff_only_count(entry: SongbookEntry) -> int:
    """Return how many staff-only song shares are counted with an entry (words unread)."""
    return db.session.execute(
        db.select(func.count(Share.id)).where(Share.song_entry_id == entry.id, ~NAMES_ENTRY)
    ).scalar_one()


def entries(entry_ids: list[int]) -> list[SongbookEntry]:
    """Return the entries with these ids, oldest first."""
    return list(
        db.session.execute(
            db.select(SongbookEntry)
            .where(SongbookEntry.id.in_(entry_ids))
            .order_by(SongbookEntry.id)
        ).scalars()
    )


def open_plans(entry: SongbookEntry) -> list[PlannedSong]:
    """Return the plans of storytimes not yet closed that pick this entry, soonest first."""
    return list(
        db.session.execute(
            db.select(PlannedSong)
            .join(PlannedSong.storytime)
            .where(PlannedSong.entry_id == entry.id, Storytime.state != "closed")
            .order_by(Storytime.starts_at)
        ).scalars()
    )


def upcoming_for(user: User, limit: int = 30) -> list[Storytime]:
    """Return storytimes a user may plan songs into: not closed, not long past."""
    query = db.select(Storytime).where(
        Storytime.state != "closed", Storytime.starts_at >= now_utc() - timedelta(hours=12)
    )
    if not user.sees_every_branch:
        query = query.where(Storytime.branch_id == user.branch_id)
    return list(db.session.execute(query.order_by(Storytime.starts_at).limit(limit)).scalars())


def plan_of(storytime: Storytime) -> list[PlannedSong]:
    """Return the songs planned for a storytime, in the order they were picked."""
    return list(
        db.session.execute(
            db.select(PlannedSong)
            .where(PlannedSong.storytime_id == storytime.id)
            .order_by(PlannedSong.created_at, PlannedSong.id)
        ).scalars()
    )


def api_entry(item: dict[str, Any]) -> dict[str, Any]:
    """Return one songbook entry in the API's shape."""
    last: datetime | None = item["last_shared"]
    return {
        "id": item["entry"].id,
        "title": item["entry"].title,
        "count": item["count"],
        "variants": item["variants"],
        "branches": item["branches"],
        "last_shared": last.isoformat() if last else None,
    }
