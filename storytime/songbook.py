"""Group song shares into songbook entries; merge and split entries by hand.

A share's title is reduced to a key (no case, accents, punctuation or emoji).
Every key seen becomes a `SongAlias` of one entry, so a later share with the
same key follows the entry even after a librarian merged or split it. A new
key joins the closest existing key's entry when it is clearly the same song:
it is a prefix of at least two words of it (or the other way round), or its
`difflib` similarity ratio is at least `SIMILARITY`. Matching is deterministic
(best ratio first, then the oldest alias) and looks at each key once.

Only the words a caregiver allowed on screen become part of the songbook. A staff-only
song is counted with the entry its title matches, but never adds a key, a title or a
variant, and stays unfiled when it matches nothing. When a song share leaves an entry or
loses its words (deleted, edited, purged, its storytime deleted), the entry is tidied
before the transaction commits (`tidy_entry`): keys no public share has any more go, the
title is recomputed from the public shares unless staff wrote it, and an entry with
nothing left to name it is removed with its plans.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from storytime.errors import ApiError
from storytime.extensions import db
from storytime.models import PlannedSong, Share, SongAlias, SongbookEntry, Storytime

SIMILARITY = 0.85
MIN_PREFIX_WORDS = 2
KEY_LENGTH = 200
TIDY_KEY = "storytime_songbook_tidy"  # Session.info: entry ids to tidy before commit
# Letters that NFKD does not take apart into a base letter and an accent.
FOLDED_LETTERS = str.maketrans(
    {"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "\u0131": "i"}  # last: dotless i
)


class SongbookError(ApiError, ValueError):
    """A merge or split that cannot be done; the message is shown to the person."""


def song_key(title: str) -> str:
    """Return the grouping key of a song title: no case, accents, punctuation or emoji."""
    decomposed = unicodedata.normalize("NFKD", title.casefold().translate(FOLDED_LETTERS))
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # \w keeps letters of every script and digits; emoji, punctuation and dashes split words.
    words = re.findall(r"[^\W_]+", letters)
    return " ".join(words)[:KEY_LENGTH].strip()


def _is_word_prefix(short: str, long: str) -> bool:
    return len(short.split()) >= MIN_PREFIX_WORDS and long.startswith(short + " ")


def closest_key(key: str, known: Iterable[str]) -> str | None:
    """Return the known key that `key` is the same song as, or None; deterministic.

    `known` should come in a stable order (oldest first): on equal scores the
    first one wins.
    """
    best: tuple[float, str] | None = None
    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    for candidate in known:
        if candidate == key:
            return candidate
        if _is_word_prefix(key, candidate) or _is_word_prefix(candidate, key):
            score = 1.0
        else:
            matcher.set_seq1(candidate)
            # The quick upper bounds skip the full comparison for most candidates.
            if matcher.real_quick_ratio() < SIMILARITY or matcher.quick_ratio() < SIMILARITY:
                continue
            score = matcher.ratio()
            if score < SIMILARITY:
                continue
        if best is None or score > best[0]:
            best = (score, candidate)
    return best[1] if best else None


def display_title(text: str) -> str:
    """Return a share's text tidied for use as a title: no emoji, single spaces, a capital."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Sk", "Cf"))
    title = " ".join(kept.split()).strip(" -\u2013\u2014~*")[:KEY_LENGTH]
    if title and title == title.lower():
        title = title[0].upper() + title[1:]
    return title or " ".join(text.split())[:KEY_LENGTH]


def _known_keys() -> list[tuple[str, int]]:
    return list(
        db.session.execute(db.select(SongAlias.key, SongAlias.entry_id).order_by(SongAlias.id))
    )


def entry_for_title(title: str, *, public: bool = True) -> SongbookEntry | None:
    """Return the entry a song title belongs to.

    A public title creates the entry or alias it needs; a staff-only one (`public`
    false) only joins an entry that public titles made, and adds nothing to it.
    """
    key = song_key(title)
    if not key:
        return None
    alias = db.session.execute(
        db.select(SongAlias).where(SongAlias.key == key)
    ).scalar_one_or_none()
    if alias is not None:
        return alias.entry
    known = _known_keys()
    match = closest_key(key, (k for k, _ in known))
    entry = db.session.get(SongbookEntry, dict(known)[match]) if match is not None else None
    if not public:
        return entry
    return _add_alias(key, entry, title)


