"""Security: CSRF on every unsafe request, cookies, proxy awareness, headers, no inline code."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from factories import close_app, make_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from seeded_world import Phone, build_url, page_csrf, seed, sign_in, table_snapshot

from storytime import create_app
from storytime.extensions import db
from storytime.models import Branch
from storytime.screens.service import add_screen

ROOT = Path(__file__).resolve().parent.parent
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def world(app):
    return seed(app)


def unsafe_routes(app):
    """Every (method, rule) that can change state, straight from the url_map."""
    return sorted(
        ((method, rule) for rule in app.url_map.iter_rules() for method in rule.methods & UNSAFE),
        key=lambda pair: (pair[1].rule, pair[0]),
    )


# --- CSRF --------------------------------------------------------------------------------


def test_every_unsafe_route_refuses_a_request_without_a_csrf_token(app, client, world):
    """Signed in as admin, no token: 400 before any view runs, and nothing changes."""
    sign_in(client, world.users["admin"])
    client.set_cookie("st_phone", world.phone_cookie)
    routes = unsafe_routes(app)
    assert len(routes) >= 8, "the walk found too few routes to mean anything"
    before = table_snapshot(app)
    refused = []
    for method, rule in routes:
        url = build_url(rule, world)
        for kwargs in ({"data": {"text": "changed", "name": "x"}}, {"json": {"text": "changed"}}):
            response = client.open(url, method=method, csrf=False, **kwargs)
            assert response.status_code == 400, (method, url, response.status_code)
            if url.startswith("/api/"):
                assert response.get_json()["error"] == "csrf_failed", (method, url)
            else:
                assert response.mimetype == "text/html", (method, url)
        refused.append(f"{method} {rule.rule}")
    assert table_snapshot(app) == before
    print(f"CSRF refused on {len(refused)} unsafe routes")


def test_a_wrong_csrf_token_is_refused_like_a_missing_one(client, world):
    sign_in(client, world.users["admin"])
    response = client.post(
        "/admin/branches", data={"name": "Nope"}, headers={"X-CSRFToken": "forged"}, csrf=False
    )
    assert response.status_code == 400
    assert "Nope" not in client.get("/admin/branches").get_data(as_text=True)


def test_a_valid_bearer_token_needs_no_csrf_token_but_a_bad_one_gets_401(app, client, world):
    sign_in(client, world.users["admin"])
    bearer = {"Authorization": f"Bearer {world.tokens['admin']}"}
    # No CSRF token, valid bearer: the request reaches the view (which finds nothing to do).
    response = client.post("/api/v1/me", headers=bearer, csrf=False)
    assert response.status_code == 405
    before = table_snapshot(app)
    response = client.post(
        f"/api/v1/storytimes/{world.code}/shares",
        headers={"Authorization": "Bearer st_not-a-real-token"},
        json={"kind": "tip", "text": "x", "on_screen": True, "client_id": "abcdefgh1"},
        csrf=False,
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert table_snapshot(app) == before


def expired_token(app, client) -> str:
    """A token for this client's session, signed two hours ago."""

    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 60 * 60

    client.get("/")
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=TwoHoursAgo)
    return serializer.dumps(raw)


def test_an_expired_token_on_the_json_api_says_csrf_failed_and_a_fresh_one_works(
    app, client, world
):
    """A phone left on the join page for hours: its script recognises csrf_failed and retries."""
    client.get(f"/j/{world.code}")
    stale = expired_token(app, client)
    share = {"kind": "tip", "text": "Sing in the car", "on_screen": True, "client_id": "tipabc123"}
    url = f"/api/v1/storytimes/{world.code}/shares"
    response = client.post(url, json=share, headers={"X-CSRFToken": stale}, csrf=False)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "csrf_failed" and body["message"]

    fresh = client.get("/api/v1/csrf")
    assert fresh.status_code == 200
    assert fresh.headers["Cache-Control"] == "no-store"
    token = fresh.get_json()["csrf_token"]
    response = client.post(url, json=share, headers={"X-CSRFToken": token}, csrf=False)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["text"] == "Sing in the car"


def test_a_page_reload_gives_a_token_that_works(app, client, world):
    page = client.get(f"/j/{world.code}")
    token = page_csrf(page.get_data(as_text=True))
    response = client.post(
        f"/api/v1/storytimes/{world.code}/shares",
        json={"kind": "idea", "text": "More songs", "on_screen": False, "client_id": "idea12345"},
        headers={"X-CSRFToken": token},
        csrf=False,
    )
    assert response.status_code == 201


