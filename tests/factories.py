"""Make what a test starts from: an app, branches, staff accounts and storytimes.

Branches and staff are made through the admin service (the code the admin pages and the
CLI call), every account with the one test `PASSWORD`. A storytime is written straight to
its table, in any state, open for every kind unless told otherwise. Each function takes the
app and works inside its app context, or in the one already open for it.
"""

from __future__ import annotations

import os
import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from flask import Flask, current_app, has_app_context
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from storytime import create_app
from storytime.admin.service import create_branch, create_user, find_branch, slugify
from storytime.extensions import db
from storytime.models import KINDS, Prompt, Storytime, now_utc
from storytime.storytimes.service import new_code, new_display_token

# Set to a PostgreSQL URL to run the whole suite there (CI does).
TEST_DATABASE_URL = os.environ.get("STORYTIME_TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"
# What conftest.py hashes every password with: login is tested, not scrypt's cost.
cheap_password_hash = partial(generate_password_hash, method="pbkdf2:sha256:1000")
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PROMPT_TEXTS = {
    "hello": "Say hello to the group",
    "tip": "A tip for travelling with little ones",
    "song": "Your child's favourite song",
    "question": "Anything you would like to ask?",
    "idea": "What would you like from the library?",
}


# --- apps ---


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


def empty_postgres(app: Flask) -> None:
    """Start from empty tables on PostgreSQL (for tests that build a second app)."""
    with app.app_context():
        db.create_all()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def make_app(config: dict) -> Flask:
    """Create an app from a test config with empty tables (for a config of its own)."""
    app = create_app(config)
    app.test_client_class = StorytimeClient
    if app.config["IS_SQLITE"]:
        with app.app_context():
            db.create_all()
    else:
        empty_postgres(app)
    return app


def close_app(app: Flask) -> None:
    """Release what an app opened: its connections and its notifier."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["storytime_notifier"].close()


def _context(app: Flask):
    """Return the app's context to enter, or nothing when it is the one already open."""
    if has_app_context() and current_app._get_current_object() is app:
        return nullcontext()
    return app.app_context()


# --- branches and staff ---


def make_branch(app: Flask, name: str = "Central", slug: str | None = None) -> int:
    """Return the id of the branch with that slug (by default the name's), made if missing."""
    slug = slug or slugify(name)
    with _context(app):
        branch = find_branch(slug) or create_branch(name, slug)
        return branch.id


def make_user(
    app: Flask,
    email: str,
    role: str = "librarian",
    branch: str | None = "central",
    *,
    display_name: str | None = None,
) -> int:
    """Create an account with `PASSWORD` (and its branch, by slug, if missing); return its id."""
    with _context(app):
        if branch:
            make_branch(app, branch.title(), branch)
        return create_user(email, role, PASSWORD, branch, display_name).id


class Staff:
    """Make branches and staff accounts for one app and sign them in (the `staff` fixture)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def branch(self, name: str = "Central", slug: str | None = None) -> int:
        """Return the id of that branch, made if missing."""
        return make_branch(self.app, name, slug)

    def user(
        self, role: str = "librarian", email: str | None = None, branch: str | None = "central"
    ) -> int:
        """Create an account (and its branch if missing); return its id."""
        return make_user(self.app, email or f"{role}@{branch or 'all'}.example.org", role, branch)

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


# --- storytimes ---


@dataclass(frozen=True)
class NewStorytime:
    """What a test needs to reach a storytime it made: its id, join code and display token."""

    id: int
    code: str
    display_token: str


def make_storytime(
    app: Flask,
    branch: str = "central",
    *,
    title: str = "Baby Rhyme Time",
    starts_at: datetime | None = None,
    audience: str = "babies",
    theme: str = "",
    state: str = "open",
    moderation: str = "instant",
    kinds: tuple[str, ...] = KINDS,
) -> NewStorytime:
    """Create a storytime at a branch (by slug, made if missing) that asks for those kinds.

    It starts five minutes ago unless told `starts_at`; unless scheduled it was opened now,
    and if closed, closed now.
    """
    starts_at = starts_at or now_utc() - timedelta(minutes=5)
    with _context(app):
        storytime = Storytime(
            branch_id=make_branch(app, branch.title(), branch),
            title=title,
            starts_at=starts_at,
            audience=audience,
            theme=theme,
            moderation=moderation,
            state=state,
            code=new_code(),
            display_token=new_display_token(),
            opened_at=now_utc() if state != "scheduled" else None,
            closed_at=now_utc() if state == "closed" else None,
            prompts=[
                Prompt(kind=kind, text=PROMPT_TEXTS[kind], position=position)
                for position, kind in enumerate(kinds)
            ],
        )
        db.session.add(storytime)
        db.session.commit()
        return NewStorytime(storytime.id, storytime.code, storytime.display_token)
