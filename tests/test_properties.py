"""Bad input, generated: never a 500, never a partial row, always a clear message.

Hypothesis throws arbitrary unicode (emoji, right-to-left, zero-width, combining marks,
NUL, lone surrogates sent as JSON escapes), wrong types, missing and extra fields and
malformed JSON at the share endpoint and the staff forms. Each test records how many
examples ran in EXAMPLES_RUN (printed, and summed at the end of the module).
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seeded_world import page_csrf, seed, sign_in

from storytime.extensions import db
from storytime.models import Branch, Share, Storytime, User

EXAMPLES_RUN: Counter[str] = Counter()
FAST = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KINDS = ["hello", "tip", "song", "question", "idea"]
NASTY = [
    "\x00",
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",
    "e\u0301\u0301\u0301",  # combining marks
    "👩‍👧‍👦",
    "🏳️‍🌈",
    "مرحبا",
    "שלום",
    "\ud800",  # lone surrogates: only JSON escapes can carry them
    "\udfff",
    "\r\n",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "'; DROP TABLE share; --",
]
nasty_text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=40)), max_size=8).map(
    "".join
)
# NUL anywhere in a request is refused whole (PostgreSQL cannot hold it, see
# security.refuse_nul); text without it reaches the paths that store rows.
text_without_nul = nasty_text.map(lambda s: s.replace("\x00", ""))
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
ERROR_STATUSES = {400, 403, 404, 409, 413, 415, 422}


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def holds_nul(value) -> bool:
    """Return whether a JSON value holds a NUL character in any key or string."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


def expected_clean(text: str) -> str:
    """What the service keeps of a text: NFC, no control characters but newline and tab."""
    kept = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs", "Cn"}
    )
    return unicodedata.normalize("NFC", kept).strip()


def assert_clear_json_error(response) -> None:
    assert response.status_code in ERROR_STATUSES, response.status_code
    body = response.get_json()
    assert isinstance(body, dict), response.get_data()
    assert body["error"] and isinstance(body["error"], str)
    assert body["message"] and isinstance(body["message"], str)


@pytest.fixture
def world(app):
    return seed(app)


@pytest.fixture
def phone(app, world):
    client = app.test_client()
    token = page_csrf(client.get(f"/j/{world.code}").get_data(as_text=True))
    return client, token


def share_body(draw_kind, text, name, on_screen, client_id, extra):
    body = {"kind": draw_kind, "text": text, "name": name, "on_screen": on_screen}
    if client_id is not None:
        body["client_id"] = client_id
    body.update(extra)
    return body


share_bodies = st.builds(
    share_body,
    st.one_of(st.sampled_from(KINDS), any_json),
    st.one_of(nasty_text, any_json),
    st.one_of(st.none(), nasty_text, any_json),
    st.one_of(st.booleans(), any_json),
    st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_-]{8,64}", fullmatch=True), nasty_text),
    st.dictionaries(st.text(max_size=8), any_json, max_size=3),
)
# Well-formed shares with hostile text, so the path that stores rows is exercised too.
valid_bodies = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        # A visible word first, so that cleaning never leaves nothing to store.
        "text": st.tuples(st.sampled_from(["Sing", "Tip:", "👋", "مرحبا"]), text_without_nul).map(
            " ".join
        ),
        "on_screen": st.booleans(),
        "client_id": st.from_regex(r"[A-Za-z0-9_-]{8,64}", fullmatch=True),
    },
    optional={"name": st.one_of(st.none(), text_without_nul)},
)
missing = st.sets(st.sampled_from(["kind", "text", "name", "on_screen", "client_id"]))


