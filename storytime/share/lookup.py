"""Find the storytime a phone's JSON share is for: the little the share needs, without the ORM."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select

from storytime.extensions import db
from storytime.models import Prompt, Storytime
from storytime.storytimes.service import normalise_code


@dataclass(frozen=True)
class SharingTo:
    """A storytime as `create_share` reads it: its id, state and open kinds."""

    id: int
    code: str
    state: str
    open_kinds: list[str]

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def find_live_for_sharing(code: str) -> SharingTo | None:
    """Return the storytime that is not closed with this code, as a share needs it, or None.

    One statement, with the open kinds, and no ORM objects: loading a whole storytime and
    its prompts as objects cost a share more than running the query (docs/performance.md,
    "The share's statements").
    """
    rows = db.session.execute(_live_with_kinds(), {"code": normalise_code(code)}).all()
    if not rows:
        return None
    first = rows[0]
    kinds = [row.kind for row in rows if row.kind is not None]
    return SharingTo(id=first.id, code=first.code, state=first.state, open_kinds=kinds)


@cache
def _live_with_kinds():
    return (
        select(Storytime.id, Storytime.code, Storytime.state, Prompt.kind)
        .outerjoin(Prompt, Prompt.storytime_id == Storytime.id)
        .where(Storytime.code == bindparam("code"), Storytime.state != "closed")
        .order_by(Prompt.position, Prompt.id)
    )
