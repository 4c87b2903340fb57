"""Many phones posting to one storytime at once, on SQLite: no "database is locked", ever."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import pytest
from real_server import HttpPhone

pytestmark = pytest.mark.slow

PHONES = 40
SHARES_PER_PHONE = 5


def test_forty_phones_sharing_at_once_are_all_acknowledged_and_stored(server):
    code, storytime_id = server.seed()
    server.start()
    phones = [HttpPhone(server, code) for _ in range(PHONES)]
    for phone in phones:
        phone.open_page()
    start = threading.Barrier(PHONES)

    def send(phone: HttpPhone, number: int) -> None:
        start.wait(30)  # everyone at once
        for i in range(SHARES_PER_PHONE):
            phone.share(f"Song {i} from phone {number} 🎵")

    threads = [threading.Thread(target=send, args=(p, n)) for n, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    statuses = Counter(s for p in phones for s in p.statuses)
    assert statuses == {201: PHONES * SHARES_PER_PHONE}, statuses
    assert all(not p.unanswered for p in phones)
    log = server.log.read_text()
    assert "database is locked" not in log
    assert "Traceback" not in log
    with sqlite3.connect(server.database()) as connection:
        stored = Counter(
            row[0]
            for row in connection.execute(
                "SELECT client_id FROM share WHERE storytime_id = ?", (storytime_id,)
            )
        )
    acknowledged = {cid for p in phones for cid in p.acknowledged}
    assert set(stored) == acknowledged and all(n == 1 for n in stored.values())
    for phone in phones:
        phone.close()
