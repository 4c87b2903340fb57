"""The librarian's live dashboard, its no-script actions, and the projected display."""

from __future__ import annotations

import re

from babel.lists import format_list
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from storytime.auth.roles import require_runner, staff_required
from storytime.extensions import db
from storytime.live.feed import counts, storytime_for_display, visible_shares
from storytime.live.forms import SHARE_ACTIONS, ControlForm, ShareActionForm
from storytime.models import KINDS, Share, Storytime
from storytime.share.kinds import kind_icon, kind_label
from storytime.share.service import ShareError, delete_share, moderate
from storytime.storytimes.links import display_url, join_url
from storytime.storytimes.qr import inline_svg as qr_svg
from storytime.storytimes.service import (
    StorytimeError,
    rotate_display_token,
    set_quiet,
    set_state,
)

bp = Blueprint("live", __name__)

DISPLAY_SHARES = 50  # the display keeps at most this many shares, on the page and in memory
WELCOME_NAMES = 6
WELCOME_NAME_LENGTH = 40
SLOT = re.compile("\ue000(\\d+)\ue001")


@bp.context_processor
def live_helpers() -> dict:
    return {"kind_label": kind_label, "kind_icon": kind_icon, "kinds": KINDS}


@bp.after_request
def no_store(response):
    """Live pages show changing, partly private state: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def welcome_name(share: Share) -> str:
    """Return how a hello is greeted: the name given, else the start of its text."""
    name = (share.name or share.text or "").strip()
    return name if len(name) <= WELCOME_NAME_LENGTH else name[: WELCOME_NAME_LENGTH - 1] + "…"


def welcome_line(hellos: list[Share]) -> Markup:
    """Return "Welcome, Maya and Leo!" for the newest hellos on screen, or a plain welcome.

    Each name is escaped and isolated in its own ``<bdi>``, so a direction override
    typed in one name cannot reorder the words, commas or other names around it.
    """
    names = [welcome_name(share) for share in reversed(hellos[:WELCOME_NAMES])]
    names = [name for name in names if name]
    if not names:
        return escape(_("Welcome!"))
    # Private-use placeholders go through the list pattern and the translation, which are
    # then escaped; only then does each become its name's escaped <bdi>.
    slots = [f"\ue000{i}\ue001" for i in range(len(names))]
    listed = format_list(slots, locale=str(get_locale() or "en"))
    line = str(escape(_("Welcome, %(names)s!", names=listed)))
    # One pass, so a name that itself holds a placeholder's characters is never rescanned.
    return Markup(SLOT.sub(lambda m: Markup("<bdi>%s</bdi>") % names[int(m[1])], line))


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
    last_event_id = storytime.last_event_id
    shares = visible_shares(storytime, DISPLAY_SHARES)
    hellos = [share for share in shares if share.kind == "hello"]
    pinned = next((share for share in shares if share.pinned), None)
    link = join_url(storytime)
    response = render_template(
        "live/display.html",
        storytime=storytime,
        public=storytime_for_display(storytime),
        shares=[share for share in shares if share.kind != "hello" and share is not pinned],
        pinned=pinned,
        hellos=hellos,
        welcome=welcome_line(hellos),
        last_event_id=last_event_id,
        join_link=link,
        qr=qr_svg(link, _("QR code to join this storytime")),
        token=token,
        max_shares=DISPLAY_SHARES,
    )
    return response, 200, {"Referrer-Policy": "no-referrer"}
