"""Database engine settings, the write-transaction helper and the retry after a lost connection."""

from __future__ import annotations

import functools
import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from storytime.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000
IMMEDIATE = "storytime_immediate"
WRITER_KEY = "storytime_writer_lock"
_writer_locks: dict[str, threading.Lock] = {}
_writer_locks_guard = threading.Lock()
ERASES_KEY = "storytime_erases_text"
CHECKPOINT_KEY = "storytime_checkpoint_due"
# A checkpoint waiting for readers holds new writers back meanwhile: wait briefly, then
# step aside and retry in the background, so sharing never stalls behind a long read.
CHECKPOINT_BUSY_TIMEOUT_MS = 100
CHECKPOINT_ATTEMPTS = 3
CHECKPOINT_PAUSE_SECONDS = 0.05
CHECKPOINT_RETRY_SECONDS = 1.0
CHECKPOINT_RETRY_FOR_SECONDS = 600.0
_retrying: set[str] = set()
_retrying_guard = threading.Lock()
# SQLSTATEs of a connection the server ended: class 08 (connection exception), and the
# server shutting down, crashing, or ending the session (pg_terminate_backend).
LOST_CONNECTION_STATES = ("57P01", "57P02", "57P03")
log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL, a busy timeout and foreign keys for every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event emit BEGIN itself (see _begin_sqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # Deleted and purged text is overwritten on disk, not left in free pages.
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection: Any) -> None:
    """Begin SQLite transactions, taking the write lock up front for writes.

    A deferred transaction that reads and then writes fails at once with
    "database is locked" when another writer got in between, whatever the busy
    timeout; BEGIN IMMEDIATE waits for the lock instead.
    """
    if connection.dialect.name != "sqlite":
        return
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    if not immediate:
        connection.exec_driver_sql("BEGIN")
        return
    _queue_for_writing(connection)  # released when the connection returns to the pool
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _queue_for_writing(connection: Any) -> None:
    """Wait for this process's other writers in Python, not in SQLite's busy handler.

    The busy handler sleeps between polls; this lock per database file hands the turn
    over as soon as the previous writer's connection is returned (see
    docs/performance.md, Writers). Other processes still meet the busy timeout; a
    writer that waited that long here goes ahead and lets SQLite decide.
    """
    key = str(connection.engine.url)
    with _writer_locks_guard:
        lock = _writer_locks.setdefault(key, threading.Lock())
    if lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        connection.info[WRITER_KEY] = lock


@event.listens_for(Pool, "checkin")
def _release_writer(_dbapi_connection: Any, record: Any) -> None:
    """Let the next writer in once a write transaction's connection is returned."""
    lock = record.info.pop(WRITER_KEY, None) if record is not None else None
    if lock is not None:
        lock.release()


def begin_write() -> None:
    """Start the session's write transaction; call before reading what you will change."""
    if db.session().in_transaction():  # scoped_session does not proxy in_transaction
        db.session.commit()
    db.session.connection(execution_options={IMMEDIATE: True})


def commit_keeping(*objects: Any) -> None:
    """Commit, leaving `objects` loaded with what was just written; expire the rest as usual.

    Answering from an object expired by the commit would read it back in a new
    transaction; these objects' values are exactly what the transaction wrote.
    """
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous
    if previous:
        kept = {id(obj) for obj in objects}
        for obj in list(session.identity_map.values()):
            if id(obj) not in kept:
                session.expire(obj)


def is_disconnect(exc: BaseException) -> bool:
    """Return whether `exc` says the database connection was lost or could not be made.

    SQLAlchemy marks an error that invalidated its connection; a connection that fails
    to open (PostgreSQL restarting, refusing) is a psycopg OperationalError without a
    SQLSTATE. A refused query (a lock timeout, a deadlock, SQLite's "database is
    locked") is not a disconnect.
    """
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig
    psycopg = sys.modules.get("psycopg")  # never imported on SQLite: no psycopg error then
    if psycopg is None or not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in LOST_CONNECTION_STATES


