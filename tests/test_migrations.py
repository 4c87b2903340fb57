"""Migrations: from empty to the models' schema, idempotent, upgrading what exists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from factories import PASSWORD
from flask import Flask
from sqlalchemy import inspect

from storytime import create_app
from storytime.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "storytime" / "migrations"


def tables(app: Flask) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def current_revision(app: Flask) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def init_db(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    return result.output


def test_init_db_creates_every_table_from_empty(empty_app):
    assert tables(empty_app) == set()

    init_db(empty_app)

    assert tables(empty_app) == set(db.metadata.tables) | {"alembic_version"}
    assert current_revision(empty_app) == head_revision()


def test_migrations_match_the_models(empty_app):
    """Fails when a model changed without regenerating the migration (.ci/regen-initial-migration)."""
    init_db(empty_app)

    with empty_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, db.metadata)

    assert differences == []


def test_init_db_twice_changes_nothing_and_keeps_the_data(empty_app):
    init_db(empty_app)
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["create-branch", "Central"]).exit_code == 0
    assert (
        runner.invoke(
            args=["create-user", "a@library.example.org", "--role", "admin", "--password", PASSWORD]
        ).exit_code
        == 0
    )

    output = init_db(empty_app)

    assert "Database is up to date." in output
    assert current_revision(empty_app) == head_revision()
    client = empty_app.test_client()
    client.post("/login", data={"email": "a@library.example.org", "password": PASSWORD})
    assert "<code>/b/central</code>" in client.get("/admin/branches").get_data(as_text=True)


def test_the_embedded_default_migrates_at_start(app_config):
    if not app_config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("servers run `init-db`; AUTO_MIGRATE is on by default for SQLite only")
    config = {key: value for key, value in app_config.items() if key != "AUTO_MIGRATE"}

    first = create_app(config)
    second = create_app(config)  # a restart finds the schema current

    try:
        assert first.config["AUTO_MIGRATE"] is True
        assert tables(second) == set(db.metadata.tables) | {"alembic_version"}
        assert second.test_client().get("/login").status_code == 200
    finally:
        for app in (first, second):
            with app.app_context():
                db.engine.dispose()
            app.extensions["storytime_notifier"].close()


NEXT_REVISION = '''"""a later release adds a table

Revision ID: 9999probe
Revises: {head}
"""
from alembic import op
import sqlalchemy as sa

revision = "9999probe"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("upgrade_probe", sa.Column("id", sa.Integer(), primary_key=True))
    with op.batch_alter_table("branch") as batch:
        batch.add_column(sa.Column("probe_note", sa.String(20), nullable=True))


def downgrade():
    with op.batch_alter_table("branch") as batch:
        batch.drop_column("probe_note")
    op.drop_table("upgrade_probe")
'''


def test_init_db_upgrades_a_database_from_an_older_release(empty_app, tmp_path, monkeypatch):
    init_db(empty_app)
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["create-branch", "Central"]).exit_code == 0
    newer = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, newer, ignore=shutil.ignore_patterns("__pycache__"))
    (newer / "versions" / "9999_probe.py").write_text(NEXT_REVISION.format(head=head_revision()))
    # Flask-Migrate reads the directory from its (process-wide) Migrate object.
    monkeypatch.setattr(empty_app.extensions["migrate"].migrate, "directory", str(newer))

    init_db(empty_app)

    assert current_revision(empty_app) == "9999probe"
    assert "upgrade_probe" in tables(empty_app)
    with empty_app.app_context():
        columns = {column["name"] for column in inspect(db.engine).get_columns("branch")}
        slugs = db.session.execute(db.text("SELECT slug FROM branch")).scalars().all()
    assert "probe_note" in columns
    assert slugs == ["central"]

    # Leave the shared database as the models describe it.
    result = runner.invoke(args=["db", "downgrade", head_revision()])
    assert result.exit_code == 0, result.output
    assert "upgrade_probe" not in tables(empty_app)


def test_the_migrations_downgrade_to_empty(empty_app):
    init_db(empty_app)

    result = empty_app.test_cli_runner().invoke(args=["db", "downgrade", "base"])

    assert result.exit_code == 0, result.output
    assert tables(empty_app) == {"alembic_version"}
    assert current_revision(empty_app) is None


def test_upgrading_from_the_first_release_keeps_every_row(empty_app):
    """Rebuilding tables for AUTOINCREMENT must not cascade-delete shares or events."""
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "0001"])
    assert result.exit_code == 0, result.output
    now = "2026-11-01 10:00:00.000000"
    with empty_app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO branch (id, name, slug, active, created_at)"
            f" VALUES (1, 'Central', 'central', true, '{now}')"
        )
        connection.exec_driver_sql(
            "INSERT INTO storytime (id, branch_id, title, starts_at, audience, theme, moderation,"
            " state, code, display_token, quiet, last_event_id, created_at, updated_at,"
            " recap_published, recap_note) VALUES (7, 1, 'Babies', "
            f"'{now}', 'babies', '', 'instant', 'open', 'ABCD', 'tok', false, 1, '{now}',"
            f" '{now}', false, '')"
        )
        connection.exec_driver_sql(
            "INSERT INTO share (id, storytime_id, kind, text, allow_screen, on_screen, held,"
            " pinned, answered, starred, phone, client_id, note, created_at, updated_at)"
            f" VALUES (41, 7, 'tip', 'Bring a snack', true, true, false, false, false, false,"
            f" '', 'c1', '', '{now}', '{now}')"
        )
        connection.exec_driver_sql(
            "INSERT INTO event (id, storytime_id, type, share_id, public, created_at)"
            f" VALUES (3, 7, 'share.created', 41, true, '{now}')"
        )

    init_db(empty_app)

    with empty_app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id, text FROM share").all() == [
            (41, "Bring a snack")
        ]
        assert connection.exec_driver_sql("SELECT id FROM event").all() == [(3,)]
        assert connection.exec_driver_sql("SELECT id, code FROM storytime").all() == [(7, "ABCD")]
        if db.engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            schema = dict(connection.exec_driver_sql("SELECT name, sql FROM sqlite_master").all())
            for table in ("storytime", "share", "event"):
                assert "AUTOINCREMENT" in schema[table]
            assert "WHERE state != 'closed'" in schema["uq_storytime_live_code"]
