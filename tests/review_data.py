"""Helpers for the review tests: shares made through the share service, then flagged."""

from __future__ import annotations

import itertools

from flask import Flask

from storytime.extensions import db
from storytime.models import Share, Storytime
from storytime.share.service import create_share, phone_hash

_client_ids = itertools.count(1)


def add_share(
    app: Flask,
    storytime_id: int,
    kind: str,
    text: str,
    *,
    allow_screen: bool = True,
    name: str | None = None,
    phone: str = "phone-1",
    **flags: object,
) -> int:
    """Share through the real service (the storytime must be open), then set flags; return id."""
    with app.app_context():
        st = db.session.get(Storytime, storytime_id)
        share, _new = create_share(
            st,
            kind=kind,
            text=text,
            name=name,
            allow_screen=allow_screen,
            client_id=f"client-{next(_client_ids):06d}",
            phone=phone_hash(phone),
        )
        if flags:
            share = db.session.get(Share, share.id)
            for key, value in flags.items():
                setattr(share, key, value)
            db.session.commit()
        return share.id


def set_state(app: Flask, storytime_id: int, state: str) -> None:
    """Change a storytime's state directly."""
    with app.app_context():
        db.session.get(Storytime, storytime_id).state = state
        db.session.commit()
