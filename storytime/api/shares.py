"""Sharing from a phone as JSON: what the join page's script calls.

Bodies must be JSON objects; fields this API does not know are ignored, so a share
queued on a phone by an older or newer page still goes through. Every message is in
the caregiver's language.
"""

from __future__ import annotations

from flask import current_app, jsonify
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from storytime.api.routes import bp
from storytime.errors import ApiError, json_object
from storytime.extensions import db
from storytime.models import Share, Storytime
from storytime.ratelimits import code_lookup_limit, share_limits
from storytime.share.lookup import find_live_for_sharing
from storytime.share.phone import current_phone
from storytime.share.present import share_for_phone
from storytime.share.service import create_share, delete_own_share, edit_own_share
from storytime.storytimes.service import find_by_code


def _string(body: dict, key: str, *, required: bool, nullable: bool = False) -> str | None:
    if key not in body:
        if required:
            raise ApiError(_("'%(field)s' is missing.", field=key), field=key)
        return None
    value = body[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ApiError(_("'%(field)s' must be text.", field=key), field=key)
    return value


def _boolean(body: dict, key: str, *, required: bool) -> bool | None:
    if key not in body:
        if required:
            raise ApiError(_("'%(field)s' is missing.", field=key), field=key)
        return None
    if not isinstance(body[key], bool):
        raise ApiError(_("'%(field)s' must be true or false.", field=key), field=key)
    return body[key]


def _allow_screen(body: dict) -> bool | None:
    """Read the phone's `on_screen`: whether the share may go on the big screen, or None.

    To a phone, `on_screen` is the caregiver's consent, kept as `Share.allow_screen`: not
    staff's `on_screen` (shown on the display now), which a phone reads as `shown`. Left
    out, the phone made no choice: a new share takes its kind's default, an edit keeps
    the choice made before.
    """
    return _boolean(body, "on_screen", required=False)


def _storytime(code: str, *, must_be_open: bool) -> Storytime:
    storytime = find_by_code(code)
    if storytime is None:
        raise ApiError(_("No storytime has this code. Please check it."), 404, field="code")
    if must_be_open and storytime.state == "scheduled":
        raise ApiError(_("This storytime is not open yet."), 409, slug="not_open")
    if must_be_open and storytime.state == "closed":
        raise ApiError(_("This storytime has ended, so sharing is closed."), 409, slug="closed")
    return storytime


def _own(storytime: Storytime, share_id: int) -> Share:
    share = db.session.get(Share, share_id)
    phone = current_phone(create=False)
    if share is None or share.storytime_id != storytime.id or phone is None or share.phone != phone:
        raise ApiError(_("We could not find that share."), 404)
    return share


@bp.route("/csrf")
def csrf_token():
    """Return a fresh CSRF token, for a page left open longer than a token lives (an hour)."""
    response = jsonify(
        csrf_token=generate_csrf(), expires_in=current_app.config["WTF_CSRF_TIME_LIMIT"]
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/storytimes/<code>/shares", methods=["POST"], endpoint="create_share")
@code_lookup_limit
@share_limits
def create_share_json(code: str):
    """Save a share; 201 when new, 200 with the same share when the client id was seen."""
    body = json_object()
    kind = _string(body, "kind", required=True)
    text = _string(body, "text", required=True)
    name = _string(body, "name", required=False, nullable=True)
    allow_screen = _allow_screen(body)
    client_id = _string(body, "client_id", required=True)
    # The live storytime as a share needs it (one statement, no objects); else the closed one.
    storytime = find_live_for_sharing(code) or _storytime(code, must_be_open=False)
    if storytime.state != "open":
        # A phone replaying a share that did get through before the storytime ended.
        existing = db.session.execute(
            db.select(Share).where(
                Share.storytime_id == storytime.id,
                Share.client_id == client_id,
                Share.phone == current_phone(),
            )
        ).scalar_one_or_none()
        if existing is not None:
            return jsonify(share_for_phone(existing)), 200
        _storytime(code, must_be_open=True)
    share, created = create_share(
        storytime,
        kind=kind or "",
        text=text or "",
        name=name,
        allow_screen=allow_screen,
        client_id=client_id or "",
        phone=current_phone(),
    )
    return jsonify(share_for_phone(share)), 201 if created else 200


@bp.route("/storytimes/<code>/shares/mine")
@code_lookup_limit
def my_shares(code: str):
    """Return what this phone shared in the storytime, oldest first."""
    storytime = _storytime(code, must_be_open=False)
    phone = current_phone(create=False)
    shares = []
    if phone is not None:
        shares = db.session.execute(
            db.select(Share)
            .where(Share.storytime_id == storytime.id, Share.phone == phone)
            .order_by(Share.created_at, Share.id)
        ).scalars()
    return jsonify(
        state=storytime.state,
        can_change=storytime.is_open,
        shares=[share_for_phone(share) for share in shares],
    )


@bp.route("/storytimes/<code>/shares/<int:share_id>", methods=["PATCH"])
@code_lookup_limit
@share_limits
def update_share(code: str, share_id: int):
    """Change one's own share's text, name or screen choice while the storytime is open."""
    body = json_object()
    text = _string(body, "text", required=False)
    name_given = "name" in body
    name = _string(body, "name", required=False, nullable=True)
    allow_screen = _allow_screen(body)
    storytime = _storytime(code, must_be_open=False)
    share = _own(storytime, share_id)
    share = edit_own_share(
        share,
        current_phone(),
        text=share.text if text is None else text,
        name=name if name_given else share.name,
        allow_screen=share.allow_screen if allow_screen is None else allow_screen,
    )
    return jsonify(share_for_phone(share))


@bp.route("/storytimes/<code>/shares/<int:share_id>", methods=["DELETE"])
@code_lookup_limit
@share_limits
def delete_share(code: str, share_id: int):
    """Delete one's own share for good while the storytime is open."""
    storytime = _storytime(code, must_be_open=False)
    share = _own(storytime, share_id)
    delete_own_share(share, current_phone())
    return "", 204
