"""The check-in page for phones and the outcome review pages; defines `bp`.

The phone's page works without JavaScript: one screen, a radio group per statement,
two optional comments. Staff pages read outcomes/queries.py; writes go through
outcomes/service.py (and admin/service.py for the library's wording).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from storytime import settings
from storytime.admin.service import StaffError, save_statement_wording
from storytime.auth.roles import admin_required, require_runner, staff_required
from storytime.errors import handle_http_error
from storytime.extensions import db
from storytime.models import AUDIENCES, STATEMENTS, Storytime
from storytime.models.outcome import QUESTIONS
from storytime.outcomes import charts, queries, service, statements
from storytime.outcomes.forms import ANSWER_PREFIX, AskForm, CheckInForm, WordingForm
from storytime.outcomes.service import OutcomeError
from storytime.ratelimits import code_lookup_limit, share_limits
from storytime.redirects import safe_path
from storytime.review.queries import branches_for
from storytime.share.phone import current_phone
from storytime.storytimes.service import find_by_code

bp = Blueprint("outcomes", __name__)


@bp.after_request
def no_store(response):
    """Never cache: the phone's page carries a CSRF token and its answers, staff pages figures."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def outcome_helpers() -> dict:
    return {
        "checkin_card": checkin_card,
        "checkin_results": queries.storytime_results,
        "checkin_ask_form": AskForm,
        "checkin_wording_form": wording_form,
        "checkin_statement_text": statements.statement_text,
    }


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    """Show a share from 0 to 1 as a whole percentage (a dash when there is none)."""
    return charts.percent(value)


def checkin_card(storytime: Storytime) -> dict | None:
    """Return what the phone card shows: nothing, a card (maybe waiting to be asked), or thanks."""
    if not service.checkins_open(storytime):
        return None
    done = service.existing(storytime, current_phone(create=False)) is not None
    return {
        "done": done,
        "shown": service.card_shown(storytime),
        "url": url_for("outcomes.checkin_page", code=storytime.code),
        "api": url_for("api.checkin_form", code=storytime.code),
    }


def wording_form() -> WordingForm:
    """Return the wording form filled with the library's current words."""
    form = WordingForm(formdata=None)
    for statement in STATEMENTS:
        form[statement].data = statements.reworded().get(statement, "")
    return form


# --- the phone's page ---


def _expired() -> str:
    return _("This page had expired, so nothing was sent yet. Please press Send again.")


@bp.errorhandler(CSRFError)
def expired_form(exc: CSRFError):
    """Show the check-in again with what was chosen, rather than lose it to an expired token."""
    storytime = find_by_code((request.view_args or {}).get("code", ""))
    if storytime is None or request.endpoint != "outcomes.checkin_page":
        return handle_http_error(exc)  # the app's own answer: a page, or JSON under /api/
    return _render_checkin(storytime, CheckInForm(), error=_expired()), 400


def _render_checkin(storytime: Storytime, form: CheckInForm, *, error=None, field=None):
    phone = current_phone(create=False)
    kind = service.kind_for(storytime, phone)
    mine = service.existing(storytime, phone)
    if form.is_submitted():
        chosen = form.answers()
    else:
        chosen = mine.answers() if mine is not None else {}
        if mine is not None:
            form.liked.data, form.wish.data = mine.liked, mine.wish
    return render_template(
        "outcomes/checkin.html",
        storytime=storytime,
        kind=kind,
        statements=statements.statements(kind),
        scale=statements.scale(),
        form=form,
        chosen=chosen,
        done=mine is not None,
        error=error,
        error_field=field,
        answer_prefix=ANSWER_PREFIX,
    )


def _closed(storytime: Storytime, status: int):
    return render_template("outcomes/closed.html", storytime=storytime), status


