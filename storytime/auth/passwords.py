"""Which passwords staff may choose, after NIST SP 800-63B: long, not common, not guessable.

`common-passwords.txt.gz` is the list Django ships (django/contrib/auth, BSD licence):
about 20,000 common passwords from breaches, lowercased, created by Royce Williams.
"""

from __future__ import annotations

import gzip
import re
import string
import unicodedata
from functools import cache
from pathlib import Path

from flask_babel import gettext as _

from storytime import settings

MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
# Runs people type instead of choosing: forwards or backwards, wrapping around.
SEQUENCES = (
    string.ascii_lowercase * 2,
    string.digits * 3,
    "qwertyuiopasdfghjklzxcvbnm" * 2,
    "!@#$%^&*()" * 2,
)
# Digits and symbols people add to a common word to pass a length rule: "password2024!".
PADDING = string.digits + string.punctuation + string.whitespace
MAX_PADDING = 6
NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
# Words this short are too often part of other words to count as built from the context.
SHORTEST_CONTEXT_WORD = 3


@cache
def common_passwords() -> frozenset[str]:
    """Return the common passwords, lowercased."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def fold(text: str) -> str:
    """Return text as compared here: look-alike forms unified, case ignored."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_run(text: str) -> bool:
    """Return whether text is one short part repeated, or a run like 1234 or abcd."""
    if not text:
        return False
    for size in range(1, len(text) // 2 + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1))[: len(text)] == text:
            return True
    return any(text in sequence or text in sequence[::-1] for sequence in SEQUENCES)


def is_common(folded: str) -> bool:
    """Return whether a password is common, or a common one with a little padding."""
    passwords = common_passwords()
    if folded in passwords:
        return True
    core = folded.strip(PADDING)
    padding = folded.replace(core, "", 1)
    return core in passwords and (len(padding) <= MAX_PADDING or is_run(padding))


def context_words(*texts: str) -> set[str]:
    """Return the words of an email, a name or the library's name, folded, without symbols."""
    words = set()
    for text in texts:
        folded = fold(text)
        pieces = NOT_LETTER_OR_DIGIT.split(folded)
        if "@" in folded:
            local, _, domain = folded.partition("@")
            pieces = NOT_LETTER_OR_DIGIT.split(local) + domain.split(".")[:-1]
            words.add(NOT_LETTER_OR_DIGIT.sub("", local))
        else:
            words.add(NOT_LETTER_OR_DIGIT.sub("", folded))
        words.update(pieces)
    return {word for word in words if len(word) >= SHORTEST_CONTEXT_WORD}


def is_built_from(folded: str, words: set[str]) -> bool:
    """Return whether little is left of a password once the context's words are taken out."""
    squashed = NOT_LETTER_OR_DIGIT.sub("", folded)
    rest = squashed
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest != squashed and len(rest) < MIN_LENGTH


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Return why a password may not be used, in words for people; None if it may.

    `email` and `name` are the account's: a password made from them is refused, as is
    one made from the library's name or "Storytime".
    """
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(n)d characters.", n=MAX_LENGTH)
    folded = fold(password)
    if is_run(folded) or is_run(NOT_LETTER_OR_DIGIT.sub("", folded)):
        return _(
            "This password is a repeat or a run of characters, like 1234567890. "
            "Try a few words that mean something only to you."
        )
    if is_common(folded):
        return _(
            "This password is on a list of common and leaked passwords. "
            "Try a few words that mean something only to you."
        )
    words = context_words(email, name, settings.library_name(), "Storytime")
    if is_built_from(folded, words):
        return _(
            "This password is built from your email, your name or the library's name. "
            "Try a few words that mean something only to you."
        )
    return None
