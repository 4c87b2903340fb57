"""The words for each kind of share: one share's label, a heading over many, an icon."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from storytime.share.service import PRIVATE_BY_DEFAULT

# One share's kind: "Tip".
KIND_LABELS = {
    "hello": _l("Hello"),
    "tip": _l("Tip"),
    "song": _l("Song"),
    "question": _l("Question"),
    "idea": _l("Idea"),
}
# A heading over many shares of a kind (a column, a chart's legend, a filter): "Tips".
KIND_HEADINGS = {
    "hello": _l("Hellos"),
    "tip": _l("Tips"),
    "song": _l("Songs"),
    "question": _l("Questions"),
    "idea": _l("Ideas"),
}
# Emoji keep the page free of image requests; they are decorative (aria-hidden).
KIND_ICONS = {"hello": "👋", "tip": "💡", "song": "🎵", "question": "❓", "idea": "✨"}
# What the join page asks when the librarian left a kind's prompt empty.
FALLBACK_PROMPTS = {
    "hello": _l("Say hello: who are you and who did you bring?"),
    "tip": _l("Share a tip with other families."),
    "song": _l("What is your child's favourite song or rhyme?"),
    "question": _l("What would you like to ask the librarian?"),
    "idea": _l("What would you like from the library?"),
}


def kind_label(kind: str) -> str:
    """Return the name of one share's kind in the reader's language ("Tip")."""
    return str(KIND_LABELS.get(kind, kind))


def kind_heading(kind: str) -> str:
    """Return the heading over many shares of a kind in the reader's language ("Tips")."""
    return str(KIND_HEADINGS.get(kind, kind))


def kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "💬")


def screen_by_default(kind: str) -> bool:
    """Return whether the big screen is the pre-selected choice for this kind."""
    return kind not in PRIVATE_BY_DEFAULT
