"""The library's own fields: its name, its time zone from the IANA list, its default language.

Asked in the first-run setup and edited on the settings page, so both share these fields.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache

from babel.dates import get_timezone, get_timezone_location
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from storytime import settings
from storytime.i18n import LANGUAGE_NAMES

# The IANA regions, each a group in the select; every other name (UTC's aliases, Etc/GMT+5,
# US/Eastern, …) is still valid and goes under "Other names".
REGIONS = {
    "Africa": _l("Africa"),
    "America": _l("Americas"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
    "Asia": _l("Asia"),
    "Atlantic": _l("Atlantic Ocean"),
    "Australia": _l("Australia"),
    "Europe": _l("Europe"),
    "Indian": _l("Indian Ocean"),
    "Pacific": _l("Pacific Ocean"),
}
# In the database but not places: the machine's own zone, and a placeholder.
NOT_ZONES = {"localtime", "Factory"}


@cache
def zone_names() -> frozenset[str]:
    """Return every time zone name of the IANA list this machine knows."""
    return frozenset(zoneinfo.available_timezones() - NOT_ZONES)


def is_zone(name: str) -> bool:
    """Tell whether a name is a time zone of the IANA list ("Eastern" is not)."""
    return name in zone_names()


def _offset(name: str, now: datetime) -> str:
    """Return a zone's offset from UTC now, as "UTC-05:00" with a true minus sign."""
    minutes = int(now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "\u2212"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _city(name: str, locale: str) -> str:
    """Return a zone's city in the reader's language ("Nueva York"); the box finds both."""
    try:
        return get_timezone_location(get_timezone(name), locale=locale, return_city=True)
    except (LookupError, ValueError):
        return name.rpartition("/")[2].replace("_", " ")


def zone_choices() -> dict[str | None, list[tuple[str, str]]]:
    """Return the select's choices: UTC first, then a group per region, then other names."""
    now = datetime.now(zoneinfo.ZoneInfo("UTC"))
    locale = str(get_locale() or "en")
    groups: dict[str, list[tuple[str, str]]] = {str(label): [] for label in REGIONS.values()}
    other: list[tuple[str, str]] = []
    for name in sorted(zone_names()):
        region, _sep, place = name.partition("/")
        if name == "UTC":
            continue
        if region in REGIONS and place:
            city, own = _city(name, locale), place.replace("_", " ")
            # An old name (Asia/Calcutta) or another language's city shows its IANA name too.
            shown = city if city == own else f"{city} — {own}"
            groups[str(REGIONS[region])].append((name, f"{shown} ({_offset(name, now)})"))
        else:
            other.append((name, f"{name} ({_offset(name, now)})"))
    for choices in groups.values():
        choices.sort(key=lambda choice: choice[1].casefold())
    # WTForms renders a dict as <optgroup>s; the first group, unnamed, holds UTC alone.
    return {None: [("UTC", "UTC")], **groups, str(_l("Other names")): other}


def language_choices() -> list[tuple[str, str]]:
    """Return the staff languages, each named in its own script."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


class ZoneField(SelectField):
    """A time zone chosen from the IANA list; a name not on it is refused with its reason."""

    def pre_validate(self, form):
        name = (self.data or "").strip()
        if not name:
            raise ValidationError(_("Choose the library's time zone."))
        if not is_zone(name):
            raise ValidationError(
                _(
                    "Unknown time zone “%(name)s”: it is not on the IANA list. Choose the city"
                    " nearest the library, e.g. America/Toronto.",
                    name=name[:60],
                )
            )


class LibraryFields:
    """The library's name, time zone and default language (a mixin for a FlaskForm)."""

    library_name = StringField(
        _l("Library name"),
        validators=[DataRequired(), Length(max=120)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    timezone = ZoneField(
        _l("Time zone"),
        description=_l("Times on every page are shown in this zone. Type a city to find it."),
    )
    default_language = SelectField(
        _l("Default language"),
        invalid_choice_message=_l("Choose one of the languages in the list."),
        description=_l(
            "Families read prompts and recaps in it when there is no translation in theirs."
        ),
    )

    def fill_library_choices(self) -> None:
        """Fill the selects and show the saved values; call from the form's __init__.

        A request that leaves a field out (a script, an older page) keeps its saved value.
        """
        self.timezone.choices = zone_choices()
        self.default_language.choices = language_choices()
        saved = {
            self.library_name: settings.library_name(),
            self.timezone: settings.timezone(),
            self.default_language: settings.default_language(),
        }
        for field, value in saved.items():
            if not self.is_submitted() or not field.raw_data:
                field.data = value

    def library_values(self) -> dict[str, str]:
        """Return the settings to save, as settings.save takes them."""
        return {
            "LIBRARY_NAME": self.library_name.data.strip(),
            "TIMEZONE": self.timezone.data.strip(),
            "DEFAULT_LANGUAGE": self.default_language.data,
        }
