"""The admin's pages: staff, branches and install-wide settings."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from storytime.admin import routes  # noqa: E402, F401
