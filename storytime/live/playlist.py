"""The playtime playlist: a storytime's song shares grouped by song, sung marks, on the TV.

Spellings of one song group the songbook's way (`songbook.grouping`): shares filed under
one songbook entry go together (a librarian's merge holds here too), and an unfiled title
joins the closest earlier key. A group is named by its oldest share's key; a song is sung
when any of its keys has a `SungSong` row, so a sung mark survives new spellings arriving.

Staff see every song share (`playlist`). The TV sees only titles made from shares the
display may show (`playlist_for_display`): a staff-only, held or hidden song's words never
leave this module for the display, not even as a group's title.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from storytime.database import begin_write
from storytime.errors import ApiError
from storytime.events.log import record
from storytime.extensions import db
from storytime.models import Share, Storytime, SungSong
from storytime.songbook.grouping import KEY_LENGTH, closest_key, common_spelling, display_title
from storytime.songbook.grouping import song_key as title_key


class PlaylistError(ApiError, ValueError):
    """A playlist change that cannot be made; the message is shown to the person."""


def song_key(share: Share) -> str:
    """Return a song share's grouping key; a title of emoji alone keys by its own text."""
    return title_key(share.text) or " ".join(share.text.split())[:KEY_LENGTH]


def shows_on_display(share: Share) -> bool:
    """Return whether the TV's playlist may name this song share (the display's rule)."""
    return bool(share.visible_on_display and not share.held and not share.hidden_by_staff)


@dataclass
class Song:
    """One song of the playlist: its shares (oldest first) and every key they have."""

    key: str
    shares: list[Share] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    sung: bool = False

    def public_shares(self) -> list[Share]:
        """Return the shares the display may name this song by."""
        return [share for share in self.shares if shows_on_display(share)]

    def title(self, shares: list[Share]) -> str:
        """Return the spelling most of `shares` used, tidied."""
        return common_spelling(Counter(display_title(share.text) for share in shares))


def songs(storytime: Storytime) -> list[Song]:
    """Group the storytime's song shares into songs, in the order they were first shared."""
    shares = db.session.execute(
        db.select(Share)
        .where(Share.storytime_id == storytime.id, Share.kind == "song")
        .order_by(Share.id)
    ).scalars()
    grouped: list[Song] = []
    by_key: dict[str, Song] = {}  # insertion order is oldest first, as closest_key wants
    by_entry: dict[int, Song] = {}
    for share in shares:
        key = song_key(share)
        song = by_entry.get(share.song_entry_id) if share.song_entry_id else None
        if song is None:
            song = by_key.get(key) or by_key.get(closest_key(key, by_key) or "")
        if song is None:
            song = Song(key=key)
            grouped.append(song)
        song.shares.append(share)
        song.keys.add(key)
        by_key.setdefault(key, song)
        if share.song_entry_id:
            by_entry.setdefault(share.song_entry_id, song)
    sung = sung_keys(storytime)
    for song in grouped:
        song.sung = not song.keys.isdisjoint(sung)
    return grouped


def sung_keys(storytime: Storytime) -> set[str]:
    """Return the keys the librarian marked as sung in this storytime."""
    return set(
        db.session.execute(
            db.select(SungSong.key).where(SungSong.storytime_id == storytime.id)
        ).scalars()
    )


def playlist(storytime: Storytime) -> list[dict[str, Any]]:
    """Return the staff's playlist: each song with its count, sung flag and shares."""
    items = []
    for song in songs(storytime):
        public = song.public_shares()
        spellings = Counter(display_title(share.text) for share in song.shares)
        items.append(
            {
                "key": song.key,
                "title": song.title(public or song.shares),
                "count": len(song.shares),
                "sung": song.sung,
                "on_display": bool(public),
                "spellings": sorted(spellings, key=lambda title: (-spellings[title], title)),
                "share_ids": [share.id for share in song.shares],
            }
        )
    return items


def playlist_for_display(storytime: Storytime) -> list[dict[str, Any]]:
    """Return the TV's playlist: titles built only from shares the display may show."""
    items = []
    for song in songs(storytime):
        public = song.public_shares()
        if public:
            items.append({"title": song.title(public), "sung": song.sung})
    return items


def find_song(storytime: Storytime, key: str) -> Song:
    """Return the playlist's song that has `key` among its keys; 404 when none has."""
    for song in songs(storytime):
        if key in song.keys:
            return song
    raise PlaylistError(_l("That song is not in this storytime's playlist."), 404, field="key")


def set_sung(storytime: Storytime, key: str, sung: bool) -> Song:
    """Mark a song of the playlist as sung or not; the TV is told."""
    song = find_song(storytime, key)
    storytime_id = storytime.id
    begin_write()
    # The event first: it locks the storytime's row (PostgreSQL), so two dashboards marking
    # the same song at once take turns instead of racing to the unique key.
    record(storytime_id, "storytime.updated", public=True)
    # One statement, before the insert: the ORM would insert first and break the unique key.
    db.session.execute(
        delete(SungSong).where(SungSong.storytime_id == storytime_id, SungSong.key.in_(song.keys))
    )
    if sung:
        db.session.add(SungSong(storytime_id=storytime_id, key=song.key))
    song.sung = sung
    db.session.commit()
    return song


def set_on_screen(storytime: Storytime, on_screen: bool) -> None:
    """Put the playlist on the TV for playtime, or take it off."""
    begin_write()
    storytime.playlist_on_screen = on_screen
    record(storytime.id, "storytime.updated", public=True)
    db.session.commit()
