"""Bytes on the wire: compressed pages, year-long caching of fingerprinted assets, live streams
left uncompressed."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from factories import make_storytime
from flask import Flask

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+\?v=[^"]+)"')
IMMUTABLE = {"public", "max-age=31536000", "immutable"}


def directives(header: str | None) -> set[str]:
    return {part.strip() for part in (header or "").split(",") if part.strip()}


def versioned_assets(client) -> list[str]:
    """Return the fingerprinted asset URLs the sign-in page links to."""
    page = client.get("/login").get_data(as_text=True)
    urls = ASSET.findall(page)
    assert urls, "the page links no fingerprinted asset"
    return urls


def fetch(client, url: str, accept: str | None = None):
    """GET a static file and close it (the test client leaves the file open otherwise)."""
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    with client.get(url, headers=headers) as response:
        response.get_data()  # read now; the body stays readable after closing
        return response


def static_file(app: Flask, url: str) -> bytes:
    filename = url.split("?")[0].removeprefix("/static/")
    return (Path(app.static_folder) / filename).read_bytes()


def test_fingerprinted_assets_are_cached_for_a_year(client):
    for url in versioned_assets(client):
        response = fetch(client, url)
        assert response.status_code == 200, url
        assert directives(response.headers["Cache-Control"]) >= IMMUTABLE, url


@pytest.mark.parametrize(
    "query", ["", "?v=", "?v=0000000000", "?v=stale&x=1"], ids=["none", "empty", "other", "stale"]
)
def test_assets_without_their_current_fingerprint_are_not_cached_for_a_year(client, query):
    url = versioned_assets(client)[0].split("?")[0] + query
    response = fetch(client, url)
    assert response.status_code == 200
    cache_control = directives(response.headers.get("Cache-Control"))
    assert "immutable" not in cache_control
    assert "max-age=31536000" not in cache_control


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("gzip, deflate, br", "br", brotli.decompress),
        ("br;q=1.0, gzip;q=0.8", "br", brotli.decompress),
    ],
)
def test_stylesheets_and_scripts_travel_compressed(app, client, accept, encoding, decode):
    css = next(url for url in versioned_assets(client) if ".css" in url)
    response = fetch(client, css, accept)
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data()
    assert decode(body) == static_file(app, css)
    assert len(body) < len(static_file(app, css))
    assert directives(response.headers["Cache-Control"]) >= IMMUTABLE


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0"])
def test_assets_are_sent_plain_to_clients_that_do_not_ask_for_compression(app, client, accept):
    css = next(url for url in versioned_assets(client) if ".css" in url)
    response = fetch(client, css, accept)
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == static_file(app, css)


def test_compressed_and_plain_assets_have_different_etags(client):
    css = next(url for url in versioned_assets(client) if ".css" in url)
    plain = fetch(client, css).headers.get("ETag")
    packed = fetch(client, css, "gzip").headers.get("ETag")
    assert plain and packed and plain != packed


def test_pages_travel_compressed(client):
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"csrf-token" in gzip.decompress(response.get_data())


def test_the_join_page_travels_compressed(app, client):
    code = make_storytime(app).code
    response = client.get(f"/j/{code}", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert b'name="csrf-token"' in brotli.decompress(response.get_data())


def test_json_travels_compressed(client):
    response = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()).startswith(b"{")


def test_tiny_responses_are_not_compressed(client):
    response = client.get("/api/v1/csrf", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


@pytest.fixture
def app_config(app_config: dict) -> dict:
    # A short stream, so reading it to the end in a test ends quickly.
    return {**app_config, "STREAM_MAX_SECONDS": 0.2}


@pytest.mark.parametrize("reader", ["staff", "display"])
def test_live_streams_are_never_compressed(app, client, staff, reader):
    staff.signed_in(client, "librarian", "central")
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    url = f"/api/v1/storytimes/{storytime_id}/stream"
    if reader == "display":
        url += f"?token={token}"
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert "Content-Encoding" not in response.headers
    assert response.get_data().startswith(b"retry:")


def test_server_timing_is_off_by_default(client):
    assert "Server-Timing" not in client.get("/login").headers


def test_server_timing_reports_the_apps_time_when_turned_on(app_config):
    from storytime import create_app
    from storytime.extensions import db

    app = create_app({**app_config, "SERVER_TIMING": True})
    try:
        with app.app_context():
            db.create_all()
        response = app.test_client().get("/login")
        assert re.fullmatch(r"app;dur=\d+\.\d\d", response.headers["Server-Timing"])
    finally:
        with app.app_context():
            db.engine.dispose()
        app.extensions["storytime_notifier"].close()


# --- Modules import their neighbours by the plain URL -----------------------------------------

IMPORT = re.compile(r'^import\b[^;]*?\bfrom\s+"\./([\w.-]+\.js)";', re.MULTILINE)


def imported_modules(app: Flask) -> set[str]:
    """Return the files that static/js modules import from each other (`./name.js`)."""
    scripts = Path(app.static_folder) / "js"
    return {name for path in scripts.glob("*.js") for name in IMPORT.findall(path.read_text())}


def test_the_live_pages_share_one_imported_live_client(app):
    assert "live-feed.js" in imported_modules(app)


def test_an_imported_module_is_served_as_javascript_and_always_revalidated(app, client):
    """`import "./live-feed.js"` asks for the URL without `?v=`: never cached as if fingerprinted."""
    for name in sorted(imported_modules(app)):
        response = fetch(client, f"/static/js/{name}", "br")
        assert response.status_code == 200, name
        assert response.mimetype in {"text/javascript", "application/javascript"}, name
        cache_control = directives(response.headers["Cache-Control"])
        assert "no-cache" in cache_control and "immutable" not in cache_control, name
        assert response.headers["ETag"], name


@pytest.mark.parametrize("accept", [None, "gzip", "br"])
def test_revalidating_a_plain_static_url_answers_not_modified(client, accept):
    url = "/static/js/live-feed.js"
    etag = fetch(client, url, accept).headers["ETag"]
    headers = {"If-None-Match": etag}
    if accept is not None:
        headers["Accept-Encoding"] = accept
    with client.get(url, headers=headers) as response:
        assert response.status_code == 304
        assert response.get_data() == b""
        assert response.headers["ETag"] == etag
