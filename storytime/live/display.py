"""The projected screen's page: one storytime, drawn for a TV by a display or screen link."""

from __future__ import annotations

import re
from datetime import datetime

from babel.lists import format_list
from flask import current_app, render_template, url_for
from flask_babel import (
    force_locale,
    format_datetime,
    format_time,
    get_locale,
    get_timezone,
    ngettext,
)
from flask_babel import gettext as _
from markupsafe import Markup, escape

from storytime.i18n import offered_languages
from storytime.live.feed import storytime_for_display, visible_shares
from storytime.models import KINDS, Share, Storytime
from storytime.share.kinds import kind_icon, kind_label
from storytime.storytimes.defaults import prompt_in
from storytime.storytimes.links import absolute, join_url
from storytime.storytimes.qr import inline_svg as qr_svg

DISPLAY_SHARES = 50  # the display keeps at most this many shares, on the page and in memory
WELCOME_NAMES = 3  # then a count: the welcome holds to one line
WELCOME_NAME_LENGTH = 40
SLOT = re.compile("\ue000(\\d+)\ue001")
BOTH = " · "  # between a TV word and the same word in the storytime's second language


def welcome_name(share: Share) -> str:
    """Return how a hello is greeted: the name given, else the start of its text."""
    name = (share.name or share.text or "").strip()
    return name if len(name) <= WELCOME_NAME_LENGTH else name[: WELCOME_NAME_LENGTH - 1] + "…"


def second_language(storytime: Storytime) -> str | None:
    """Return the storytime's second language when the TV should also speak it."""
    second = storytime.second_language or ""
    current = str(get_locale() or "en")
    return second if second in offered_languages() and second != current else None


def bilingual(second: str | None):
    """Return a gettext that writes a TV word, then the same word in `second` when given."""

    def words(message: str, **variables) -> str:
        first = _(message, **variables)
        if not second:
            return first
        with force_locale(second):
            other = _(message, **variables)
        return first if other == first else f"{first}{BOTH}{other}"

    return words


def prompts_on_screen(storytime: Storytime, second: str | None) -> list[tuple[str, str, str]]:
    """Return (kind, prompt, prompt in the second language or "") for each open kind."""
    rows = []
    for prompt in storytime.prompts:
        first = prompt_in(prompt)
        other = prompt_in(prompt, second) if second else ""
        rows.append((prompt.kind, first, "" if other == first else other))
    return rows


def welcome_line(hellos: list[Share], total: int | None = None) -> Markup:
    """Return "Welcome, Maya, Leo and 12 more!" for the newest hellos on screen, or a welcome.

    Each name is escaped and isolated in its own ``<bdi>``, so a direction override
    typed in one name cannot reorder the words, commas or other names around it.
    """
    names = [welcome_name(share) for share in reversed(hellos[:WELCOME_NAMES])]
    names = [name for name in names if name]
    if not names:
        return escape(_("Welcome!"))
    more = max((len(hellos) if total is None else total) - len(names), 0)
    # Private-use placeholders go through the list pattern and the translation, which are
    # then escaped; only then does each become its name's escaped <bdi>.
    slots = [f"\ue000{i}\ue001" for i in range(len(names))]
    if more:
        slots.append(ngettext("%(num)s more", "%(num)s more", more))
    listed = format_list(slots, locale=str(get_locale() or "en"))
    line = str(escape(_("Welcome, %(names)s!", names=listed)))
    # One pass, so a name that itself holds a placeholder's characters is never rescanned.
    return Markup(SLOT.sub(lambda m: Markup("<bdi>%s</bdi>") % names[int(m[1])], line))


def start_time(storytime: Storytime) -> str:
    """Return when it starts in the library's time zone: the time today, else day and time."""
    zone = get_timezone()
    starts = storytime.starts_at.astimezone(zone)
    if starts.date() == datetime.now(zone).date():
        return format_time(storytime.starts_at, "short")
    return format_datetime(storytime.starts_at, "medium")


def screen_now_url(screen_token: str | None) -> str | None:
    """Return the URL a permanent screen polls for its current storytime, when one exists."""
    if not screen_token or "screens.now" not in current_app.view_functions:
        return None
    return url_for("screens.now", token=screen_token)


def render_display(storytime: Storytime, *, screen_token: str | None = None):
    """Render the display page of one storytime, for a display link or a permanent screen."""
    last_event_id = storytime.last_event_id
    # Before opening and after the goodbye, no share is on the screen or in the page.
    shares = visible_shares(storytime, DISPLAY_SHARES) if storytime.is_open else []
    hellos = [share for share in shares if share.kind == "hello"]
    pinned = next((share for share in shares if share.pinned), None)
    link = join_url(storytime)
    second = second_language(storytime)
    words = bilingual(second)
    recap_link = absolute(url_for("recap.recap", code=storytime.code))
    response = render_template(
        "live/display.html",
        storytime=storytime,
        public=storytime_for_display(storytime),
        shares=[share for share in shares if share.kind != "hello" and share is not pinned],
        pinned=pinned,
        hellos=hellos,
        welcome=welcome_line(hellos) if hellos else escape(words("Welcome!")),
        last_event_id=last_event_id,
        join_link=link,
        join_host=link.split("://", 1)[-1].rsplit("/j/", 1)[0],
        qr=qr_svg(link, _("QR code to join this storytime")),
        recap_qr=qr_svg(recap_link, _("QR code of this storytime's recap")),
        starts_at=start_time(storytime),
        token=storytime.display_token,
        max_shares=DISPLAY_SHARES,
        screen_now_url=screen_now_url(screen_token),
        # Passed here, not by a blueprint's context processor: a screen link renders it too.
        kind_label=kind_label,
        kind_icon=kind_icon,
        kinds=KINDS,
        # The TV's own words in both languages of a bilingual storytime: `_` is this
        # template's only, while `gettext` stays single for the welcome's JS template.
        _=words,
        second_language=second,
        prompts=prompts_on_screen(storytime, second),
    )
    return response, 200, {"Referrer-Policy": "no-referrer"}
