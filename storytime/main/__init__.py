"""The front door: the home page, the code box and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from storytime.main import routes  # noqa: E402, F401
