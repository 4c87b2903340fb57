"""Database engine settings and the write-transaction helper."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from storytime.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000
IMMEDIATE = "storytime_immediate"


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
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write() -> None:
    """Start the session's write transaction; call before reading what you will change."""
    if db.session().in_transaction():  # scoped_session does not proxy in_transaction
        db.session.commit()
    db.session.connection(execution_options={IMMEDIATE: True})


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
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
