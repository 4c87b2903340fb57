"""Fixtures: a fresh app and database per test, clients that carry CSRF tokens, staff."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from services import IN_CI, MISSING
from sqlalchemy import MetaData
from trust_server import Server
from trust_world import close_app

from storytime import create_app
from storytime.admin.service import create_branch, create_user
from storytime.extensions import db

# Set to a PostgreSQL URL to run the whole suite there (CI does).
TEST_DATABASE_URL = os.environ.get("STORYTIME_TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class StorytimeClient(FlaskClient):
    """A test client that sends a valid CSRF token unless told `csrf=False`."""

    _csrf: str | None = None

    def csrf_token(self, refresh: bool = False) -> str:
        """Return a CSRF token valid for this client's session."""
        if self._csrf is None or refresh:
            page = self.get("/").get_data(as_text=True)
            match = META_CSRF.search(page)
            assert match, "the start page carries no csrf-token meta tag"
            self._csrf = match.group(1)
        return self._csrf

    def open(self, *args, csrf: bool = True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"} and not _has_bearer(kwargs):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def _has_bearer(kwargs: dict) -> bool:
    headers = kwargs.get("headers") or {}
    return any(k.lower() == "authorization" for k in dict(headers))


def _database_url(tmp_path: Path) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'instance' / 'storytime.sqlite'}"


def _empty_postgres(app: Flask) -> None:
    """Start from empty tables on PostgreSQL (for tests that build a second app)."""
    with app.app_context():
        db.create_all()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


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


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test passwords cheaply; real installs keep werkzeug's slow default (scrypt)."""
    from werkzeug.security import generate_password_hash

    import storytime.models.staff

    monkeypatch.setattr(
        storytime.models.staff,
        "generate_password_hash",
        partial(generate_password_hash, method="pbkdf2:sha256:1000"),
    )


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


class Staff:
    """Make branches and staff accounts and sign them in."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def branch(self, name: str = "Central", slug: str | None = None) -> int:
        with self.app.app_context():
            return create_branch(name, slug).id

    def user(
        self, role: str = "librarian", email: str | None = None, branch: str | None = "central"
    ) -> int:
        """Create an account (and its branch if missing); return its id."""
        with self.app.app_context():
            from storytime.admin.service import find_branch

            if branch and find_branch(branch) is None:
                create_branch(branch.title(), branch)
            user = create_user(
                email or f"{role}@{branch or 'all'}.example.org",
                role,
                PASSWORD,
                branch_slug=branch if role == "librarian" or branch else None,
            )
            return user.id

    def login(self, client: FlaskClient, email: str, password: str = PASSWORD):
        return client.post("/login", data={"email": email, "password": password})

    def signed_in(
        self, client: FlaskClient, role: str = "librarian", branch: str | None = "central"
    ) -> str:
        """Create an account with that role and sign the client in; return its email."""
        email = f"{role}@{branch or 'all'}.example.org"
        self.user(role, email, branch)
        response = self.login(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return email


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
