"""Forms for the review pages."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from storytime.extensions import db
from storytime.models import SongbookEntry, Storytime
from storytime.review.recap import NOTE_MAX_LENGTH, note_translations_from, save_recap

MAX_HEADCOUNT = 999


def _count_field(label):
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_HEADCOUNT, message=_l("Use a number from 0 to 999.")),
        ],
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_HEADCOUNT, "class": "count"},
    )


class HeadcountForm(FlaskForm):
    adults = _count_field(_l("Adults"))
    children = _count_field(_l("Children (walking)"))
    babies = _count_field(_l("Babies"))


class RecapForm(FlaskForm):
    note = TextAreaField(
        _l("Note to families"),
        validators=[Length(max=NOTE_MAX_LENGTH)],
        description=_l("Shown at the top of the take-home page, e.g. next week's theme."),
    )
    published = BooleanField(_l("Families can see this recap on the join link"))
    show_names = BooleanField(_l("Show caregivers' first names in this recap"))

    def save_to(self, storytime: Storytime) -> str:
        """Save the recap as this form says (the review page and the wrap-up); return what to tell."""
        save_recap(
            storytime,
            self.note.data or "",
            bool(self.published.data),
            bool(self.show_names.data),
            translations=note_translations_from(request.form),
        )
        if storytime.recap_published:
            return _("Recap published: families see it on the join link.")
        return _("Recap saved. It is not public.")


class IncludeForm(FlaskForm):
    share_id = IntegerField(validators=[InputRequired()])
    included = HiddenField(validators=[DataRequired()])


class NoteForm(FlaskForm):
    note = TextAreaField(
        _l("Follow-up note"),
        validators=[Length(max=2000)],
        description=_l("Your answer; families see it in the recap when the question is in it."),
    )
    answered = BooleanField(_l("Answered"))


class FollowUpForm(FlaskForm):
    text = TextAreaField(
        _l("You asked, we did"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("Shown on the branch's page, e.g. “We added a Saturday storytime.”"),
    )


class MergeForm(FlaskForm):
    entries = SelectMultipleField(_l("Entries"), coerce=int, validate_choice=False)
    target = RadioField(_l("Keep this title"), coerce=int, validate_choice=False)

    def validate_entries(self, field):
        if len(set(field.data or [])) < 2:
            raise ValidationError(_l("Choose at least two entries to merge."))
        found = db.session.execute(
            db.select(db.func.count(SongbookEntry.id)).where(SongbookEntry.id.in_(field.data))
        ).scalar_one()
        if found != len(set(field.data)):
            raise ValidationError(_l("One of these entries no longer exists. Reload the page."))

    def validate_target(self, field):
        if field.data not in (self.entries.data or []):
            raise ValidationError(_l("Choose which of the selected entries keeps its title."))


class SplitForm(FlaskForm):
    alias_id = IntegerField(validators=[InputRequired()])


class RenameForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])


class PlanForm(FlaskForm):
    storytime_id = SelectField(_l("Upcoming storytime"), coerce=int, validate_choice=False)

    def validate_storytime_id(self, field):
        storytime = db.session.get(Storytime, field.data) if field.data else None
        if storytime is None or storytime.state == "closed":
            raise ValidationError(_l("Choose an upcoming storytime."))
        if not current_user.can_run_branch(storytime.branch_id):
            raise ValidationError(_l("You can plan storytimes at your own branch only."))
        if field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Choose an upcoming storytime."))
