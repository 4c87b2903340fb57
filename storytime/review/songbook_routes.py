"""Songbook pages: entries, merge, split, rename, and picking songs into a plan."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from storytime.auth.roles import staff_required
from storytime.extensions import db
from storytime.models import PlannedSong, SongbookEntry, Storytime
from storytime.review import queries
from storytime.review.forms import MergeForm, PlanForm, RenameForm, SplitForm
from storytime.review.routes import bp, flash_errors
from storytime.songbook import queries as songbook_queries
from storytime.songbook import service


def _plan_form() -> PlanForm:
    form = PlanForm()
    form.storytime_id.choices = [
        (st.id, f"{format_datetime(st.starts_at, 'short')} · {st.branch.name} · {st.title}")
        for st in songbook_queries.upcoming_for(current_user)
    ]
    return form


def _to_song(entry_id: int, message: str | None = None, category: str = "info"):
    """Answer a form post with the entry's page (303: the browser then asks for it)."""
    if message:
        flash(message, category)
    return redirect(url_for("review.song", entry_id=entry_id)), 303


@bp.route("/songbook")
@staff_required()
def songbook():
    """List songbook entries with how often, where and when they were shared."""
    # The songbook is community-wide: every branch's songs help every librarian plan.
    filters = queries.parse_filters(request.args, current_user, every_branch=True)
    sort = request.args.get("sort", "count")
    page = songbook_queries.list_entries(
        filters, sort if sort in songbook_queries.SORTS else "count"
    )
    return render_template(
        "review/songbook.html",
        page=page,
        sort=sort,
        filters=filters,
        branches=queries.branches_for(current_user, every_branch=True),
    ), (400 if filters.errors else 200)


@bp.route("/songbook/<int:entry_id>")
@staff_required()
def song(entry_id: int):
    """Show one entry: its variants, branches, plans, and the merge/split/plan tools."""
    entry = db.get_or_404(SongbookEntry, entry_id)
    rename = RenameForm(title=entry.title)
    return render_template(
        "review/song.html",
        entry=entry,
        variants=songbook_queries.variants([entry.id], every_alias=True)[entry.id],
        staff_only=songbook_queries.staff_only_count(entry),
        branches=songbook_queries.branches([entry.id])[entry.id],
        plans=songbook_queries.open_plans(entry),
        plan_form=_plan_form(),
        rename_form=rename,
        split_form=SplitForm(),
    )


@bp.route("/songbook/merge", methods=["GET", "POST"])
@staff_required()
def merge():
    """Confirm and merge several entries into one (later shares follow the merge)."""
    form = MergeForm(formdata=request.form if request.method == "POST" else request.args)
    ids = [i for i in (form.entries.data or []) if isinstance(i, int)]
    entries = songbook_queries.entries(ids)
    form.target.choices = [(e.id, e.title) for e in entries]
    if request.method == "POST":
        if form.validate():
            target = db.session.get(SongbookEntry, form.target.data)
            merged = service.merge_entries(target, [e for e in entries if e.id != target.id])
            return _to_song(
                target.id,
                _("Merged %(n)d entries into “%(title)s”.", n=merged, title=target.title),
                "success",
            )
        return render_template("review/merge.html", form=form, entries=entries), 400
    if len(entries) < 2:
        flash(_("Tick at least two entries to merge."), "error")
        return redirect(url_for("review.songbook")), 303
    if form.target.data is None:
        form.target.data = entries[0].id
    return render_template("review/merge.html", form=form, entries=entries)


@bp.route("/songbook/<int:entry_id>/split", methods=["POST"])
@staff_required()
def split(entry_id: int):
    """Move one variant out of an entry into an entry of its own."""
    entry = db.get_or_404(SongbookEntry, entry_id)
    form = SplitForm()
    if not form.validate():
        abort(400)
    try:
        new_entry = service.split_variant(entry, form.alias_id.data)
    except service.SongbookError as exc:
        abort(exc.status, description=str(exc.message))
    return _to_song(
        new_entry.id, _("“%(title)s” is now an entry of its own.", title=new_entry.title), "success"
    )


@bp.route("/songbook/<int:entry_id>/title", methods=["POST"])
@staff_required()
def rename(entry_id: int):
    """Change the title an entry is listed under."""
    entry = db.get_or_404(SongbookEntry, entry_id)
    form = RenameForm()
    if not form.validate():
        return _to_song(entry.id, _("Please give the song a title."), "error")
    try:
        service.rename_entry(entry, form.title.data)
    except service.SongbookError as exc:
        return _to_song(entry.id, str(exc.message), "error")
    return _to_song(entry.id, _("Title saved."), "success")


@bp.route("/songbook/<int:entry_id>/plan", methods=["POST"])
@staff_required()
def plan(entry_id: int):
    """Pick a song into an upcoming storytime's plan."""
    entry = db.get_or_404(SongbookEntry, entry_id)
    form = _plan_form()
    if not form.validate():
        flash_errors(form)
        return _to_song(entry.id)
    storytime = db.session.get(Storytime, form.storytime_id.data)
    if service.plan_song(storytime, entry, current_user):
        return _to_song(
            entry.id, _("Added to the plan for “%(title)s”.", title=storytime.title), "success"
        )
    return _to_song(entry.id, _("This song is already in that plan."))


@bp.route("/plans/<int:plan_id>/delete", methods=["POST"])
@staff_required()
def unplan(plan_id: int):
    """Take a song out of a storytime's plan."""
    planned = db.get_or_404(PlannedSong, plan_id)
    if not current_user.can_run_branch(planned.storytime.branch_id):
        abort(403)
    entry_id = planned.entry_id
    service.unplan_song(planned)
    return _to_song(entry_id, _("Taken out of the plan."))
