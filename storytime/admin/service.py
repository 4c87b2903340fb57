"""Creating branches and staff accounts, shared by the admin pages and the CLI."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from storytime import settings
from storytime.auth.passwords import password_problem
from storytime.auth.sessions import end_sessions
from storytime.errors import ApiError
from storytime.extensions import db
from storytime.models import ROLES, STATEMENTS, ApiToken, Branch, Setting, User, now_utc
from storytime.outcomes.statements import SETTING_PREFIX, WORDING_MAX, forget_wording

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class StaffError(ApiError, ValueError):
    """A request to create or change staff or branches that cannot be done."""


def slugify(text: str) -> str:
    """Turn a branch name into a URL slug: "Rivière Branch" -> "riviere-branch"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


def find_branch(slug: str) -> Branch | None:
    """Return the branch with that slug, or None."""
    return db.session.execute(
        db.select(Branch).where(Branch.slug == slug.strip().lower())
    ).scalar_one_or_none()


def find_user(email: str) -> User | None:
    """Return the account with that email (case-insensitive), or None."""
    return db.session.execute(
        db.select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def create_branch(name: str, slug: str | None = None) -> Branch:
    """Create a branch; raise StaffError if the name or slug is empty or taken."""
    name = name.strip()
    slug = (slug or slugify(name)).strip().lower()
    if not name:
        raise StaffError(_l("A branch needs a name."))
    if not SLUG_PATTERN.match(slug):
        raise StaffError(
            _l("'%(slug)s' is not a valid slug: use a-z, 0-9 and single hyphens.", slug=slug)
        )
    if find_branch(slug) is not None:
        raise StaffError(_l("A branch with the slug '%(slug)s' already exists.", slug=slug))
    taken = db.session.execute(db.select(Branch).where(Branch.name == name)).first()
    if taken is not None:
        raise StaffError(_l("A branch named '%(name)s' already exists.", name=name))
    branch = Branch(name=name, slug=slug)
    db.session.add(branch)
    db.session.commit()
    return branch


def set_branch_active(branch: Branch, active: bool) -> None:
    """Deactivate or reactivate a branch; its storytimes and staff stay as they are."""
    branch.active = active
    db.session.commit()


def role_branch(role: str, branch_slug: str | None) -> Branch | None:
    """Return the branch for an account with that role; raise StaffError if they do not fit."""
    if role not in ROLES:
        raise StaffError(_l("Role must be one of: %(roles)s.", roles=", ".join(ROLES)))
    branch = None
    if branch_slug:
        branch = find_branch(branch_slug)
        if branch is None:
            raise StaffError(_l("No branch with the slug '%(slug)s'.", slug=branch_slug))
    if role == "librarian" and branch is None:
        raise StaffError(_l("A librarian belongs to a branch: give one."))
    return branch


def require_good_password(password: str, email: str, display_name: str) -> None:
    """Raise StaffError saying why, unless the password keeps the password rules."""
    problem = password_problem(password, email, display_name)
    if problem:
        raise StaffError(problem)


def create_user(
    email: str,
    role: str,
    password: str,
    branch_slug: str | None = None,
    display_name: str | None = None,
) -> User:
    """Create a staff account; raise StaffError for a bad role, branch, email or password."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise StaffError(_l("'%(email)s' is not an email address.", email=email))
    branch = role_branch(role, branch_slug)
    if find_user(email) is not None:
        raise StaffError(_l("An account for %(email)s already exists.", email=email))
    display_name = (display_name or email.split("@")[0]).strip()
    require_good_password(password, email, display_name)
    user = User(email=email, display_name=display_name, role=role, branch=branch)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def set_password(user: User, password: str, *, by: User | None = None) -> None:
    """Give an account a new password and sign it out everywhere (`by`: the admin, if any)."""
    if by is not None and by.id == user.id:
        raise StaffError(_l("Change your own password on the Password page."))
    require_good_password(password, user.email, user.display_name)
    user.set_password(password)
    # Whoever knew the old password may be signed in somewhere: a new one ends that.
    end_sessions(user)  # commits


def set_role(user: User, role: str, branch_slug: str | None, *, by: User | None = None) -> None:
    """Change an account's role and branch (None: no branch); raise StaffError if invalid."""
    if by is not None and by.id == user.id and role != user.role:
        # An admin who demotes themselves cannot undo it.
        raise StaffError(_l("You cannot change your own role."))
    branch = role_branch(role, branch_slug)
    if user.role == "admin" and role != "admin" and user.active and _active_admins() <= 1:
        raise StaffError(_l("At least one active admin must remain."))
    user.role = role
    user.branch = branch
    db.session.commit()


def set_active(user: User, active: bool, *, by: User | None = None) -> None:
    """Deactivate or reactivate an account; deactivating signs it out everywhere.

    Its sessions end and its API tokens are revoked, so reactivating the account later
    brings back none of the credentials it had: its owner signs in again. `by` is the
    admin making the change (None from the command line), who cannot deactivate themselves.
    """
    if by is not None and by.id == user.id:
        raise StaffError(_l("You cannot deactivate your own account."), 400)
    if not active and user.active and user.role == "admin" and _active_admins() <= 1:
        raise StaffError(_l("At least one active admin must remain."))
    user.active = active
    if not active:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now_utc())
        )
        end_sessions(user)  # commits
    db.session.commit()


def save_settings(library: dict[str, str], word_list: str | None = None) -> None:
    """Save the library's name, time zone and default language, and the word list unless None.

    `library` is LibraryFields.library_values(): its time zone is on the IANA list.
    """
    values = {key: value.strip() for key, value in library.items()}
    if word_list is not None:
        values["WORD_LIST"] = word_list.strip()
    settings.save(values)


def save_statement_wording(wording: dict[str, str]) -> None:
    """Save the library's words for check-in statements; empty text restores the default.

    The statement ids stay, so results remain comparable (see outcomes/statements.py).
    """
    for statement, text in wording.items():
        if statement not in STATEMENTS:
            raise StaffError(_l("There is no check-in statement with that id."), field=statement)
        text = " ".join(text.split())
        if len(text) > WORDING_MAX:
            raise StaffError(
                _l("Please keep it under %(n)d characters.", n=WORDING_MAX), field=statement
            )
        row = db.session.get(Setting, SETTING_PREFIX + statement)
        if not text:
            if row is not None:
                db.session.delete(row)
            continue
        row = row or Setting(key=SETTING_PREFIX + statement)
        row.value = text
        db.session.add(row)
    db.session.commit()
    forget_wording()


def _active_admins() -> int:
    """Return how many active admin accounts exist."""
    return db.session.execute(
        db.select(db.func.count()).select_from(User).where(User.role == "admin", User.active)
    ).scalar_one()
