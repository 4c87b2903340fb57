"""Read back what caregivers shared, for the caregiver tests."""

from __future__ import annotations

from flask import Flask

from storytime.extensions import db
from storytime.models import Share


def share_count(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count(Share.id))).scalar_one()


def shares(app: Flask) -> list[dict]:
    """Return every stored share as a plain dict, oldest first."""
    with app.app_context():
        rows = db.session.execute(db.select(Share).order_by(Share.id)).scalars()
        return [
            {
                "id": s.id,
                "kind": s.kind,
                "text": s.text,
                "name": s.name,
                "allow_screen": s.allow_screen,
                "on_screen": s.on_screen,
                "held": s.held,
                "phone": s.phone,
                "client_id": s.client_id,
            }
            for s in rows
        ]
