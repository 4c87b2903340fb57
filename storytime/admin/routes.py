"""Admin pages: add and deactivate staff and branches, edit settings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storytime import settings
from storytime.admin.forms import BranchForm, RoleForm, SettingsForm, StaffForm
from storytime.admin.service import (
    StaffError,
    create_branch,
    create_user,
    save_settings,
    set_active,
    set_branch_active,
    set_password,
    set_role,
)
from storytime.auth.forms import ResetPasswordForm
from storytime.auth.roles import admin_required
from storytime.extensions import db
from storytime.models import Branch, User

bp = Blueprint("admin", __name__)


@bp.route("/branches", methods=["GET", "POST"])
@admin_required
def branches():
    """List branches and add one."""
    form = BranchForm()
    if form.validate_on_submit():
        try:
            branch = create_branch(form.name.data, form.slug.data or None)
        except StaffError as exc:  # e.g. taken by another admin since the form was checked
            form.name.errors.append(str(exc))
        else:
            flash(_("Branch %(name)s added.", name=branch.name), "success")
            return redirect(url_for("admin.branches"))
    rows = db.session.execute(db.select(Branch).order_by(Branch.name)).scalars()
    return render_template("admin/branches.html", form=form, branches=rows), (
        400 if form.errors else 200
    )


@bp.route("/branches/<int:branch_id>/active", methods=["POST"])
@admin_required
def toggle_branch(branch_id: int):
    """Deactivate an active branch or reactivate an inactive one."""
    branch = db.get_or_404(Branch, branch_id)
    set_branch_active(branch, not branch.active)
    message = _("%(name)s reactivated.") if branch.active else _("%(name)s deactivated.")
    flash(message % {"name": branch.name}, "info")
    return redirect(url_for("admin.branches"))


@bp.route("/staff", methods=["GET", "POST"])
@admin_required
def staff():
    """List staff accounts and add one."""
    form = StaffForm()
    if form.validate_on_submit():
        branch = db.session.get(Branch, form.branch.data) if form.branch.data else None
        try:
            user = create_user(
                form.email.data,
                form.role.data,
                form.password.data,
                branch_slug=branch.slug if branch else None,
                display_name=form.display_name.data,
            )
        except StaffError as exc:  # e.g. the email was taken since the form was checked
            form.email.errors.append(str(exc))
        else:
            flash(_("Account for %(email)s added.", email=user.email), "success")
            return redirect(url_for("admin.staff"))
    users = db.session.execute(db.select(User).order_by(User.display_name)).scalars()
    return render_template("admin/staff.html", form=form, users=users), (
        400 if form.errors else 200
    )


@bp.route("/staff/<int:user_id>/active", methods=["POST"])
@admin_required
def toggle_staff(user_id: int):
    """Deactivate an account (it is signed out at once) or reactivate it."""
    user = db.get_or_404(User, user_id)
    try:
        set_active(user, not user.active, by=current_user)
    except StaffError as exc:
        abort(400, description=str(exc))
    message = _("%(email)s reactivated.") if user.active else _("%(email)s deactivated.")
    flash(message % {"email": user.email}, "info")
    return redirect(url_for("admin.staff"))


def _staff_member_page(user: User, role_form: RoleForm, password_form: ResetPasswordForm):
    """Render one staff member's page: 400 when either form has errors."""
    status = 400 if role_form.errors or password_form.errors else 200
    page = render_template(
        "admin/staff_member.html", user=user, role_form=role_form, password_form=password_form
    )
    return page, status


def _forms(user: User, submitted: str = "") -> tuple[RoleForm, ResetPasswordForm]:
    """Return the page's two forms; only the `submitted` one ("role", "password") reads it."""
    if submitted == "role":
        role_form = RoleForm(current=user.branch)
    else:
        saved = {"role": user.role, "branch": user.branch_id or 0}
        role_form = RoleForm(current=user.branch, formdata=None, data=saved)
    password_form = ResetPasswordForm(
        prefix="reset", **({} if submitted == "password" else {"formdata": None})
    )
    password_form.account = user
    return role_form, password_form


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@admin_required
def staff_member(user_id: int):
    """Show one staff member; change their role and branch."""
    user = db.get_or_404(User, user_id)
    role_form, password_form = _forms(user, "role" if request.method == "POST" else "")
    if role_form.validate_on_submit():
        branch = db.session.get(Branch, role_form.branch.data) if role_form.branch.data else None
        try:
            set_role(user, role_form.role.data, branch.slug if branch else None, by=current_user)
        except StaffError as exc:
            role_form.role.errors.append(str(exc))
        else:
            flash(_("%(email)s's role and branch are saved.", email=user.email), "success")
            return redirect(url_for("admin.staff_member", user_id=user.id))
    return _staff_member_page(user, role_form, password_form)


@bp.route("/staff/<int:user_id>/password", methods=["POST"])
@admin_required
def reset_password(user_id: int):
    """Set a new password for a staff member, signing them out everywhere."""
    user = db.get_or_404(User, user_id)
    role_form, password_form = _forms(user, "password")
    if password_form.validate_on_submit():
        try:
            set_password(user, password_form.password.data, by=current_user)
        except StaffError as exc:
            password_form.password.errors.append(str(exc))
        else:
            flash(
                _("New password set for %(email)s; they are signed out.", email=user.email),
                "success",
            )
            return redirect(url_for("admin.staff_member", user_id=user.id))
    return _staff_member_page(user, role_form, password_form)


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings_page():
    """Edit the library's name, time zone, default language and word list."""
    form = SettingsForm()
    if not form.is_submitted():
        form.word_list.data = "\n".join(settings.word_list())
    if form.validate_on_submit():
        # A request without the field (a script) leaves the word list as it is, not empty.
        word_list = (form.word_list.data or "") if form.word_list.raw_data else None
        save_settings(form.library_values(), word_list)
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.settings_page"))
    return render_template("admin/settings.html", form=form), 400 if form.errors else 200
