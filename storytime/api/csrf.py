"""A fresh CSRF token for pages left open for hours (tokens expire after an hour)."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_wtf.csrf import generate_csrf

from storytime.api import bp


@bp.route("/csrf-token")
def csrf_token():
    """Return a fresh CSRF token for this browser's session, to send as `X-CSRFToken`."""
    response = jsonify(
        csrf_token=generate_csrf(), expires_in=current_app.config["WTF_CSRF_TIME_LIMIT"]
    )
    response.headers["Cache-Control"] = "no-store"
    return response
