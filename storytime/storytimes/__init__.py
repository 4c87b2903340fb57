"""Setting up storytimes: staff pages, join codes, QR codes and branch links."""

from flask import Blueprint

bp = Blueprint("storytimes", __name__)

from storytime.storytimes import routes  # noqa: E402, F401
