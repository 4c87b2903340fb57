"""Forms for signing in and for the first admin's setup."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from storytime.admin.library import LibraryFields
from storytime.auth.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from storytime.models import User


def strip(value: str | None) -> str | None:
    """Drop the spaces a paste brings along, before validation sees them."""
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)], filters=[strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class PasswordFields:
    """A new password and its confirmation, checked against the password rules.

    Forms about an existing account set `account`; the others have email and name fields.
    """

    account: User | None = None

    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        description=_l(
            "At least %(n)d characters. A few words that mean something only to you work well.",
            n=MIN_LENGTH,
        ),
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))],
    )

    def validate_password(self, field):
        if self.account is not None:
            email, name = self.account.email, self.account.display_name
        else:
            email, name = self.email.data or "", self.display_name.data or ""
        problem = password_problem(field.data or "", email, name)
        if problem:
            raise ValidationError(problem)


class SetupForm(FlaskForm, PasswordFields, LibraryFields):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    display_name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(max=120)], filters=[strip]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fill_library_choices()


class TokenForm(FlaskForm):
    name = StringField(_l("What is this token for?"), validators=[Length(max=80)])


class ChangePasswordForm(FlaskForm, PasswordFields):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )

    def validate_current(self, field):
        if self.account is None or not self.account.check_password(field.data or ""):
            raise ValidationError(_l("That is not your current password."))


class ResetPasswordForm(FlaskForm, PasswordFields):
    """An admin sets a new password for a staff member."""