def test_the_form_posted_with_an_expired_token_comes_back_with_the_typed_text(app, client, world):
    client.get(f"/j/{world.code}")
    stale = expired_token(app, client)
    before = table_snapshot(app)
    typed = "Our bedtime song is Raindrops 🌧️ — we hum it twice"
    response = client.post(
        f"/j/{world.code}",
        data={
            "csrf_token": stale,
            "kind": "song",
            "text": typed,
            "name": "Léa",
            "on_screen": "screen",
            "client_id": "songabc123",
        },
        csrf=False,
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert typed in html, "the typed text was lost"
    assert "Léa" in html
    assert "expired" in html.lower()
    assert table_snapshot(app) == before
    # The page it came back with carries a fresh token that sends the text.
    response = client.post(
        f"/j/{world.code}",
        data={
            "csrf_token": page_csrf(html),
            "kind": "song",
            "text": typed,
            "on_screen": "screen",
            "client_id": "songabc123",
        },
        csrf=False,
    )
    assert response.status_code == 302


# --- Cookies and the proxy -----------------------------------------------------------------


def cookie_attributes(response, name: str) -> set[str]:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]} | {
                part.strip().lower() for part in header.split(";")[1:]
            }
    raise AssertionError(f"no {name} cookie set")


def login(client, world, remember: bool = False):
    data = {"email": world.emails["librarian"], "password": "correct horse battery"}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def test_session_and_remember_cookies_are_httponly_and_lax_and_not_secure_over_http(client, world):
    response = login(client, world, remember=True)
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        attributes = cookie_attributes(response, name)
        assert "httponly" in attributes and "samesite=lax" in attributes, name
        assert "secure" not in attributes, name


@pytest.fixture
def https_app(app_config):
    app = make_app({**app_config, "BASE_URL": "https://storytime.library.org"})
    yield app
    close_app(app)


