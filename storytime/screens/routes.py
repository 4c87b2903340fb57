"""The permanent screen links, TV pairing and the staff pages for screens; defines `bp`."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("screens", __name__)
