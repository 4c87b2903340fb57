"""Staff pages to set up storytimes, their QR codes and cards, and the public branch link."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from storytime import settings
from storytime.auth.roles import staff_required
from storytime.extensions import db
from storytime.models import STATES, Branch, Share, Storytime, now_utc
from storytime.share.kinds import kind_label
from storytime.storytimes import links, qr, wrap_up
from storytime.storytimes.auto_close import closes_at, sweep_if_due
from storytime.storytimes.defaults import audience_label, default_prompts, prompt_in
from storytime.storytimes.forms import ConfirmForm, StateForm, StorytimeForm
from storytime.storytimes.languages import LanguageError, check_languages, save_languages
from storytime.storytimes.service import (
    StorytimeError,
    create_storytime,
    delete_storytime,
    duplicate_storytime,
    listing_order,
    next_at_branch,
    open_at_branch,
    run_again_at,
    set_state,
    start_now,
    update_storytime,
    visible_to,
)
from storytime.storytimes.wrap_up import runnable

bp = Blueprint("storytimes", __name__)
wrap_up.add_routes(bp)

PER_PAGE = 25
# A branch link scanned this close to the next start leads to that storytime's waiting page.
JOIN_WAIT_BEFORE_START = timedelta(hours=1)
# The four languages of the printed cards; each line is shown with its own lang and dir.
CARD_LANGUAGES = ("en", "es", "fr", "ar", "zh_Hans", "vi")


@bp.app_context_processor
def storytime_helpers() -> dict:
    return {
        "audience_label": audience_label,
        "kind_label": kind_label,
        "library_timezone": settings.timezone,
        # A built-in suggestion in the reader's language, as the phone shows it.
        "prompt_in": prompt_in,
    }


@bp.before_app_request
def close_forgotten_storytimes() -> None:
    """Close storytimes left open past their time (at most once a minute per process)."""
    if request.endpoint != "static":
        sweep_if_due(current_app._get_current_object())


def _branch(slug: str) -> Branch:
    branch = db.session.execute(
        db.select(Branch).where(Branch.slug == slug.strip().lower())
    ).scalar_one_or_none()
    if branch is None:
        abort(404)
    return branch


@bp.route("/storytimes")
@staff_required()
def index():
    """List storytimes, the next and the latest first; coordinators filter by branch."""
    query = visible_to(current_user)
    branches = []
    branch_slug = request.args.get("branch", "").strip().lower()
    state = request.args.get("state", "")
    if current_user.sees_every_branch:
        branches = list(db.session.execute(db.select(Branch).order_by(Branch.name)).scalars())
        if branch_slug:
            branch = next((b for b in branches if b.slug == branch_slug), None)
            if branch is None:
                abort(404)
            query = query.where(Storytime.branch_id == branch.id)
    if state in STATES:
        query = query.where(Storytime.state == state)
    else:
        state = ""
    page = db.paginate(
        query.order_by(*listing_order()),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "storytimes/index.html",
        page=page,
        branches=branches,
        branch_slug=branch_slug,
        state=state,
        states=STATES,
        own_branch=current_user.branch,
    )


@bp.route("/storytimes/new", methods=["GET", "POST"])
@staff_required()
def new():
    """Create a storytime; prompts start from the audience's suggestions."""
    form = StorytimeForm()
    if request.method == "GET":
        form.prefill(request.args.get("audience", "babies"), request.args.get("theme", ""))
        if len(form.branch.choices) == 1:
            form.branch.data = form.branch.choices[0].value
    elif form.validate_on_submit():
        now = bool(form.start_now.data)
        try:
            languages = check_languages(*form.languages())
            if now:
                storytime = start_now(form.details(), created_by=current_user)
            else:
                storytime = create_storytime(form.details(), created_by=current_user)
            save_languages(storytime, *languages)
        except (StorytimeError, LanguageError) as exc:
            _form_error(form, exc)
        else:
            if now:
                flash(_("Storytime open: caregivers can share now."), "success")
                return redirect(url_for("live.dashboard", storytime_id=storytime.id))
            flash(_("Storytime created. Its code is %(code)s.", code=storytime.code), "success")
            return redirect(url_for("storytimes.detail", storytime_id=storytime.id))
    return _render_form(form, None)


