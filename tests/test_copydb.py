"""`flask --app storytime copy-db --to URL`: move an embedded install's data to PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from factories import make_storytime
from services import missing
from sqlalchemy import create_engine, func, select

from storytime.copydb import normalise_url, row_counts
from storytime.extensions import db

pytestmark = pytest.mark.postgres

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def _admin_connection():
    import psycopg

    return psycopg.connect(
        "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3
    )


@pytest.fixture
def target_url() -> Iterator[str]:
    """Create a fresh, uniquely named PostgreSQL database and drop it afterwards."""
    import psycopg

    try:
        admin = _admin_connection()
    except psycopg.OperationalError as exc:
        pytest.skip(missing(f"PostgreSQL is not reachable at 127.0.0.1:5432 as postgres ({exc})"))
    name = f"storytime_copy_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{SERVER}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def filled(app, client, staff) -> dict[str, int]:
    """Give the SQLite install staff, storytimes, shares and events; return its row counts."""
    staff.signed_in(client, "librarian", "central")
    code = make_storytime(app).code
    make_storytime(app, state="closed", title="Last week")
    for number in range(5):
        response = client.post(
            f"/api/v1/storytimes/{code}/shares",
            json={
                "kind": "tip",
                "text": f"Tip number {number}: sing in the car",
                "on_screen": True,
                "client_id": f"client-{number}",
            },
        )
        assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context(), db.engine.connect() as connection:
        counts = row_counts(connection)
    assert counts["share"] == 5 and counts["event"] >= 5 and counts["user"] == 1
    return counts


def target_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return row_counts(connection)
    finally:
        engine.dispose()


def test_copies_every_row_to_an_empty_postgresql_database(app, runner, filled, target_url):
    result = runner.invoke(args=["copy-db", "--to", target_url])
    assert result.exit_code == 0, result.output
    assert "Copied" in result.output
    assert target_counts(target_url) == filled


def test_the_copy_keeps_the_migration_revision(app, runner, filled, target_url):
    assert runner.invoke(args=["copy-db", "--to", target_url]).exit_code == 0
    engine = create_engine(target_url)
    try:
        with engine.connect() as connection:
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert revision.scalar_one()
    finally:
        engine.dispose()


def test_an_install_running_on_the_copy_can_add_rows(app, runner, filled, target_url, tmp_path):
    """The id sequences are moved past the copied ids, so new rows do not collide."""
    from storytime import create_app
    from storytime.models import Share, Storytime
    from storytime.share.service import create_share

    assert runner.invoke(args=["copy-db", "--to", target_url]).exit_code == 0
    copy = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": target_url,
            "INSTANCE_PATH": str(tmp_path / "copy"),
            "SECRET_KEY": "test-secret",
            "RATELIMIT_ENABLED": False,
        }
    )
    try:
        with copy.app_context():
            storytime = db.session.execute(
                db.select(Storytime).where(Storytime.state == "open")
            ).scalar_one()
            share, created = create_share(
                storytime,
                kind="song",
                text="Wheels on the bus",
                name=None,
                allow_screen=True,
                client_id="after-the-copy",
                phone="",
            )
            assert created
            assert share.id == filled["share"] + 1
            total = db.session.execute(select(func.count()).select_from(Share)).scalar_one()
            assert total == filled["share"] + 1
    finally:
        with copy.app_context():
            db.session.remove()
            db.engine.dispose()
        copy.extensions["storytime_notifier"].close()


def test_refuses_a_target_that_holds_data(app, runner, filled, target_url):
    assert runner.invoke(args=["copy-db", "--to", target_url]).exit_code == 0
    again = runner.invoke(args=["copy-db", "--to", target_url])
    assert again.exit_code != 0
    assert "already holds" in again.output and "--force" in again.output
    assert target_counts(target_url) == filled  # untouched, not doubled


def test_force_replaces_the_targets_rows(app, runner, filled, target_url):
    assert runner.invoke(args=["copy-db", "--to", target_url]).exit_code == 0
    forced = runner.invoke(args=["copy-db", "--to", target_url, "--force"])
    assert forced.exit_code == 0, forced.output
    assert target_counts(target_url) == filled


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("not a url", "not a database URL"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "Cannot reach"),
    ],
)
def test_bad_targets_get_a_clear_message(app, runner, target, message):
    result = runner.invoke(args=["copy-db", "--to", target])
    assert result.exit_code != 0
    assert message in result.output


def test_refuses_to_copy_a_database_onto_itself(app, runner):
    result = runner.invoke(args=["copy-db", "--to", app.config["SQLALCHEMY_DATABASE_URI"]])
    assert result.exit_code != 0
    assert "already uses" in result.output


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        (" sqlite:///x.sqlite ", "sqlite:///x.sqlite"),
    ],
)
def test_host_style_urls_use_the_psycopg_driver(given, expected):
    assert normalise_url(given) == expected
