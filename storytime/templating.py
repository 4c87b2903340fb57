"""Template filters and globals: local times, languages, fingerprinted assets."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale

from storytime import settings
from storytime.i18n import (
    LANGUAGE_NAMES,
    RTL_LANGUAGES,
    format_local,
    format_share_date,
    format_share_time,
)


@lru_cache(maxsize=256)
def _fingerprint(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def asset_url(filename: str) -> str:
    """Return a static URL carrying a content hash, so browsers may cache it for a year."""
    path = Path(current_app.static_folder or "") / filename
    try:
        version = _fingerprint(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        version = "missing"
    return url_for("static", filename=filename, v=version)


def local_time(value: datetime | None, format: str = "medium") -> str:
    """Format a UTC time in the library's time zone and the reader's language."""
    return format_local(value, format)


def init_app(app: Flask) -> None:
    """Register the filters and the values every template sees."""
    app.add_template_filter(local_time, "localtime")
    app.add_template_global(asset_url, "asset_url")
    # The same functions fill `time_text`/`date_text` in JSON, so a script prints what a
    # reload would show (share/present.py).
    app.add_template_global(format_share_time, "share_time")
    app.add_template_global(format_share_date, "share_date")

    @app.context_processor
    def page_globals() -> dict:
        locale = str(get_locale() or "en")
        return {
            "library_name": settings.library_name(),
            "current_language": locale,
            "text_direction": "rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr",
            "languages": [
                (code, LANGUAGE_NAMES.get(code, code)) for code in app.config["LANGUAGES"]
            ],
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
