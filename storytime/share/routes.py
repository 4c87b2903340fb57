"""The join page (/j/<code>), editing and deleting one's own shares, and the privacy page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_time, to_user_timezone
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from storytime.errors import error_response
from storytime.extensions import db
from storytime.i18n import picker_languages, translation_languages
from storytime.models import Share, Storytime
from storytime.models.base import now_utc
from storytime.ratelimits import code_lookup_limit, share_limits
from storytime.share.forms import LIBRARIAN, SCREEN, DeleteShareForm, EditShareForm, ShareForm
from storytime.share.kinds import (
    FALLBACK_PROMPTS,
    kind_icon,
    kind_label,
    screen_by_default,
)
from storytime.share.phone import current_phone, set_phone_cookie
from storytime.share.service import ShareError, create_share, delete_own_share, edit_own_share
from storytime.storytimes.defaults import prompt_in
from storytime.storytimes.service import find_by_code

bp = Blueprint("share", __name__)
# The picker on every page offers the family languages where a family reads (i18n.py).
bp.add_app_template_global(picker_languages, "picker_languages")
# Forms with a "Translations" section (prompts, recap note) list these languages.
bp.add_app_template_global(translation_languages, "translation_languages")
bp.after_app_request(set_phone_cookie)


def _expired() -> str:
    return _(
        "This page had expired, so nothing was sent yet. Your text is still here: please press Send again."
    )


@bp.app_context_processor
def share_helpers() -> dict:
    return {
        "kind_label": kind_label,
        "kind_icon": kind_icon,
        "share_max_length": current_app.config["SHARE_MAX_LENGTH"],
        "purge_after_days": current_app.config["PURGE_AFTER_DAYS"],
        "format_date": format_date,
        "format_time": format_time,
    }


@bp.after_request
def no_store(response):
    """Never cache caregiver pages: they carry a CSRF token and this phone's own shares."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def expired_form(exc: CSRFError):
    """Show the form again with what was typed, rather than lose it to an expired token."""
    args = request.view_args or {}
    storytime = find_by_code(args.get("code", ""))
    if storytime is not None and storytime.is_open and request.endpoint == "share.join":
        return _render_join(storytime, ShareForm(storytime), error=_expired()), 400
    if storytime is not None and storytime.is_open and request.endpoint == "share.edit":
        share = _own_share(args["code"], args["share_id"])[1]
        return _render_edit(storytime, share, EditShareForm(), _expired(), 400)
    return render_template(
        "errors/error.html",
        code=400,
        title=_("This page has expired"),
        message=_("Nothing was changed. Please go back, reload the page and try again."),
    ), 400


def _storytime_or_404(code: str) -> Storytime:
    storytime = find_by_code(code)
    if storytime is None:
        abort(404)
    return storytime


def _my_shares(storytime: Storytime) -> list[Share]:
    phone = current_phone(create=False)
    if phone is None:
        return []
    return list(
        db.session.execute(
            db.select(Share)
            .where(Share.storytime_id == storytime.id, Share.phone == phone)
            .order_by(Share.created_at, Share.id)
        ).scalars()
    )


def _prompt_texts(storytime: Storytime) -> dict[str, str]:
    """Return the question asked for each open kind, in the reader's language and set order."""
    return {
        prompt.kind: prompt_in(prompt) or str(FALLBACK_PROMPTS.get(prompt.kind, ""))
        for prompt in storytime.prompts
    }


def _render_join(storytime: Storytime, form: ShareForm, error: str | None = None, sent=None):
    kinds = storytime.open_kinds
    if form.kind.data not in kinds:
        wanted = request.args.get("kind")
        form.kind.data = wanted if wanted in kinds else (kinds[0] if kinds else None)
    if form.screen_choice.data not in (SCREEN, LIBRARIAN) and form.kind.data:
        form.screen_choice.data = _preselected_choice(form.kind.data, kinds)
    return render_template(
        "share/join.html",
        storytime=storytime,
        form=form,
        prompts=_prompt_texts(storytime),
        private_kinds=[kind for kind in kinds if not screen_by_default(kind)],
        mine=_my_shares(storytime),
        sent=sent,
        error=error,
    )


def _preselected_choice(kind: str, kinds: list[str]) -> str | None:
    """Return the screen choice to check before the caregiver chooses, or None for neither.

    Without JavaScript the radios do not follow a change of kind, so "the big screen" is
    checked only when no open kind is private by default: a caregiver who then picks
    "Question" must not send it to the screen by a choice they never made. With no
    choice sent, the service applies the chosen kind's default.
    """
    if not screen_by_default(kind):
        return LIBRARIAN
    return SCREEN if all(screen_by_default(k) for k in kinds) else None


def _not_sharing(storytime: Storytime, status: int = 200):
    """Render the page for a storytime that does not take shares: not open yet, or over."""
    if storytime.state == "scheduled":
        starts_today = (
            to_user_timezone(storytime.starts_at).date() == to_user_timezone(now_utc()).date()
        )
        return render_template(
            "share/not_open.html", storytime=storytime, starts_today=starts_today
        ), status
    return render_template("share/closed.html", storytime=storytime), status


