"""Review: past storytimes, songbook, questions, tips, ideas, charts, exports and recaps."""

from flask import Blueprint

bp = Blueprint("review", __name__)
# The families' take-home page lives beside the join link, outside /review.
public_bp = Blueprint("recap", __name__)

from storytime.review import (  # noqa: E402, F401
    insights_routes,
    labels,
    public,
    routes,
    songbook_routes,
)
