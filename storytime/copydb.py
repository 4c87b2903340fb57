"""Move an install's data to another database: `flask --app storytime copy-db --to URL`.

The usual use is growing from the embedded SQLite file to PostgreSQL. The target's
schema is created by the migrations (so it is exactly what `init-db` would make,
with its Alembic revision), then every table is copied in dependency order in one
transaction: a failure leaves the target as it was. On PostgreSQL the id sequences
are then moved past the copied ids, or the next insert would collide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, Table, create_engine, func, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from storytime import create_app
from storytime.database import upgrade_database
from storytime.extensions import db

BATCH_ROWS = 1000


class CopyError(Exception):
    """The copy cannot be made; the message says why, for the operator."""


@dataclass
class CopyReport:
    """Rows copied per table, in the order they were copied."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def normalise_url(url: str) -> str:
    """Accept the URL forms hosts hand out and use the psycopg 3 driver for PostgreSQL."""
    url = url.strip()
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def tables() -> list[Table]:
    """Return every table of the models, parents before children."""
    return list(db.metadata.sorted_tables)


def row_counts(connection: Connection) -> dict[str, int]:
    """Count the rows of every model table on a connection."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in tables()
    }


def prepare_schema(url: str) -> None:
    """Create or upgrade the target's tables with the migrations, as `init-db` would."""
    target_app = create_app(
        {
            "DATABASE_URL": url,
            "AUTO_MIGRATE": False,
            "REDIS_URL": "",
            "INSTANCE_PATH": current_app.instance_path,
            "SECRET_KEY": current_app.config["SECRET_KEY"],
        }
    )
    try:
        upgrade_database(target_app)
    finally:
        with target_app.app_context():
            db.engine.dispose()
        target_app.extensions["storytime_notifier"].close()


def _clear(connection: Connection) -> None:
    """Empty the target's tables, children first."""
    if connection.dialect.name == "postgresql":
        names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables())
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in reversed(tables()):
        connection.execute(table.delete())


def _copy_table(source: Connection, target: Connection, table: Table) -> int:
    """Copy one table in batches, in primary-key order; return the rows copied."""
    copied = 0
    result = source.execution_options(yield_per=BATCH_ROWS).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    for batch in result.partitions(BATCH_ROWS):
        target.execute(table.insert(), [dict(row._mapping) for row in batch])
        copied += len(batch)
    return copied


def fix_sequences(connection: Connection) -> None:
    """Move each PostgreSQL id sequence past the largest copied id."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in tables():
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or columns[0].autoincrement is False:
            continue
        column = columns[0]
        if not issubclass(column.type.python_type, int):
            continue
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": quote(table.name), "column": column.name},
        ).scalar_one()
        if sequence is None:
            continue
        # is_called=false: the next nextval() returns exactly max + 1 (1 on an empty table).
        connection.execute(
            text(
                f"SELECT setval(:sequence, COALESCE((SELECT MAX({quote(column.name)}) "
                f"FROM {quote(table.name)}), 0) + 1, false)"
            ),
            {"sequence": sequence},
        )


def copy_database(
    source: Engine,
    target_url: str,
    *,
    force: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy every table from `source` to the database at `target_url`."""
    target_url = normalise_url(target_url)
    try:
        parsed = make_url(target_url)
    except ArgumentError as exc:
        raise CopyError(
            f"{target_url!r} is not a database URL; e.g. "
            "postgresql+psycopg://user:password@host/storytime"
        ) from exc
    if parsed.render_as_string(hide_password=False) == source.url.render_as_string(
        hide_password=False
    ):
        raise CopyError("The target is the database this install already uses.")
    target = create_engine(target_url)
    try:
        try:
            prepare_schema(target_url)
        except OperationalError as exc:
            raise CopyError(f"Cannot reach the target database: {exc.orig}") from exc
        report = CopyReport()
        with source.connect() as reading, target.begin() as writing:
            existing = sum(row_counts(writing).values())
            if existing and not force:
                raise CopyError(
                    f"The target already holds {existing} rows. Copy into an empty database, "
                    "or pass --force to replace everything in it."
                )
            if existing:
                _clear(writing)
            # One read transaction: a consistent snapshot even while the app keeps running.
            with reading.begin():
                for table in tables():
                    report.rows[table.name] = _copy_table(reading, writing, table)
                    if progress:
                        progress(table.name, report.rows[table.name])
            fix_sequences(writing)
        return report
    finally:
        target.dispose()


@click.command("copy-db")
@click.option(
    "--to",
    "target_url",
    required=True,
    help="The database to copy into, e.g. postgresql+psycopg://storytime@localhost/storytime",
)
@click.option("--force", is_flag=True, help="Replace the target's rows if it is not empty.")
@with_appcontext
def copy_db_command(target_url: str, force: bool) -> None:
    """Copy this install's data into another (empty) database, e.g. SQLite to PostgreSQL."""
    try:
        report = copy_database(
            db.engine,
            target_url,
            force=force,
            progress=lambda name, rows: click.echo(f"  {name}: {rows} rows"),
        )
    except CopyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Copied {report.total} rows in {len(report.rows)} tables. "
        "Point STORYTIME_DATABASE_URL at the new database and restart."
    )