def test_cookies_are_secure_when_the_base_url_is_https(https_app):
    world = seed(https_app)
    client = https_app.test_client()
    page = client.get("/login", base_url="https://storytime.library.org")
    token = page_csrf(page.get_data(as_text=True))
    response = client.post(
        "/login",
        base_url="https://storytime.library.org",
        data={
            "email": world.emails["librarian"],
            "password": "correct horse battery",
            "remember": "y",
            "csrf_token": token,
        },
        headers={"Referer": "https://storytime.library.org/login"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    for name in ("session", "remember_token"):
        attributes = cookie_attributes(response, name)
        assert {"secure", "httponly", "samesite=lax"} <= attributes, name
    phone = client.get(f"/j/{world.code}", base_url="https://storytime.library.org")
    assert {"secure", "httponly", "samesite=lax"} <= cookie_attributes(phone, "st_phone")


def test_the_phone_cookie_is_httponly_and_lax(client, world):
    response = client.get(f"/j/{world.code}")
    attributes = cookie_attributes(response, "st_phone")
    assert {"httponly", "samesite=lax"} <= attributes
    assert "secure" not in attributes


@pytest.fixture
def proxied_app(app_config):
    app = make_app({**app_config, "BEHIND_PROXY": True})
    yield app
    close_app(app)


def test_behind_a_proxy_forwarded_https_makes_the_request_secure(proxied_app):
    client = proxied_app.test_client()
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert client.get("/").headers.get("Strict-Transport-Security") is None


def test_without_the_proxy_setting_forwarded_headers_are_not_trusted(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


# --- Headers -------------------------------------------------------------------------------


def directives(csp: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in csp.split(";")
        if part.strip()
    }


def assert_safe_headers(response, where: str, ancestors: str = "'none'") -> None:
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == "'self'", where
    assert "unsafe-inline" not in csp.get("style-src", ""), where
    assert csp["object-src"] == "'none'", where
    assert csp["frame-ancestors"] == ancestors, where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    # The display's URL carries its secret, so it sends no referrer at all.
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer"}, where


def test_every_get_route_and_error_carries_the_security_headers(app, client, world):
    sign_in(client, world.users["admin"])
    client.set_cookie("st_phone", world.phone_cookie)
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("stream"):
            continue
        url = build_url(rule, world)
        response = client.get(url)
        response.close()
        assert_safe_headers(response, url)
        if response.headers.get("X-Frame-Options"):
            assert response.headers["X-Frame-Options"] == "DENY"
        seen += 1
    for url in ("/does-not-exist", "/api/v1/nope"):
        assert_safe_headers(client.get(url), url)
    assert_safe_headers(client.post("/admin/branches", csrf=False), "csrf error")
    assert seen >= 10


@pytest.fixture
def framed_app(app_config):
    app = make_app({**app_config, "DISPLAY_FRAME_ANCESTORS": "https://www.library.org"})
    yield app
    close_app(app)


def test_the_display_may_be_framed_only_by_the_configured_origin(framed_app):
    world = seed(framed_app)
    client = framed_app.test_client()
    display = client.get(f"/display/{world.display_token}")
    assert display.status_code == 200
    assert_safe_headers(display, "display", ancestors="https://www.library.org")
    assert "X-Frame-Options" not in display.headers
    # A TV's permanent screen link is a display too: signage pages may frame it.
    with framed_app.app_context():
        branch = db.session.get(Branch, world.branch_ids["central"])
        screen_token = add_screen(branch).token
    screen = client.get(f"/screen/{screen_token}")
    assert screen.status_code == 200
    assert_safe_headers(screen, "screen", ancestors="https://www.library.org")
    # Everything else stays unframeable.
    assert_safe_headers(client.get("/"), "home")
    assert client.get("/").headers["X-Frame-Options"] == "DENY"


def test_by_default_not_even_the_display_may_be_framed(client, world):
    display = client.get(f"/display/{world.display_token}")
    assert display.status_code == 200
    assert_safe_headers(display, "display")
    assert display.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "value", ["*", "'unsafe-inline'", "https://a.org; script-src *", "javascript:x"]
)
def test_a_frame_ancestors_setting_that_is_not_a_list_of_origins_stops_the_start(app_config, value):
    with pytest.raises(ValueError, match="DISPLAY_FRAME_ANCESTORS"):
        create_app({**app_config, "DISPLAY_FRAME_ANCESTORS": value})


# --- No inline code: what the CSP forbids never ships ----------------------------------------

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").rglob("*.js"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
SCRIPT_BODY = re.compile(r"<script[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style[\s>]", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*\+?=|insertAdjacentHTML|document\.write")


def test_there_are_templates_and_scripts_to_check():
    assert len(TEMPLATES) >= 10


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_script_style_or_handlers(path):
    html = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(html), "inline <script> without src"
    assert all(not body.strip() for body in SCRIPT_BODY.findall(html)), "<script> with a body"
    assert not STYLE_ATTRIBUTE.search(html), "style= attribute"
    assert not STYLE_BLOCK.search(html), "<style> block"
    assert not EVENT_HANDLER.search(html), "on*= handler attribute"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scripts_never_write_html_from_strings(path):
    source = path.read_text(encoding="utf-8")
    assert not HTML_SINKS.search(source), "use textContent / createElement, never HTML strings"
    assert "eval(" not in source and "new Function" not in source


# --- The word list: a matching share is held for the librarian, whatever the mode ----------


def set_word_list(app, world, words: str) -> None:
    admin = app.test_client()
    sign_in(admin, world.users["admin"])
    response = admin.post(
        "/admin/settings",
        data={"library_name": "Our Library", "timezone": "UTC", "word_list": words},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def display_feed(client, world) -> str:
    """What the room's screen can see: its JSON feed's texts and its page, unescaped."""
    response = client.get(
        f"/api/v1/storytimes/{world.storytime_id}/events?after=0",
        headers={"X-Display-Token": world.display_token},
    )
    assert response.status_code == 200
    texts = [item.get("share", {}).get("text", "") for item in response.get_json()["events"]]
    page = client.get(f"/display/{world.display_token}").get_data(as_text=True)
    return "\n".join(texts) + html.unescape(page)


@pytest.mark.parametrize("moderation", ["instant", "review"])
@pytest.mark.parametrize(
    "text", ["Call DARN Smith", "darn!", "Ça, c'est darn-good", "I live on Elm Street"]
)
def test_a_share_matching_the_word_list_is_held_whatever_the_mode(
    app, client, world, moderation, text
):
    set_word_list(app, world, "darn\nelm street")
    staff = app.test_client()
    sign_in(staff, world.users["librarian"])
    staff.patch(f"/api/v1/storytimes/{world.storytime_id}", json={"moderation": moderation})
    phone = Phone(app, world.code)
    response = phone.share(text, kind="tip", on_screen=True)
    assert response.status_code == 201
    assert response.get_json()["shown"] is False
    assert text not in display_feed(client, world)
    events = staff.get(f"/api/v1/storytimes/{world.storytime_id}/events?after=0").get_json()
    held = [e["share"] for e in events["events"] if e.get("share", {}).get("text") == text]
    assert held and held[-1]["held"] is True and held[-1]["on_screen"] is False
    # The librarian can still choose to show it.
    shown = staff.patch(f"/api/v1/shares/{held[-1]['id']}", json={"on_screen": True})
    assert shown.status_code == 200
    assert text in display_feed(client, world)


def test_words_inside_other_words_do_not_hold_a_share(app, client, world):
    set_word_list(app, world, "elm")
    response = Phone(app, world.code).share("Helmets for bikes, please", kind="idea")
    assert response.get_json()["shown"] is True


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"text": "Lovely darn songs"}, id="a listed word in the text"),
        pytest.param({"name": "\u202e\uff24\u200b\uff21RN"}, id="a disguised one in the name"),
    ],
)
def test_editing_in_a_listed_word_takes_the_share_off_the_screen(app, client, world, change):
    set_word_list(app, world, "darn")
    phone = Phone(app, world.code)
    created = phone.share("Lovely songs", kind="tip").get_json()
    assert created["shown"] is True
    edited = phone.client.patch(
        f"/api/v1/storytimes/{world.code}/shares/{created['id']}",
        json=change,
        headers={"X-CSRFToken": phone.token},
        csrf=False,
    )
    assert edited.status_code == 200
    assert edited.get_json()["shown"] is False
    assert "Lovely" not in display_feed(client, world)


