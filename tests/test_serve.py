"""The embedded server: request slots (a few ordinary requests at once, streams always), stopping."""

from __future__ import annotations

import queue
import signal
import sqlite3
import threading

import httpx
import psutil
import pytest

from storytime.serve import HotThreadsQueue, RequestSlots


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


@pytest.mark.slow
def test_sigterm_stops_the_server_and_ends_its_open_streams(server):
    _code, storytime_id = server.seed()
    with sqlite3.connect(server.database()) as connection:
        (token,) = connection.execute(
            "SELECT display_token FROM storytime WHERE id = ?", (storytime_id,)
        ).fetchone()
    server.start()
    opened, outcome = threading.Event(), queue.Queue()

    def follow() -> None:
        url = f"{server.url}/api/v1/storytimes/{storytime_id}/stream"
        try:
            with httpx.stream("GET", url, params={"token": token}, timeout=30) as response:
                for _chunk in response.iter_raw():
                    opened.set()
            outcome.put("ended")
        except httpx.HTTPError as error:
            outcome.put(repr(error))

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    assert opened.wait(10), "the display's stream did not open"
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=20) == 0
    # The stream was ended by the server, not cut: a screen reconnects from there.
    assert outcome.get(timeout=5) == "ended"


def _threads_used(queue_: queue.Queue, consumers: int, jobs: int) -> set[str]:
    """Hand `jobs` items one at a time to `consumers` waiting threads; return who took them."""
    used: set[str] = set()
    done = threading.Semaphore(0)

    def consume() -> None:
        while (item := queue_.get()) is not None:
            used.add(threading.current_thread().name)
            item.release()

    threads = [threading.Thread(target=consume, name=f"c{n}") for n in range(consumers)]
    for thread in threads:
        thread.start()
    for _ in range(jobs):
        queue_.put(done)
        assert done.acquire(timeout=10)
    for _ in threads:
        queue_.put(None)
    for thread in threads:
        thread.join(10)
    return used


def test_work_goes_to_the_thread_idle_last_not_round_all_of_them():
    # A plain queue wakes the longest waiter: one job at a time visits every thread.
    assert len(_threads_used(queue.Queue(), consumers=20, jobs=60)) > 10
    assert len(_threads_used(HotThreadsQueue(), consumers=20, jobs=60)) <= 2


@pytest.mark.slow
def test_the_server_keeps_requests_on_a_few_warm_threads(server):
    code, _storytime_id = server.seed()
    server.start()  # 64 threads (tests/real_server.py)
    process = psutil.Process(server.process.pid)
    before = {thread.id: thread.user_time + thread.system_time for thread in process.threads()}
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for _ in range(400):  # one at a time, like a quiet room; ~5 ms of CPU each
            assert client.get(f"/j/{code}").status_code == 200
    worked = [
        thread.id
        for thread in process.threads()
        if thread.user_time + thread.system_time > before.get(thread.id, 0.0)
    ]
    # Every thread that ran a request keeps its pages: round all 64 is what grew memory.
    assert len(worked) <= 8, f"{len(worked)} threads ran 400 sequential requests"
