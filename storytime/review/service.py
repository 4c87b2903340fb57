"""Review writes that are not a share's: the headcount and "You asked, we did" follow-ups."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from storytime.database import begin_write, erases_text
from storytime.errors import ApiError
from storytime.extensions import db
from storytime.models import FollowUp, Share, Storytime, User

FOLLOW_UP_KINDS = ("idea", "question")


class ReviewError(ApiError, ValueError):
    """A review change that cannot be made; the message is shown to the person."""


def save_headcount(
    storytime: Storytime, adults: int | None, children: int | None, babies: int | None
) -> None:
    """Save how many adults, children and babies came (None: not counted)."""
    begin_write()
    storytime.headcount_adults = adults
    storytime.headcount_children = children
    storytime.headcount_babies = babies
    db.session.commit()


def check_follow_up(share: Share) -> None:
    """Raise ReviewError unless a follow-up may answer this share (an idea or a question)."""
    if share.kind not in FOLLOW_UP_KINDS:
        raise ReviewError(_l("Follow-ups answer ideas and questions."), 422)


def post_follow_up(share: Share, text: str, author: User) -> FollowUp:
    """Post a "You asked, we did" follow-up on an idea or a question, on its branch's page."""
    check_follow_up(share)
    begin_write()
    follow_up = FollowUp(
        branch_id=share.storytime.branch_id,
        share_id=share.id,
        text=text.strip(),
        created_by_id=author.id,
    )
    db.session.add(follow_up)
    db.session.commit()
    return follow_up


def delete_follow_up(follow_up: FollowUp) -> None:
    """Take a follow-up off the branch's page; its words leave the database files."""
    begin_write()
    db.session.delete(follow_up)
    erases_text()
    db.session.commit()
