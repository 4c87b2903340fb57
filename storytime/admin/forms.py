"""Forms for the admin pages."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from storytime.admin.library import LibraryFields
from storytime.admin.service import SLUG_PATTERN, find_branch, find_user, slugify
from storytime.auth.forms import PasswordFields, strip
from storytime.extensions import db
from storytime.models import ROLES, Branch

ROLE_LABELS = {
    "librarian": _l("Librarian: runs storytimes at their branch"),
    "coordinator": _l("Coordinator: reviews and runs storytimes at every branch"),
    "admin": _l("Admin: also manages staff, branches and settings"),
}


class BranchForm(FlaskForm):
    name = StringField(
        _l("Branch name"), validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    slug = StringField(
        _l("Short name for links (optional)"),
        validators=[Length(max=60)],
        filters=[strip],
        description=_l("Used in the branch's permanent QR link, e.g. /b/central."),
    )

    def validate_name(self, field):
        if db.session.execute(db.select(Branch).where(Branch.name == field.data.strip())).first():
            raise ValidationError(_l("A branch with this name already exists."))

    def validate_slug(self, field):
        # Runs for an empty slug too: the one made from the name must be usable and free.
        name = (self.name.data or "").strip()
        if not field.data and not name:
            return  # the name's own error says what is missing
        slug = (field.data or slugify(name)).lower()
        if not field.data and not slug:
            raise ValidationError(_l("Give a short name for links, e.g. central."))
        if not SLUG_PATTERN.match(slug):
            raise ValidationError(_l("Use lowercase letters, digits and single hyphens."))
        if find_branch(slug) is not None:
            raise ValidationError(_("The short name “%(slug)s” is taken.", slug=slug))


class RoleForm(FlaskForm):
    """A staff member's role and branch."""

    role = SelectField(
        _l("Role"), choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]
    )
    branch = SelectField(_l("Branch"), coerce=int, validate_choice=True)

    def __init__(self, *args, current: Branch | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Active branches, and the one the account has now even if it was deactivated.
        branches = db.session.execute(
            db.select(Branch)
            .where(Branch.active | (Branch.id == (current.id if current else None)))
            .order_by(Branch.name)
        ).scalars()
        self.branch.choices = [SelectChoice(0, _l("No branch"))] + [
            SelectChoice(b.id, b.name) for b in branches
        ]

    def validate_branch(self, field):
        if self.role.data == "librarian" and not field.data:
            raise ValidationError(_l("A librarian belongs to a branch."))


class StaffForm(RoleForm, PasswordFields):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    display_name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=120)], filters=[strip]
    )

    def validate_email(self, field):
        if find_user(field.data) is not None:
            raise ValidationError(_l("An account with this email already exists."))


class SettingsForm(FlaskForm, LibraryFields):
    word_list = TextAreaField(
        _l("Words that hold a share for the librarian"),
        validators=[Length(max=10_000)],
        description=_l(
            "One word or phrase per line. A share containing one never goes on screen by itself."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fill_library_choices()
