"""Which language and time zone a request is shown in, and the languages the picker offers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_time, get_locale
from sqlalchemy.exc import SQLAlchemyError

from storytime import settings
from storytime.extensions import db

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ar": "العربية",
    "zh_Hans": "简体中文",
    "vi": "Tiếng Việt",
}
RTL_LANGUAGES = {"ar", "he", "fa", "ur"}
# Browser tags that mean a catalog whose code is not the tag's first part: Chinese without a
# script or with a mainland region is written in simplified characters.
TAG_ALIASES = {
    "zh": "zh_Hans",
    "zh-hans": "zh_Hans",
    "zh-cn": "zh_Hans",
    "zh-sg": "zh_Hans",
    "zh-hans-cn": "zh_Hans",
}
# Pages a caregiver or the TV shows: these also speak the FAMILY_LANGUAGES.
FAMILY_BLUEPRINTS = {"share", "recap"}
FAMILY_ENDPOINTS = {
    "main.index",
    "main.join_by_code",
    "live.display",
    "outcomes.checkin_page",
    "screens.show",
    "screens.now",
    "screens.tv",
    "screens.tv_status",
    "storytimes.card",
    "storytimes.branch_page",
    "storytimes.branch_card",
    # The phone's own JSON: its errors are read by the caregiver.
    "api.create_share",
    "api.my_shares",
    "api.update_share",
    "api.delete_share",
    "api.checkin_form",
    "api.checkin",
}


def family_page() -> bool:
    """Tell whether this request shows a page meant for families or the room's TV."""
    return request.blueprint in FAMILY_BLUEPRINTS or request.endpoint in FAMILY_ENDPOINTS


def offered_languages() -> list[str]:
    """Return the languages this request may be shown in (the picker's list)."""
    staff = list(current_app.config["LANGUAGES"])
    if has_request_context() and family_page():
        return staff + [c for c in current_app.config["FAMILY_LANGUAGES"] if c not in staff]
    return staff


def picker_languages() -> list[tuple[str, str]]:
    """Return (code, name in its own script) for each language the picker offers here."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in offered_languages()]


def all_languages() -> list[str]:
    """Return every language some page speaks: the picker may remember any of them."""
    staff = list(current_app.config["LANGUAGES"])
    return staff + [c for c in current_app.config["FAMILY_LANGUAGES"] if c not in staff]


def translation_languages() -> list[tuple[str, str]]:
    """Return (code, name) of the languages staff may translate their words into.

    Every language a family may read, except the default one the words are written in.
    """
    default = default_language()
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in all_languages() if code != default]


def default_language() -> str:
    """Return the library's default language (the setting, else config, else English)."""
    stored = getattr(settings, "default_language", None)
    try:
        value = stored() if callable(stored) else None
    except SQLAlchemyError:  # an error page while the database is down still renders
        db.session.rollback()
        value = None
    return value or current_app.config.get("DEFAULT_LANGUAGE") or "en"


def catalog_code(tag: str, languages: list[str]) -> str | None:
    """Return the catalog code a browser tag such as `fr-CA` or `zh-CN` means, if offered."""
    tag = tag.replace("_", "-").lower()
    for candidate in (TAG_ALIASES.get(tag), TAG_ALIASES.get(tag.split("-")[0])):
        if candidate in languages:
            return candidate
    for code in languages:
        if code.replace("_", "-").lower() == tag:
            return code
    primary = tag.split("-")[0]
    return primary if primary in languages else None


def select_locale() -> str | None:
    """Pick the language: the picker's choice, then the browser's preference."""
    if not has_request_context():
        return None  # a command: messages in the default language
    languages = offered_languages()
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    # By the browser's order of preference, a regional variant counting as its language:
    # "fr-CA;q=0.8, en;q=0.5" is French (Werkzeug's best_match would pick the exact "en").
    for value, quality in request.accept_languages:
        if quality <= 0:
            continue
        code = catalog_code(value, languages)
        if code:
            return code
    # A staff page asked for a family-only language (or none we speak): the library's own.
    fallback = default_language()
    return fallback if fallback in languages else None


def reader_language() -> str:
    """Return the language the current page is shown in, as a catalog code."""
    return str(get_locale() or default_language())


def translated(original: str, translations: Mapping[str, str] | None, language: str) -> str:
    """Return a librarian's text in `language`, else the default language's, else as written.

    The original is written in the library's default language, so a reader whose language
    has no translation reads the default language's text, never a guess.
    """
    translations = translations or {}
    for code in (language, language.split("_")[0], default_language()):
        text = (translations.get(code) or "").strip()
        if text:
            return text
    return original


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
