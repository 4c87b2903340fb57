"""The caregiver's forms. The share service checks the content; these carry it."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField

from storytime.share.kinds import kind_label

SCREEN = "screen"
LIBRARIAN = "librarian"


class ShareFields(FlaskForm):
    """What a caregiver writes: the text, a first name, and where it may be shown."""

    text = TextAreaField(_l("Your message"), render_kw={"rows": 4})
    name = StringField(
        _l("Your first name (optional)"),
        render_kw={"autocomplete": "given-name", "autocapitalize": "words"},
    )
    # Posted as `on_screen`, as the JSON API names it: the caregiver's consent to the big
    # screen (Share.allow_screen), not whether a share is shown now (Share.on_screen).
    screen_choice = RadioField(
        _l("Who may see it?"),
        choices=[
            SelectChoice(SCREEN, _l("Show on the big screen")),
            SelectChoice(LIBRARIAN, _l("Just for the librarian")),
        ],
        validate_choice=False,
        name="on_screen",
    )

    def allow_screen(self) -> bool | None:
        """Return the caregiver's choice, or None when none was sent (the service decides)."""
        if self.screen_choice.data in (SCREEN, LIBRARIAN):
            return self.screen_choice.data == SCREEN
        return None


class ShareForm(ShareFields):
    """A new share: the fields plus its kind and a client id that makes resending harmless."""

    kind = RadioField(_l("What would you like to share?"), validate_choice=False)
    client_id = HiddenField()

    def __init__(self, storytime, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(kind, kind_label(kind)) for kind in storytime.open_kinds]
        if not self.is_submitted():
            self.client_id.data = secrets.token_urlsafe(16)


class EditShareForm(ShareFields):
    """Changing one's own share; its kind stays."""


class DeleteShareForm(FlaskForm):
    """Confirming a delete; only the CSRF token."""
