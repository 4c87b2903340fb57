"""Review pages for past storytimes: list, search, one storytime, headcount, recap, exports."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storytime.auth.roles import staff_required
from storytime.extensions import db
from storytime.models import AUDIENCES, KINDS, Share, Storytime
from storytime.review import exports, queries
from storytime.review.forms import HeadcountForm, IncludeForm, RecapForm
from storytime.review.recap import (
    build_recap,
    candidates,
    in_recap,
    set_included,
)
from storytime.review.service import save_headcount
from storytime.songbook import queries as songbook_queries
from storytime.storytimes.queries import previous_counted
from storytime.storytimes.service import library_zone

bp = Blueprint("review", __name__)


def reviewable(storytime_id: int) -> Storytime:
    """Return a storytime the current user may review, or abort with 404/403."""
    storytime = db.get_or_404(Storytime, storytime_id)
    if not queries.can_review(current_user, storytime):
        abort(403)
    return storytime


def flash_errors(form) -> None:
    """Flash each of a form's errors, for the page the browser is sent back to."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


def filter_context(filters: queries.Filters) -> dict:
    """Return what the filter form needs."""
    return {
        "filters": filters,
        "branches": queries.branches_for(current_user),
        "audiences": AUDIENCES,
        "kinds": KINDS,
    }


@bp.route("/")
@staff_required()
def index():
    """List past storytimes with counts by kind, filtered and paginated."""
    filters = queries.parse_filters(request.args, current_user)
    page = queries.past_storytimes(current_user, filters)
    status = 400 if filters.errors else 200
    return render_template("review/index.html", page=page, **filter_context(filters)), status


@bp.route("/search")
@staff_required()
def search():
    """Search the words of every share the user may review."""
    filters = queries.parse_filters(request.args, current_user)
    page = queries.search_shares(current_user, filters) if filters.q else None
    status = 400 if filters.errors else 200
    return render_template("review/search.html", page=page, **filter_context(filters)), status


@bp.route("/storytimes/<int:storytime_id>")
@staff_required()
def storytime(storytime_id: int):
    """Show one storytime: every share and its state, counts, phones and the headcount."""
    st = reviewable(storytime_id)
    shares = db.session.execute(
        db.select(Share).where(Share.storytime_id == st.id).order_by(Share.created_at, Share.id)
    ).scalars()
    form = HeadcountForm(obj=None)
    counted = (st.headcount_adults, st.headcount_children, st.headcount_babies)
    # Only the same series' last numbers are a fair start (see docs/storytimes.md).
    previous = previous_counted(st, library_zone()) if counted == (None, None, None) else None
    suggested = previous is not None
    if previous is not None:
        counted = (
            previous.headcount_adults,
            previous.headcount_children,
            previous.headcount_babies,
        )
    form.adults.data, form.children.data, form.babies.data = counted
    return render_template(
        "review/storytime.html",
        st=st,
        shares=list(shares),
        summary=queries.storytime_summary(st),
        form=form,
        headcount_suggested=suggested,
        plan=songbook_queries.plan_of(st),
        in_recap=in_recap,
    )


@bp.route("/storytimes/<int:storytime_id>/headcount", methods=["POST"])
@staff_required()
def headcount(storytime_id: int):
    """Save how many adults, children and babies came."""
    st = reviewable(storytime_id)
    form = HeadcountForm()
    if form.validate():
        save_headcount(st, form.adults.data, form.children.data, form.babies.data)
        flash(_("Headcount saved."), "success")
    else:
        flash_errors(form)
    return redirect(url_for("review.storytime", storytime_id=storytime_id) + "#headcount"), 303


@bp.route("/storytimes/<int:storytime_id>/recap", methods=["GET", "POST"])
@staff_required()
def recap_editor(storytime_id: int):
    """Edit the note, choose what families see, and publish or unpublish the recap."""
    st = reviewable(storytime_id)
    form = RecapForm()
    if not form.is_submitted():
        form.note.data = st.recap_note
        form.published.data = st.recap_published
        form.show_names.data = st.recap_show_names
    if form.validate_on_submit():
        flash(form.save_to(st), "success")
        return redirect(url_for("review.recap_editor", storytime_id=st.id)), 303
    return render_template(
        "review/recap_editor.html",
        st=st,
        form=form,
        recap=build_recap(st),
        candidates=candidates(st),
        in_recap=in_recap,
    ), (400 if form.errors else 200)


@bp.route("/storytimes/<int:storytime_id>/recap/shares", methods=["POST"])
@staff_required()
def recap_include(storytime_id: int):
    """Put one share in the recap or take it out."""
    st = reviewable(storytime_id)
    form = IncludeForm()
    if not form.validate():
        abort(400)
    set_included(st, form.share_id.data, form.included.data == "1")
    return redirect(url_for("review.recap_editor", storytime_id=storytime_id) + "#choose"), 303


@bp.route("/storytimes/<int:storytime_id>/export.<any(csv, json):fmt>")
@staff_required()
def export_storytime(storytime_id: int, fmt: str):
    """Download one storytime's shares as CSV or JSON."""
    st = reviewable(storytime_id)
    rows = exports.storytime_rows(st)
    stem = exports.storytime_stem(st)
    if fmt == "csv":
        return exports.csv_response(rows, stem)
    return exports.json_response({"storytime": exports.storytime_dict(st), "shares": rows}, stem)


@bp.route("/export.<any(csv, json):fmt>")
@staff_required()
def export_range(fmt: str):
    """Download the shares of every storytime the filters select."""
    filters = queries.parse_filters(request.args, current_user)
    if filters.errors:
        abort(400, description=" ".join(filters.errors.values()))
    rows = exports.range_rows(current_user, filters)
    stem = exports.range_stem(filters)
    if fmt == "csv":
        return exports.csv_response(rows, stem)
    return exports.json_response(exports.range_body(filters, rows), stem)
