"""What the librarian may do with a share: show, hide, pin, mark answered, star, note.

Each action is one transaction that logs an event per share it changes, so every screen
follows; most go through share_change (service.py).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from storytime.database import begin_write, erases_text
from storytime.events.log import record
from storytime.extensions import db
from storytime.models import Share, Storytime
from storytime.share.service import ShareError, share_change

MODERATION_FLAGS = ("on_screen", "pinned", "answered", "starred")


def moderate(share: Share, changes: dict[str, bool]) -> Share:
    """Apply the librarian's actions: on_screen, pinned, answered, starred."""
    unknown = set(changes) - set(MODERATION_FLAGS)
    if unknown:
        raise ShareError(_l("Unknown field(s): %(names)s", names=", ".join(sorted(unknown))), 422)
    for key, value in changes.items():
        if not isinstance(value, bool):
            raise ShareError(_l("'%(key)s' must be true or false.", key=key), 422, field=key)
    if not share.allow_screen and (changes.get("on_screen") or changes.get("pinned")):
        raise ShareError(
            _l("This share is for the librarian only; it never goes on the big screen."), 409
        )
    if changes.get("answered") and share.kind != "question":
        raise ShareError(_l("Only questions can be marked answered."), 422, field="answered")
    with share_change(share.id) as change:
        share = change.share
        if "on_screen" in changes:
            share.on_screen = changes["on_screen"]
            # Only staff may show again what staff took off the screen.
            share.hidden_by_staff = not share.on_screen
            share.held = False
            if not share.on_screen:
                share.pinned = False
        if changes.get("pinned"):
            _unpin_others(share.storytime_id, share.id)
            share.pinned = True
            share.on_screen, share.held = True, False  # a pinned share is shown large
            share.hidden_by_staff = False
        elif changes.get("pinned") is False:
            share.pinned = False
        for flag in ("answered", "starred"):
            if flag in changes:
                setattr(share, flag, changes[flag])
    return share


def show_held(storytime: Storytime) -> int:
    """Show every held share the caregiver allowed on screen, in one transaction; return how many.

    Each share gets the event the single "show" action records, so every screen follows.
    A share whose phone did not allow the screen is never shown, held or not.
    """
    storytime_id = storytime.id
    begin_write()
    held = db.session.execute(
        db.select(Share)
        .where(Share.storytime_id == storytime_id, Share.held, Share.allow_screen)
        .order_by(Share.id)
    ).scalars()
    shown = 0
    for share in held:
        share.on_screen, share.held, share.hidden_by_staff = True, False, False
        record(storytime_id, "share.updated", share=share, public=True)
        shown += 1
    db.session.commit()
    return shown


def save_note(share: Share, note: str, answered: bool) -> Share:
    """Save the librarian's follow-up note on a share and, on a question, whether it is answered."""
    note = note.strip()
    # Dashboards show the note and the answered flag; the display never shows either.
    with share_change(share.id, public=False) as change:
        share = change.share
        if share.note and share.note != note:
            erases_text()  # the note replaced must not stay on disk
        share.note = note
        if share.kind == "question":
            share.answered = answered
    return share


def _unpin_others(storytime_id: int, share_id: int) -> None:
    """Keep one pinned share per storytime."""
    others = db.session.execute(
        db.select(Share).where(
            Share.storytime_id == storytime_id, Share.pinned, Share.id != share_id
        )
    ).scalars()
    for other in others:
        other.pinned = False
        record(storytime_id, "share.updated", share=other, public=other.visible_on_display)
