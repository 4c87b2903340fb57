"""A storytime's times on the library's wall clock: its planned end, its series, its next slot.

Pure functions of the times they are given: nothing here reads the clock or the database,
so tests pass `now` and a zone and get the same answer every time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


def planned_end(starts_at: datetime, opened_at: datetime | None, duration_minutes: int) -> datetime:
    """Return when a storytime is planned to end: its length after it started.

    It started at its start time, or when it was (last) opened if that was later: a
    storytime opened hours after its planned start (or opened again) is not over at once.
    """
    began = max(starts_at, opened_at) if opened_at is not None else starts_at
    return began + timedelta(minutes=duration_minutes)


def close_deadline(
    starts_at: datetime,
    opened_at: datetime | None,
    duration_minutes: int,
    auto_close_minutes: int,
) -> datetime:
    """Return when an open storytime closes by itself: auto_close_minutes after its end."""
    return planned_end(starts_at, opened_at, duration_minutes) + timedelta(
        minutes=auto_close_minutes
    )


def wall_clock(moment: datetime, zone: ZoneInfo) -> tuple[int, int, int, int]:
    """Return (weekday, hour, minute, second) of an aware time on the zone's wall clock."""
    local = moment.astimezone(zone)
    return local.weekday(), local.hour, local.minute, local.second


def same_slot(one: datetime, other: datetime, zone: ZoneInfo) -> bool:
    """Return whether two times fall on the same weekday at the same local time."""
    return wall_clock(one, zone) == wall_clock(other, zone)


def next_slot(starts_at: datetime, now: datetime, zone: ZoneInfo) -> datetime:
    """Return the first time after `now` and after `starts_at` on the same weekday and local time.

    A week whose clocks skip that local time (a daylight-saving change at 02:30) has no
    such slot: the answer is the week after. The answer is aware UTC.
    """
    local = starts_at.astimezone(zone)
    floor = max(now, starts_at)
    weeks = max(1, (floor.astimezone(zone).date() - local.date()).days // 7)
    while True:
        day = local.date() + timedelta(weeks=weeks)
        candidate = datetime.combine(day, local.time().replace(fold=0), tzinfo=zone)
        exists = candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == (
            candidate.replace(tzinfo=None)
        )
        if exists and candidate > floor:
            return candidate.astimezone(UTC)
        weeks += 1
