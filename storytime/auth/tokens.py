"""Personal API tokens, accepted as `Authorization: Bearer …` on staff API routes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import update

from storytime.auth.sessions import session_for_token
from storytime.database import begin_write, commit_keeping
from storytime.errors import ApiError
from storytime.extensions import db, login_manager
from storytime.models import ApiToken, User, now_utc

TOKEN_PREFIX = "st_"
# Writing last_used_at on every call would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_token(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """Create a token for the user and return it; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name, token_hash=hash_token(token), prefix=token[:10]))
    db.session.commit()
    return token


def revoke_token(api_token: ApiToken) -> None:
    """Revoke a token at once; later calls with it get 401."""
    api_token.revoked_at = now_utc()
    db.session.commit()


def user_for_token(token: str) -> User | None:
    """Return the active user a live token belongs to, or None."""
    api_token = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if api_token is None or api_token.revoked_at is not None or not api_token.user.active:
        return None
    now = now_utc()
    user = api_token.user
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
        # A write transaction of its own: on SQLite a read cannot become a write once
        # another process has written meanwhile ("database is locked" at once, a 500).
        begin_write()
        db.session.execute(
            update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now)
        )
        commit_keeping(user)
    return user


def bearer_token() -> str | None:
    """Return the bearer token sent with this request, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def load_bearer_user() -> None:
    """Resolve a bearer token before anything else looks at the request."""
    g.bearer_sent = False
    g.bearer_user = None
    token = bearer_token()
    if token is None or not request.path.startswith("/api/"):
        # Pages go by the session and its CSRF token: a token cannot open them, nor mint
        # more tokens that would outlive its own revocation.
        return
    g.bearer_sent = True
    g.bearer_user = user_for_token(token)


def load_session_user() -> None:
    """Resolve a signed-in browser's session before any view starts its own writes."""
    if request.endpoint == "static" or g.get("bearer_sent"):
        return
    names = ("SESSION_COOKIE_NAME", "REMEMBER_COOKIE_NAME")
    if any(current_app.config[name] in request.cookies for name in names):
        # Loading may note last_seen_at and commit: done here, it commits nothing else.
        current_user._get_current_object()


def init_app(app: Flask) -> None:
    """Let Flask-Login accept session cookies and bearer tokens alike."""
    app.before_request(load_bearer_user)
    app.before_request(load_session_user)

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        if g.get("bearer_sent"):
            return None  # a bearer call acts as its token's user, never the cookie's
        # The cookies carry a session's token (see auth/sessions.py): an unknown or ended
        # session, or one of an inactive account, is a visitor who is not signed in.
        staff_session = session_for_token(session_token)
        if staff_session is None:
            return None
        g.staff_session = staff_session
        staff_session.user.session_token = session_token
        return staff_session.user

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            raise ApiError(_l("Sign in, or send a valid token as 'Authorization: Bearer …'."), 401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @login_manager.request_loader
    def load_user_from_request(_request: object) -> User | None:
        return g.get("bearer_user")
