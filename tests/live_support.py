"""Helpers for the live-room tests: sharing as a caregiver, reading a share, reading SSE text."""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time

import pytest
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


def read_stream(client, url: str) -> queue.Queue:
    """Read a live stream in a thread; its text arrives on the queue, then None at the end."""
    chunks: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            response = client.get(url, buffered=False)
            for chunk in response.response:
                chunks.put(chunk.decode() if isinstance(chunk, bytes) else chunk)
            response.close()
        finally:
            chunks.put(None)

    threading.Thread(target=run, daemon=True).start()
    return chunks


def text_until(chunks: queue.Queue, needle: str, seconds: float) -> str:
    """Return the stream's text once it holds `needle`; fail after `seconds`."""
    text, deadline = "", time.monotonic() + seconds
    while needle not in text:
        try:
            chunk = chunks.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            pytest.fail(f"{needle!r} did not arrive within {seconds} s: {text!r}")
        assert chunk is not None, f"the stream ended without {needle!r}: {text!r}"
        text += chunk
    return text
