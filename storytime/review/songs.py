"""Songbook listings: entries with how often, where and when they were shared, and plans."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func

from storytime.extensions import db
from storytime.models import Branch, PlannedSong, Share, SongAlias, SongbookEntry, Storytime, User
from storytime.models.base import now_utc
from storytime.review.queries import Filters, Page, local_bounds
from storytime.songbook import display_title, song_key

SORTS = ("count", "recent", "title")


def _share_scope(query, filters: Filters):
    # Purged song shares still count: the purge keeps kinds, entries and public titles.
    if filters.branch is not None:
        query = query.where(Storytime.branch_id == filters.branch.id)
    start, end = local_bounds(filters)
    if start is not None:
        query = query.where(Storytime.starts_at >= start)
    if end is not None:
        query = query.where(Storytime.starts_at < end)
    return query


def list_entries(filters: Filters, sort: str = "count", per_page: int = 50) -> Page:
    """Return a page of songbook entries with their share count and last shared time."""
    count = func.count(Share.id).label("count")
    last = func.max(Share.created_at).label("last_shared")
    query = _share_scope(
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
    details = entry_details([row[0].id for row in rows], filters)
    items = [
        {
            "entry": entry,
            "count": n,
            "last_shared": last_shared,
            **details.get(entry.id, {"branches": [], "variants": []}),
        }
        for entry, n, last_shared in rows
    ]
    return Page(items, total, filters.page, per_page)


def entry_details(entry_ids: list[int], filters: Filters | None = None) -> dict[int, dict]:
    """Return the branches and the spelling variants of several entries, in two queries.

    Branch counts include staff-only songs; the variants read public shares only.
    """
    filters = filters or Filters()
    result: dict[int, dict[str, Any]] = {i: {"branches": [], "variants": []} for i in entry_ids}
    if not entry_ids:
        return result
    base = db.select().select_from(Share).join(Storytime, Share.storytime_id == Storytime.id)
    branches = _share_scope(
        base.add_columns(Share.song_entry_id, Branch.name, func.count(Share.id))
        .join(Branch, Storytime.branch_id == Branch.id)
        .where(Share.song_entry_id.in_(entry_ids))
        .group_by(Share.song_entry_id, Branch.name),
        filters,
    )
    per_branch: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for entry_id, name, n in db.session.execute(branches):
        per_branch[entry_id].append((name, n))
    texts = _share_scope(
        base.add_columns(Share.song_entry_id, Share.text, func.count(Share.id))
        .where(Share.song_entry_id.in_(entry_ids), Share.allow_screen.is_(True))
        .group_by(Share.song_entry_id, Share.text),
        filters,
    )
    spellings: dict[int, dict[str, Counter[str]]] = defaultdict(dict)
    for entry_id, text, n in db.session.execute(texts):
        spellings[entry_id].setdefault(song_key(text), Counter())[display_title(text)] += n
    for entry_id in entry_ids:
        result[entry_id]["branches"] = [
            {"name": name, "count": n}
            for name, n in sorted(per_branch[entry_id], key=lambda b: (-b[1], b[0]))
        ]
        variants = []
        for counter in spellings[entry_id].values():
            spelling = min(counter, key=lambda t: (-counter[t], t))
            variants.append({"title": spelling, "count": sum(counter.values())})
        variants.sort(key=lambda v: (-v["count"], v["title"]))
        result[entry_id]["variants"] = variants
    return result


def upcoming_for(user: User, limit: int = 30) -> list[Storytime]:
    """Return storytimes a user may plan songs into: not closed, not long past."""
    query = db.select(Storytime).where(
        Storytime.state != "closed", Storytime.starts_at >= now_utc() - timedelta(hours=12)
    )
    if not user.sees_every_branch:
        query = query.where(Storytime.branch_id == user.branch_id)
    return list(db.session.execute(query.order_by(Storytime.starts_at).limit(limit)).scalars())


def plan_song(storytime: Storytime, entry: SongbookEntry, user: User) -> bool:
    """Add a song to a storytime's plan; return False when it was there already."""
    exists = db.session.execute(
        db.select(PlannedSong.id).where(
            PlannedSong.storytime_id == storytime.id, PlannedSong.entry_id == entry.id
        )
    ).first()
    if exists:
        return False
    db.session.add(PlannedSong(storytime_id=storytime.id, entry_id=entry.id, added_by_id=user.id))
    db.session.commit()
    return True


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
