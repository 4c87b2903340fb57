"""Helpers for the review tests: storytimes and shares made through the models and services."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from flask import Flask

from storytime.admin.service import create_branch, find_branch
from storytime.extensions import db
from storytime.models import KINDS, Prompt, Share, Storytime
from storytime.share.service import create_share, phone_hash
from storytime.storytimes.service import new_code, new_display_token

_client_ids = itertools.count(1)


def make_storytime(
    app: Flask,
    branch: str = "central",
    *,
    title: str = "Baby Rhyme Time",
    starts_at: datetime | None = None,
    audience: str = "babies",
    theme: str = "",
    state: str = "open",
) -> int:
    """Create a storytime open for every kind of share; return its id."""
    with app.app_context():
        found = find_branch(branch) or create_branch(branch.title(), branch)
        st = Storytime(
            branch_id=found.id,
            title=title,
            starts_at=starts_at or datetime(2025, 3, 4, 10, 30, tzinfo=UTC),
            audience=audience,
            theme=theme,
            state="open",
            code=new_code(),
            display_token=new_display_token(),
            prompts=[Prompt(kind=kind, position=i) for i, kind in enumerate(KINDS)],
        )
        db.session.add(st)
        db.session.commit()
        if state != "open":
            st.state = state
            db.session.commit()
        return st.id


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
