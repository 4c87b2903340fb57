"""Review pages across storytimes: questions, tips, ideas and needs, follow-ups, charts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storytime.auth.roles import staff_required
from storytime.extensions import db
from storytime.models import FollowUp, Share
from storytime.redirects import safe_path
from storytime.review import charts, queries, service
from storytime.review.forms import FollowUpForm, NoteForm
from storytime.review.routes import bp, filter_context, flash_errors
from storytime.share import moderation


def reviewable_share(share_id: int) -> Share:
    """Return a share the current user may review, or abort with 404/403."""
    share = db.get_or_404(Share, share_id)
    if share.purged_at is not None:
        abort(404)
    if not queries.can_review(current_user, share.storytime):
        abort(403)
    return share


def _shares_page(kind: str, template: str, **context):
    """Render the shares of one kind the filters select (400 when a filter is not understood)."""
    filters = queries.parse_filters(request.args, current_user)
    page = queries.shares_of_kind(current_user, filters, kind)
    return render_template(template, page=page, **context, **filter_context(filters)), (
        400 if filters.errors else 200
    )


@bp.route("/questions")
@staff_required()
def questions():
    """List every question, answered or open, with the librarian's follow-up note."""
    return _shares_page("question", "review/questions.html", note_form=NoteForm())


@bp.route("/shares/<int:share_id>/note", methods=["POST"])
@staff_required()
def save_note(share_id: int):
    """Save a follow-up note on a share, and for questions whether it is answered."""
    share = reviewable_share(share_id)
    back = safe_path(request.form.get("next"), url_for("review.questions"))
    form = NoteForm()
    if not form.validate():
        flash_errors(form)
        return redirect(back), 303
    moderation.save_note(share, form.note.data or "", bool(form.answered.data))
    flash(_("Note saved."), "success")
    return redirect(f"{back}#share-{share_id}"), 303


@bp.route("/tips")
@staff_required()
def tips():
    """A searchable library of the tips families shared, by theme."""
    return _shares_page("tip", "review/tips.html", themes=queries.themes_for(current_user))


@bp.route("/ideas")
@staff_required()
def ideas():
    """What families asked the library for, counted by branch and month, with follow-ups."""
    filters = queries.parse_filters(request.args, current_user)
    page = queries.shares_of_kind(current_user, filters, "idea")
    table = queries.counts_by_branch_and_month(current_user, filters, "idea")
    follow_ups = {}
    if page.items:
        for follow_up in db.session.execute(
            db.select(FollowUp).where(FollowUp.share_id.in_([s.id for s in page.items]))
        ).scalars():
            follow_ups.setdefault(follow_up.share_id, []).append(follow_up)
    return render_template(
        "review/ideas.html",
        page=page,
        table=table,
        follow_ups=follow_ups,
        form=FollowUpForm(),
        **filter_context(filters),
    ), (400 if filters.errors else 200)


@bp.route("/shares/<int:share_id>/follow-up", methods=["POST"])
@staff_required("coordinator", "admin")
def post_follow_up(share_id: int):
    """Post a public "You asked, we did" follow-up on an idea or a question."""
    share = reviewable_share(share_id)
    service.check_follow_up(share)  # a share of another kind is refused whatever was sent
    back = safe_path(request.form.get("next"), url_for("review.ideas"))
    form = FollowUpForm()
    if not form.validate():
        flash_errors(form)
        return redirect(back), 303
    service.post_follow_up(share, form.text.data, current_user)
    flash(_("Follow-up posted on the branch's page."), "success")
    return redirect(f"{back}#share-{share_id}"), 303


@bp.route("/follow-ups/<int:follow_up_id>/delete", methods=["POST"])
@staff_required("coordinator", "admin")
def delete_follow_up(follow_up_id: int):
    """Take a follow-up off the branch's page."""
    service.delete_follow_up(db.get_or_404(FollowUp, follow_up_id))
    flash(_("Follow-up removed."), "info")
    return redirect(safe_path(request.form.get("next"), url_for("review.ideas"))), 303


@bp.route("/charts")
@staff_required()
def charts_page():
    """Charts of shares per month, participation by branch and top songs."""
    filters = queries.parse_filters(request.args, current_user)
    return render_template(
        "review/charts.html",
        charts=charts.all_charts(current_user, filters),
        **filter_context(filters),
    ), (400 if filters.errors else 200)
