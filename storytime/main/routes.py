"""Home page, language picker and health check."""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from storytime.events import notifier_for
from storytime.extensions import db, limiter
from storytime.i18n import all_languages
from storytime.redirects import safe_path
from storytime.storytimes.routes import index as storytimes_index

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    """Show the code box to caregivers and the storytimes list to staff."""
    if current_user.is_authenticated:
        # Shown here rather than redirected: the start page carries a usable CSRF token.
        return storytimes_index()
    return render_template("main/index.html")


@bp.route("/join")
def join_by_code():
    """Send a typed code to its join page, whatever its case or stray spaces."""
    code = "".join((request.args.get("code") or "").split()).upper()
    if not code:
        return redirect(url_for("main.index"))
    return redirect(f"/j/{quote(code, safe='')}")


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Remember the language picked from the picker and go back."""
    if code in all_languages():
        session["lang"] = code
    return redirect(safe_path(request.form.get("next"), url_for("main.index")))


@bp.route("/healthz")
def health():
    """Report whether the database answers, for load balancers and monitoring."""
    notifier = notifier_for(current_app)
    report = {
        "notifier": "redis" if current_app.config["REDIS_URL"] else "local",
        "notifier_healthy": notifier.healthy,
        # Where this worker counts rate limits; "memory-fallback" while their storage is down.
        "ratelimit_storage": limiter.storage_state(current_app),
    }
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Health check: the database does not answer")
        # 503 in the health check's own shape, so monitors can tell what is down.
        return jsonify(status="error", database="unreachable", **report), 503
    return jsonify(status="ok", **report)
