"""Sign in, sign out, first-run setup and personal API tokens."""

from __future__ import annotations

import secrets
from functools import cache

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user
from werkzeug.security import check_password_hash

from storytime.admin.service import StaffError, set_password
from storytime.auth.forms import ChangePasswordForm, LoginForm, SetupForm, TokenForm
from storytime.auth.roles import staff_required
from storytime.auth.sessions import (
    current_session,
    describe_user_agent,
    end_session,
    end_sessions,
    find_live_session,
    live_sessions,
    sign_in,
)
from storytime.auth.setup import finish_setup, setup_token_valid
from storytime.auth.tokens import create_token, revoke_token
from storytime.extensions import db, limiter
from storytime.models import ApiToken, User, now_utc
from storytime.redirects import safe_path

bp = Blueprint("auth", __name__)


def _login_email_key() -> str:
    """Rate-limit key: the account being tried, so one address cannot walk many."""
    return "login:" + (request.form.get("email") or "").strip().lower()


@cache
def _unmatchable_hash() -> str:
    """Return the hash of a random password nobody knows, made like every account's."""
    probe = User()
    probe.set_password(secrets.token_urlsafe(32))
    return probe.password_hash or ""


def _safe_next(target: str | None) -> str:
    """Return a same-site path to go to after login, or the staff home."""
    return safe_path(target, url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", key_func=_login_email_key, methods=["POST"])
def login():
    """Sign a staff member in."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(
            db.select(User).where(User.email == form.email.data.strip().lower())
        ).scalar_one_or_none()
        if user is None:
            # The same slow hash as a real check, so timing does not tell which emails exist.
            check_password_hash(_unmatchable_hash(), form.password.data)
        if user is None or not user.check_password(form.password.data) or not user.active:
            # One message for every failure, so the form does not reveal which emails exist.
            form.password.errors.append(_("That email and password do not match an account."))
        else:
            user.last_login_at = now_utc()
            db.session.commit()
            sign_in(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: end this browser's session, so no copy of its cookies works either."""
    staff_session = current_session()
    if staff_session is not None:
        end_session(staff_session)
    logout_user()  # and clears the remember cookie
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour")
def setup(token: str):
    """Let the first admin create their account through the one-time link."""
    if not setup_token_valid(token):
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        user = finish_setup(
            token,
            form.email.data,
            form.display_name.data,
            form.password.data,
            library=form.library_values(),
        )
        if user is None:
            abort(404)
        sign_in(user)
        flash(_("Welcome! Your admin account is ready."), "success")
        return redirect(url_for("admin.branches"))
    return render_template("auth/setup.html", form=form), 200 if not form.errors else 400


@bp.route("/account/tokens", methods=["GET", "POST"])
@staff_required()
def tokens():
    """List, create and revoke the signed-in account's API tokens."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = create_token(current_user, (form.name.data or "").strip())
    api_tokens = db.session.execute(
        db.select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())
    ).scalars()
    return render_template("auth/tokens.html", form=form, tokens=api_tokens, new_token=new_token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@staff_required()
def revoke(token_id: int):
    """Revoke one of the signed-in account's tokens."""
    api_token = db.get_or_404(ApiToken, token_id)
    if api_token.user_id != current_user.id:
        abort(404)
    revoke_token(api_token)
    flash(_("Token revoked."), "info")
    return redirect(url_for("auth.tokens"))


@bp.route("/account/sessions")
@staff_required()
def sessions():
    """List the browsers signed in to the current account."""
    return render_template(
        "auth/sessions.html",
        sessions=live_sessions(current_user),
        this_session=current_session(),
        describe=describe_user_agent,
    )


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@staff_required()
def end_one_session(session_id: int):
    """Sign one of the current account's browsers out."""
    staff_session = find_live_session(current_user, session_id)
    if staff_session is None:
        abort(404)
    end_session(staff_session)
    if staff_session is current_session():
        logout_user()
        flash(_("You are signed out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("That browser is signed out."), "info")
    return redirect(url_for("auth.sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@staff_required()
def end_other_sessions():
    """Sign out every browser of the current account but this one."""
    ended = end_sessions(current_user, keep=current_session())
    flash(
        ngettext("Signed out %(num)d other browser.", "Signed out %(num)d other browsers.", ended),
        "info",
    )
    return redirect(url_for("auth.sessions"))


@bp.route("/account/password", methods=["GET", "POST"])
# It checks the current password: someone at an unlocked screen must not walk guesses.
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
@staff_required()
def change_password():
    """Change the signed-in account's password; its other browsers are signed out."""
    form = ChangePasswordForm()
    form.account = current_user
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            set_password(user, form.password.data)  # ends every session, this one too
        except StaffError as exc:
            form.password.errors.append(str(exc))
        else:
            # This browser goes on with a new session, and a new remember cookie if it had one.
            remembered = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
            sign_in(user, remember=remembered)
            flash(_("Your password is changed. Other browsers are signed out."), "success")
            return redirect(url_for("auth.sessions"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200
