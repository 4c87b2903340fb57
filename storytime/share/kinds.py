"""How each kind of share is named and shown to caregivers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from storytime.share.service import PRIVATE_BY_DEFAULT

KIND_LABELS = {
    "hello": _l("Hello"),
    "tip": _l("Tip"),
    "song": _l("Song"),
    "question": _l("Question"),
    "idea": _l("Idea"),
}
# Emoji keep the page free of image requests; they are decorative (aria-hidden).
KIND_ICONS = {"hello": "👋", "tip": "💡", "song": "🎵", "question": "❓", "idea": "✨"}
# What the text box asks when the librarian left a kind's question empty.
DEFAULT_QUESTIONS = {
    "hello": _l("Say hello: who are you and who did you bring?"),
    "tip": _l("Share a tip with other families."),
    "song": _l("What is your child's favourite song or rhyme?"),
    "question": _l("What would you like to ask the librarian?"),
    "idea": _l("What would you like from the library?"),
}


def kind_label(kind: str) -> str:
    """Return the kind's name in the reader's language."""
    return str(KIND_LABELS.get(kind, kind))


def kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "💬")


def screen_by_default(kind: str) -> bool:
    """Return whether the big screen is the pre-selected choice for this kind."""
    return kind not in PRIVATE_BY_DEFAULT
