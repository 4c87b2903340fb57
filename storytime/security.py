"""CSRF for every state-changing request, security headers, and proxy awareness."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from storytime.extensions import csrf

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)


def check_csrf() -> None:
    """Require a CSRF token on unsafe requests, except those made with a bearer token."""
    if request.method not in UNSAFE_METHODS or g.get("bearer_sent"):
        return
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


def add_security_headers(response: Response) -> Response:
    """Set the headers every response carries."""
    ancestors = "'none'"
    if request.endpoint and request.endpoint.startswith("live.display"):
        allowed = current_app.config["DISPLAY_FRAME_ANCESTORS"]
        ancestors = f"'self' {allowed}".strip() if allowed else "'self'"
    response.headers.setdefault("Content-Security-Policy", CSP.format(ancestors=ancestors))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if "self" in ancestors else "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    """Install the CSRF check, the headers and, when configured, ProxyFix."""
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    if app.config["BEHIND_PROXY"]:
        # One proxy in front (nginx, Caddy): trust its X-Forwarded-For/Proto/Host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
