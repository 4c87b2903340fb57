"""Home page, language picker and health check."""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from storytime.extensions import db
from storytime.main import bp
from storytime.models import Storytime


@bp.route("/")
def index():
    """Show the code box to caregivers and the upcoming storytimes to staff."""
    storytimes = []
    if current_user.is_authenticated:
        query = db.select(Storytime).where(Storytime.state != "closed")
        if not current_user.sees_every_branch:
            query = query.where(Storytime.branch_id == current_user.branch_id)
        storytimes = db.session.execute(query.order_by(Storytime.starts_at).limit(50)).scalars()
    return render_template("main/index.html", storytimes=storytimes)


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
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)


@bp.route("/healthz")
def health():
    """Report whether the database answers, for load balancers and monitoring."""
    db.session.execute(text("SELECT 1"))
    notifier = current_app.extensions["storytime_notifier"]
    return jsonify(
        status="ok",
        notifier="redis" if current_app.config["REDIS_URL"] else "local",
        notifier_healthy=notifier.healthy,
    )