def _add_alias(key: str, entry: SongbookEntry | None, title: str) -> SongbookEntry:
    """Add the alias (and a new entry when none matched); another writer may win the race."""
    try:
        # A savepoint: on PostgreSQL a concurrent share may insert the same key first,
        # and only this part must be undone, not the caller's share.
        with db.session.begin_nested():
            if entry is None:
                entry = SongbookEntry(title=display_title(title))
                db.session.add(entry)
            db.session.add(SongAlias(key=key, entry=entry))
    except IntegrityError:
        alias = db.session.execute(db.select(SongAlias).where(SongAlias.key == key)).scalar_one()
        return alias.entry
    return entry


def file_song(share: Share) -> None:
    """File a song share (new or edited) under its entry; the entry it leaves is tidied."""
    tidy_at_commit(share.song_entry_id)
    share.song_entry = entry_for_title(share.text, public=share.allow_screen)


def tidy_at_commit(entry_id: int | None, session: Session | None = None) -> None:
    """Have `tidy_entry` look at an entry before the session's transaction commits."""
    if entry_id is not None:
        (session or db.session()).info.setdefault(TIDY_KEY, set()).add(entry_id)


def tidy_entry(entry_id: int) -> None:
    """Bring an entry in line with the shares filed under it now.

    Keys that no public share has any more are removed, and a staff-only song then
    stays only where its title still matches; the title is recomputed (the most common
    tidied public spelling) when no public share spells it so, unless staff wrote it.
    An entry with no public share left to name it (and no staff title), or with no
    share at all, is removed with its plans.
    """
    # Locked first (PostgreSQL): two deletes tidying one entry then see each other's.
    entry = db.session.execute(
        select(SongbookEntry)
        .where(SongbookEntry.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if entry is None:
        return
    rows = db.session.execute(
        select(Share.id, Share.text, Share.allow_screen).where(Share.song_entry_id == entry_id)
    ).all()
    spellings: Counter[str] = Counter()
    public_keys: set[str] = set()
    staff_only: list[tuple[int, str]] = []
    for share_id, text, allow_screen in rows:
        key = song_key(text)
        if allow_screen and key:
            public_keys.add(key)
            spellings[display_title(text)] += 1
        elif key:  # a purged staff-only song has no words left: it stays counted here
            staff_only.append((share_id, key))
    stale = (
        db.session.execute(
            select(SongAlias).where(
                SongAlias.entry_id == entry_id, SongAlias.key.not_in(public_keys)
            )
        )
        .scalars()
        .all()
    )
    left = len(rows)
    if stale:
        for alias in stale:
            db.session.delete(alias)
        db.session.flush()
        matcher = KeyMatcher(_known_keys())
        for share_id, key in staff_only:
            target, _key = matcher.match(key)
            if target != entry_id:
                db.session.execute(
                    update(Share).where(Share.id == share_id).values(song_entry_id=target)
                )
                left -= 1
    if not left or not (spellings or entry.title_from_staff):
        db.session.execute(
            update(Share).where(Share.song_entry_id == entry_id).values(song_entry_id=None)
        )
        db.session.execute(delete(PlannedSong).where(PlannedSong.entry_id == entry_id))
        db.session.delete(entry)
    elif not entry.title_from_staff and entry.title not in spellings:
        entry.title = min(spellings, key=lambda t: (-spellings[t], t))
    db.session.flush()


@event.listens_for(Share, "before_delete")
def _share_deleted(_mapper, connection, share: Share) -> None:
    """Tidy the entry a deleted song share was filed under (its words leave with it)."""
    entry_id = connection.execute(
        select(Share.song_entry_id).where(Share.id == share.id)
    ).scalar_one_or_none()
    tidy_at_commit(entry_id, object_session(share))


@event.listens_for(Storytime, "before_delete")
def _storytime_deleted(_mapper, connection, storytime: Storytime) -> None:
    """Tidy the entries a deleted storytime's songs were filed under (the database
    deletes its shares itself)."""
    session = object_session(storytime)
    for entry_id in connection.execute(
        select(Share.song_entry_id)
        .where(Share.storytime_id == storytime.id, Share.song_entry_id.is_not(None))
        .distinct()
    ).scalars():
        tidy_at_commit(entry_id, session)


@event.listens_for(Session, "before_commit")
def _tidy_before_commit(session: Session) -> None:
    """Tidy the entries this transaction took shares or words from, as part of it."""
    if session.in_nested_transaction() or not (session.info.get(TIDY_KEY) or session.deleted):
        return
    session.flush()  # pending deletes fire the events above
    while session.info.get(TIDY_KEY):
        for entry_id in sorted(session.info.pop(TIDY_KEY)):
            tidy_entry(entry_id)


class KeyMatcher:
    """Match titles to entry ids in memory, for bulk loading (the demo seed)."""

    def __init__(self, known: Iterable[tuple[str, int]] = ()) -> None:
        self.entry_of: dict[str, int] = {key: entry_id for key, entry_id in known}

    def match(self, key: str) -> tuple[int | None, str | None]:
        """Return (entry id, matched key) for a new key, or (None, None)."""
        if key in self.entry_of:
            return self.entry_of[key], key
        found = closest_key(key, self.entry_of)
        return (self.entry_of[found], found) if found else (None, None)

    def add(self, key: str, entry_id: int) -> None:
        """Remember that a key belongs to an entry."""
        self.entry_of[key] = entry_id


@dataclass
class Variant:
    key: str
    title: str
    count: int
    alias_id: int | None


def variants(entry: SongbookEntry) -> list[Variant]:
    """Return an entry's variants: each key with its most common spelling and share count.

    Only shares the caregiver allowed on screen are read (staff-only songs are counted
    by `staff_only_count`); purged ones still count, as the purge keeps song titles.
    """
    rows = db.session.execute(
        db.select(Share.text, func.count(Share.id))
        .where(Share.song_entry_id == entry.id, Share.allow_screen.is_(True))
        .group_by(Share.text)
    )
    spellings: dict[str, Counter[str]] = {}
    for text, count in rows:
        spellings.setdefault(song_key(text), Counter())[display_title(text)] += count
    alias_ids = {alias.key: alias.id for alias in entry.aliases}
    result = []
    for key in sorted(set(spellings) | set(alias_ids)):
        counter = spellings.get(key, Counter())
        title = min(counter, key=lambda t: (-counter[t], t)) if counter else key
        result.append(Variant(key, title, sum(counter.values()), alias_ids.get(key)))
    result.sort(key=lambda v: (-v.count, v.key))
    return result


def staff_only_count(entry: SongbookEntry) -> int:
    """Return how many staff-only song shares are counted with an entry (words unread)."""
    return db.session.execute(
        db.select(func.count(Share.id)).where(
            Share.song_entry_id == entry.id, Share.allow_screen.is_(False)
        )
    ).scalar_one()


def merge_entries(target: SongbookEntry, sources: Iterable[SongbookEntry]) -> int:
    """Move the sources' aliases, shares and plans into `target` and delete them."""
    source_ids = sorted({s.id for s in sources} - {target.id})
    if not source_ids:
        raise SongbookError(_l("Choose at least one other entry to merge into this one."))
    db.session.execute(
        update(SongAlias).where(SongAlias.entry_id.in_(source_ids)).values(entry_id=target.id)
    )
    db.session.execute(
        update(Share).where(Share.song_entry_id.in_(source_ids)).values(song_entry_id=target.id)
    )
    planned = {
        p.storytime_id
        for p in db.session.execute(
            db.select(PlannedSong).where(PlannedSong.entry_id == target.id)
        ).scalars()
    }
    for plan in db.session.execute(
        db.select(PlannedSong).where(PlannedSong.entry_id.in_(source_ids)).order_by(PlannedSong.id)
    ).scalars():
        if plan.storytime_id in planned:
            db.session.delete(plan)
        else:
            plan.entry_id = target.id
            planned.add(plan.storytime_id)
    db.session.flush()
    for entry_id in source_ids:
        entry = db.session.get(SongbookEntry, entry_id)
        db.session.expire(entry)
        db.session.delete(entry)
    db.session.commit()
    db.session.expire(target)
    return len(source_ids)


def split_variant(entry: SongbookEntry, alias_id: int) -> SongbookEntry:
    """Move one variant (an alias and the shares with its key) out into a new entry."""
    alias = db.session.get(SongAlias, alias_id)
    if alias is None or alias.entry_id != entry.id:
        raise SongbookError(_l("That variant is not part of this entry."), 404)
    if len(entry.aliases) < 2:
        raise SongbookError(_l("This entry has only one variant; there is nothing to split."))
    spelling = next((v.title for v in variants(entry) if v.key == alias.key), alias.key)
    new_entry = SongbookEntry(title=spelling)
    db.session.add(new_entry)
    db.session.flush()
    alias.entry_id = new_entry.id
    moving = [
        share.id
        for share in db.session.execute(
            db.select(Share).where(Share.song_entry_id == entry.id)
        ).scalars()
        if song_key(share.text) == alias.key
    ]
    if moving:
        db.session.execute(
            update(Share).where(Share.id.in_(moving)).values(song_entry_id=new_entry.id)
        )
    # The title may have been the spelling that moved out.
    tidy_at_commit(entry.id)
    db.session.commit()
    db.session.expire(entry)
    return new_entry


def rename_entry(entry: SongbookEntry, title: str) -> None:
    """Give an entry the title people should see."""
    title = display_title(title)
    if not title:
        raise SongbookError(_l("Please give the song a title."))
    entry.title = title
    entry.title_from_staff = True
    db.session.commit()
