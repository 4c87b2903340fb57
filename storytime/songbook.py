"""Group song shares into songbook entries by a normalised title."""

from __future__ import annotations

import re
import unicodedata

from storytime.extensions import db
from storytime.models import Share, SongAlias, SongbookEntry


def song_key(title: str) -> str:
    """Return the grouping key of a song title: no case, accents, punctuation or emoji."""
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.findall(r"\w+", letters)
    return " ".join(words)[:200]


def file_song(share: Share) -> None:
    """Attach a song share to its songbook entry, creating the entry if it is new."""
    key = song_key(share.text)
    if not key:
        share.song_entry = None
        return
    alias = db.session.execute(
        db.select(SongAlias).where(SongAlias.key == key)
    ).scalar_one_or_none()
    if alias is None:
        entry = SongbookEntry(title=share.text.strip()[:200])
        alias = SongAlias(key=key, entry=entry)
        db.session.add_all([entry, alias])
    share.song_entry = alias.entry
