"""Helpers for the live-room tests: sharing as a caregiver, reading a share, reading SSE text."""

from __future__ import annotations

import json
import secrets

from flask import Flask

from storytime.extensions import db
from storytime.models import Share, Storytime
from storytime.share.service import create_share, phone_hash


def post_share(
    app: Flask,
    storytime_id: int,
    kind: str = "tip",
    text: str = "Sing it twice",
    *,
    name: str | None = None,
    allow_screen: bool = True,
    phone: str = "phone-one",
) -> int:
    """Share as a caregiver would (through the share service); return the share id."""
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        share, _new = create_share(
            storytime,
            kind=kind,
            text=text,
            name=name,
            allow_screen=allow_screen,
            client_id=secrets.token_urlsafe(12),
            phone=phone_hash(phone),
        )
        return share.id


def share_state(app: Flask, share_id: int) -> Share | None:
    """Return the share as stored now (detached), or None when deleted."""
    with app.app_context():
        share = db.session.get(Share, share_id)
        if share is not None:
            db.session.expunge(share)
        return share


def parse_sse(text: str) -> list[dict]:
    """Split SSE text into frames: {"id", "event", "data", "comment"} (missing keys absent)."""
    frames = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        frame: dict = {}
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "":
                frame.setdefault("comment", []).append(value)
            elif field == "data":
                frame["data"] = json.loads(value)
            else:
                frame[field] = value
        frames.append(frame)
    return frames


def events_of(frames: list[dict]) -> list[dict]:
    """Return only the frames that carry an event."""
    return [frame for frame in frames if "event" in frame]
