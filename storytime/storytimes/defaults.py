"""Sensible prompts for a new storytime, by audience, with a nudge from the theme."""

from __future__ import annotations

import re
from functools import cache

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from storytime.i18n import all_languages, reader_language, translated
from storytime.models import KINDS, Prompt

AUDIENCE_LABELS = {
    "babies": _l("Babies"),
    "toddlers": _l("Toddlers"),
    "preschool": _l("Preschool"),
    "families": _l("Families"),
    "all_ages": _l("All ages"),
}

KIND_HINTS = {
    "hello": _l("Hello: caregivers introduce themselves and their child"),
    "tip": _l("Tip: advice for other caregivers"),
    "song": _l("Song: their child's favourite song or rhyme"),
    "question": _l("Question: for the librarian (kept off the screen by default)"),
    "idea": _l("Idea: what they would like from the library"),
}

# The suggested prompt for each kind, by audience.
PROMPTS = {
    "babies": {
        "hello": _l("Say hello: your first name, your baby's name and age"),
        "tip": _l("A tip that makes life with a baby easier"),
        "song": _l("Your baby's favourite song or rhyme"),
        "question": _l("A question about babies, books or the library"),
        "idea": _l("What would you like from the library for your baby?"),
    },
    "toddlers": {
        "hello": _l("Say hello: who came with you today?"),
        "tip": _l("A tip for busy days with a toddler"),
        "song": _l("Your toddler's favourite song or rhyme"),
        "question": _l("A question about toddlers, books or the library"),
        "idea": _l("What would you like from the library for your toddler?"),
    },
    "preschool": {
        "hello": _l("Say hello: your child's name and a favourite book"),
        "tip": _l("A tip for getting ready for school"),
        "song": _l("Your child's favourite song or rhyme"),
        "question": _l("A question about reading, school or the library"),
        "idea": _l("What would you like from the library?"),
    },
    "families": {
        "hello": _l("Say hello: who is here today?"),
        "tip": _l("A tip other families would love"),
        "song": _l("A song your family loves to sing"),
        "question": _l("Anything you would like to ask?"),
        "idea": _l("What would your family like from the library?"),
    },
    "all_ages": {
        "hello": _l("Say hello to the group"),
        "tip": _l("A tip to share with the group"),
        "song": _l("Your favourite song or rhyme"),
        "question": _l("Anything you would like to ask?"),
        "idea": _l("What would you like from the library?"),
    },
}

# A theme word (English, lower case, whole word) makes the tip prompt fit the theme.
THEME_TIPS = (
    (
        (
            "transport",
            "transportation",
            "travel",
            "car",
            "cars",
            "bus",
            "train",
            "trains",
            "plane",
            "planes",
            "boat",
            "boats",
            "trucks",
            "wheels",
            "vehicles",
        ),
        _l("A tip for travelling with little ones"),
    ),
    (("bedtime", "sleep", "night", "goodnight", "moon", "dreams"), _l("A tip for bedtime")),
    (
        ("food", "eating", "fruit", "vegetables", "cooking", "kitchen", "snack", "snacks"),
        _l("A tip for mealtimes"),
    ),
    (
        ("weather", "rain", "snow", "winter", "summer", "seasons", "outside", "outdoors"),
        _l("A tip for getting out and about in any weather"),
    ),
    (("bath", "bathtime", "water", "splash"), _l("A tip for bath time")),
    (("feelings", "emotions", "friends", "sharing"), _l("A tip for big feelings")),
)


def default_prompt(kind: str, audience: str = "all_ages", theme: str = "") -> str:
    """Return the suggested prompt for one kind, in the reader's language."""
    if kind == "tip":
        words = set(re.findall(r"[a-z]+", (theme or "").lower()))
        for theme_words, prompt in THEME_TIPS:
            if words.intersection(theme_words):
                return str(prompt)
    by_kind = PROMPTS.get(audience, PROMPTS["all_ages"])
    return str(by_kind[kind])


def default_prompts(audience: str = "all_ages", theme: str = "") -> dict[str, str]:
    """Return the suggested prompt for every kind."""
    return {kind: default_prompt(kind, audience, theme) for kind in KINDS}


def audience_label(audience: str) -> str:
    """Return the word people see for a storytime's audience."""
    return str(AUDIENCE_LABELS.get(audience, audience))


@cache
def _suggestion_in(language: str, kind: str, audience: str, theme: str) -> str:
    with force_locale(language):
        return default_prompt(kind, audience, theme)


def is_suggestion(prompt: Prompt) -> bool:
    """Tell whether a prompt still holds the built-in suggestion for its storytime.

    The suggestion is stored as written in the language of whoever created the storytime
    (English by the API); any language's wording of the same suggestion counts.
    """
    storytime = prompt.storytime
    text = (prompt.text or "").strip()
    return any(
        text == _suggestion_in(language, prompt.kind, storytime.audience, storytime.theme or "")
        for language in ["en", *all_languages()]
    )


def prompt_in(prompt: Prompt, language: str | None = None) -> str:
    """Return what a prompt asks, in `language` (the reader's by default).

    A built-in suggestion comes from the catalogs; a librarian's own words from their
    translations, falling back to the library's default language, then as written.
    """
    language = language or reader_language()
    if is_suggestion(prompt):
        return _suggestion_in(
            language, prompt.kind, prompt.storytime.audience, prompt.storytime.theme or ""
        )
    return translated(prompt.text or "", prompt.translations, language)
