"""API routes that belong to no single feature."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from storytime.auth.roles import staff_required

bp = Blueprint("api", __name__)


@bp.route("/me")
@staff_required()
def me():
    """Return the signed-in staff account (useful to check a token)."""
    return jsonify(
        id=current_user.id,
        email=current_user.email,
        display_name=current_user.display_name,
        role=current_user.role,
        branch=current_user.branch.slug if current_user.branch else None,
    )
