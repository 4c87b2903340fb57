"""Recognise a caregiver's phone by a random cookie; only its hash is ever stored."""

from __future__ import annotations

import re
import secrets

from flask import Response, current_app, g, request

from storytime.share.service import phone_hash

COOKIE_NAME = "st_phone"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
COOKIE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def phone_cookie(create: bool = True) -> str | None:
    """Return this phone's random id, making a new one (sent with the response) if asked."""
    if "st_phone" in g:
        return g.st_phone
    value = request.cookies.get(COOKIE_NAME, "")
    if not COOKIE_PATTERN.match(value):
        if not create:
            return None
        value = secrets.token_urlsafe(24)
        g.st_phone_new = True
    g.st_phone = value
    return value


def current_phone(create: bool = True) -> str | None:
    """Return the stored form of this phone's id, or None when it has none and create is off."""
    cookie = phone_cookie(create)
    return phone_hash(cookie) if cookie else None


def set_phone_cookie(response: Response) -> Response:
    """Send a newly made phone id to the browser."""
    if g.get("st_phone_new"):
        response.set_cookie(
            COOKIE_NAME,
            g.st_phone,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["BASE_URL"].startswith("https://"),
        )
        g.st_phone_new = False
    return response
