"""The OpenAPI 3.1 description of /api/v1, assembled from one file per feature."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, jsonify

from storytime.api.routes import bp

# base.json holds the document's head, security schemes and shared schemas; every other
# file there adds one feature's paths and schemas, so each feature documents itself.
PARTS = Path(__file__).with_name("openapi")
BASE = PARTS / "base.json"


def _merge(document: dict[str, Any], part: dict[str, Any], name: str) -> None:
    """Add one feature's paths and components; a name given twice is a mistake."""
    for path, item in part.get("paths", {}).items():
        if path in document["paths"]:
            raise ValueError(f"{name}: path {path} is already documented")
        document["paths"][path] = item
    for section, entries in part.get("components", {}).items():
        target = document["components"].setdefault(section, {})
        for entry, value in entries.items():
            if entry in target:
                raise ValueError(f"{name}: components.{section}.{entry} is already defined")
            target[entry] = value


@cache
def load_document() -> dict[str, Any]:
    """Return the OpenAPI document as shipped in the package."""
    document = json.loads(BASE.read_text(encoding="utf-8"))
    for path in sorted(PARTS.glob("*.json")):
        if path != BASE:
            _merge(document, json.loads(path.read_text(encoding="utf-8")), path.name)
    return document


@bp.route("/openapi.json")
def openapi_document():
    """Serve the OpenAPI document, with this install's address as its server."""
    document = dict(load_document())
    document["servers"] = [{"url": current_app.config["BASE_URL"] + "/api/v1"}]
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
