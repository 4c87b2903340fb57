"""Staff API for storytimes, for scripts and calendar sync: create, read, list, edit, delete."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storytime.api.routes import bp, query_arg, whole_number_arg
from storytime.auth.roles import require_runner, staff_required
from storytime.errors import ApiError, json_object
from storytime.extensions import db
from storytime.models import AUDIENCES, KINDS, MODERATION_MODES, STATES, Branch, Storytime
from storytime.storytimes import links
from storytime.storytimes.auto_close import closes_at
from storytime.storytimes.defaults import default_prompt
from storytime.storytimes.languages import check_languages, save_languages
from storytime.storytimes.service import (
    Details,
    check_details,
    create_storytime,
    delete_storytime,
    set_quiet,
    set_state,
    update_storytime,
    visible_to,
)

DETAIL_FIELDS = (
    "branch",
    "title",
    "starts_at",
    "audience",
    "theme",
    "kinds",
    "moderation",
    "room",
    "duration_minutes",
    "auto_close_minutes",
    "second_language",
)
PATCH_FIELDS = (*DETAIL_FIELDS, "state", "quiet")
REQUIRED_ON_CREATE = ("branch", "title", "starts_at")
PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def storytime_json(storytime: Storytime) -> dict[str, Any]:
    """Return the staff's view of a storytime."""
    return {
        "id": storytime.id,
        "code": storytime.code,
        "state": storytime.state,
        "title": storytime.title,
        "branch": storytime.branch.slug,
        "branch_name": storytime.branch.name,
        "starts_at": storytime.starts_at.isoformat(),
        "audience": storytime.audience,
        "theme": storytime.theme,
        "moderation": storytime.moderation,
        "quiet": storytime.quiet,
        "kinds": storytime.open_kinds,
        # `translations` only when the prompt has some: a built-in or untranslated prompt
        # reads as it always did.
        "prompts": [
            {"kind": p.kind, "question": p.text}
            | ({"translations": dict(p.translations)} if p.translations else {})
            for p in storytime.prompts
        ],
        "second_language": storytime.second_language or "",
        "opened_at": storytime.opened_at.isoformat() if storytime.opened_at else None,
        "closed_at": storytime.closed_at.isoformat() if storytime.closed_at else None,
        "room": storytime.room,
        "duration_minutes": storytime.duration_minutes,
        "auto_close_minutes": storytime.auto_close_minutes,
        "closes_at": closes_at(storytime).isoformat() if storytime.is_open else None,
        "join_url": links.join_url(storytime),
        "qr_svg_url": links.qr_svg_url(storytime),
        "qr_png_url": links.qr_png_url(storytime),
        "display_url": links.display_url(storytime),
        "url": links.absolute(url_for("storytimes.detail", storytime_id=storytime.id)),
    }


def _body(allowed: tuple[str, ...]) -> dict[str, Any]:
    """Return the JSON object sent, refusing anything else and any field not in `allowed`."""
    body = json_object()
    for name in body:
        if name not in allowed:
            raise ApiError(
                _(
                    "Unknown field '%(name)s'. Allowed: %(allowed)s.",
                    name=name,
                    allowed=", ".join(allowed),
                ),
                field=name,
            )
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str):
        raise ApiError(_("'%(name)s' must be a string.", name=name), field=name)
    return value


