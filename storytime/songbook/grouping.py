"""How song titles group into songbook entries: keys, matching, titles and who may name one.

A share's title is reduced to a key (no case, accents, punctuation or emoji). A new key
joins the closest known key's entry when it is clearly the same song: it is a prefix of
at least two words of it (or the other way round), or its `difflib` similarity ratio is
at least `SIMILARITY`. Matching is deterministic (best ratio first, then the oldest key)
and looks at each key once. Live filing (`service.file_song`) and the demo's bulk seed
both file a title with `file_title`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from difflib import SequenceMatcher

from storytime.models import Share

SIMILARITY = 0.85
MIN_PREFIX_WORDS = 2
KEY_LENGTH = 200
# Letters that NFKD does not take apart into a base letter and an accent.
FOLDED_LETTERS = str.maketrans(
    {"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "\u0131": "i"}  # last: dotless i
)
# The one rule for whose words the songbook keeps: every song share filed under an entry
# counts (staff-only and purged ones too), but only one a caregiver allowed on screen may
# name it, as a key, a title or a variant.
NAMES_ENTRY = Share.allow_screen.is_(True)


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


def common_spelling(spellings: Counter[str]) -> str:
    """Return the spelling most shares used; on a tie, the first in sort order."""
    return min(spellings, key=lambda title: (-spellings[title], title))


class KeyMatcher:
    """Match song keys to entry ids: the key's own entry, else the closest known key's."""

    def __init__(self, known: Iterable[tuple[str, int]] = ()) -> None:
        self.entry_of: dict[str, int] = {key: entry_id for key, entry_id in known}

    def match(self, key: str) -> tuple[int | None, str | None]:
        """Return (entry id, matched key) for a key, or (None, None)."""
        if key in self.entry_of:
            return self.entry_of[key], key
        found = closest_key(key, self.entry_of)
        return (self.entry_of[found], found) if found else (None, None)

    def add(self, key: str, entry_id: int) -> None:
        """Remember that a key belongs to an entry."""
        self.entry_of[key] = entry_id


def file_title(
    title: str,
    keys: KeyMatcher,
    *,
    public: bool,
    add_key: Callable[[str, int | None, str], int],
) -> int | None:
    """Return the id of the entry a song title is filed under, or None.

    A public title whose key is new stores it with `add_key(key, entry_id, title)`,
    which makes the entry when none matched (`entry_id` None) and returns its id. A
    staff-only title (`public` false) only joins an entry that public titles made.
    """
    key = song_key(title)
    if not key:
        return None
    entry_id, matched = keys.match(key)
    if matched == key or not public:
        return entry_id
    entry_id = add_key(key, entry_id, title)
    keys.add(key, entry_id)
    return entry_id
