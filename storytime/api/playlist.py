"""The playtime playlist API for the dashboard and scripts.

`GET …/playlist` lists the songs; `PUT` / `DELETE …/playlist/sung/<key>` marks a song as
sung or not (any key of the song works; the song's own key is stored); `POST
…/playlist/screen` with `{"on_screen": bool}` puts the playlist on the TV or takes it off.
Every write answers with the playlist as it is now. Staff who may run the branch only.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from storytime.api.routes import bp, runner_only
from storytime.auth.roles import require_runner
from storytime.errors import ApiError, json_object
from storytime.extensions import db
from storytime.live.playlist import playlist, set_on_screen, set_sung
from storytime.models import Storytime


def _storytime_for_runner(storytime_id: int) -> Storytime:
    # @runner_only has refused callers without staff credentials, before any lookup.
    storytime = db.get_or_404(Storytime, storytime_id)
    require_runner(storytime)
    return storytime


def playlist_body(storytime: Storytime) -> dict[str, Any]:
    """Return the playlist as the API answers it: the songs and whether the TV shows them."""
    return {"songs": playlist(storytime), "on_screen": storytime.playlist_on_screen}


@bp.route("/storytimes/<int:storytime_id>/playlist")
@runner_only
def playlist_get(storytime_id: int):
    """List the storytime's songs, grouped, with counts, sung marks and their shares."""
    storytime = _storytime_for_runner(storytime_id)
    return jsonify(playlist_body(storytime))


@bp.route("/storytimes/<int:storytime_id>/playlist/sung/<path:key>", methods=["PUT", "DELETE"])
@runner_only
def playlist_sung(storytime_id: int, key: str):
    """Mark a song as sung (PUT) or not sung (DELETE); the TV's playlist follows."""
    storytime = _storytime_for_runner(storytime_id)

    set_sung(storytime, key, request.method == "PUT")
    return jsonify(playlist_body(storytime))


@bp.route("/storytimes/<int:storytime_id>/playlist/screen", methods=["POST"])
@runner_only
def playlist_screen(storytime_id: int):
    """Put the playlist on the TV for playtime, or take it off."""
    storytime = _storytime_for_runner(storytime_id)
    body = json_object()
    on_screen = body.get("on_screen")
    if not isinstance(on_screen, bool):
        raise ApiError(
            _("'%(field)s' must be true or false.", field="on_screen"), field="on_screen"
        )
    set_on_screen(storytime, on_screen)
    return jsonify(playlist_body(storytime))
