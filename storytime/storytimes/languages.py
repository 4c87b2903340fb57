"""A storytime's languages: its prompts' translations and the TV's second language."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

from storytime.database import begin_write
from storytime.errors import ApiError
from storytime.events.log import record
from storytime.extensions import db
from storytime.i18n import all_languages
from storytime.models import Storytime

TRANSLATION_MAX = 300  # the same as a prompt's own text (service.PROMPT_MAX)


class LanguageError(ApiError, ValueError):
    """A language choice or translation that cannot be saved; the message names the field."""


def check_second_language(value: str | None) -> str:
    """Return the second language to store ("" for none), or raise LanguageError."""
    value = (value or "").strip()
    if value and value not in all_languages():
        raise LanguageError(
            _("Choose a language among: %(choices)s.", choices=", ".join(all_languages())),
            field="second_language",
        )
    return value


def check_translations(raw: object, field: str = "translations") -> dict[str, str]:
    """Return one prompt's translations, blanks dropped, or raise LanguageError."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise LanguageError(
            _("Translations must be an object of language codes and text."), field=field
        )
    known = all_languages()
    cleaned: dict[str, str] = {}
    for code, text in raw.items():
        if code not in known:
            raise LanguageError(
                _("Choose a language among: %(choices)s.", choices=", ".join(known)), field=field
            )
        if not isinstance(text, str):
            raise LanguageError(
                _("Translations must be an object of language codes and text."), field=field
            )
        text = text.strip()
        if len(text) > TRANSLATION_MAX:
            raise LanguageError(
                _("A question can be at most %(n)d characters.", n=TRANSLATION_MAX), field=field
            )
        if text:
            cleaned[code] = text
    return cleaned


def apply_languages(
    storytime: Storytime, second_language: str, translations: Mapping[str, Mapping[str, str]]
) -> None:
    """Set the second language and each open prompt's translations (inside the caller's write).

    A kind missing from `translations` keeps none: the form and the API always send all.
    """
    storytime.second_language = second_language
    for prompt in storytime.prompts:
        prompt.translations = dict(translations.get(prompt.kind) or {})


def save_languages(
    storytime: Storytime, second_language: str, translations: Mapping[str, Mapping[str, str]]
) -> None:
    """Store checked languages after the storytime itself was saved (form and API)."""
    begin_write()
    db.session.refresh(storytime)
    before = _languages_of(storytime)
    apply_languages(storytime, second_language, translations)
    if _languages_of(storytime) == before:
        db.session.rollback()  # nothing new: no write, no event for the screens
        return
    record(storytime.id, "storytime.updated", public=True)
    db.session.commit()


def _languages_of(storytime: Storytime) -> tuple[str, dict[str, dict[str, str]]]:
    return storytime.second_language, {
        prompt.kind: dict(prompt.translations or {}) for prompt in storytime.prompts
    }


def check_languages(
    second_language: object, translations: Mapping[str, object]
) -> tuple[str, dict[str, dict[str, str]]]:
    """Return the checked second language and translations by kind, or raise LanguageError."""
    if second_language is not None and not isinstance(second_language, str):
        raise LanguageError(
            _("Choose a language among: %(choices)s.", choices=", ".join(all_languages())),
            field="second_language",
        )
    return check_second_language(second_language), {
        kind: check_translations(raw) for kind, raw in translations.items()
    }