def test_the_word_list_setting_applies_until_an_admin_edits_it(app_config):
    app = make_app({**app_config, "WORD_LIST": ["darn"]})
    try:
        world = seed(app)
        assert Phone(app, world.code).share("darn it", kind="tip").get_json()["shown"] is False
        set_word_list(app, world, "")
        assert Phone(app, world.code).share("darn it", kind="tip").get_json()["shown"] is True
    finally:
        close_app(app)


# Characters that draw nothing, and so hide a word from a plain match: zero-width
# characters, the soft hyphen, joiners, variation selectors, a tag character, the Hangul
# filler, and every bidi mark, embedding, override and isolate.
INVISIBLE = [
    "\u00ad", "\u034f", "\u061c", "\u180e", "\u200b", "\u200c", "\u200d", "\u200e",
    "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2060", "\u2066",
    "\u2067", "\u2068", "\u2069", "\u3164", "\ufe0f", "\ufeff", "\U000e0041",
]  # fmt: skip
invisibles = st.lists(st.sampled_from(INVISIBLE), max_size=3).map("".join)


def fullwidth(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else "\u3000"


@st.composite
def disguised(draw, phrase: str) -> str:
    """The phrase with each letter in any case or width, and invisibles in and around it."""
    out = draw(invisibles)
    for ch in phrase:
        ch = draw(st.sampled_from([ch, ch.upper()]))
        out += draw(st.sampled_from([ch, fullwidth(ch)])) + draw(invisibles)
    return out


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    word=st.sampled_from(["darn", "elm street"]).flatmap(disguised),
    before=st.sampled_from(["", "Call ", "«", "x\u202e "]),
    after=st.sampled_from(["", " now", "!", "\u202c."]),
    in_name=st.booleans(),
)
def test_a_disguised_listed_word_is_still_held_and_stored_as_typed(
    app, client, world, word, before, after, in_name
):
    set_word_list(app, world, "darn\nelm street")
    typed = before + word + after
    # A name has its own length limit (tested elsewhere); a disguise that outgrows it is
    # checked as the share's text instead.
    in_name = in_name and len(typed) <= app.config["NAME_MAX_LENGTH"]
    fields = {"name": typed, "text": "Lovely songs"} if in_name else {"text": typed}
    response = Phone(app, world.code).share(**fields, kind="tip", on_screen=True)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["shown"] is False, f"{typed!r} reached the screen"
    # Held, never changed: the phone and the librarian see exactly what was typed.
    assert body["name" if in_name else "text"] == typed
    staff = app.test_client()
    sign_in(staff, world.users["librarian"])
    events = staff.get(f"/api/v1/storytimes/{world.storytime_id}/events?after=0").get_json()
    [held] = [e["share"] for e in events["events"] if e.get("share", {}).get("id") == body["id"]]
    assert held["held"] is True and held["on_screen"] is False
    assert held["name" if in_name else "text"] == typed


