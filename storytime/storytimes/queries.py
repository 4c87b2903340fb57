"""Reads about a storytime's series: the same storytime run week after week.

A series is what a librarian runs again: the same branch, the same title, on the same
weekday at the same local time ("Run again" keeps all four). There is no series column;
two storytimes belong together when those four match.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from storytime.extensions import db
from storytime.models import Storytime
from storytime.storytimes.schedule import same_slot

# How many earlier storytimes with the same title are looked at for one of the same slot.
SERIES_LOOKBACK = 60


def previous_counted(storytime: Storytime, zone: ZoneInfo) -> Storytime | None:
    """Return the newest earlier storytime of the same series that has a headcount."""
    earlier = db.session.execute(
        db.select(Storytime)
        .where(
            Storytime.branch_id == storytime.branch_id,
            Storytime.title == storytime.title,
            Storytime.id != storytime.id,
            Storytime.starts_at < storytime.starts_at,
            Storytime.headcount_adults.is_not(None)
            | Storytime.headcount_children.is_not(None)
            | Storytime.headcount_babies.is_not(None),
        )
        .order_by(Storytime.starts_at.desc(), Storytime.id.desc())
        .limit(SERIES_LOOKBACK)
    ).scalars()
    return next((st for st in earlier if same_slot(st.starts_at, storytime.starts_at, zone)), None)