def disconnect_reason(exc: BaseException) -> str:
    """Return the driver's first line about a lost connection (no SQL, no values)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else 'connection lost'}"


def retry_once_if_disconnected(work: Callable[P, T]) -> Callable[P, T]:
    """Run `work` once more, from the start, when the database connection was lost during it.

    Only for work that is one transaction and safe to repeat (a share or check-in found
    again by its client id) and that starts with nothing of the caller's pending in the
    session: the lost transaction is rolled back whole. The pool replaces the dead
    connection (and, with pool_pre_ping, every other one the server dropped). A second
    loss is raised for the error handler to answer 503.
    """

    @functools.wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return work(*args, **kwargs)
        except DBAPIError as exc:
            if not is_disconnect(exc):
                raise
            reason = disconnect_reason(exc)
        # Outside the except block: a second failure is not chained to the first.
        db.session.rollback()
        log.warning(
            "Database connection lost during %s (%s); trying once more", work.__name__, reason
        )
        return work(*args, **kwargs)

    return run


def erases_text() -> None:
    """Mark the session's transaction as removing text; once committed, it leaves the disk.

    Called by the services that delete, replace or purge what caregivers wrote. In WAL
    mode the old page images stay in `storytime.sqlite-wal` until a checkpoint, even with
    `secure_delete`: a backup copied meanwhile would keep them. Sharing never calls it.
    """
    db.session().info[ERASES_KEY] = True


@event.listens_for(Session, "after_commit")
def _note_committed_erase(session: Session) -> None:
    """Remember that the committed transaction removed text (a dict lookup otherwise)."""
    if session.info.pop(ERASES_KEY, False):
        session.info[CHECKPOINT_KEY] = True


@event.listens_for(Session, "after_rollback")
def _forget_erasing(session: Session) -> None:
    """Nothing was removed by a transaction rolled back."""
    session.info.pop(ERASES_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _checkpoint_after_erasing(session: Session, transaction: Any) -> None:
    """Truncate the WAL once the erasing transaction's connection is back in the pool.

    Not in after_commit: there the connection still holds this process's writer lock
    (see _queue_for_writing), and every share would wait for the checkpoint.
    """
    if transaction.parent is not None or not session.info.pop(CHECKPOINT_KEY, False):
        return
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not checkpoint(path, CHECKPOINT_ATTEMPTS):
            _retry_later(path)


def checkpoint(path: str, attempts: int = 1) -> bool:
    """Copy the WAL into the database file and truncate it to zero bytes; True when done.

    Busy while another connection still reads an older snapshot (a request mid-read;
    live streams hold none between events). Its own short-lived connection: nothing
    from the pool is held, and a missing file is never created.
    """
    uri = Path(path).resolve().as_uri() + "?mode=rw"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=CHECKPOINT_BUSY_TIMEOUT_MS / 1000)
    except sqlite3.OperationalError:
        return True  # the database is gone: nothing left on disk to erase
    try:
        for attempt in range(attempts):
            if attempt:
                time.sleep(CHECKPOINT_PAUSE_SECONDS)
            try:
                busy, _frames, _copied = connection.execute(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                ).fetchone()
            except sqlite3.OperationalError:  # locked past the short timeout: busy too
                busy = 1
            if not busy:
                return True
        return False
    finally:
        connection.close()


def _retry_later(path: str) -> None:
    """Keep trying in the background until the WAL is truncated; warn if it never is."""
    with _retrying_guard:
        if path in _retrying:
            return
        _retrying.add(path)

    def run() -> None:
        try:
            deadline = time.monotonic() + CHECKPOINT_RETRY_FOR_SECONDS
            while time.monotonic() < deadline:
                time.sleep(CHECKPOINT_RETRY_SECONDS)
                if checkpoint(path):
                    return
            log.warning(
                "Deleted text may remain in %s-wal: a reader kept it busy for %.0f s",
                path,
                CHECKPOINT_RETRY_FOR_SECONDS,
            )
        finally:
            with _retrying_guard:
                _retrying.discard(path)

    log.info("The WAL checkpoint after a delete was busy; retrying in the background")
    threading.Thread(target=run, name="storytime-checkpoint", daemon=True).start()


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy with engine options suited to the configured database."""
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if app.config["IS_SQLITE"]:
        options.setdefault("connect_args", {}).setdefault("check_same_thread", False)
    else:
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)


def upgrade_database(app: Flask) -> None:
    """Create or migrate the schema to the newest revision."""
    with app.app_context():
        upgrade()