@bp.route("/storytimes/<int:storytime_id>/edit", methods=["GET", "POST"])
@staff_required()
def edit(storytime_id: int):
    """Change a storytime's details and prompts; its code and display link stay."""
    storytime = runnable(storytime_id)
    form = StorytimeForm()
    if request.method == "GET":
        form.fill(storytime)
    else:
        form.keep_branch(storytime)
        if form.validate_on_submit():
            try:
                languages = check_languages(*form.languages())
                update_storytime(storytime, form.details())
                save_languages(storytime, *languages)
            except (StorytimeError, LanguageError) as exc:
                db.session.rollback()
                _form_error(form, exc)
            else:
                flash(_("Storytime saved."), "success")
                return redirect(url_for("storytimes.detail", storytime_id=storytime.id))
    return _render_form(form, storytime)


def _form_error(form: StorytimeForm, exc: StorytimeError) -> None:
    field = {"kinds": None, "state": None}.get(exc.field or "", exc.field)
    if field and field in form:
        form[field].errors = [*form[field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _render_form(form: StorytimeForm, storytime: Storytime | None):
    suggestions = {
        audience: default_prompts(audience, form.theme.data or "")
        for audience in (choice.value for choice in form.audience.choices)
    }
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "storytimes/form.html",
        form=form,
        storytime=storytime,
        suggestions=suggestions,
        auto_close_default=current_app.config["AUTO_CLOSE_MINUTES"],
    ), status


@bp.route("/storytimes/<int:storytime_id>")
@staff_required()
def detail(storytime_id: int):
    """The storytime's page: its code and QR, downloads, open and close, links."""
    storytime = runnable(storytime_id)
    join = links.join_url(storytime)
    shares = db.session.execute(
        db.select(db.func.count(Share.id)).where(Share.storytime_id == storytime.id)
    ).scalar_one()
    return render_template(
        "storytimes/detail.html",
        storytime=storytime,
        join_url=join,
        display_url=links.display_url(storytime),
        qr_svg=qr.inline_svg(join, _("QR code for %(url)s", url=join)),
        share_count=shares,
        state_form=StateForm(),
        confirm_form=ConfirmForm(),
        closes_at=closes_at(storytime) if storytime.is_open else None,
        run_again_at=run_again_at(storytime),
    )


@bp.route("/storytimes/<int:storytime_id>/state", methods=["POST"])
@staff_required()
def set_state_view(storytime_id: int):
    """Open, close or reschedule from the storytime's page."""
    storytime = runnable(storytime_id)
    form = StateForm()
    if not form.validate_on_submit():
        abort(400, description=_("Choose open, closed or scheduled."))
    set_state(storytime, form.state.data)
    messages = {
        "open": _("Storytime is open: caregivers can share now."),
        "closed": _("Storytime is closed: no more shares."),
        "scheduled": _("Storytime is back to scheduled."),
    }
    flash(messages[storytime.state], "success")
    if storytime.state == "closed":
        return redirect(url_for("storytimes.wrap_up", storytime_id=storytime.id))
    return redirect(url_for("storytimes.detail", storytime_id=storytime.id))


@bp.route("/storytimes/<int:storytime_id>/duplicate", methods=["POST"])
@staff_required()
def duplicate(storytime_id: int):
    """Run this again at its next future slot: same prompts, same weekday and time, new code."""
    storytime = runnable(storytime_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        copy = duplicate_storytime(storytime, created_by=current_user)
    except StorytimeError as exc:
        flash(exc.message, "error")
        return redirect(url_for("storytimes.detail", storytime_id=storytime.id))
    flash(
        _(
            "Scheduled again for %(when)s, with a new code. Check the details.",
            when=format_datetime(copy.starts_at, "full"),
        ),
        "success",
    )
    return redirect(url_for("storytimes.detail", storytime_id=copy.id))


@bp.route("/storytimes/<int:storytime_id>/delete", methods=["GET", "POST"])
@staff_required()
def delete(storytime_id: int):
    """Ask, then delete a storytime with everything caregivers shared in it."""
    storytime = runnable(storytime_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            delete_storytime(storytime)
        except StorytimeError as exc:
            error = exc.message
        else:
            flash(_("Storytime deleted."), "success")
            return redirect(url_for("storytimes.index"))
    shares = db.session.execute(
        db.select(db.func.count(Share.id)).where(Share.storytime_id == storytime.id)
    ).scalar_one()
    return render_template(
        "storytimes/delete.html", storytime=storytime, form=form, share_count=shares, error=error
    ), (409 if error else 200)


def _qr_response(data: str, fmt: str, filename: str) -> Response:
    if fmt == "svg":
        response = Response(qr.svg(data), mimetype="image/svg+xml")
    else:
        response = Response(qr.png(data), mimetype="image/png")
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    # The code changes when a reopened storytime's code was taken: revalidate every time.
    response.headers["Cache-Control"] = "private, no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/storytimes/<int:storytime_id>/qr.svg")
@staff_required()
def qr_svg(storytime_id: int):
    """The join QR as a scalable SVG (add ?download=1 to save it)."""
    storytime = runnable(storytime_id)
    return _qr_response(links.join_url(storytime), "svg", f"storytime-{storytime.code}")


@bp.route("/storytimes/<int:storytime_id>/qr.png")
@staff_required()
def qr_png(storytime_id: int):
    """The join QR as a large PNG (add ?download=1 to save it)."""
    storytime = runnable(storytime_id)
    return _qr_response(links.join_url(storytime), "png", f"storytime-{storytime.code}")


@bp.route("/storytimes/<int:storytime_id>/card")
@staff_required()
def card(storytime_id: int):
    """A printable one-page card: big QR, the code, one line in each library language."""
    storytime = runnable(storytime_id)
    join = links.join_url(storytime)
    return render_template(
        "storytimes/card.html",
        heading=storytime.title,
        subheading=storytime.branch.name,
        code=storytime.code,
        link=join,
        qr_svg=qr.inline_svg(join, _("QR code for %(url)s", url=join), "qr qr-card"),
        languages=CARD_LANGUAGES,
        back=url_for("storytimes.detail", storytime_id=storytime.id),
    )


@bp.route("/b/<slug>")
def branch_page(slug: str):
    """A branch's permanent link: the storytime open now, or when the next one is."""
    branch = _branch(slug)
    storytime = open_at_branch(branch)
    upcoming = None if storytime else next_at_branch(branch)
    if upcoming is not None and upcoming.starts_at - now_utc() <= JOIN_WAIT_BEFORE_START:
        # Early families wait on its join page, which opens by itself when it starts.
        storytime = upcoming
    if storytime is not None:
        response = redirect(url_for("share.join", code=storytime.code))
    else:
        response = make_response(
            render_template("storytimes/branch.html", branch=branch, upcoming=upcoming)
        )
    # The answer changes the moment a storytime opens; no phone or proxy may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/b/<slug>/card")
@staff_required()
def branch_card(slug: str):
    """A printable card with the branch's permanent QR, to leave on the wall."""
    branch = _branch(slug)
    link = links.branch_url(branch)
    return render_template(
        "storytimes/card.html",
        heading=branch.name,
        subheading=_("Storytime"),
        code=None,
        link=link,
        qr_svg=qr.inline_svg(link, _("QR code for %(url)s", url=link), "qr qr-card"),
        languages=CARD_LANGUAGES,
        back=url_for("storytimes.index"),
    )


@bp.route("/b/<slug>/qr.<any(svg, png):fmt>")
@staff_required()
def branch_qr(slug: str, fmt: str):
    """The branch's permanent QR as SVG or PNG (add ?download=1 to save it)."""
    branch = _branch(slug)
    return _qr_response(links.branch_url(branch), fmt, f"storytime-{branch.slug}")
