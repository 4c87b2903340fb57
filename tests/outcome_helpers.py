"""Make check-ins for the outcome tests through the service, on any day, from any phone."""

from __future__ import annotations

from datetime import date

from flask import Flask

from storytime.extensions import db
from storytime.models import CheckIn, Storytime
from storytime.outcomes import service
from storytime.share.service import phone_hash


def phone(name: str) -> str:
    """Return the stored hash of a named test phone."""
    return phone_hash(f"test-phone-{name}-0123456789")


def check_in(
    app: Flask,
    storytime_id: int,
    who: str,
    answers: dict,
    *,
    on: date | None = None,
    comments: dict | None = None,
    client_id: str | None = None,
) -> tuple[str, bool]:
    """Check a named phone in to a storytime on a day; return the kind it was asked."""
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        saved, stored = service.check_in(
            storytime,
            phone(who),
            client_id=client_id or f"client-{who}-{storytime_id}",
            answers=answers,
            comments=comments,
            today=on,
        )
        return saved.kind, stored


def stored(app: Flask) -> list[CheckIn]:
    """Return every stored check-in, detached, oldest first."""
    with app.app_context():
        rows = list(db.session.execute(db.select(CheckIn).order_by(CheckIn.id)).scalars())
        db.session.expunge_all()
        return rows
