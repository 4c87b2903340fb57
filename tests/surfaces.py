"""Every place a share's text can reach, walked as one viewer: the privacy tests' eyes.

`walk(viewer, rooms, ...)` fetches every page, feed, stream, API answer and export that
viewer can reach about the given storytimes and returns them as text, one `Surface` per
URL. The privacy invariants (tests/test_privacy_invariants.py) then only ask "which
surfaces hold this word?".

Viewers:

- a *visitor*: no cookies; the join, recap, branch and start pages, the display (its
  page, feed and stream: anyone in the room sees the TV), each branch's permanent TV link
  (its page and what it shows now) and a TV's pairing pages;
- a *phone*: a caregiver's phone (its `st_phone` cookie); its join pages, its shares
  through the API, and its attempts at other phones' shares;
- *staff*: a signed-in session of any role; everything staff can open, whether or not
  the role may (a 403 page must not leak either).

Streams are read bounded: the test app sets `STREAM_MAX_SECONDS` to 0, so a stream sends
its backlog and ends.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from flask.testing import FlaskClient

from storytime.admin.service import find_branch
from storytime.screens.service import add_screen, find_screen

VISITOR, PHONE, STAFF = "visitor", "phone", "staff"
# Where a text lands, by what the URL is: who may see that kind of surface.
PUBLIC, PHONE_API, SONGBOOK, STAFF_VIEW = "public", "phone", "songbook", "staff"


@dataclass(frozen=True)
class Room:
    """What a walker needs to know about one storytime."""

    id: int
    code: str
    display_token: str
    branch: str


@dataclass
class Viewer:
    """One person looking: a visitor, a phone or a staff member, with their client."""

    name: str
    kind: str
    client: FlaskClient
    branch: str | None = None  # staff: the branch they run (None: every branch)


@dataclass
class Surface:
    """One URL as the viewer saw it."""

    viewer: str
    url: str
    category: str
    status: int
    text: str


@dataclass
class Seen:
    """Everything one or more walks saw."""

    surfaces: list[Surface] = field(default_factory=list)

    def __add__(self, other: Seen) -> Seen:
        return Seen(self.surfaces + other.surfaces)

    def holding(self, word: str) -> list[Surface]:
        """Return the surfaces whose text holds the word (case-insensitively)."""
        folded = word.casefold()
        return [s for s in self.surfaces if folded in s.text.casefold()]

    def where(self, word: str) -> list[str]:
        """Return "viewer GET url" for every surface that holds the word."""
        return [f"{s.viewer} GET {s.url}" for s in self.holding(word)]

    def only(self, *categories: str) -> Seen:
        return Seen([s for s in self.surfaces if s.category in categories])

    def of(self, *viewers: str) -> Seen:
        return Seen([s for s in self.surfaces if s.viewer in viewers])

    def urls(self) -> set[str]:
        return {s.url for s in self.surfaces}

    def on_display(self, room: Room) -> Seen:
        """Only the room's display: its page, feed and stream (their URLs carry its token)."""
        return Seen([s for s in self.surfaces if room.display_token in s.url])

    def finding(self, words: str) -> list[str]:
        """Return "viewer GET url (n)" for every search for these words that found any."""
        searched = f"q={quote(words, safe='')}"
        return [
            f"{s.viewer} GET {s.url} ({found})"
            for s in self.surfaces
            if s.status == 200 and searched in s.url and (found := results(s))
        ]

    def join_pages(self) -> Seen:
        """Only the join and recap pages (a closed join page shows the recap)."""
        return Seen([s for s in self.surfaces if s.url.startswith("/j/")])


def category(url: str) -> str:
    """Return what kind of surface a URL is, for rules that depend on it."""
    path = url.split("?", 1)[0]
    if path.startswith(("/review/songbook", "/api/v1/songbook")):
        return SONGBOOK
    if "/shares" in path and path.startswith(("/j/", "/api/v1/storytimes/")):
        return PHONE_API  # a phone's own shares, and its attempts at someone else's
    if path.startswith(("/j/", "/b/", "/display/", "/screen/", "/tv")) or path in ("/", "/privacy"):
        return PUBLIC
    if path == "/api/v1/openapi.json" or "token=" in url:
        return PUBLIC  # the OpenAPI document and the display's feed and stream
    return STAFF_VIEW


# "3 shares found", "2 tips", "What families asked for (4)": how a page says its count.
RESULT_COUNT = re.compile(r'role="status">\s*(\d+)|id="ideas-title">[^<]*\((\d+)\)')


def results(surface: Surface) -> int:
    """Return how many results a search page or the songbook API answered with."""
    if surface.url.startswith("/api/"):
        return json.loads(surface.text)["total"]
    if surface.url.startswith("/review/songbook"):
        return 0  # the page lists entries without a count; the API beside it has one
    found = RESULT_COUNT.search(surface.text)
    assert found, f"{surface.url} no longer says how many it found"
    return int(found.group(1) or found.group(2))


def as_text(response) -> str:
    """Return a response body as searchable text: entities and JSON escapes undone."""
    body = response.get_data(as_text=True).lstrip("\ufeff")
    if response.mimetype == "application/json":
        try:
            return json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            return body
    if response.mimetype == "text/html":
        return html.unescape(body)
    return body


