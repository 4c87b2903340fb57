"""The librarian's live dashboard, its no-script actions, and the projected display."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from storytime.auth.roles import require_runner, staff_required
from storytime.extensions import db
from storytime.live.display import render_display
from storytime.live.feed import counts
from storytime.live.forms import (
    SHARE_ACTIONS,
    STATE_FILTERS,
    ControlForm,
    PlaylistScreenForm,
    ShareActionForm,
    ShowHeldForm,
    SungForm,
)
from storytime.live.playlist import PlaylistError, playlist, set_on_screen, set_sung
from storytime.models import KINDS, Share, Storytime
from storytime.share.kinds import kind_icon, kind_label
from storytime.share.moderation import moderate, show_held
from storytime.share.service import ShareError, delete_share
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
    return {
        "kind_label": kind_label,
        "kind_icon": kind_icon,
        "kinds": KINDS,
    }


@bp.after_request
def no_store(response):
    """Live pages show changing, partly private state: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def share_filters() -> tuple[str, str]:
    """Return the dashboard's filters from `?kind=` and `?state=`; unknown values mean all."""
    kind = request.args.get("kind", "")
    state = request.args.get("state", "")
    return (kind if kind in KINDS else ""), (state if state in STATE_FILTERS else "")


def matches_filters(share: Share, kind: str, state: str) -> bool:
    """Return whether a share passes the dashboard's filters (the same rule as dashboard.js)."""
    if kind and share.kind != kind:
        return False
    if state == "held":
        return share.held
    if state == "on_screen":
        return share.on_screen
    if state == "unanswered":
        return share.kind == "question" and not share.answered
    return True


def dashboard_url(storytime: Storytime, anchor: str | None = None) -> str:
    """Return the dashboard's address, keeping the filters the form was posted from."""
    kind, state = share_filters()
    args = {name: value for name, value in (("kind", kind), ("state", state)) if value}
    return url_for("live.dashboard", storytime_id=storytime.id, _anchor=anchor, **args)


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
    kind, state = share_filters()
    return render_template(
        "live/dashboard.html",
        storytime=storytime,
        shares=shares,
        filter_kind=kind,
        filter_state=state,
        filtered_out={share.id for share in shares if not matches_filters(share, kind, state)},
        held_count=sum(1 for share in shares if share.held and share.allow_screen),
        songs=playlist(storytime),
        counts=counts(storytime.id),
        last_event_id=last_event_id,
        display_link=display_url(storytime),
        join_link=join_url(storytime),
        close_url=url_for(
            "storytimes.close",
            storytime_id=storytime.id,
            next=url_for("live.dashboard", storytime_id=storytime.id),
        ),
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
        return redirect(dashboard_url(storytime))
    form = ShareActionForm()
    if not form.validate_on_submit():
        flash(_("That action is not known. Please use the buttons on the page."), "error")
        return redirect(dashboard_url(storytime))
    action = form.action.data
    changes = SHARE_ACTIONS[action]
    try:
        if changes is None:
            delete_share(share)
            flash(_("Share deleted."), "success")
            return redirect(dashboard_url(storytime))
        moderate(share, changes)
    except ShareError as exc:
        flash(str(exc.message), "error")
    return redirect(dashboard_url(storytime, f"share-{share_id}"))


@bp.route("/storytimes/<int:storytime_id>/live/show-held", methods=["POST"])
@staff_required()
def show_all_held(storytime_id: int):
    """Show every held share the caregiver allowed on screen (review mode's "Show all held")."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    if not ShowHeldForm().validate_on_submit():
        flash(_("That action is not known. Please use the buttons on the page."), "error")
        return redirect(dashboard_url(storytime))
    shown = show_held(storytime)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(shown=shown)  # dashboard.js: the feed brings each share's change
    flash(ngettext("%(num)d share shown.", "%(num)d shares shown.", shown), "success")
    return redirect(dashboard_url(storytime))


@bp.route("/storytimes/<int:storytime_id>/live/playlist/sung", methods=["POST"])
@staff_required()
def playlist_sung(storytime_id: int):
    """Mark a playlist song as sung or not (the page without JavaScript)."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    form = SungForm()
    if not form.validate_on_submit():
        flash(_("That action is not known. Please use the buttons on the page."), "error")
    else:
        try:
            set_sung(storytime, form.key.data, form.action.data == "sung")
        except PlaylistError as exc:
            flash(str(exc.message), "error")
    return redirect(dashboard_url(storytime, "playlist-title"))


@bp.route("/storytimes/<int:storytime_id>/live/playlist/screen", methods=["POST"])
@staff_required()
def playlist_screen(storytime_id: int):
    """Put the playlist on the TV for playtime, or take it off (the page without JavaScript)."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    form = PlaylistScreenForm()
    if not form.validate_on_submit():
        flash(_("That action is not known. Please use the buttons on the page."), "error")
    else:
        on = form.action.data == "on"
        set_on_screen(storytime, on)
        flash(
            _("The playlist is on the TV.") if on else _("The playlist is off the TV."), "success"
        )
    return redirect(dashboard_url(storytime, "playlist-title"))


@bp.route("/storytimes/<int:storytime_id>/live/control", methods=["POST"])
@staff_required()
def control(storytime_id: int):
    """Open or close the storytime, toggle the quiet screen, or rotate the display link."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    form = ControlForm()
    target = dashboard_url(storytime)
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
