"""JSON shapes of a share for each reader: staff, the display, the phone that sent it."""

from __future__ import annotations

from typing import Any

from storytime.i18n import format_share_time
from storytime.models import Share


def share_for_staff(share: Share) -> dict[str, Any]:
    """Everything the librarian's dashboard and staff scripts see."""
    return {
        "id": share.id,
        "storytime_id": share.storytime_id,
        "kind": share.kind,
        "text": share.text,
        "name": share.name,
        "allow_screen": share.allow_screen,
        "staff_only": not share.allow_screen,
        "on_screen": share.on_screen,
        "held": share.held,
        "pinned": share.pinned,
        "answered": share.answered,
        "starred": share.starred,
        "note": share.note,
        "created_at": share.created_at.isoformat(),
        "updated_at": share.updated_at.isoformat(),
        # What the dashboard prints: the very text a reload renders (i18n.format_share_time).
        "time_text": format_share_time(share.created_at),
    }


def share_for_display(share: Share) -> dict[str, Any]:
    """Only what the big screen shows; call only for shares visible on the display."""
    return {
        "id": share.id,
        "kind": share.kind,
        "text": share.text,
        "name": share.name,
        "pinned": share.pinned,
        "created_at": share.created_at.isoformat(),
    }


def share_for_phone(share: Share) -> dict[str, Any]:
    """What the caregiver's phone sees of its own share."""
    return {
        "id": share.id,
        "client_id": share.client_id,
        "kind": share.kind,
        "text": share.text,
        "name": share.name,
        # A phone's `on_screen` is its consent (allow_screen), as it sends it; whether the
        # display shows the share now is `shown` (staff's `on_screen`).
        "on_screen": share.allow_screen,
        "shown": share.visible_on_display,
        "created_at": share.created_at.isoformat(),
    }
