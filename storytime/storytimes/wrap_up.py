"""Closing a storytime: Close asks first, then the wrap-up page's three quick steps.

The steps are the headcount, the recap (what goes in, names, publish) and the outcome
check-in results. The headcount and the recap are written by review/service.py and
review/recap.py, the same code the review pages call. routes.py adds these views to the
`storytimes` blueprint (`add_routes`), so their endpoints are `storytimes.close`,
`storytimes.wrap_up`, ….
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from jinja2 import TemplateNotFound

from storytime.auth.roles import require_runner, staff_required
from storytime.extensions import db
from storytime.models import Storytime
from storytime.redirects import safe_path
from storytime.review.forms import HeadcountForm, IncludeForm, RecapForm
from storytime.review.recap import (
    RecapError,
    build_recap,
    candidates,
    in_recap,
)
from storytime.review.recap import set_included as set_in_recap
from storytime.review.service import save_headcount
from storytime.storytimes.forms import ConfirmForm
from storytime.storytimes.queries import previous_counted
from storytime.storytimes.service import library_zone, set_state


def runnable(storytime_id: int) -> Storytime:
    """Return a storytime the current account may run, or abort with 404/403."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    return storytime


# The outcomes feature's results for one storytime; the step is left out until it exists.
OUTCOMES_PARTIAL = "outcomes/_storytime_results.html"


def _has_outcomes() -> bool:
    try:
        current_app.jinja_env.get_template(OUTCOMES_PARTIAL)
    except TemplateNotFound:
        return False
    return True


def _wrap_up_url(storytime: Storytime, step: str = "") -> str:
    return url_for("storytimes.wrap_up", storytime_id=storytime.id, _anchor=step or None)


@staff_required()
def close(storytime_id: int):
    """Ask before closing; closing leads to the wrap-up page."""
    storytime = runnable(storytime_id)
    back = safe_path(
        request.values.get("next"), url_for("storytimes.detail", storytime_id=storytime.id)
    )
    form = ConfirmForm()
    if storytime.state == "closed":
        return redirect(_wrap_up_url(storytime), 303)
    if form.validate_on_submit():
        set_state(storytime, "closed")
        flash(_("Storytime closed: phones can no longer share."), "success")
        return redirect(_wrap_up_url(storytime), 303)
    if request.method == "POST":
        abort(400)
    return render_template("storytimes/close.html", storytime=storytime, form=form, back=back)


@staff_required()
def wrap_up(storytime_id: int):
    """The three quick steps after a storytime: headcount, recap, check-in results."""
    storytime = runnable(storytime_id)
    headcount = HeadcountForm(formdata=None)
    counted = (
        storytime.headcount_adults,
        storytime.headcount_children,
        storytime.headcount_babies,
    )
    # Only the same series (branch, title, weekday, time) is a fair first guess.
    previous = None
    if counted == (None, None, None):
        previous = previous_counted(storytime, library_zone())
        if previous is not None:
            counted = (
                previous.headcount_adults,
                previous.headcount_children,
                previous.headcount_babies,
            )
    headcount.adults.data, headcount.children.data, headcount.babies.data = counted
    recap_form = RecapForm(formdata=None)
    recap_form.note.data = storytime.recap_note
    recap_form.show_names.data = storytime.recap_show_names
    return render_template(
        "storytimes/wrap_up.html",
        storytime=storytime,
        st=storytime,
        headcount=headcount,
        previous=previous,
        recap_form=recap_form,
        recap=build_recap(storytime),
        candidates=candidates(storytime),
        in_recap=in_recap,
        has_outcomes=_has_outcomes(),
    )


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


@staff_required()
def wrap_up_headcount(storytime_id: int):
    """Save the headcount from the wrap-up page; the next step is the recap."""
    storytime = runnable(storytime_id)
    form = HeadcountForm()
    if not form.validate():
        _flash_errors(form)
        return redirect(_wrap_up_url(storytime, "headcount"), 303)
    save_headcount(storytime, form.adults.data, form.children.data, form.babies.data)
    flash(_("Headcount saved."), "success")
    return redirect(_wrap_up_url(storytime, "recap"), 303)


@staff_required()
def wrap_up_recap(storytime_id: int):
    """Save the recap's note and names, and publish it or keep it private."""
    storytime = runnable(storytime_id)
    form = RecapForm()
    if not form.validate():
        _flash_errors(form)
        return redirect(_wrap_up_url(storytime, "recap"), 303)
    flash(form.save_to(storytime), "success")
    return redirect(_wrap_up_url(storytime, "recap"), 303)


@staff_required()
def wrap_up_include(storytime_id: int):
    """Put one share in the recap or take it out, from the wrap-up page."""
    storytime = runnable(storytime_id)
    form = IncludeForm()
    if not form.validate():
        abort(400)
    try:
        set_in_recap(storytime, form.share_id.data, form.included.data == "1")
    except RecapError as exc:
        flash(str(exc.message), "error")
    return redirect(_wrap_up_url(storytime, "choose"), 303)


def add_routes(bp: Blueprint) -> None:
    """Add the close and wrap-up views to the storytimes blueprint."""
    base = "/storytimes/<int:storytime_id>"
    bp.add_url_rule(f"{base}/close", view_func=close, methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/wrap-up", view_func=wrap_up)
    bp.add_url_rule(f"{base}/wrap-up/headcount", view_func=wrap_up_headcount, methods=["POST"])
    bp.add_url_rule(f"{base}/wrap-up/recap", view_func=wrap_up_recap, methods=["POST"])
    bp.add_url_rule(f"{base}/wrap-up/recap/shares", view_func=wrap_up_include, methods=["POST"])
