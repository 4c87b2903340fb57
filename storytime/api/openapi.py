"""The OpenAPI 3.1 description of /api/v1, served as written in openapi.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, jsonify

from storytime.api.routes import bp

DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def load_document() -> dict[str, Any]:
    """Return the OpenAPI document as shipped in the package."""
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


@bp.route("/openapi.json")
def openapi_document():
    """Serve the OpenAPI document, with this install's address as its server."""
    document = dict(load_document())
    document["servers"] = [{"url": current_app.config["BASE_URL"] + "/api/v1"}]
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
