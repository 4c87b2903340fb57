"""The storytime form: details, moderation, and one prompt per kind of share."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from storytime import settings
from storytime.extensions import db
from storytime.i18n import LANGUAGE_NAMES, all_languages, translation_languages
from storytime.models import AUDIENCES, KINDS, STATES, Branch, Storytime
from storytime.share.kinds import KIND_LABELS, kind_label
from storytime.storytimes.defaults import AUDIENCE_LABELS, KIND_HINTS, default_prompts
from storytime.storytimes.service import (
    AUTO_CLOSE_MAX,
    DURATION_DEFAULT,
    DURATION_MAX,
    DURATION_MIN,
    PROMPT_MAX,
    ROOM_MAX,
    THEME_MAX,
    TITLE_MAX,
    Details,
)

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def library_zone() -> ZoneInfo:
    return ZoneInfo(settings.timezone())


def to_local(value: datetime) -> datetime:
    """Return a stored UTC time as a naive time on the library's wall clock."""
    return value.astimezone(library_zone()).replace(tzinfo=None)


def from_local(value: datetime) -> datetime:
    """Return a time typed on the library's wall clock as aware UTC."""
    return value.replace(tzinfo=library_zone()).astimezone(UTC)


class StartTimeRequired:
    """Ask for a start time, unless the librarian pressed "Start now"."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        if form.start_now.data:
            field.errors[:] = []
            raise StopValidation()
        InputRequired(_l("Give the date and time it starts."))(form, field)


def _minutes_field(label, lowest: int, highest: int, **kwargs):
    """Return a whole number of minutes in range; left empty, the field's default."""
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(
                min=lowest,
                max=highest,
                message=_l(
                    "Use a number of minutes from %(low)d to %(high)d.", low=lowest, high=highest
                ),
            ),
        ],
        render_kw={"inputmode": "numeric", "min": lowest, "max": highest, "class": "minutes"},
        **kwargs,
    )


class StorytimeForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(_l("Give the storytime a title.")),
            Length(max=TITLE_MAX),
        ],
    )
    branch = SelectField(_l("Branch"), coerce=int)
    starts_at = DateTimeLocalField(
        _l("Starts at"), format=LOCAL_FORMAT, validators=[StartTimeRequired()]
    )
    duration_minutes = _minutes_field(
        _l("Planned length (minutes)"),
        DURATION_MIN,
        DURATION_MAX,
        default=DURATION_DEFAULT,
    )
    room = StringField(
        _l("Room (optional)"),
        validators=[Length(max=ROOM_MAX)],
        description=_l(
            "Leave empty for the branch's main room. A TV set up for a room follows it."
        ),
    )
    auto_close_minutes = _minutes_field(
        _l("Close by itself after the planned end (minutes)"),
        0,
        AUTO_CLOSE_MAX,
    )
    audience = SelectField(
        _l("Audience"),
        choices=[SelectChoice(key, AUDIENCE_LABELS[key]) for key in AUDIENCES],
        default="babies",
    )
    theme = StringField(
        _l("Theme (optional)"),
        validators=[Length(max=THEME_MAX)],
        description=_l('For example "Transportation"; it shapes the suggested tip question.'),
    )
    moderation = RadioField(
        _l("Moderation"),
        choices=[
            SelectChoice(
                "instant", _l("Instant: shares caregivers allow on screen appear there at once")
            ),
            SelectChoice(
                "review", _l("Review: they wait on the dashboard until you put them on screen")
            ),
        ],
        default="instant",
    )
    # The new form's second button: starts_at is now, and it opens at once.
    start_now = SubmitField(_l("Start now"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        query = db.select(Branch).where(Branch.active.is_(True)).order_by(Branch.name)
        if not current_user.sees_every_branch:
            query = query.where(Branch.id == current_user.branch_id)
        self.branch.choices = [
            SelectChoice(b.id, b.name) for b in db.session.execute(query).scalars()
        ]
        self.second_language.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(code, LANGUAGE_NAMES.get(code, code)) for code in all_languages()
        ]

    def translation_rows(self, kind: str) -> list[StringField]:
        """Return the translation boxes of one kind's prompt, one per translation language."""
        return [self[f"translation_{kind}_{code}"] for code, _name in translation_languages()]

    def languages(self) -> tuple[str, dict[str, dict[str, str]]]:
        """Return the second language and, by open kind, the prompt's typed translations."""
        translations = {
            kind: {
                code: text.strip()
                for code in LANGUAGE_NAMES
                if (text := self[f"translation_{kind}_{code}"].data or "").strip()
            }
            for kind in KINDS
            if self[f"open_{kind}"].data
        }
        return self.second_language.data or "", translations

    def prompt_rows(self) -> list[tuple[str, str, BooleanField, StringField]]:
        """Return (kind, label, open checkbox, question box) for each kind, for the template."""
        return [
            (kind, kind_label(kind), self[f"open_{kind}"], self[f"question_{kind}"])
            for kind in KINDS
        ]

    def prefill(self, audience: str = "babies", theme: str = "") -> None:
        """Open every kind with the suggested prompts (a new storytime)."""
        for kind, text in default_prompts(audience, theme).items():
            self[f"open_{kind}"].data = True
            self[f"question_{kind}"].data = text

    def fill(self, storytime: Storytime) -> None:
        """Show an existing storytime; closed kinds keep a suggested prompt ready."""
        self.title.data = storytime.title
        self.branch.data = storytime.branch_id
        self.starts_at.data = to_local(storytime.starts_at)
        self.audience.data = storytime.audience
        self.theme.data = storytime.theme
        self.moderation.data = storytime.moderation
        self.room.data = storytime.room
        self.duration_minutes.data = storytime.duration_minutes
        self.auto_close_minutes.data = storytime.auto_close_minutes
        suggested = default_prompts(storytime.audience, storytime.theme)
        for kind in KINDS:
            prompt = storytime.prompt_for(kind)
            self[f"open_{kind}"].data = prompt is not None
            self[f"question_{kind}"].data = prompt.text if prompt else suggested[kind]
            for code in LANGUAGE_NAMES:
                translations = prompt.translations if prompt else {}
                self[f"translation_{kind}_{code}"].data = (translations or {}).get(code, "")
        self.second_language.data = storytime.second_language or ""
        self.keep_branch(storytime)

    def keep_branch(self, storytime: Storytime) -> None:
        """Keep an inactive current branch choosable, so an edit does not move the storytime."""
        if storytime.branch_id not in {choice.value for choice in self.branch.choices}:
            self.branch.choices.append(SelectChoice(storytime.branch_id, storytime.branch.name))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not any(self[f"open_{kind}"].data for kind in KINDS):
            self.form_errors.append(
                str(_l("Open at least one kind of share (hello, tip, song, question or idea)."))
            )
            return False
        return valid

    def validate_branch(self, field) -> None:
        branch = db.session.get(Branch, field.data) if field.data else None
        if branch is None or not current_user.can_run_branch(branch.id):
            raise ValidationError(_l("Choose one of your branches."))

    def details(self) -> Details:
        """Return what was typed, as service details (times converted to UTC).

        After "Start now" the start time is left for the service to set.
        """
        return Details(
            branch=db.session.get(Branch, self.branch.data),
            title=self.title.data or "",
            starts_at=from_local(self.starts_at.data) if self.starts_at.data else None,
            audience=self.audience.data,
            theme=self.theme.data or "",
            moderation=self.moderation.data,
            prompts=[
                (kind, self[f"question_{kind}"].data or "")
                for kind in KINDS
                if self[f"open_{kind}"].data
            ],
            room=self.room.data or "",
            duration_minutes=(
                DURATION_DEFAULT
                if self.duration_minutes.data is None
                else self.duration_minutes.data
            ),
            auto_close_minutes=self.auto_close_minutes.data,
        )


for _kind in KINDS:
    setattr(StorytimeForm, f"open_{_kind}", BooleanField(KIND_HINTS[_kind]))
    setattr(
        StorytimeForm,
        f"question_{_kind}",
        StringField(
            _l("Question asked for “%(kind)s”", kind=KIND_LABELS[_kind]),
            validators=[Length(max=PROMPT_MAX)],
        ),
    )


# One optional translation box per kind and language; the template shows the library's.
for _kind in KINDS:
    for _code, _name in LANGUAGE_NAMES.items():
        setattr(
            StorytimeForm,
            f"translation_{_kind}_{_code}",
            StringField(_name, validators=[Length(max=PROMPT_MAX)]),
        )
StorytimeForm.second_language = SelectField(
    _l("Second language on the TV"),
    description=_l("A bilingual storytime: the TV shows its words and prompt in both."),
    default="",
)


class ConfirmForm(FlaskForm):
    """A button that only posts its CSRF token (delete, duplicate)."""


class StateForm(FlaskForm):
    state = SelectField(choices=[SelectChoice(state) for state in STATES])
