"""Staff accounts: login, logout, first-run setup, API tokens and role checks."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from storytime.auth import routes  # noqa: E402, F401
