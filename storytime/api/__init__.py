"""The JSON API under /api/v1, for the pages' scripts and for staff scripts."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from storytime.api import live, openapi, review, routes, shares, storytimes  # noqa: E402, F401
