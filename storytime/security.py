"""CSRF for every state-changing request, security headers, and proxy awareness."""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from storytime.errors import error_response
from storytime.extensions import csrf

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Pages a screen may be framed in (a digital-signage page of the library's own site).
FRAMEABLE_ENDPOINTS = {"live.display", "screens.show"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)
# One CSP source: a scheme-and-host origin (optionally with a port or a leading *.), or 'self'.
ORIGIN_PATTERN = re.compile(r"^(?:'self'|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)$")


class DatabaseInteger(IntegerConverter):
    """`<int:…>` that never hands the database an id too large for its integer columns.

    Such an id cannot exist, so it becomes 0 (no row has it) and the view answers 404,
    where SQLite or PostgreSQL would otherwise fail with an overflow (a 500).
    """

    LARGEST = 2**31 - 1

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= self.LARGEST else 0


# No body of ours nests deeper than 3. Parsing (and walking) a deeper one can exhaust
# Python's stack: 660 bytes of "[" were a RecursionError, a 500 and 100 KB of log.
MAX_JSON_DEPTH = 32
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(data: bytes) -> int:
    """Return how deeply a JSON text nests arrays and objects, without parsing it.

    Brackets inside strings do not count; an unclosed text counts as deep as it goes.
    """
    brackets = JSON_STRING.sub(b"", data).translate(None, NOT_BRACKETS)
    return max(accumulate(BRACKET_STEP[byte] for byte in brackets), default=0)


def refuse_deep_json() -> None:
    """Answer 400 when a JSON body nests deeper than MAX_JSON_DEPTH, before anything parses it."""
    if not request.is_json or json_depth(request.get_data(cache=True)) <= MAX_JSON_DEPTH:
        return
    current_app.logger.info(
        "Refused a JSON body nested too deeply: %s %s", request.method, request.path
    )
    raise BadRequest(
        _("This JSON is nested too deeply: at most %(depth)d levels.", depth=MAX_JSON_DEPTH)
    )


def refuse_json_that_is_not_an_object() -> None:
    """Answer 400 when an unsafe request's JSON body is not one JSON object.

    Every body we read is an object; a form page handed a JSON list would otherwise fail
    inside Flask-WTF (which reads JSON bodies as form data) as a 500.
    """
    if request.method not in UNSAFE_METHODS or not request.is_json:
        return
    if not request.get_data(cache=True).strip():
        return  # no body at all: a call that needs one says so itself
    if isinstance(request.get_json(silent=True), dict):
        return
    raise BadRequest(_("Please send a JSON object."))


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul() -> None:
    """Answer 400 when the path, query, form or JSON body holds a NUL character.

    Nobody types one and no link of ours has one, and PostgreSQL can neither store nor
    compare text holding it: such a value reaching a query (a join code, a branch
    filter, a login, a storytime's title) would otherwise fail there as a 500.
    """
    suspects: list[Any] = [request.path, list(request.args.items(multi=True))]
    if request.method in UNSAFE_METHODS:
        if request.is_json:
            suspects.append(request.get_json(silent=True))
        else:
            suspects.append(list(request.form.items(multi=True)))
    if any(_holds_nul(suspect) for suspect in suspects):
        raise BadRequest(_("This request holds a NUL character, which no text or link may hold."))


def check_csrf() -> None:
    """Require a CSRF token on unsafe requests, except those made with a bearer token."""
    if request.method not in UNSAFE_METHODS:
        return
    if g.get("bearer_sent"):
        # A script authenticates with its token instead; a bad token may not skip the check.
        if g.get("bearer_user") is None:
            response, status = error_response(
                401, "This API token is not valid (revoked or mistyped)."
            )
            response.status_code = status
            abort(response)
        return
    if refused_for_who_it_is():
        return  # the view answers 401 (no credentials) or 403 (a phone, a display link)
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        # Raises CSRFError (400); the share blueprint re-renders its form with the typed text.
        csrf.protect()


def refused_for_who_it_is() -> bool:
    """Return whether a staff-only API call comes without a staff account, whatever its token.

    Who you are is decided before the request is judged: such a call is refused for its
    credentials, so a client learns to sign in (401) or that a phone or display link may
    never do this (403), not to fetch a CSRF token it could not use. Nothing is written.
    """
    if not request.path.startswith("/api/"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return hasattr(view, "staff_roles") and not current_user.is_authenticated


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
    # Before any blueprint is registered: every <int:…> in the url_map gets the bound.
    app.url_map.converters["int"] = DatabaseInteger
    app.before_request(refuse_deep_json)
    app.before_request(refuse_json_that_is_not_an_object)
    app.before_request(refuse_nul)
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    if app.config["BEHIND_PROXY"]:
        # One proxy in front (nginx, Caddy): trust its X-Forwarded-For/Proto/Host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
