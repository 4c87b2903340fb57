"""The caregiver's side: the join page, sharing, and one's own shares."""

from flask import Blueprint

bp = Blueprint("share", __name__)

from storytime.share import routes  # noqa: E402, F401
