"""Fixtures: a fresh app and database per test, clients that carry CSRF tokens, staff."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import (
    TEST_DATABASE_URL,
    Staff,
    StorytimeClient,
    cheap_password_hash,
    close_app,
)
from flask import Flask
from real_server import Server
from services import IN_CI, MISSING
from sqlalchemy import MetaData

import storytime.models.staff
from storytime import create_app
from storytime.extensions import db


def _database_url(tmp_path: Path) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'instance' / 'storytime.sqlite'}"


@pytest.fixture(scope="session")
def _postgres_engine():
    """One engine for cleaning the PostgreSQL test database between tests."""
    from sqlalchemy import create_engine

    import storytime.models  # noqa: F401  (every table on the metadata)

    url = TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _clean_postgres(request: pytest.FixtureRequest) -> None:
    """On PostgreSQL, give every test empty tables, even tests that build their own app."""
    if not TEST_DATABASE_URL or request.node.get_closest_marker("module_database"):
        return
    engine = request.getfixturevalue("_postgres_engine")
    db.metadata.create_all(engine)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashes() -> Iterator[None]:
    """Hash test passwords cheaply, from the first fixture on (module-scoped ones too).

    Real installs keep werkzeug's slow default (scrypt).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(storytime.models.staff, "generate_password_hash", cheap_password_hash)
        yield


@pytest.fixture
def app_config(tmp_path: Path) -> dict:
    """Configuration for the test app; override in a test module to change it."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": _database_url(tmp_path),
        "SECRET_KEY": "test-secret",
        "AUTO_MIGRATE": False,
        "RATELIMIT_ENABLED": False,
        # Fixtures leave old storytimes open on purpose; a test of auto-close turns it on.
        "AUTO_CLOSE_SWEEP_SECONDS": 0,
        "BASE_URL": "http://storytime.test",
        "SERVER_NAME": None,
    }


@pytest.fixture
def app(app_config: dict) -> Iterator[Flask]:
    """Return an app with empty tables."""
    app = create_app(app_config)
    app.test_client_class = StorytimeClient
    with app.app_context():
        db.create_all()  # tables are emptied by _clean_postgres on PostgreSQL
    yield app
    close_app(app)


@pytest.fixture
def empty_app(app_config: dict) -> Iterator[Flask]:
    """Return an app whose database has no tables at all, as on a first start."""
    app = create_app(app_config)
    app.test_client_class = StorytimeClient
    with app.app_context():
        existing = MetaData()
        existing.reflect(bind=db.engine)
        existing.drop_all(bind=db.engine)
    yield app
    close_app(app)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The real `storytime` in its own process, on a fresh instance folder (not started)."""
    server = Server(instance=tmp_path / "instance")
    server.instance.mkdir()
    yield server
    server.stop()


@pytest.fixture
def client(app: Flask) -> StorytimeClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def staff(app: Flask) -> Staff:
    return Staff(app)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In CI, fail a test that was skipped because a service it needs is missing."""
    outcome = yield
    report = outcome.get_result()
    if not (IN_CI and report.skipped):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if MISSING in reason:
        report.outcome = "failed"
        report.longrepr = f"CI=true and a service is missing, so this is a failure: {reason}"
