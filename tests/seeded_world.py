"""The world the security and privacy tests start from, and tools to probe it.

`seed` makes two branches, staff of every role with API tokens, an open, a closed and
another branch's storytime (with factories.py), and one caregiver's song (through the share
service), so every test that needs "a storytime with a few shares" reads the same and
stays short. Beside it: signing a client in, reading a page's CSRF token, a phone,
a snapshot of every table and a URL for every route.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from factories import META_CSRF, make_branch, make_storytime, make_user
from flask import Flask
from flask.testing import FlaskClient

from storytime.auth.sessions import start_session
from storytime.auth.tokens import create_token
from storytime.extensions import db
from storytime.models import Share, Storytime, User
from storytime.share.service import create_share, phone_hash


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


def seed(app: Flask) -> World:
    """Fill the database with the world every trust test starts from."""
    world = World()
    with app.app_context():
        for slug in (world.branch, world.other_branch):
            world.branch_ids[slug] = make_branch(app, slug.title(), slug)
        staff = {
            "librarian": ("librarian@central.example.org", "librarian", world.branch),
            "coordinator": ("coordinator@central.example.org", "coordinator", world.branch),
            "admin": ("admin@central.example.org", "admin", None),
            "other_librarian": ("librarian@east.example.org", "librarian", world.other_branch),
        }
        for who, (email, role, branch) in staff.items():
            user_id = make_user(app, email, role, branch)
            world.users[who], world.emails[who] = user_id, email
            world.tokens[who] = create_token(db.session.get(User, user_id), "tests")

        made = make_storytime(app, world.branch)
        world.storytime_id, world.code, world.display_token = made.id, made.code, made.display_token
        closed = make_storytime(app, world.branch, state="closed")
        world.closed_storytime_id, world.closed_code = closed.id, closed.code
        world.other_storytime_id = make_storytime(app, world.other_branch).id

        world.phone_cookie = secrets.token_urlsafe(24)
        share, _ = create_share(
            db.session.get(Storytime, world.storytime_id),
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
        token = start_session(db.session.get(User, user_id), "seeded-world")
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