@pytest.mark.parametrize(
    "text",
    ["dam", "darning socks", "Mc\u200bDarnell", "\uff48\uff45\uff4c\uff4d\uff45\uff54\uff53"],
)
def test_a_word_list_match_still_needs_the_whole_word_after_folding(app, client, world, text):
    set_word_list(app, world, "darn\nhelm")
    response = Phone(app, world.code).share(text, kind="idea", on_screen=True)
    assert response.get_json()["shown"] is True


@pytest.mark.parametrize(
    "typed",
    ["\u202enrad", "Call \u202eNRAD\u202c now", "\u202eteerts mle\u202c", "\u202enr\u200bad!"],
)
def test_a_listed_word_spelled_backwards_under_an_override_is_held(app, client, world, typed):
    # The screen lays an overridden run out backwards, so "\u202enrad" is shown as "darn".
    set_word_list(app, world, "darn\nelm street")
    response = Phone(app, world.code).share(typed, kind="tip", on_screen=True)
    assert response.get_json()["shown"] is False
    assert response.get_json()["text"] == typed


# --- NUL in a URL ------------------------------------------------------------------------

NUL_URLS = [
    "/api/v1/exports/shares.json?branch=%00central",
    "/api/v1/exports/shares.csv?from=2025-01-01&to=2025-12-31&branch=c%00",
    "/api/v1/songbook?branch=%00",
    "/api/v1/storytimes?branch=cen%00tral",
    "/api/v1/storytimes/{code}%00/shares/mine",
    "/review/?q=sing%00ing",
    "/review/tips?theme=%00",
    "/j/{code}%00",
    "/b/central%00",
    "/join?code=%00",
]


@pytest.mark.parametrize("template", NUL_URLS)
def test_a_nul_in_the_url_is_a_clear_400_on_every_database(app, client, world, template):
    """PostgreSQL cannot compare text holding NUL: it must never reach a query (found by
    schemathesis on PostgreSQL as a 500 from the exports' branch filter)."""
    sign_in(client, world.users["admin"])
    url = template.format(code=world.code)
    before = table_snapshot(app)
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    if url.startswith("/api/"):
        assert response.get_json()["error"] == "bad_request"
        assert "NUL" in response.get_json()["message"]
    else:
        assert "NUL" in response.get_data(as_text=True)
    assert table_snapshot(app) == before


NUL_BODIES = [
    ("post", "/api/v1/storytimes", {"branch": "central\x00", "title": "Rhymes"}),
    ("post", "/api/v1/storytimes", {"branch": "central", "title": "Rhy\x00mes"}),
    ("patch", "/api/v1/storytimes/{id}", {"theme": "\x00"}),
    ("post", "/api/v1/storytimes/{code}/shares", {"kind": "tip", "text": "a\x00b"}),
]


@pytest.mark.parametrize(("method", "template", "body"), NUL_BODIES)
def test_a_nul_in_a_json_body_is_a_clear_400(app, client, world, method, template, body):
    sign_in(client, world.users["admin"])
    client.set_cookie("st_phone", world.phone_cookie)
    url = template.format(id=world.storytime_id, code=world.code)
    body = {
        "starts_at": "2030-05-06T10:30:00Z",
        "on_screen": True,
        "client_id": "abcdefgh12",
    } | body
    before = table_snapshot(app)
    response = getattr(client, method)(url, json=body)
    assert response.status_code == 400, (url, response.status_code)
    assert "NUL" in response.get_json()["message"]
    assert table_snapshot(app) == before


def test_a_nul_in_a_login_form_is_a_clear_400(app, client, world):
    before = table_snapshot(app)
    response = client.post("/login", data={"email": "ana\x00@example.org", "password": "x"})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert table_snapshot(app) == before
