"""Bytes on the wire: compressed responses, year-long caching of fingerprinted assets.

Nothing a member of staff sees is ever stored by a cache (see `private_no_store`).

Dynamic HTML and JSON are compressed by Flask-Compress (brotli or gzip, as the
browser accepts). Static files are compressed here instead, once per file
version, and kept in memory: there are a few dozen of them and they only change
with a deploy. Nothing streamed is ever compressed, so a live screen's
`text/event-stream` reaches the browser as each event is written, not when a
compressor's buffer fills.
"""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, g, request
from flask_compress import Compress
from flask_login import current_user

from storytime.config import Defaults
from storytime.templating import asset_url

ONE_YEAR = 365 * 24 * 60 * 60
# Static files are compressed here by the same rules Flask-Compress applies to pages.
COMPRESSIBLE = frozenset(Defaults.COMPRESS_MIMETYPES)
MIN_SIZE = Defaults.COMPRESS_MIN_SIZE
# The same bytes for everyone, whoever asks: these keep their own caching for staff too.
SHARED_ENDPOINTS = {"static", "api.openapi_document"}
# Directives that still mean something beside no-store (a stream's no-transform).
KEPT_WITH_NO_STORE = ("no-cache", "no-transform")
STATIC_CACHE_FILES = 512


class _StaticCache:
    """Compressed static files, keyed by path, modification time and algorithm."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, float, str], bytes] = {}

    def compressed(self, path: Path, mtime: float, algorithm: str) -> bytes:
        key = (str(path), mtime, algorithm)
        with self._lock:
            data = self._items.get(key)
        if data is None:
            data = _compress(path.read_bytes(), algorithm)
            with self._lock:
                if len(self._items) >= STATIC_CACHE_FILES:
                    self._items.clear()  # only after many deploys in one process
                self._items[key] = data
        return data


def _compress(data: bytes, algorithm: str) -> bytes:
    if algorithm == "br":
        return brotli.compress(data, quality=11)  # once per file version: spend the time
    return gzip.compress(data, compresslevel=9, mtime=0)


def _accepted(accept_encoding: str) -> str | None:
    """Return the best encoding the client accepts that static files are served in."""
    offered = {
        part.split(";")[0].strip().lower()
        for part in accept_encoding.split(",")
        if not part.strip().endswith("q=0")
    }
    for algorithm in ("br", "gzip"):
        if algorithm in offered:
            return algorithm
    return None


def is_current_version(filename: str, version: str | None) -> bool:
    """Return whether `?v=` names the file's current content (as `asset_url` makes it)."""
    if not version:
        return False
    expected = asset_url(filename).rpartition("v=")[2]
    return version == expected


def static_headers(response: Response) -> Response:
    """Cache fingerprinted assets for a year, and send static text compressed."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    if is_current_version(filename, request.args.get("v")):
        # The URL changes whenever the content does, so it never needs revalidating.
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    response.vary.add("Accept-Encoding")
    if response.status_code != 200 or response.mimetype not in COMPRESSIBLE:
        return response
    algorithm = _accepted(request.headers.get("Accept-Encoding", ""))
    path = Path(current_app.static_folder or "") / filename
    if algorithm is None or "Content-Encoding" in response.headers or request.range:
        return response
    try:
        stat = path.stat()
    except OSError:
        return response
    if stat.st_size < MIN_SIZE:
        return response
    data = _static_cache.compressed(path, stat.st_mtime, algorithm)
    original = response.response
    response.direct_passthrough = False
    response.set_data(data)
    if hasattr(original, "close"):
        original.close()  # the open file send_file would have streamed
    response.headers["Content-Encoding"] = algorithm
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-{algorithm}", weak=weak)
        # A browser revalidating the compressed copy it holds (a plain, un-fingerprinted
        # URL such as a module's relative import) gets a 304, not the file again.
        response.make_conditional(request)
    return response


def is_staff_request() -> bool:
    """Return whether this request comes from staff or asks for a staff-only endpoint."""
    if g.get("bearer_sent"):
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    if hasattr(view, "staff_roles"):
        return True  # its sign-in redirect and its errors too, whoever asks
    return bool(current_user.is_authenticated)


def private_no_store(response: Response) -> Response:
    """Send `Cache-Control: no-store` with every staff and API response, so no cache keeps it.

    A shared library computer's browser cache, its back button, or a proxy must never
    hold a staff page, an export or a newly shown API token. The JSON API answers each
    caller with its own data (staff, a display, a phone), so all of it is no-store too.
    """
    if request.endpoint in SHARED_ENDPOINTS:
        return response
    if not request.path.startswith("/api/") and not is_staff_request():
        return response
    present = {
        part.strip().split("=")[0].lower()
        for part in response.headers.get("Cache-Control", "").split(",")
    }
    kept = [directive for directive in KEPT_WITH_NO_STORE if directive in present]
    response.headers["Cache-Control"] = ", ".join(["no-store", *kept])
    response.headers["Pragma"] = "no-cache"  # for HTTP/1.0 caches
    return response


def _start_timer() -> None:
    g.server_timing_start = time.perf_counter()


def server_timing(response: Response) -> Response:
    """Add `Server-Timing: app;dur=<ms>` (SERVER_TIMING=true; the benchmark reads it)."""
    start = g.get("server_timing_start")
    if start is not None:
        elapsed = (time.perf_counter() - start) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.2f}"
    return response


_static_cache = _StaticCache()
compress = Compress()


def init_app(app: Flask) -> None:
    """Install compression, static caching and (when configured) Server-Timing."""
    # Never compress a streamed body: a compressor holds live events back until its
    # buffer fills. (Static files are streamed too; static_headers compresses them.)
    app.config["COMPRESS_STREAMS"] = False
    if app.config["SERVER_TIMING"]:
        # Registered first so it runs last and counts compression too.
        app.before_request(_start_timer)
        app.after_request(server_timing)
    compress.init_app(app)
    app.after_request(static_headers)
    app.after_request(private_no_store)
