"""Inject PostgreSQL faults into a test's own app: a backend ended at a chosen statement,
or right after a COMMIT landed, as an operator, a failover or an idle timeout would."""

from __future__ import annotations

import re
import time

from sqlalchemy import event

SERVER = "postgresql://postgres@127.0.0.1:5432"
GONE_DEADLINE_SECONDS = 10


def admin_connection():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3)


def end_backend(admin, pid: int) -> None:
    """End a backend as an operator would, and wait until it is surely gone."""
    assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    # Its next statement must meet a dead socket, not race the backend's exit.
    deadline = time.monotonic() + GONE_DEADLINE_SECONDS
    while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
        assert time.monotonic() < deadline, f"backend {pid} still there"
        time.sleep(0.01)


class Killer:
    """End the request's database backend when it is about to run a matching statement."""

    def __init__(self, engine, pattern: re.Pattern, times: int) -> None:
        self.engine, self.pattern, self.left = engine, pattern, times
        self.killed: list[int] = []
        event.listen(engine, "before_cursor_execute", self._maybe_kill)

    def _maybe_kill(self, _conn, cursor, statement, _params, _context, _many) -> None:
        if self.left <= 0 or not self.pattern.match(statement):
            return
        self.left -= 1
        pid = cursor.connection.info.backend_pid
        with admin_connection() as admin:
            end_backend(admin, pid)
        self.killed.append(pid)

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._maybe_kill)


class LostAnswer:
    """Let the next COMMIT after a matching statement land, then lose its answer.

    The backend is ended right after it committed, and the commit call then meets the
    dead socket: the client cannot tell that the transaction was saved.
    """

    def __init__(self, engine, pattern: re.Pattern) -> None:
        self.engine, self.pattern = engine, pattern
        self.armed, self.landed = False, 0
        self._commit = engine.dialect.do_commit
        engine.dialect.do_commit = self._lose_answer
        event.listen(engine, "before_cursor_execute", self._arm)

    def _arm(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        if not self.landed and self.pattern.match(statement):
            self.armed = True

    def _lose_answer(self, pooled) -> None:
        self._commit(pooled)
        if not self.armed:
            return
        self.armed, self.landed = False, self.landed + 1
        psycopg_connection = pooled.driver_connection
        with admin_connection() as admin:
            end_backend(admin, psycopg_connection.info.backend_pid)
        psycopg_connection.execute("SELECT 1")  # raises, as the lost answer would have

    def remove(self) -> None:
        del self.engine.dialect.do_commit
        event.remove(self.engine, "before_cursor_execute", self._arm)
