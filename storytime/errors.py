"""Error pages in the site's own look, and JSON errors under /api/.

Services and API views fail by raising `ApiError` (or a subclass): one handler answers
`{"error": slug, "message": ...}` under /api/ and the error page elsewhere.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from storytime.database import disconnect_reason, is_disconnect
from storytime.extensions import db

# What a 503 after a lost database connection asks clients to wait: the pool has already
# replaced the connection, so a retry soon usually goes through.
DISCONNECT_RETRY_AFTER = 5

TITLES = {
    400: _l("That request did not make sense"),
    401: _l("Please sign in"),
    403: _l("This page is for other staff"),
    404: _l("We could not find that page"),
    405: _l("That action is not allowed here"),
    409: _l("That clashes with something else"),
    413: _l("That was too much to send at once"),
    422: _l("Please check what you sent"),
    429: _l("Slow down a little"),
    500: _l("Something went wrong on our side"),
}

HINTS = {
    400: _l("Please go back and try again."),
    403: _l("Your account cannot open this page. Ask an admin if you need it."),
    404: _l("Check the address, or type your storytime's code below."),
    405: _l("Please go back and use the buttons on the page."),
    413: _l("Please send a shorter message."),
    429: _l("Too many tries in a short time. Wait a moment and try again."),
    500: _l("It is not your fault. Please try again in a minute."),
}


class ApiError(Exception):
    """A request that cannot be done: a message for people, an HTTP status, a slug for machines.

    `field` names the input at fault, when there is one. The message may be a lazy
    translation; `str(exc)` and the JSON body give it in the reader's language.
    """

    def __init__(
        self,
        message: str,
        status: int = 422,
        *,
        slug: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.slug = slug or slug_for(status)
        self.field = field


def json_object() -> dict[str, Any]:
    """Return the request's JSON body; raise a 400 `bad_request` unless it is a JSON object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(_("Please send a JSON object."), 400)
    return body


def wants_json() -> bool:
    """Return whether this request should get a JSON error rather than a page."""
    return request.path.startswith("/api/")


def error_response(code: int, message: str, error: str | None = None, **extra):
    """Build the JSON error body `{"error": ..., "message": ...}` with a status code."""
    body = {"error": error or slug_for(code), "message": message, **extra}
    return jsonify(body), code


def slug_for(code: int) -> str:
    """Return a machine-readable error name for a status code."""
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        422: "invalid",
        429: "rate_limited",
        500: "server_error",
        503: "unavailable",
    }.get(code, "error")


def handle_http_error(exc: HTTPException):
    """Render any HTTP error as JSON under /api/ or as a page elsewhere."""
    code = exc.code or 500
    if code >= 500:
        db.session.rollback()
    description = exc.description if exc.description != type(exc).description else None
    if isinstance(exc, CSRFError):
        description = str(_l("This form has expired. Please reload the page and try again."))
    headers = {}
    extra = {}
    if code == 429:
        retry_after = getattr(exc, "retry_after", None) or _retry_after_from(exc)
        headers["Retry-After"] = str(retry_after)
        extra["retry_after"] = retry_after
        # Flask-Limiter describes the limit ("10 per 1 minute"); people need what to do.
        description = str(HINTS[429])
    if code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if wants_json():
        response, status = error_response(
            code,
            description or str(TITLES.get(code, exc.name)),
            error=_csrf_or(exc, code),
            **extra,
        )
    else:
        response = _error_page(code, TITLES.get(code, exc.name), description or HINTS.get(code, ""))
        status = code
    response.status_code = status
    response.headers.update(headers)
    return response


def handle_api_error(exc: ApiError):
    """Undo the failed write; answer JSON under /api/ or the error page elsewhere."""
    db.session.rollback()
    if wants_json():
        extra = {} if exc.field is None else {"field": exc.field}
        return error_response(exc.status, str(exc.message), error=exc.slug, **extra)
    title = TITLES.get(exc.status) or TITLES[500 if exc.status >= 500 else 400]
    response = _error_page(exc.status, title, str(exc.message))
    response.status_code = exc.status
    return response


def _error_page(code: int, title: Any, message: Any):
    return current_app.make_response(
        render_template("errors/error.html", code=code, title=title, message=message)
    )


def _csrf_or(exc: HTTPException, code: int) -> str:
    return "csrf_failed" if isinstance(exc, CSRFError) else slug_for(code)


def _retry_after_from(exc: HTTPException) -> int:
    """Seconds to wait, from Flask-Limiter's window, or one minute."""
    limit = getattr(exc, "limit", None)
    try:
        return max(1, int(limit.limit.get_expiry()))
    except AttributeError:
        return 60


def handle_unexpected(exc: Exception):
    """Log an unexpected exception and answer with a 500 in the right shape."""
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def handle_database_error(exc: DBAPIError):
    """Answer a lost database connection with a 503 and one log line; anything else is a 500.

    The request's transaction died with its connection, so nothing of it was saved; the
    pool replaces the connection, and the client sends again (a share's client id makes
    that safe). Not a traceback: the cause is outside the code, and one line says it.
    """
    if not is_disconnect(exc):
        return handle_unexpected(exc)
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.remove()  # the session's connection is gone: start the next one afresh
    current_app.logger.warning(
        "Database connection lost on %s %s (%s); answered 503",
        request.method,
        request.path,
        disconnect_reason(exc),
    )
    headers = {"Retry-After": str(DISCONNECT_RETRY_AFTER)}
    # The 500 wording fits: not the visitor's fault, try again in a minute (translated).
    message = str(HINTS[500])
    if wants_json():
        response, _status = error_response(
            503, message, error=slug_for(503), retry_after=DISCONNECT_RETRY_AFTER
        )
    else:
        response = _error_page(503, TITLES[500], message)
    response.status_code = 503
    response.headers.update(headers)
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
