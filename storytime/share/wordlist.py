"""Matching shares against the library's word list, so that disguises do not get through.

A listed word is matched on a folded copy of the text: NFKC (fullwidth and other
compatibility forms become plain letters), case folding, and every default-ignorable
code point removed (zero-width characters, soft hyphens, bidi controls, variation
selectors, tags). The stored text stays as the caregiver typed it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from storytime import settings

# Default_Ignorable_Code_Point, from Unicode's DerivedCoreProperties.txt (15.1). Python's
# unicodedata does not expose the property. These draw nothing, so a reader sees the word
# they split; the bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069)
# and the marks U+200E/U+200F/U+061C are among them.
DEFAULT_IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
IGNORABLE = re.compile(f"[{DEFAULT_IGNORABLE}]")
WHITESPACE = re.compile(r"\s+")
# A right-to-left override lays out the letters after it backwards until its PDF (or a
# PDI, or the end of the paragraph): "\u202enrad" shows as "darn". Such runs are matched as
# they are shown too.
OVERRIDDEN_RUN = re.compile("\u202e([^\u202c\u2069\n]*)")


def fold(text: str) -> str:
    """Return the form a word list is matched on: NFKC, case-folded, ignorables removed."""
    # Removed before and after: NFKC can turn one ignorable into another (U+3164 → U+1160),
    # and an ignorable between a letter and a combining mark would stop them composing.
    text = IGNORABLE.sub("", text)
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    # A phrase still matches across a line break or a run of (NFKC-plain) spaces.
    return WHITESPACE.sub(" ", IGNORABLE.sub("", text))


@lru_cache(maxsize=32)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    folded = sorted({fold(word) for word in words} - {""}, key=len, reverse=True)
    if not folded:
        return None
    # Whole words only: "elm" holds "Elm Street" but not "helmets".
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, folded))})(?!\w)")


def as_shown(text: str) -> str:
    """Return the text with each direction-overridden run reversed, as a screen lays it out."""
    return OVERRIDDEN_RUN.sub(lambda m: m[1][::-1], text)


def matches_word_list(*texts: str | None) -> bool:
    """Return whether any of the texts holds a word or phrase from the library's word list."""
    pattern = _pattern(settings.words())
    if pattern is None:
        return False
    return any(
        pattern.search(fold(variant))
        for text in texts
        if text
        for variant in {text, as_shown(text)}
    )
