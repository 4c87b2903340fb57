"""CSRF for every state-changing request, security headers, and proxy awareness."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from storytime.extensions import csrf

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Pages a screen may be framed in (a digital-signage page of the library's own site).
FRAMEABLE_ENDPOINTS = {"live.display"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)
# One CSP source: a scheme-and-host origin (optionally with a port or a leading *.), or 'self'.
ORIGIN_PATTERN = re.compile(r"^(?:'self'|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)$")
KEEP_INPUT_ATTR = "_storytime_keep_input_on_csrf_failure"


def keep_input_on_csrf_failure(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let a form view see a failed CSRF check and re-render with what was typed.

    The view must call `csrf_failed()` and, when it returns True, save nothing and
    answer 400 with the form filled in: a phone left on a page for hours keeps its text.
    """
    setattr(view, KEEP_INPUT_ATTR, True)
    return view


def csrf_failed() -> bool:
    """Return whether this request's CSRF check failed (views marked to keep input)."""
    return bool(g.get("csrf_failed"))


def check_csrf() -> None:
    """Require a CSRF token on unsafe requests, except those made with a bearer token."""
    g.csrf_failed = False
    if request.method not in UNSAFE_METHODS or g.get("bearer_sent"):
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        csrf.protect()
    except CSRFError:
        view = current_app.view_functions.get(request.endpoint or "")
        if view is None or not getattr(view, KEEP_INPUT_ATTR, False) or request.is_json:
            raise
        g.csrf_failed = True


def frame_ancestors() -> str:
    """Return who may frame this response: nobody, or the configured origins for the display."""
    origins = configured_ancestors(current_app.config)
    if request.endpoint not in FRAMEABLE_ENDPOINTS or not origins:
        return "'none'"
    return " ".join(origins)


def configured_ancestors(config: dict[str, Any]) -> list[str]:
    """Return DISPLAY_FRAME_ANCESTORS as a list (a space-separated string or a list)."""
    value = config.get("DISPLAY_FRAME_ANCESTORS") or []
    return value.split() if isinstance(value, str) else [str(origin) for origin in value]


def add_security_headers(response: Response) -> Response:
    """Set the headers every response carries."""
    ancestors = frame_ancestors()
    response.headers.setdefault("Content-Security-Policy", CSP.format(ancestors=ancestors))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if ancestors == "'none'":
        # For browsers older than frame-ancestors; it cannot name another origin.
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/api/") and request.method != "GET":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Install the CSRF check, the headers and, when configured, ProxyFix."""
    bad = [o for o in configured_ancestors(app.config) if not ORIGIN_PATTERN.match(o)]
    if bad:
        raise ValueError(
            "DISPLAY_FRAME_ANCESTORS takes origins like https://signage.library.org, "
            f"separated by spaces; not {bad!r}"
        )
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    if app.config["BEHIND_PROXY"]:
        # One proxy in front (nginx, Caddy): trust its X-Forwarded-For/Proto/Host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
