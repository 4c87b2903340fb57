"""The librarian's live dashboard, its no-script actions, and the projected display."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from storytime.auth.roles import require_runner, staff_required
from storytime.extensions import db
from storytime.live.display import render_display
from storytime.live.feed import counts
from storytime.live.forms import SHARE_ACTIONS, ControlForm, ShareActionForm
from storytime.models import KINDS, Share, Storytime
from storytime.share.kinds import kind_icon, kind_label
from storytime.share.service import ShareError, delete_share, moderate
from storytime.storytimes.links import display_url, join_url
from storytime.storytimes.service import (
    StorytimeError,
    rotate_display_token,
    set_quiet,
    set_state,
)

bp = Blueprint("live", __name__)


@bp.context_processor
def live_helpers() -> dict:
    return {"kind_label": kind_label, "kind_icon": kind_icon, "kinds": KINDS}


@bp.after_request
def no_store(response):
    """Live pages show changing, partly private state: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/storytimes/<int:storytime_id>/live")
@staff_required()
def dashboard(storytime_id: int):
    """Show the storytime's shares live, with the actions and the room's controls."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    # Read the cursor before the shares: a change in between is replayed, never missed.
    last_event_id = storytime.last_event_id
    shares = list(
        db.session.execute(
            db.select(Share).where(Share.storytime_id == storytime.id).order_by(Share.id.desc())
        ).scalars()
    )
    playlist = [share for share in reversed(shares) if share.kind == "song"]
    return render_template(
        "live/dashboard.html",
        storytime=storytime,
        shares=shares,
        playlist=playlist,
        counts=counts(storytime.id),
        last_event_id=last_event_id,
        display_link=display_url(storytime),
        join_link=join_url(storytime),
        share_form=ShareActionForm(),
        control_form=ControlForm(),
    )


@bp.route("/storytimes/<int:storytime_id>/live/shares/<int:share_id>", methods=["POST"])
@staff_required()
def share_action(storytime_id: int, share_id: int):
    """Apply one dashboard button to a share (the page without JavaScript)."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    share = db.get_or_404(Share, share_id)
    if share.storytime_id != storytime.id:
        return redirect(url_for("live.dashboard", storytime_id=storytime.id))
    form = ShareActionForm()
    if not form.validate_on_submit():
        flash(_("That action is not known. Please use the buttons on the page."), "error")
        return redirect(url_for("live.dashboard", storytime_id=storytime.id))
    action = form.action.data
    changes = SHARE_ACTIONS[action]
    try:
        if changes is None:
            delete_share(share)
            flash(_("Share deleted."), "success")
            return redirect(url_for("live.dashboard", storytime_id=storytime.id))
        moderate(share, changes)
    except ShareError as exc:
        flash(str(exc.message), "error")
    return redirect(
        url_for("live.dashboard", storytime_id=storytime.id, _anchor=f"share-{share_id}")
    )


@bp.route("/storytimes/<int:storytime_id>/live/control", methods=["POST"])
@staff_required()
def control(storytime_id: int):
    """Open or close the storytime, toggle the quiet screen, or rotate the display link."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    form = ControlForm()
    target = url_for("live.dashboard", storytime_id=storytime.id)
    if not form.validate_on_submit():
        flash(_("That action is not known. Please use the buttons on the page."), "error")
        return redirect(target)
    action = form.action.data
    try:
        if action in ("open", "close"):
            set_state(storytime, "open" if action == "open" else "closed")
            flash(_("Storytime opened.") if action == "open" else _("Storytime closed."), "success")
        elif action in ("quiet", "unquiet"):
            set_quiet(storytime, action == "quiet")
            flash(
                _("Quiet screen on: the display shows only the welcome and the QR code.")
                if action == "quiet"
                else _("Quiet screen off."),
                "success",
            )
        else:
            rotate_display_token(storytime)
            flash(
                _("New display link made. Open it on the screen; the old link has stopped."),
                "success",
            )
    except StorytimeError as exc:
        flash(str(exc.message), "error")
    return redirect(target)


@bp.route("/display/<token>")
def display(token: str):
    """The projected screen: on-screen shares, the welcome and the join QR. No login."""
    storytime = db.session.execute(
        db.select(Storytime).where(Storytime.display_token == token)
    ).scalar_one_or_none()
    if storytime is None or not token:
        return render_template(
            "errors/error.html",
            code=404,
            title=_("This display link is not valid any more"),
            message=_("Open the newest display link from the storytime's live dashboard."),
        ), 404
    return render_display(storytime)
