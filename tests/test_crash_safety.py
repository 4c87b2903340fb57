"""Crash safety: kill the real server mid-burst; every acknowledged share survives, once."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import pytest
from real_server import HttpPhone, Server

pytestmark = pytest.mark.slow

PHONES = 16
SHARES_PER_PHONE = 25
KILL_AFTER = 80  # acknowledged shares before the SIGKILL: the burst is still going


def stored_client_ids(server: Server) -> Counter[str]:
    with sqlite3.connect(server.database()) as connection:
        rows = connection.execute("SELECT client_id FROM share").fetchall()
    return Counter(row[0] for row in rows)


def test_every_acknowledged_share_survives_a_sigkill_exactly_once(server):
    code, _storytime_id = server.seed()
    server.start()
    phones = [HttpPhone(server, code) for _ in range(PHONES)]
    for phone in phones:
        phone.open_page()

    acknowledged = threading.Semaphore(0)
    stop = threading.Event()

    def burst(phone: HttpPhone, number: int) -> None:
        for i in range(SHARES_PER_PHONE):
            if stop.is_set():
                return
            status = phone.share(f"Tip {i} from phone {number}")
            if status is None:
                return  # the server is gone
            if status in (200, 201):
                acknowledged.release()

    threads = [
        threading.Thread(target=burst, args=(phone, n), daemon=True)
        for n, phone in enumerate(phones)
    ]
    for thread in threads:
        thread.start()
    for _ in range(KILL_AFTER):
        assert acknowledged.acquire(timeout=60), "the burst stalled before the kill"
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(60)

    sent = sum(len(p.acknowledged) for p in phones)
    assert sent >= KILL_AFTER
    assert sent < PHONES * SHARES_PER_PHONE, "the kill came after the burst: nothing tested"

    server.start()  # the same instance: SQLite recovers its WAL on open
    stored = stored_client_ids(server)
    for phone in phones:
        for client_id in phone.acknowledged:
            assert stored[client_id] == 1, (
                f"acknowledged share {client_id} stored {stored[client_id]} times"
            )
        # The phone sees each of its acknowledged shares once after the restart.
        mine = Counter(share["client_id"] for share in phone.mine())
        assert all(mine[cid] == 1 for cid in phone.acknowledged)
    assert all(n == 1 for n in stored.values())

    # Phones resend what got no answer: saved ones come back as the same share, never twice.
    for phone in phones:
        for client_id, text in list(phone.unanswered.items()):
            assert phone.share(text, client_id) in (200, 201)
    after = stored_client_ids(server)
    assert all(n == 1 for n in after.values())
    assert set(after) >= {cid for p in phones for cid in p.acknowledged}
    statuses = Counter(s for p in phones for s in p.statuses)
    assert not [s for s in statuses if s >= 500], statuses
    print(f"acknowledged before the kill: {sent}; statuses: {dict(statuses)}")
    for phone in phones:
        phone.close()
