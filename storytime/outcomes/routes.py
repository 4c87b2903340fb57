"""The check-in page for phones and the outcome review pages; defines `bp`."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outcomes", __name__)
