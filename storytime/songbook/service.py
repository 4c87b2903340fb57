"""Every songbook write: filing song shares, tidying entries, merge, split, rename and plans.

Every key seen becomes a `SongAlias` of one entry, so a later share with the same key
follows the entry even after a librarian merged or split it.

Only the words a caregiver allowed on screen become part of the songbook
(`grouping.NAMES_ENTRY`). A staff-only song is counted with the entry its title matches,
but never adds a key, a title or a variant, and stays unfiled when it matches nothing.
When a song share leaves an entry or loses its words (deleted, edited, purged, its
storytime deleted), the entry is tidied before the transaction commits (`tidy_entry`):
keys no public share has any more go, the title is recomputed from the public shares
unless staff wrote it, and an entry with nothing left to name it is removed with its plans.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from storytime.errors import ApiError
from storytime.extensions import db
from storytime.models import PlannedSong, Share, SongAlias, SongbookEntry, Storytime, User
from storytime.songbook.grouping import (
    NAMES_ENTRY,
    KeyMatcher,
    common_spelling,
    display_title,
    file_title,
    song_key,
)

TIDY_KEY = "storytime_songbook_tidy"  # Session.info: entry ids to tidy before commit


class SongbookError(ApiError, ValueError):
    """A merge or split that cannot be done; the message is shown to the person."""


def known_keys() -> list[tuple[str, int]]:
    """Return every alias key with its entry id, oldest first (the order matching wants)."""
    return list(
        db.session.execute(db.select(SongAlias.key, SongAlias.entry_id).order_by(SongAlias.id))
    )


class StoredKeys(KeyMatcher):
    """The keys in the database: one indexed look-up, and all of them only for a new key."""

    def match(self, key: str) -> tuple[int | None, str | None]:
        """Return (entry id, matched key) for a key, or (None, None)."""
        entry_id = db.session.execute(
            db.select(SongAlias.entry_id).where(SongAlias.key == key)
        ).scalar_one_or_none()
        if entry_id is not None:
            return entry_id, key
        self.entry_of = dict(known_keys())
        return super().match(key)


def add_alias(key: str, entry_id: int | None, title: str) -> int:
    """Store a new key (and an entry titled `title` when none matched); return the entry id.

    Another writer may store the same key first: then its entry wins.
    """
    try:
        # A savepoint: on PostgreSQL a concurrent share may insert the same key first,
        # and only this part must be undone, not the caller's share.
        with db.session.begin_nested():
            if entry_id is None:
                entry = SongbookEntry(title=display_title(title))
                db.session.add(entry)
                db.session.flush()
                entry_id = entry.id
            db.session.add(SongAlias(key=key, entry_id=entry_id))
    except IntegrityError:
        return db.session.execute(
            db.select(SongAlias.entry_id).where(SongAlias.key == key)
        ).scalar_one()
    return entry_id


def file_song(share: Share) -> None:
    """File a song share (new or edited) under its entry; the entry it leaves is tidied."""
    tidy_at_commit(share.song_entry_id)
    entry_id = file_title(share.text, StoredKeys(), public=share.allow_screen, add_key=add_alias)
    share.song_entry = db.session.get(SongbookEntry, entry_id) if entry_id is not None else None


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
        select(Share.id, Share.text, NAMES_ENTRY).where(Share.song_entry_id == entry_id)
    ).all()
    spellings: Counter[str] = Counter()
    public_keys: set[str] = set()
    staff_only: list[tuple[int, str]] = []
    for share_id, text, names_entry in rows:
        key = song_key(text)
        if names_entry and key:
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
        matcher = KeyMatcher(known_keys())
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
        entry.title = common_spelling(spellings)
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
    moving: list[int] = []
    spellings: Counter[str] = Counter()
    for share_id, text, names_entry in db.session.execute(
        select(Share.id, Share.text, NAMES_ENTRY).where(Share.song_entry_id == entry.id)
    ):
        if song_key(text) == alias.key:
            moving.append(share_id)
            if names_entry:
                spellings[display_title(text)] += 1
    # Titled as the entry page lists the variant: its most common public spelling.
    new_entry = SongbookEntry(title=common_spelling(spellings) if spellings else alias.key)
    db.session.add(new_entry)
    db.session.flush()
    alias.entry_id = new_entry.id
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


def plan_song(storytime: Storytime, entry: SongbookEntry, user: User) -> bool:
    """Add a song to a storytime's plan; return False when it was there already."""
    exists = db.session.execute(
        db.select(PlannedSong.id).where(
            PlannedSong.storytime_id == storytime.id, PlannedSong.entry_id == entry.id
        )
    ).first()
    if exists:
        return False
    db.session.add(PlannedSong(storytime_id=storytime.id, entry_id=entry.id, added_by_id=user.id))
    db.session.commit()
    return True


def unplan_song(planned: PlannedSong) -> None:
    """Take a song out of a storytime's plan."""
    db.session.delete(planned)
    db.session.commit()
