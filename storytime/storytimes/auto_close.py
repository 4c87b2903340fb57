"""A storytime left open closes by itself a set time after its planned end.

There is no scheduler process: `close_overdue(now)` is a cheap sweep that any process may
run. Every process runs it at most once a minute from a request (`sweep_if_due`, hooked
in routes.py), and an install that may sit idle runs `flask close-overdue` from cron.
A sweep closes a storytime exactly as a librarian's Close does, with the same event.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from flask import Flask, current_app

from storytime.database import begin_write
from storytime.extensions import db
from storytime.models import Storytime, now_utc
from storytime.storytimes.schedule import close_deadline
from storytime.storytimes.service import apply_state

EXTENSION_KEY = "storytime_auto_close"
log = logging.getLogger(__name__)


def auto_close_minutes(storytime: Storytime) -> int:
    """Return how long after its planned end a storytime closes by itself."""
    if storytime.auto_close_minutes is not None:
        return storytime.auto_close_minutes
    return int(current_app.config["AUTO_CLOSE_MINUTES"])


def closes_at(storytime: Storytime) -> datetime:
    """Return when a storytime closes by itself if nobody closes it first."""
    return close_deadline(
        storytime.starts_at,
        storytime.opened_at,
        storytime.duration_minutes,
        auto_close_minutes(storytime),
    )


def close_overdue(now: datetime | None = None) -> list[int]:
    """Close every open storytime whose auto-close time has come; return their ids.

    Open storytimes are few, so all of them are read and each deadline is worked out
    here, the same way on SQLite and PostgreSQL.
    """
    now = now or now_utc()
    open_now = db.session.execute(
        db.select(Storytime).where(Storytime.state == "open").order_by(Storytime.id)
    ).scalars()
    overdue = [storytime.id for storytime in open_now if closes_at(storytime) <= now]
    closed = []
    for storytime_id in overdue:
        begin_write()
        # Read again under the write lock (the row's, on PostgreSQL): a librarian or
        # another process may have closed or reopened it meanwhile.
        storytime = db.session.execute(
            db.select(Storytime)
            .where(Storytime.id == storytime_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if storytime is not None and storytime.state == "open" and closes_at(storytime) <= now:
            apply_state(storytime, "closed", now)
            closed.append(storytime_id)
        db.session.commit()
    if closed:
        log.info("Closed by itself after its planned end: storytime %s", closed)
    return closed


class Sweeper:
    """Let one process sweep at most once every `seconds`, whichever thread asks first."""

    def __init__(self, seconds: float, clock=time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.due = 0.0
        self.lock = threading.Lock()

    def claim(self) -> bool:
        """Return True to the one caller whose turn it is to sweep now."""
        if self.seconds <= 0 or self.clock() < self.due:  # most requests stop here, lock-free
            return False
        with self.lock:
            moment = self.clock()
            if moment < self.due:
                return False
            self.due = moment + self.seconds
            return True


def sweeper_for(app: Flask) -> Sweeper:
    """Return the app's sweeper, made on first use from AUTO_CLOSE_SWEEP_SECONDS (0: off)."""
    sweeper = app.extensions.get(EXTENSION_KEY)
    if sweeper is None:
        seconds = float(app.config["AUTO_CLOSE_SWEEP_SECONDS"])
        sweeper = app.extensions.setdefault(EXTENSION_KEY, Sweeper(seconds))
    return sweeper


def sweep_if_due(app: Flask) -> None:
    """Run close_overdue() if this process has not in the last minute; never fail a request."""
    if not sweeper_for(app).claim():
        return
    try:
        close_overdue()
    except Exception:  # the page asked for matters more; the next sweep tries again
        db.session.rollback()
        log.exception("The auto-close sweep failed")