def fetch(viewer: Viewer, url: str) -> Surface:
    """Open one URL as the viewer (following redirects) and keep what came back."""
    response = viewer.client.get(url, follow_redirects=True)
    surface = Surface(viewer.name, url, category(url), response.status_code, as_text(response))
    response.close()
    assert surface.status < 500, f"{viewer.name} GET {url}: {surface.status}"
    return surface


ROOM_PUBLIC = (
    "/j/{code}",
    "/j/{code}/status",
    "/j/{code}/recap",
    "/display/{token}",
    "/api/v1/storytimes/{id}/events?token={token}",
    "/api/v1/storytimes/{id}/stream?token={token}",
)
ROOM_PHONE = ("/j/{code}", "/api/v1/storytimes/{code}/shares/mine")
SHARE_PHONE = (
    "/j/{code}?sent={share}",
    "/j/{code}/shares/{share}/edit",
    "/j/{code}/shares/{share}/delete",
)
ROOM_STAFF = (
    "/storytimes/{id}",
    "/storytimes/{id}/live",
    "/api/v1/storytimes/{id}",
    "/api/v1/storytimes/{id}/events",
    "/api/v1/storytimes/{id}/stream",
    "/review/storytimes/{id}",
    "/review/storytimes/{id}/recap",
    "/review/storytimes/{id}/export.csv",
    "/review/storytimes/{id}/export.json",
    "/api/v1/storytimes/{id}/export.csv",
    "/api/v1/storytimes/{id}/export.json",
)
STAFF_PAGES = (
    "/storytimes",
    "/api/v1/storytimes",
    "/review/",
    "/review/questions",
    "/review/tips",
    "/review/ideas",
    "/review/charts",
    "/review/export.csv",
    "/review/export.json",
    "/api/v1/exports/shares.csv",
    "/api/v1/exports/shares.json",
    "/review/songbook",
    "/api/v1/songbook",
)
# Pages that search share text for `q`, by the kind of share they list (None: any).
SEARCHES = {
    None: ("/review/search?q={q}", "/review/?q={q}"),
    "tip": ("/review/tips?q={q}",),
    "question": ("/review/questions?q={q}",),
    "idea": ("/review/ideas?q={q}",),
    "song": ("/review/songbook?q={q}", "/api/v1/songbook?q={q}"),
}


def display(viewer: Viewer, room: Room) -> Seen:
    """Return the room's display as it is now: its page, its feed from the start, its stream."""
    return Seen(
        [
            fetch(viewer, p.format(id=room.id, code=room.code, token=room.display_token))
            for p in ROOM_PUBLIC
            if "{token}" in p
        ]
    )


def screen_token(viewer: Viewer, slug: str) -> str:
    """Return the token of the branch main room's TV link, set up as staff would on first use."""
    with viewer.client.application.app_context():
        branch = find_branch(slug)
        return (find_screen(branch.id, "") or add_screen(branch, "")).token


def walk(
    viewer: Viewer,
    rooms: list[Room],
    *,
    branches: tuple[str, ...] = (),
    shares: tuple[tuple[Room, int], ...] = (),
    searches: tuple[tuple[str, str], ...] = (),
    song_entries: tuple[int, ...] = (),
) -> Seen:
    """Return every surface the viewer can reach about these storytimes, as text.

    :param branches: branch slugs whose public page (`/b/<slug>`) a visitor opens.
    :param shares: (storytime, share id) whose edit and delete pages a phone opens: its
        own show the text, anyone else's answer 404 and show nothing.
    :param searches: (words, kind) staff search for, on the search page and on the
        page listing that kind (songs: the songbook page and API).
    :param song_entries: songbook entries to open besides those the song searches find.
    """
    seen = Seen()

    def get(url: str) -> Surface:
        surface = fetch(viewer, url)
        seen.surfaces.append(surface)
        return surface

    if viewer.kind == VISITOR:
        for url in ("/", "/privacy", "/api/v1/openapi.json", "/tv", "/tv/status"):
            get(url)
        for slug in branches:
            get(f"/b/{slug}")
            token = screen_token(viewer, slug)
            get(f"/screen/{token}")
            get(f"/screen/{token}/now")
        for room in rooms:
            for pattern in ROOM_PUBLIC:
                get(pattern.format(id=room.id, code=room.code, token=room.display_token))
    elif viewer.kind == PHONE:
        for room in rooms:
            for pattern in ROOM_PHONE:
                get(pattern.format(code=room.code))
        for room, share_id in shares:
            for pattern in SHARE_PHONE:
                get(pattern.format(code=room.code, share=share_id))
    else:
        for url in STAFF_PAGES:
            get(url)
        for room in rooms:
            for pattern in ROOM_STAFF:
                get(pattern.format(id=room.id))
        entries = set(song_entries)
        for words, kind in searches:
            for pattern in SEARCHES[None] + SEARCHES.get(kind, ()):
                found = get(pattern.format(q=quote(words, safe="")))
                if found.url.startswith("/api/v1/songbook") and found.status == 200:
                    entries |= {entry["id"] for entry in json.loads(found.text)["entries"]}
        for entry_id in sorted(entries):
            get(f"/review/songbook/{entry_id}")
    return seen
