"""Songbook pages: entries, merge, split, rename, and picking songs into a plan."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from storytime.auth.roles import staff_required
from storytime.extensions import db
from storytime.models import PlannedSong, SongbookEntry, Storytime
from storytime.review import bp, queries, songs
from storytime.review.forms import MergeForm, PlanForm, RenameForm, SplitForm
from storytime.songbook import (
    SongbookError,
    merge_entries,
    rename_entry,
    split_variant,
    staff_only_count,
    variants,
)


def _plan_form() -> PlanForm:
    form = PlanForm()
    form.storytime_id.choices = [
        (st.id, f"{format_datetime(st.starts_at, 'short')} · {st.branch.name} · {st.title}")
        for st in songs.upcoming_for(current_user)
    ]
    return form


@bp.route("/songbook")
@staff_required()
def songbook():
    """List songbook entries with how often, where and when they were shared."""
    # The songbook is community-wide: every branch's songs help every librarian plan.
    filters = queries.parse_filters(request.args, current_user, every_branch=True)
    sort = request.args.get("sort", "count")
    page = songs.list_entries(filters, sort if sort in songs.SORTS else "count")
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
    details = songs.entry_details([entry.id])[entry.id]
    plans = db.session.execute(
        db.select(PlannedSong)
        .join(PlannedSong.storytime)
        .where(PlannedSong.entry_id == entry.id, Storytime.state != "closed")
        .order_by(Storytime.starts_at)
    ).scalars()
    rename = RenameForm(title=entry.title)
    return render_template(
        "review/song.html",
        entry=entry,
        variants=variants(entry),
        staff_only=staff_only_count(entry),
        branches=details["branches"],
        plans=list(plans),
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
    entries = list(
        db.session.execute(
            db.select(SongbookEntry).where(SongbookEntry.id.in_(ids)).order_by(SongbookEntry.id)
        ).scalars()
    )
    form.target.choices = [(e.id, e.title) for e in entries]
    if request.method == "POST":
        if form.validate():
            target = db.session.get(SongbookEntry, form.target.data)
            merged = merge_entries(target, [e for e in entries if e.id != target.id])
            flash(
                _("Merged %(n)d entries into “%(title)s”.", n=merged, title=target.title),
                "success",
            )
            return redirect(url_for("review.song", entry_id=target.id)), 303
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
        new_entry = split_variant(entry, form.alias_id.data)
    except SongbookError as exc:
        abort(exc.status, description=str(exc.message))
    flash(_("“%(title)s” is now an entry of its own.", title=new_entry.title), "success")
    return redirect(url_for("review.song", entry_id=new_entry.id)), 303


@bp.route("/songbook/<int:entry_id>/title", methods=["POST"])
@staff_required()
def rename(entry_id: int):
    """Change the title an entry is listed under."""
    entry = db.get_or_404(SongbookEntry, entry_id)
    form = RenameForm()
    if form.validate():
        try:
            rename_entry(entry, form.title.data)
        except SongbookError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("Title saved."), "success")
    else:
        flash(_("Please give the song a title."), "error")
    return redirect(url_for("review.song", entry_id=entry.id)), 303


@bp.route("/songbook/<int:entry_id>/plan", methods=["POST"])
@staff_required()
def plan(entry_id: int):
    """Pick a song into an upcoming storytime's plan."""
    entry = db.get_or_404(SongbookEntry, entry_id)
    form = _plan_form()
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("review.song", entry_id=entry.id)), 303
    storytime = db.session.get(Storytime, form.storytime_id.data)
    if songs.plan_song(storytime, entry, current_user):
        flash(_("Added to the plan for “%(title)s”.", title=storytime.title), "success")
    else:
        flash(_("This song is already in that plan."), "info")
    return redirect(url_for("review.song", entry_id=entry.id)), 303


@bp.route("/plans/<int:plan_id>/delete", methods=["POST"])
@staff_required()
def unplan(plan_id: int):
    """Take a song out of a storytime's plan."""
    planned = db.get_or_404(PlannedSong, plan_id)
    if not current_user.can_run_branch(planned.storytime.branch_id):
        abort(403)
    entry_id = planned.entry_id
    db.session.delete(planned)
    db.session.commit()
    flash(_("Taken out of the plan."), "info")
    return redirect(url_for("review.song", entry_id=entry_id)), 303