@bp.route("/j/<code>/checkin", methods=["GET", "POST"])
@code_lookup_limit
@share_limits
def checkin_page(code: str):
    """Show the check-in (one screen, every answer optional) and take it without JavaScript."""
    storytime = find_by_code(code)
    if storytime is None:
        abort(404)
    if request.method == "GET" and code != storytime.code:
        return redirect(url_for("outcomes.checkin_page", code=storytime.code))
    current_phone()  # a first visit gets its cookie now, before anything is sent
    form = CheckInForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.check_in(
                storytime,
                current_phone(),
                client_id=form.client_id.data,
                answers=form.answers(),
                comments={q: form[q].data for q in QUESTIONS},
            )
        except OutcomeError as exc:
            db.session.rollback()
            if exc.status == 409:
                return _closed(storytime, 409)
            return _render_checkin(storytime, form, error=str(exc.message), field=exc.field), 422
        flash(_("Thank you! Your check-in was sent."), "success")
        return redirect(url_for("outcomes.checkin_page", code=storytime.code))
    if not service.checkins_open(storytime):
        return _closed(storytime, 409 if request.method == "POST" else 200)
    return _render_checkin(storytime, form)


# --- the librarian's dashboard ---


@bp.route("/storytimes/<int:storytime_id>/checkins/ask", methods=["POST"])
@staff_required()
def ask(storytime_id: int):
    """Ask every phone for a check-in: a card on each phone and a line on the display."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    back = safe_path(request.form.get("next"), url_for("live.dashboard", storytime_id=storytime.id))
    if not AskForm().validate_on_submit():
        flash(_("That action is not known. Please use the buttons on the page."), "error")
        return redirect(back)
    try:
        service.ask_for_checkins(storytime)
    except OutcomeError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Check-ins asked for: every phone shows a card now."), "success")
    return redirect(back)


# --- the library's wording (on the settings page) ---


@bp.route("/admin/settings/checkin-statements", methods=["POST"])
@admin_required
def save_wording():
    """Save the library's own words for the check-in statements; the ids stay."""
    form = WordingForm()
    if form.validate_on_submit():
        try:
            save_statement_wording({s: form[s].data or "" for s in STATEMENTS})
        except StaffError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("Check-in statements saved."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("admin.settings_page", _anchor="checkin-wording"))


# --- review pages ---


def _filters():
    filters = queries.parse_outcome_filters(
        request.args, current_user, groupings=queries.PAGE_GROUPINGS, default_kind=None
    )
    return filters, {
        "filters": filters,
        "branches": branches_for(current_user),
        "audiences": AUDIENCES,
        "groupings": queries.PAGE_GROUPINGS,
    }


def _figures(filters: queries.OutcomeFilters) -> dict:
    """Return what the outcome page and the board report show, for both kinds."""
    result = {"totals": queries.total_responses(current_user, filters)}
    titles = {
        "immediate": _("At storytime: how many agree"),
        "follow_up": _("Weeks later: how many agree"),
    }
    for kind in ("immediate", "follow_up"):
        group = queries.overall(current_user, filters, kind)
        result[kind] = group
        result[f"{kind}_chart"] = (
            charts.agreement_chart(f"chart-{kind}", titles[kind], group["statements"])
            if group
            else None
        )
        result[f"{kind}_groups"] = queries.aggregate(current_user, filters, filters.by, kind=kind)
    result["change"] = queries.change(current_user, filters)
    result["min_group"] = queries.min_group()
    return result


@bp.route("/review/outcomes")
@staff_required()
def index():
    """Show what families said storytime changed: % agree, the follow-up, by group, charts."""
    filters, context = _filters()
    return render_template("outcomes/index.html", **context, **_figures(filters)), (
        400 if filters.errors else 200
    )


@bp.route("/review/outcomes/comments")
@staff_required()
def comments():
    """Search what families wrote in their check-ins (purged words are gone)."""
    filters, context = _filters()
    page = queries.comments(current_user, filters)
    return render_template("outcomes/comments.html", page=page, **context), (
        400 if filters.errors else 200
    )


@bp.route("/review/outcomes/report")
@staff_required()
def report():
    """A one-page report for a library board: responses, % agree, the change, a few words."""
    filters, context = _filters()
    page = queries.comments(current_user, filters, per_page=24)
    # A few different voices: the same words twice say nothing new to a board.
    quotes = list(dict.fromkeys(c.liked or c.wish for c in page.items))[:6]
    return render_template(
        "outcomes/report.html",
        **context,
        **_figures(filters),
        quotes=quotes,
        library=settings.library_name(),
    ), (400 if filters.errors else 200)
