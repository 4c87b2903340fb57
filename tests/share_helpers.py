"""Make storytimes for the caregiver tests straight from the models."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from storytime.extensions import db
from storytime.models import Prompt, Share, Storytime
from storytime.storytimes.service import new_code, new_display_token

QUESTIONS = {
    "hello": "Say hello to the group",
    "tip": "A tip for travelling with little ones",
    "song": "Your child's favourite song",
    "question": "Anything you would like to ask?",
    "idea": "What would you like from the library?",
}


def make_storytime(
    app: Flask,
    branch_id: int,
    *,
    state: str = "open",
    kinds: tuple[str, ...] = ("hello", "tip", "song", "question", "idea"),
    moderation: str = "instant",
    theme: str = "Transportation",
    title: str = "Baby Bounce",
) -> str:
    """Create a storytime and return its join code."""
    with app.app_context():
        storytime = Storytime(
            branch_id=branch_id,
            title=title,
            starts_at=datetime(2030, 5, 6, 10, 30, tzinfo=UTC),
            theme=theme,
            moderation=moderation,
            code=new_code(),
            display_token=new_display_token(),
            state=state,
            prompts=[
                Prompt(kind=kind, question=QUESTIONS[kind], position=i)
                for i, kind in enumerate(kinds)
            ],
        )
        db.session.add(storytime)
        db.session.commit()
        return storytime.code


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