@FAST
@given(body=st.one_of(valid_bodies, share_bodies), drop=st.one_of(st.just(set()), missing))
def test_the_share_endpoint_takes_any_json_without_a_500_or_a_partial_row(
    app, world, phone, body, drop
):
    client, token = phone
    EXAMPLES_RUN["share JSON"] += 1
    for key in drop:
        body.pop(key, None)
    # ensure_ascii: lone surrogates travel as "\ud800" escapes, as a broken client sends them.
    raw = json.dumps(body, ensure_ascii=True)
    before = count(app, Share)
    response = client.post(
        f"/api/v1/storytimes/{world.code}/shares",
        data=raw,
        content_type="application/json",
        headers={"X-CSRFToken": token},
        csrf=False,
    )
    after = count(app, Share)
    if response.status_code in (200, 201):
        EXAMPLES_RUN["share JSON accepted"] += 1
        assert after == before + (response.status_code == 201)
        share = response.get_json()
        assert share["client_id"] == body["client_id"]
        if response.status_code == 201:
            assert share["text"] == expected_clean(body["text"])
        # 200: a client id seen before returns the share saved then (a phone's retry).
        assert share["text"] and share["kind"] in KINDS
        stored = share["text"] + (share["name"] or "")
        assert "\x00" not in stored and not any(0xD800 <= ord(c) <= 0xDFFF for c in stored)
    else:
        assert_clear_json_error(response)
        assert after == before
    if holds_nul(body):
        assert response.status_code == 400 and "NUL" in response.get_json()["message"]


@FAST
@given(
    raw=st.one_of(
        st.binary(max_size=200),
        nasty_text.map(lambda s: s.encode("utf-8", "surrogatepass")).filter(bool),
    )
)
def test_malformed_json_gets_a_clear_400_and_stores_nothing(app, world, phone, raw):
    client, token = phone
    EXAMPLES_RUN["malformed JSON"] += 1
    before = count(app, Share)
    response = client.post(
        f"/api/v1/storytimes/{world.code}/shares",
        data=b"{" + raw,
        content_type="application/json",
        headers={"X-CSRFToken": token},
        csrf=False,
    )
    assert_clear_json_error(response)
    assert count(app, Share) == before


@FAST
@given(
    fields=st.dictionaries(
        st.sampled_from(["kind", "text", "name", "on_screen", "client_id", "csrf_token", "x"]),
        nasty_text,
    )
)
def test_the_share_form_takes_any_fields_without_a_500(app, world, phone, fields):
    client, token = phone
    EXAMPLES_RUN["share form"] += 1
    fields = {k: v.replace("\x00", "").encode("utf-8", "replace") for k, v in fields.items()}
    before = count(app, Share)
    response = client.post(
        f"/j/{world.code}", data=fields, headers={"X-CSRFToken": token}, csrf=False
    )
    assert response.status_code in {302, 400, 409, 413, 422}, response.status_code
    if response.status_code == 302:
        assert count(app, Share) == before + 1
    else:
        assert count(app, Share) == before
        assert response.mimetype == "text/html"


@pytest.mark.parametrize("where", ["json", "form"])
def test_a_body_over_the_size_limit_gets_413_and_stores_nothing(app, world, phone, where):
    client, token = phone
    huge = "a" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    before = count(app, Share)
    if where == "json":
        response = client.post(
            f"/api/v1/storytimes/{world.code}/shares",
            json={"kind": "tip", "text": huge, "on_screen": True, "client_id": "huge12345"},
            headers={"X-CSRFToken": token},
            csrf=False,
        )
        assert response.status_code == 413
        assert response.get_json()["error"] == "too_large"
    else:
        response = client.post(
            f"/j/{world.code}",
            data={"kind": "tip", "text": huge, "client_id": "huge12345"},
            headers={"X-CSRFToken": token},
            csrf=False,
        )
        assert response.status_code == 413
        assert "too much" in response.get_data(as_text=True)
    assert count(app, Share) == before


def test_text_just_over_the_share_limit_is_refused_with_the_limit_named(app, world, phone):
    client, token = phone
    limit = app.config["SHARE_MAX_LENGTH"]
    response = client.post(
        f"/api/v1/storytimes/{world.code}/shares",
        json={
            "kind": "tip",
            "text": "é" * (limit + 1),
            "on_screen": True,
            "client_id": "long12345",
        },
        headers={"X-CSRFToken": token},
        csrf=False,
    )
    assert response.status_code == 422
    assert str(limit) in response.get_json()["message"]


def post_form(client, url: str, fields: dict):
    data = {k: v.encode("utf-8", "replace") if isinstance(v, str) else v for k, v in fields.items()}
    return client.post(url, data=data)


