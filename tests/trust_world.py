"""A small world for the trust tests: two branches, staff of every role, storytimes, shares.

Seeded through the services (the same code the pages call), so every test that needs
"a storytime with a few shares" reads the same and stays short.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from storytime.admin.service import create_branch, find_branch
from storytime.auth.sessions import start_session
from storytime.auth.tokens import create_token
from storytime.extensions import db
from storytime.models import KINDS, Prompt, Share, Storytime, User, now_utc
from storytime.share.service import create_share, phone_hash
from storytime.storytimes.service import new_code, new_display_token

PASSWORD = "correct horse battery"
ROLES = ("librarian", "coordinator", "admin")
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class World:
    """Ids and secrets of what `seed` made."""

    branch: str = "central"
    other_branch: str = "east"
    storytime_id: int = 0
    code: str = ""
    display_token: str = ""
    closed_storytime_id: int = 0
    closed_code: str = ""
    other_storytime_id: int = 0
    share_id: int = 0
    phone_cookie: str = ""
    users: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    branch_ids: dict[str, int] = field(default_factory=dict)
    song_entry_id: int | None = None


TEST_DATABASE_URL = os.environ.get("STORYTIME_TEST_DATABASE_URL", "")


@functools.cache
def suite_conftest():
    """Load tests/conftest.py by path: `import conftest` may find tests/browser's instead."""
    path = Path(__file__).with_name("conftest.py")
    spec = importlib.util.spec_from_file_location("storytime_suite_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def empty_postgres(app: Flask) -> None:
    """Start from empty tables on PostgreSQL (as the suite's app fixture does)."""
    suite_conftest()._empty_postgres(app)


def make_app(config: dict) -> Flask:
    """Create an app from a test config with empty tables (for a config of its own)."""
    from storytime import create_app

    StorytimeClient, _empty_postgres = suite_conftest().StorytimeClient, empty_postgres

    app = create_app(config)
    app.test_client_class = StorytimeClient
    if app.config["IS_SQLITE"]:
        with app.app_context():
            db.create_all()
    else:
        _empty_postgres(app)
    return app


def close_app(app: Flask) -> None:
    """Release what make_app opened."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["storytime_notifier"].close()


def _user(email: str, role: str, branch_slug: str | None) -> User:
    branch = find_branch(branch_slug) if branch_slug else None
    # A cheap hash keeps seeding fast; login itself is tested with real hashes elsewhere.
    user = User(
        email=email,
        display_name=email.split("@")[0],
        role=role,
        branch=branch,
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_storytime(
    branch_slug: str, *, state: str = "open", moderation: str = "instant", title: str = "Babies"
) -> Storytime:
    """Create a storytime with every kind open."""
    branch = find_branch(branch_slug)
    storytime = Storytime(
        branch_id=branch.id,
        title=title,
        starts_at=now_utc() - timedelta(minutes=5),
        audience="babies",
        moderation=moderation,
        state=state,
        code=new_code(),
        display_token=new_display_token(),
        opened_at=now_utc() if state != "scheduled" else None,
        closed_at=now_utc() if state == "closed" else None,
    )
    storytime.prompts = [
        Prompt(kind=kind, question="", position=position) for position, kind in enumerate(KINDS)
    ]
    db.session.add(storytime)
    db.session.commit()
    return storytime


def seed(app: Flask) -> World:
    """Fill the database with the world every trust test starts from."""
    world = World()
    with app.app_context():
        for slug in (world.branch, world.other_branch):
            world.branch_ids[slug] = create_branch(slug.title(), slug).id
        for role in ROLES:
            email = f"{role}@central.example.org"
            user = _user(email, role, world.branch if role != "admin" else None)
            world.users[role], world.emails[role] = user.id, email
            world.tokens[role] = create_token(user, "tests")
        other = _user("librarian@east.example.org", "librarian", world.other_branch)
        world.users["other_librarian"] = other.id
        world.emails["other_librarian"] = other.email
        world.tokens["other_librarian"] = create_token(other, "tests")

        storytime = make_storytime(world.branch)
        world.storytime_id, world.code = storytime.id, storytime.code
        world.display_token = storytime.display_token
        closed = make_storytime(world.branch, state="closed")
        world.closed_storytime_id, world.closed_code = closed.id, closed.code
        world.other_storytime_id = make_storytime(world.other_branch).id

        world.phone_cookie = secrets.token_urlsafe(24)
        share, _ = create_share(
            storytime,
            kind="song",
            text="Twinkle twinkle little star",
            name="Maya",
            allow_screen=True,
            client_id=secrets.token_urlsafe(12),
            phone=phone_hash(world.phone_cookie),
        )
        world.share_id = share.id
        world.song_entry_id = share.song_entry_id
    return world


def sign_in(client: FlaskClient, user_id: int) -> None:
    """Sign a client in as that account without the login form (tested on its own)."""
    with client.application.app_context():
        token = start_session(db.session.get(User, user_id), "trust-world")
    with client.session_transaction() as session:
        session["_user_id"] = token  # the cookie carries a session's token, as at login
        session["_fresh"] = True


def page_csrf(html: str) -> str:
    """Return the CSRF token a page carries in its meta tag."""
    match = META_CSRF.search(html)
    assert match, "page carries no csrf-token meta tag"
    return match.group(1)


def table_snapshot(app: Flask) -> dict[str, list[tuple]]:
    """Return every row of every table, to prove a request changed nothing."""
    with app.app_context():
        snapshot = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(table.select().order_by(*table.primary_key.columns))
            snapshot[table.name] = [tuple(row) for row in rows]
        db.session.rollback()
        return snapshot


def share_rows(app: Flask) -> list[Share]:
    """Return every share row, detached, oldest first."""
    with app.app_context():
        rows = list(db.session.execute(db.select(Share).order_by(Share.id)).scalars())
        db.session.expunge_all()
        return rows


def url_values(world: World) -> dict[str, object]:
    """Values for the URL arguments of every route, by argument name."""
    return {
        "storytime_id": world.storytime_id,
        "share_id": world.share_id,
        "code": world.code,
        "token": world.display_token,
        "slug": world.branch,
        "branch_slug": world.branch,
        "user_id": world.users["librarian"],
        "branch_id": world.branch_ids[world.branch],
        "token_id": 1,
        "entry_id": world.song_entry_id or 1,
        "filename": "css/storytime.css",
        "lang": "en",
    }


def build_url(rule, world: World) -> str:
    """Return a URL for a url_map rule, filled with the world's ids."""
    known = url_values(world)
    values = {}
    for argument in rule.arguments:
        if argument in known:
            values[argument] = known[argument]
        else:
            converter = rule._converters[argument]
            if hasattr(converter, "items"):  # any(csv, json): the first choice
                values[argument] = sorted(converter.items)[0]
            else:
                values[argument] = 1 if "Integer" in type(converter).__name__ else "x"
    return rule.build(values, append_unknown=False)[1]


SHARE = {"kind": "tip", "text": "Sing in the bath", "on_screen": True}


class Phone:
    """One caregiver's phone: its own cookies, a token from the join page, one address."""

    def __init__(self, app, code: str, address: str = "192.0.2.10") -> None:
        self.client = app.test_client()
        self.code = code
        self.address = address
        page = self.client.get(f"/j/{code}", environ_base={"REMOTE_ADDR": address})
        assert page.status_code == 200
        self.token = page_csrf(page.get_data(as_text=True))

    def share(self, text: str = "Sing in the bath", headers: dict | None = None, **extra):
        return self.client.post(
            f"/api/v1/storytimes/{self.code}/shares",
            json={**SHARE, "text": text, "client_id": secrets.token_urlsafe(9), **extra},
            headers={"X-CSRFToken": self.token, **(headers or {})},
            environ_base={"REMOTE_ADDR": self.address},
            csrf=False,
        )
