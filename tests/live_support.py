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


WAIT = 10  # seconds a test waits for a frame that comes at once when it works


def read_stream(client, url: str, threads: list[threading.Thread], **kwargs) -> queue.Queue:
    """Read a live stream in a thread added to `threads`; text chunks arrive, then None.

    Join the threads before the app goes, or a reader left running opens a connection
    after teardown. A stream that does not answer 200 fails the test from its thread.
    """
    chunks: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            response = client.get(url, buffered=False, **kwargs)
            assert response.status_code == 200, response.status_code
            for chunk in response.response:
                chunks.put(chunk.decode() if isinstance(chunk, bytes) else chunk)
            response.close()
        finally:
            chunks.put(None)

    thread = threading.Thread(target=run, daemon=True)
    threads.append(thread)
    thread.start()
    return chunks


def wait_for(chunks: queue.Queue, predicate, seconds: float | None = None) -> tuple[str, bool]:
    """Read chunks until `predicate(text so far)` holds or the stream ends; return the text.

    With `seconds`, fail once that long has passed without the predicate holding.
    """
    text = ""
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        timeout = WAIT if deadline is None else max(deadline - time.monotonic(), 0.01)
        try:
            chunk = chunks.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"the stream sent nothing awaited within {timeout:.0f} s: {text!r}")
        if chunk is None:
            return text, False
        text += chunk
        if predicate(text):
            return text, True
