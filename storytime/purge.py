"""Purge personal text from old shares, keeping kinds and counts for the review charts.

What a purge removes from every share older than the cut-off (see docs/privacy.md):

- the caregiver's first name;
- the text of staff-only shares (never meant for anyone but the librarian), the text
  of every `hello` (introductions name children), and the text of tips, questions and
  ideas meant for the screen that the librarian did not star for the public recap,
  along with staff notes on them;
- the link between a phone's shares across storytimes: the phone's hash is replaced
  by one that is the same within one storytime only, so "phones that shared" still counts
  (the phone's younger shares in that storytime, if any, get the same replacement);
- the words of a staff-only song from the songbook, when any were there (see songbook/service.py);
- the two comments of check-ins answered before the cut-off's day, and the link between a
  phone's check-ins across storytimes (their answers to the statements stay).

What it keeps: each share's kind, storytime, times and flags, the songbook entry a song
was filed under, the titles of songs meant for the screen (the songbook's variants), and
starred on-screen tips, questions and ideas, which the library keeps for the recap.
Every count the review pages, charts, songbook and exports show is the same after it.
Each purged share gets `purged_at`; a second run finds nothing left to change.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import Flask
from flask.cli import with_appcontext

from storytime.database import begin_write, erases_text
from storytime.extensions import db
from storytime.models import CheckIn, Share, now_utc
from storytime.songbook.service import tidy_at_commit

DURATION_PATTERN = re.compile(r"^\s*(\d{1,5})\s*([dw])\s*$", re.IGNORECASE)
BATCH_SIZE = 500
DAY = 24 * 60 * 60


@dataclass
class PurgeReport:
    """What one purge changed."""

    cutoff: datetime
    shares: int = 0
    names: int = 0
    texts: int = 0
    checkins: int = 0

    def summary(self) -> str:
        """Describe the purge in one line for the operator."""
        line = (
            f"Purged {self.shares} share(s) older than {self.cutoff:%Y-%m-%d %H:%M} UTC: "
            f"removed {self.names} name(s) and {self.texts} text(s); kinds and counts kept."
        )
        if self.checkins:
            line += f" Emptied the comments of {self.checkins} check-in(s); their numbers kept."
        return line


def parse_age(value: str) -> timedelta:
    """Turn "90d" or "12w" into a duration; raise ValueError for anything else."""
    match = DURATION_PATTERN.match(value or "")
    if not match:
        raise ValueError(f"{value!r} is not an age like 90d (days) or 12w (weeks)")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount < 1:
        raise ValueError("the age must be at least one day")
    return timedelta(days=amount * (7 if unit == "w" else 1))


def keeps_text(share: Share) -> bool:
    """Return whether a purge keeps this share's text (the library kept it for the public)."""
    if not share.allow_screen or share.kind == "hello":
        return False
    # Song titles feed the songbook's variants; other kinds only when starred for the recap.
    return share.kind == "song" or share.starred


def _unlinked_phone(storytime_id: int, phone: str) -> str:
    """Return a phone hash that groups one storytime's shares but no longer links storytimes."""
    if not phone:
        return ""
    return hashlib.sha256(f"purged:{storytime_id}:{phone}".encode()).hexdigest()


def _unlink_phones(batch: list[Share]) -> None:
    """Give each phone of the batch its per-storytime hash, on all its shares in that storytime.

    A storytime whose shares straddle the cut-off keeps one phone per family: the
    younger shares take the same hash now, and keep it when their turn comes (a hash
    that purged shares of the storytime already carry is not hashed again).
    """
    pairs = {(share.storytime_id, share.phone) for share in batch if share.phone}
    if not pairs:
        return
    unlinked = {
        (storytime_id, phone)
        for storytime_id, phone in db.session.execute(
            db.select(Share.storytime_id, Share.phone)
            .where(
                Share.purged_at.is_not(None),
                Share.storytime_id.in_({storytime_id for storytime_id, _ in pairs}),
            )
            .distinct()
        )
    }
    for storytime_id, phone in sorted(pairs - unlinked):
        db.session.execute(
            db.update(Share)
            .where(Share.storytime_id == storytime_id, Share.phone == phone)
            .values(phone=_unlinked_phone(storytime_id, phone))
        )


def purge(older_than: timedelta, now: datetime | None = None) -> PurgeReport:
    """Purge shares created before now - older_than; safe to run again at any time."""
    report = PurgeReport(cutoff=(now or now_utc()) - older_than)
    while True:
        # Short write transactions in batches: live storytimes keep sharing meanwhile.
        begin_write()
        batch = list(
            db.session.execute(
                db.select(Share)
                .where(Share.purged_at.is_(None), Share.created_at < report.cutoff)
                .order_by(Share.id)
                .limit(BATCH_SIZE)
            ).scalars()
        )
        if not batch:
            db.session.commit()
            _purge_checkins(report)
            return report
        stamp = now_utc()
        _unlink_phones(batch)
        for share in batch:
            report.shares += 1
            if share.name:
                report.names += 1
            share.name = None
            if not keeps_text(share):
                if share.text:
                    report.texts += 1
                    if share.kind == "song":
                        tidy_at_commit(share.song_entry_id)
                share.text = ""
                share.note = ""
            share.purged_at = stamp
        erases_text()  # each batch: an interrupted purge still leaves nothing on disk
        db.session.commit()


def _purge_checkins(report: PurgeReport) -> None:
    """Empty the comments of check-ins answered before the cut-off's day; keep the numbers.

    Their phone hash becomes one per storytime, like a purged share's: one check-in per
    phone still holds, but nothing links a family's check-ins across storytimes any more.
    """
    begin_write()
    cutoff_day = report.cutoff.date()
    old = list(
        db.session.execute(
            db.select(CheckIn).where(CheckIn.purged_on.is_(None), CheckIn.answered_on < cutoff_day)
        ).scalars()
    )
    today = now_utc().date()
    for checkin in old:
        report.checkins += 1
        checkin.liked = checkin.wish = ""
        checkin.phone = _unlinked_phone(checkin.storytime_id, checkin.phone)
        checkin.purged_on = today
    if old:
        erases_text()
    db.session.commit()


def start_schedule(app: Flask) -> PurgeThread | None:
    """Purge now and then once a day in a daemon thread, when PURGE_AFTER_DAYS is set."""
    days = int(app.config.get("PURGE_AFTER_DAYS") or 0)
    if days <= 0:
        return None
    thread = PurgeThread(app, days)
    thread.start()
    return thread


class PurgeThread(threading.Thread):
    """Purge at start and then every day until `stop` is set (a daemon: exits with the server)."""

    def __init__(self, app: Flask, days: int) -> None:
        super().__init__(name="storytime-purge", daemon=True)
        self.app, self.days = app, days
        self.stop = threading.Event()
        self.first_run = threading.Event()

    def run(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    report = purge(timedelta(days=self.days))
                self.app.logger.info("%s", report.summary())
            except Exception:
                self.app.logger.exception("Scheduled purge failed; will try again tomorrow")
            self.first_run.set()
            if self.stop.wait(DAY):
                return


@click.command("purge")
@click.option(
    "--older-than",
    "older_than",
    required=True,
    help="Age of shares to purge: days or weeks, e.g. 90d or 12w.",
)
@with_appcontext
def purge_command(older_than: str) -> None:
    """Remove names and personal text from shares older than --older-than (safe to rerun)."""
    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    click.echo(purge(age).summary())
