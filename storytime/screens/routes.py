"""The permanent screen links, TV pairing and the staff pages for screens; defines `bp`."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from storytime import settings
from storytime.auth.roles import require_runner, staff_required
from storytime.errors import error_response
from storytime.extensions import db, limiter
from storytime.live.display import render_display
from storytime.models import Branch, DisplayScreen, Storytime
from storytime.ratelimits import address_key
from storytime.redirects import safe_path
from storytime.screens import service
from storytime.screens.forms import PairForm, ReplaceForm, RoomForm
from storytime.storytimes import links, qr

bp = Blueprint("screens", __name__)

TV_COOKIE = "st_tv"
# Pairing guesses are counted per staff account (one library address is shared by all);
# starting a pairing is counted per address, as each start writes a row.
NOT_VALID = "not_valid"


def _limit(name: str):
    """Read a limit at request time (STORYTIME_RATELIMIT_<NAME>), so tests can change it."""
    return lambda: str(current_app.config[f"RATELIMIT_{name}"])


def _account_key() -> str:
    return f"account:{current_user.get_id()}" if current_user.is_authenticated else address_key()


@bp.app_context_processor
def screen_helpers() -> dict:
    """Let any template (the dashboard's pair form) find a storytime's room screen."""
    return {
        "room_screen": _room_screen,
        "screen_link": screen_link,
        "room_label": service.room_label,
        "tv_address": tv_address,
    }


def tv_address() -> str:
    """Return where a new TV goes to get its code, as typed: no scheme (storytime.org/tv)."""
    return links.absolute(url_for("screens.tv")).split("://", 1)[-1]


def _room_screen(storytime: Storytime) -> DisplayScreen | None:
    """Return the screen of the storytime's room if it has one (reading only, never made)."""
    return service.find_screen(storytime.branch_id, storytime.room or "")


def screen_link(screen: DisplayScreen) -> str:
    """Return a screen's permanent link, absolute (it is typed into a TV or scanned)."""
    return links.absolute(url_for("screens.show", token=screen.token))


def _public(response):
    """A screen's pages change the moment a storytime opens, and the link is a secret."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _not_valid():
    return _public(
        (
            render_template(
                "screens/not_valid.html",
                library_name=settings.library_name(),
                pair_url=url_for("screens.tv"),
            ),
            404,
        )
    )


# --- what a TV shows ---


@bp.route("/screen/<token>")
def show(token: str):
    """A TV's permanent link: the storytime of its room, else the next, else an idle screen."""
    screen = service.find_by_token(token)
    if screen is None:
        return _not_valid()
    storytime = service.showing(screen)
    if storytime is not None:
        return _public(render_display(storytime, screen_token=token))
    link = links.branch_url(screen.branch)
    return _public(
        render_template(
            "screens/idle.html",
            screen=screen,
            token=token,
            room=screen.room,
            library_name=settings.library_name(),
            branch_link=link,
            qr=qr.inline_svg(link, _("QR code for %(url)s", url=link), "qr qr-idle"),
        )
    )


@bp.route("/screen/<token>/now")
def now(token: str):
    """Which storytime the screen shows now, so a TV's page can follow its room."""
    screen = service.find_by_token(token)
    if screen is None:
        response, status = error_response(
            404,
            _("This screen link was replaced or is not valid. Pair the TV again."),
            error=NOT_VALID,
        )
        return _public((response, status))
    storytime = service.showing(screen)
    return _public(jsonify({"storytime_id": storytime.id if storytime else None}))


# --- pairing: the TV's side ---


def _tv_secret() -> str:
    return request.cookies.get(TV_COOKIE, "")


def _tv_is_pairing() -> bool:
    """A TV showing its code (reloads, "Check again") starts nothing, so is not counted."""
    return service.pairing_of(_tv_secret()) is not None


@bp.route("/tv")
@limiter.limit(_limit("TV_PAIRING"), key_func=address_key, exempt_when=_tv_is_pairing)
def tv():
    """A TV's first page: a short code to type into the dashboard; then its screen link."""
    pairing = service.pairing_of(_tv_secret())
    if pairing is not None and pairing.screen_id is not None:
        response = _public(redirect(url_for("screens.show", token=service.collect(pairing))))
        response.delete_cookie(TV_COOKIE, path="/tv")
        return response
    secret = None
    if pairing is None:
        secret = service.new_pairing_secret()
        pairing = service.start_pairing(secret)
    response = _public(
        render_template(
            "screens/tv.html",
            code=pairing.code,
            minutes=int(service.PAIRING_LIFETIME.total_seconds() // 60),
            library_name=settings.library_name(),
        )
    )
    if secret is not None:
        response.set_cookie(
            TV_COOKIE,
            secret,
            max_age=int(service.PAIRING_LIFETIME.total_seconds()),
            path="/tv",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.route("/tv/status")
def tv_status():
    """Whether this TV was paired: `waiting`, `paired` (with its screen link) or `expired`."""
    secret = _tv_secret()
    if not secret:
        response, status = error_response(
            400, _("This TV has no pairing code. Open /tv to get one."), error="no_pairing"
        )
        return _public((response, status))
    pairing = service.pairing_of(secret)
    if pairing is None:
        return _public(jsonify({"state": "expired"}))
    if pairing.screen_id is None:
        return _public(jsonify({"state": "waiting", "code": pairing.code}))
    url = url_for("screens.show", token=service.collect(pairing))
    response = _public(jsonify({"state": "paired", "url": url}))
    response.delete_cookie(TV_COOKIE, path="/tv")
    return response


# --- pairing: the staff side ---


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/screens/pair", methods=["POST"])
@staff_required()
@limiter.limit(_limit("SCREEN_PAIRING"), key_func=_account_key)
def pair():
    """Pair the TV showing a code with a screen: the storytime's room, or the one chosen."""
    form = PairForm()
    screen, storytime = _screen_to_pair(form)
    branch = storytime.branch if storytime is not None else screen.branch
    back = safe_path(form.next.data, url_for("screens.branch", slug=branch.slug))
    try:
        screen = service.pair(form.code.data or "", screen, room_of=storytime)
    except service.ScreenError as exc:
        if _wants_json():
            return error_response(exc.status, str(exc.message), error=exc.slug, field=exc.field)
        form.code.errors = [str(exc.message)]
        page = render_template(
            "screens/pair.html", form=form, screen=screen, storytime=storytime, back=back
        )
        return page, exc.status
    message = _(
        "The TV is set up for %(room)s: it shows the storytime by itself.",
        room=service.room_label(screen.room),
    )
    if _wants_json():
        return jsonify({"screen_id": screen.id, "link": screen_link(screen), "message": message})
    flash(message, "success")
    return redirect(back, 303)


def _screen_to_pair(form: PairForm) -> tuple[DisplayScreen | None, Storytime | None]:
    """Return the screen chosen, or the storytime whose room's screen it is.

    Abort 400 when neither is named, 404 when unknown, 403 when not the account's branch.
    """
    if form.storytime_id.data:
        storytime = db.get_or_404(Storytime, form.storytime_id.data)
        require_runner(storytime)
        return service.find_screen(storytime.branch_id, storytime.room or ""), storytime
    if form.screen_id.data:
        screen = db.get_or_404(DisplayScreen, form.screen_id.data)
        if not current_user.can_run_branch(screen.branch_id):
            abort(403)
        return screen, None
    abort(400, description=_("Choose the screen to set up."))


# --- the staff pages ---


def _branch(slug: str) -> Branch:
    """Return a branch the current account runs; 404 when unknown, 403 when not its own."""
    branch = db.session.execute(
        db.select(Branch).where(Branch.slug == slug.strip().lower())
    ).scalar_one_or_none()
    if branch is None:
        abort(404)
    if not current_user.can_run_branch(branch.id):
        abort(403)
    return branch


@bp.route("/screens")
@staff_required()
def index():
    """The screens: a librarian's branch, or every branch for coordinators and admins."""
    if not current_user.sees_every_branch:
        if current_user.branch is None:
            abort(403)
        return redirect(url_for("screens.branch", slug=current_user.branch.slug))
    branches = db.session.execute(db.select(Branch).order_by(Branch.name)).scalars()
    return render_template("screens/index.html", branches=list(branches))


@bp.route("/b/<slug>/screens", methods=["GET", "POST"])
@staff_required()
def branch(slug: str):
    """A branch's screens: their links and QR codes, pairing a TV, adding a room."""
    branch = _branch(slug)
    form = RoomForm()
    status = 200
    if form.validate_on_submit():
        try:
            screen = service.add_screen(branch, form.room.data or "")
        except service.ScreenError as exc:
            form.room.errors = [str(exc.message)]
            status = exc.status
        else:
            flash(
                _("%(room)s has its screen link.", room=service.room_label(screen.room)),
                "success",
            )
            return redirect(url_for("screens.branch", slug=branch.slug), 303)
    elif request.method == "POST":
        status = 422
    return render_template("screens/branch.html", **_branch_page(branch, form)), status


def _branch_page(branch: Branch, form: RoomForm) -> dict:
    screens = service.screens_of(branch)
    rows = []
    for screen in screens:
        link = screen_link(screen)
        rows.append(
            {
                "screen": screen,
                "label": service.room_label(screen.room),
                "link": link,
                "qr": qr.inline_svg(link, _("QR code for %(url)s", url=link), "qr qr-screen"),
                "showing": service.showing(screen),
            }
        )
    return {
        "branch": branch,
        "rows": rows,
        "has_main": any(screen.room == "" for screen in screens),
        "room_form": form,
        "pair_form": PairForm(),
        "replace_form": ReplaceForm(),
    }


@bp.route("/b/<slug>/screens/<int:screen_id>/replace", methods=["POST"])
@staff_required()
def replace(slug: str, screen_id: int):
    """Give a screen a new link; the old one stops at once."""
    branch = _branch(slug)
    screen = db.get_or_404(DisplayScreen, screen_id)
    if screen.branch_id != branch.id:
        abort(404)
    if not ReplaceForm().validate_on_submit():
        abort(400)
    service.replace_link(screen)
    flash(
        _(
            "New link made. The old link has stopped: pair the TV again, or open the new link on it."
        ),
        "success",
    )
    return redirect(url_for("screens.branch", slug=branch.slug), 303)
