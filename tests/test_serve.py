"""The embedded server's request slots: a few ordinary requests at once, streams always."""

from __future__ import annotations

import threading

import pytest

from storytime.serve import RequestSlots


def _app(started: threading.Event, release: threading.Event):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            started.set()
            release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    return app


def _call(app, path: str) -> bytes:
    return b"".join(app({"PATH_INFO": path}, lambda status, headers: None))


@pytest.fixture
def busy():
    """One slot, taken by a request that waits until the test lets it go."""
    started, release = threading.Event(), threading.Event()
    slots = RequestSlots(_app(started, release), 1)
    holder = threading.Thread(target=_call, args=(slots, "/slow"))
    holder.start()
    assert started.wait(30)
    yield slots, release
    release.set()
    holder.join(30)


def test_a_live_stream_does_not_wait_for_a_slot(busy):
    slots, _release = busy
    assert _call(slots, "/api/v1/storytimes/1/stream") == b"/api/v1/storytimes/1/stream"


def test_an_ordinary_request_waits_for_a_free_slot_then_runs(busy):
    slots, release = busy
    answers: list[bytes] = []
    waiting = threading.Thread(target=lambda: answers.append(_call(slots, "/j/ABC")))
    waiting.start()
    assert not slots._slots.acquire(blocking=False)  # the only slot is still taken
    release.set()
    waiting.join(30)
    assert answers == [b"/j/ABC"]
