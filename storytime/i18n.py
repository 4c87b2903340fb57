"""Which language and time zone a request is shown in, and the languages the picker offers."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_time

from storytime import settings

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ar": "العربية",
}
RTL_LANGUAGES = {"ar", "he", "fa", "ur"}


def select_locale() -> str | None:
    """Pick the language: the picker's choice, then the browser's preference."""
    if not has_request_context():
        return None  # a command: messages in the default language
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    # By the browser's order of preference, a regional variant counting as its language:
    # "fr-CA;q=0.8, en;q=0.5" is French (Werkzeug's best_match would pick the exact "en").
    for value, quality in request.accept_languages:
        if quality <= 0:
            continue
        primary = value.replace("_", "-").split("-")[0].lower()
        if primary in languages:
            return primary
    return None


def select_timezone() -> str:
    """Show times in the library's configured time zone."""
    return settings.timezone()


# Times: one path. Every time a person reads, on a page or in JSON a script prints, is
# formatted here, in the reader's language and the library's zone (select_timezone).
def format_local(value: datetime | None, format: str = "medium") -> str:
    """Format a stored UTC time as a date and time for the reader."""
    return "" if value is None else format_datetime(value, format)


def format_share_time(value: datetime | None) -> str:
    """Format a time of day for the reader: a storytime is one morning, a share needs no date."""
    return "" if value is None else format_time(value, "short")


def format_share_date(value: datetime | None) -> str:
    """Format the day of a stored UTC time for the reader, in the library's zone."""
    return "" if value is None else format_date(value, "medium")