def _whole_number(body: dict[str, Any], name: str) -> int:
    value = body[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(_("'%(name)s' must be a whole number.", name=name), field=name)
    return value


def _choice(body: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = body[name]
    if value not in choices or not isinstance(value, str):
        raise ApiError(
            _("'%(name)s' must be one of: %(choices)s.", name=name, choices=", ".join(choices)),
            field=name,
        )
    return value


def _branch(body: dict[str, Any]) -> Branch:
    slug = _text(body, "branch").strip().lower()
    branch = db.session.execute(db.select(Branch).where(Branch.slug == slug)).scalar_one_or_none()
    if branch is None:
        raise ApiError(_("There is no branch '%(slug)s'.", slug=slug), field="branch")
    if not current_user.can_run_branch(branch.id):
        raise ApiError(_("You can only set up storytimes at your own branch."), 403, field="branch")
    return branch


def _starts_at(body: dict[str, Any]) -> datetime:
    raw = _text(body, "starts_at")
    try:
        # RFC 3339 as the document says: Python alone would also take a space, or no seconds.
        value = datetime.fromisoformat(raw.upper()) if RFC3339.fullmatch(raw) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ApiError(
            _(
                "'starts_at' must be an ISO 8601 time with its offset, e.g. 2030-05-06T10:30:00-04:00."
            ),
            field="starts_at",
        )
    return value


def _kinds(body: dict[str, Any], details: Details, keep: dict[str, str]) -> list[tuple[str, str]]:
    """Parse `kinds`: a list of kind names, or of {"kind", "question"} objects.

    A prompt's `question` in JSON is its text (`Prompt.text`); the kind `question` is another
    thing.
    """
    value = body["kinds"]
    message = _(
        '\'kinds\' must be a list of kinds (%(kinds)s) or of {"kind", "question"} objects.',
        kinds=", ".join(KINDS),
    )
    if not isinstance(value, list):
        raise ApiError(message, field="kinds")
    prompts = []
    for item in value:
        if isinstance(item, str):
            kind, text = item, None
        elif (
            isinstance(item, dict)
            and set(item) <= {"kind", "question", "translations"}
            and "kind" in item
        ):
            kind, text = item["kind"], item.get("question")
            if text is not None and not isinstance(text, str):
                raise ApiError(message, field="kinds")
        else:
            raise ApiError(message, field="kinds")
        if not isinstance(kind, str) or kind not in KINDS:
            raise ApiError(message, field="kinds")
        if text is None:
            text = keep.get(kind) or default_prompt(kind, details.audience, details.theme)
        prompts.append((kind, text))
    return prompts


def _languages(
    body: dict[str, Any], storytime: Storytime | None
) -> tuple[str, dict[str, dict[str, str]]] | None:
    """Parse `second_language` and each `kinds` item's `translations`; None if neither is sent.

    A kind sent without `translations` keeps the ones it has.
    """
    items = body.get("kinds") if isinstance(body.get("kinds"), list) else []
    sent = {
        item["kind"]: item["translations"]
        for item in items
        if isinstance(item, dict) and "translations" in item
    }
    if any(not isinstance(value, dict) for value in sent.values()):
        raise ApiError(
            _("Translations must be an object of language codes and text."), field="translations"
        )
    if "second_language" not in body and not sent:
        return None
    kept = {p.kind: dict(p.translations or {}) for p in storytime.prompts} if storytime else {}
    if "second_language" in body:
        second = _text(body, "second_language")  # null is not a language: 422, as documented
    else:
        second = storytime.second_language if storytime else ""
    return check_languages(second, {**kept, **sent})


def _details(body: dict[str, Any], details: Details, keep: dict[str, str]) -> Details:
    """Return `details` with the fields the body sets, each checked for its type."""
    changes: dict[str, Any] = {}
    if "branch" in body:
        changes["branch"] = _branch(body)
    if "title" in body:
        changes["title"] = _text(body, "title")
    if "starts_at" in body:
        changes["starts_at"] = _starts_at(body)
    if "audience" in body:
        changes["audience"] = _choice(body, "audience", AUDIENCES)
    if "theme" in body:
        changes["theme"] = _text(body, "theme")
    if "moderation" in body:
        changes["moderation"] = _choice(body, "moderation", MODERATION_MODES)
    if "room" in body:
        changes["room"] = _text(body, "room")
    if "duration_minutes" in body:
        changes["duration_minutes"] = _whole_number(body, "duration_minutes")
    if "auto_close_minutes" in body:
        value = body["auto_close_minutes"]
        changes["auto_close_minutes"] = (
            None if value is None else _whole_number(body, "auto_close_minutes")
        )
    details = replace(details, **changes)
    if "kinds" in body:
        details = replace(details, prompts=_kinds(body, details, keep))
    return check_details(details)


@bp.route("/storytimes", methods=["POST"])
@staff_required()
def create_storytime_api():
    """Create a scheduled storytime; answer 201 with it."""
    body = _body(DETAIL_FIELDS)
    for name in REQUIRED_ON_CREATE:
        if name not in body:
            raise ApiError(_("'%(name)s' is required.", name=name), field=name)
    branch = _branch(body)
    start = Details(branch=branch, title="", starts_at=_starts_at(body))
    if "kinds" not in body:
        body = {**body, "kinds": list(KINDS)}
    details = _details(body, start, keep={})
    languages = _languages(body, None)
    storytime = create_storytime(details, created_by=current_user)
    if languages is not None:
        save_languages(storytime, *languages)
    response = jsonify(storytime_json(storytime))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_storytime", storytime_id=storytime.id)
    return response


@bp.route("/storytimes/<int:storytime_id>", methods=["GET"])
@staff_required()
def get_storytime(storytime_id: int):
    """Return one storytime."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    return jsonify(storytime_json(storytime))


@bp.route("/storytimes/<int:storytime_id>", methods=["PATCH"])
@staff_required()
def patch_storytime(storytime_id: int):
    """Change fields, the state (open, closed, scheduled) or the quiet screen."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    body = _body(PATCH_FIELDS)
    # Everything is checked before anything is written: a bad field changes nothing.
    state = _choice(body, "state", STATES) if "state" in body else None
    quiet = body.get("quiet")
    if "quiet" in body and not isinstance(quiet, bool):
        raise ApiError(_("'quiet' must be true or false."), field="quiet")
    details = None
    if any(name in body for name in DETAIL_FIELDS):
        keep = {p.kind: p.text for p in storytime.prompts}
        details = _details(body, Details.of(storytime), keep)
    languages = _languages(body, storytime)
    if details is not None:
        update_storytime(storytime, details)
    if languages is not None:
        save_languages(storytime, *languages)
    if state is not None:
        set_state(storytime, state)
    if quiet is not None:
        set_quiet(storytime, quiet)
    return jsonify(storytime_json(storytime))


@bp.route("/storytimes/<int:storytime_id>", methods=["DELETE"])
@staff_required()
def delete_storytime_api(storytime_id: int):
    """Delete a storytime that is not open, with its shares; answer 204."""
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    delete_storytime(storytime)
    return "", 204


@bp.route("/storytimes", methods=["GET"])
@staff_required()
def list_storytimes():
    """List the storytimes this account runs, newest start first; filter by branch or state."""
    query = visible_to(current_user)
    page = whole_number_arg("page", 1, 1, 1_000_000)
    per_page = whole_number_arg("per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)
    if (slug := query_arg("branch")) is not None:
        branch = _branch({"branch": slug})
        query = query.where(Storytime.branch_id == branch.id)
    if (state := query_arg("state")) is not None:
        query = query.where(Storytime.state == _choice({"state": state}, "state", STATES))
    result = db.paginate(
        query.order_by(Storytime.starts_at.desc(), Storytime.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
        count=True,
    )
    return jsonify(
        storytimes=[storytime_json(st) for st in result.items],
        page=page,
        per_page=per_page,
        total=result.total,
        pages=result.pages,
    )