def assert_page_answer(response, ok: set[int]) -> None:
    assert response.status_code in ok | {400, 413, 422}, response.status_code
    if response.status_code >= 400:
        assert response.mimetype == "text/html"


@FAST
@given(email=text_without_nul, password=text_without_nul, remember=text_without_nul)
def test_the_login_form_never_fails_with_a_500(app, world, email, password, remember):
    EXAMPLES_RUN["login form"] += 1
    client = app.test_client()
    response = post_form(
        client, "/login", {"email": email, "password": password, "remember": remember}
    )
    assert_page_answer(response, set())
    assert "do not match" in response.get_data(as_text=True) or response.status_code == 400


@FAST
@given(name=text_without_nul, slug=text_without_nul)
def test_the_branch_form_never_fails_and_saves_whole_rows_only(app, world, name, slug):
    EXAMPLES_RUN["branch form"] += 1
    client = app.test_client()
    sign_in(client, world.users["admin"])
    before = count(app, Branch)
    response = post_form(client, "/admin/branches", {"name": name, "slug": slug})
    assert_page_answer(response, {302})
    assert count(app, Branch) == before + (response.status_code == 302)


@FAST
@given(
    email=st.one_of(text_without_nul, st.emails().map(str)),
    display_name=text_without_nul,
    role=st.one_of(st.sampled_from(["librarian", "coordinator", "admin"]), text_without_nul),
    branch=st.one_of(st.sampled_from(["0", "1", "2"]), text_without_nul),
    password=text_without_nul,
)
def test_the_staff_form_never_fails_and_saves_whole_rows_only(
    app, world, email, display_name, role, branch, password
):
    EXAMPLES_RUN["staff form"] += 1
    client = app.test_client()
    sign_in(client, world.users["admin"])
    before = count(app, User)
    response = post_form(
        client,
        "/admin/staff",
        {
            "email": email,
            "display_name": display_name,
            "role": role,
            "branch": branch,
            "password": password,
            "confirm": password,
        },
    )
    assert_page_answer(response, {302})
    assert count(app, User) == before + (response.status_code == 302)


@FAST
@given(
    title=text_without_nul,
    branch=st.one_of(st.just("1"), text_without_nul),
    starts_at=st.one_of(st.just("2031-05-06T10:30"), text_without_nul),
    audience=st.one_of(st.just("babies"), text_without_nul),
    theme=text_without_nul,
    moderation=st.one_of(st.sampled_from(["instant", "review"]), text_without_nul),
    question=text_without_nul,
    extra=st.dictionaries(
        st.sampled_from(["open_tip", "open_x", "zzz"]), text_without_nul, max_size=2
    ),
)
def test_the_storytime_form_never_fails_and_saves_whole_rows_only(
    app, world, title, branch, starts_at, audience, theme, moderation, question, extra
):
    EXAMPLES_RUN["storytime form"] += 1
    client = app.test_client()
    sign_in(client, world.users["librarian"])
    before = count(app, Storytime)
    response = post_form(
        client,
        "/storytimes/new",
        {
            "title": title,
            "branch": branch,
            "starts_at": starts_at,
            "audience": audience,
            "theme": theme,
            "moderation": moderation,
            "open_hello": "y",
            "question_hello": question,
            **extra,
        },
    )
    assert_page_answer(response, {302})
    assert count(app, Storytime) == before + (response.status_code == 302)
    if response.status_code == 302:
        with app.app_context():
            newest = db.session.execute(
                db.select(Storytime).order_by(Storytime.id.desc()).limit(1)
            ).scalar_one()
            assert newest.title.strip() and newest.prompts and newest.code


def test_zz_report_how_many_examples_ran():
    """Print the totals for the closing note (runs last in this module)."""
    total = sum(n for name, n in EXAMPLES_RUN.items() if not name.endswith("accepted"))
    print(f"hypothesis examples run: {total} {dict(EXAMPLES_RUN)}")
    if EXAMPLES_RUN["share JSON"]:
        assert total >= 200
        assert EXAMPLES_RUN["share JSON accepted"] >= 5, "no generated share was ever stored"