@bp.route("/j/<code>", methods=["GET", "POST"])
@code_lookup_limit
@share_limits
def join(code: str):
    """Show the join page and take a share sent without JavaScript."""
    storytime = _storytime_or_404(code)
    if request.method == "GET" and code != storytime.code:
        # The query goes along as it came: as url_for() arguments, `?code=` or `?_external=`
        # would clash with its own.
        query = request.query_string.decode("latin-1")
        target = url_for("share.join", code=storytime.code)
        return redirect(f"{target}?{query}" if query else target)
    current_phone()  # a first visit gets its cookie now, before anything is sent
    if not storytime.is_open:
        return _not_sharing(storytime, 409 if request.method == "POST" else 200)
    form = ShareForm(storytime)
    if form.validate_on_submit():
        kind = form.kind.data or ""
        try:
            share, _created = create_share(
                storytime,
                kind=kind,
                text=form.text.data or "",
                name=form.name.data,
                allow_screen=form.allow_screen(),
                client_id=form.client_id.data or "",
                phone=current_phone(),
            )
        except ShareError as exc:
            db.session.rollback()
            if exc.status == 409 and exc.field is None:
                db.session.refresh(storytime)
                return _not_sharing(storytime, 409)
            target = form[exc.field] if exc.field in ("kind", "text", "name") else None
            if target is not None:
                target.errors = [*target.errors, str(exc.message)]
            return _render_join(storytime, form, error=str(exc.message)), exc.status
        return redirect(url_for("share.join", code=storytime.code, sent=share.id, _anchor="sent"))
    sent = None
    if request.method == "GET" and request.args.get("sent", "").isdigit():
        sent = next((s for s in _my_shares(storytime) if s.id == int(request.args["sent"])), None)
    return _render_join(storytime, form, sent=sent)


@bp.route("/j/<code>/status")
@code_lookup_limit
def status(code: str):
    """Tell a waiting phone whether the storytime is scheduled, open or closed; nothing else."""
    storytime = find_by_code(code)
    if storytime is None:
        return error_response(404, _("We could not find a storytime with that code."))
    return jsonify(state=storytime.state)


def _own_share(code: str, share_id: int) -> tuple[Storytime, Share]:
    """Return this phone's share in that storytime; anyone else's is simply not found."""
    storytime = _storytime_or_404(code)
    share = db.session.get(Share, share_id)
    phone = current_phone(create=False)
    if share is None or share.storytime_id != storytime.id or phone is None or share.phone != phone:
        abort(404)
    return storytime, share


@bp.route("/j/<code>/shares/<int:share_id>/edit", methods=["GET", "POST"])
@code_lookup_limit
@share_limits
def edit(code: str, share_id: int):
    """Let a caregiver correct what they shared while the storytime is open."""
    storytime, share = _own_share(code, share_id)
    if not storytime.is_open:
        return _not_sharing(storytime, 409 if request.method == "POST" else 200)
    form = EditShareForm(obj=None if request.method == "POST" else share)
    if request.method == "GET":
        form.screen_choice.data = SCREEN if share.allow_screen else LIBRARIAN
    error = None
    status = 200
    if form.validate_on_submit():
        # No choice sent (a script, not this page) keeps the one made before.
        choice = form.allow_screen()
        try:
            edit_own_share(
                share,
                current_phone(),
                text=form.text.data or "",
                name=form.name.data,
                allow_screen=share.allow_screen if choice is None else choice,
            )
        except ShareError as exc:
            db.session.rollback()
            error, status = str(exc.message), exc.status
            if exc.field in ("text", "name"):
                form[exc.field].errors = [*form[exc.field].errors, error]
        else:
            flash(_("Your share was changed."), "success")
            return redirect(url_for("share.join", code=storytime.code, _anchor="mine"))
    return _render_edit(storytime, share, form, error, status)


def _render_edit(storytime: Storytime, share: Share, form: EditShareForm, error, status: int):
    return render_template(
        "share/edit.html", storytime=storytime, share=share, form=form, error=error
    ), status


@bp.route("/j/<code>/shares/<int:share_id>/delete", methods=["GET", "POST"])
@code_lookup_limit
@share_limits
def delete(code: str, share_id: int):
    """Ask, then delete one's own share for good."""
    storytime, share = _own_share(code, share_id)
    if not storytime.is_open:
        return _not_sharing(storytime, 409 if request.method == "POST" else 200)
    form = DeleteShareForm()
    if form.validate_on_submit():
        try:
            delete_own_share(share, current_phone())
        except ShareError as exc:
            db.session.rollback()
            abort(exc.status, str(exc.message))
        flash(_("Your share was deleted."), "success")
        return redirect(url_for("share.join", code=storytime.code, _anchor="mine"))
    return render_template("share/delete.html", storytime=storytime, share=share, form=form)


@bp.route("/privacy")
def privacy():
    """Say in plain words what is kept, who sees it, and for how long."""
    return render_template(
        "share/privacy.html", outcomes_min_group=current_app.config["OUTCOMES_MIN_GROUP"]
    )
