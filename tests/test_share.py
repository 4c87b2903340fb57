"""The caregiver shares from the join page with JavaScript off: form, redirect, list, edit, delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from factories import close_app, make_app, make_storytime
from share_helpers import share_count, shares

from storytime.extensions import db
from storytime.share.service import phone_hash

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CLIENT_ID_FIELD = re.compile(r'name="client_id" type="hidden" value="([^"]+)"')


@pytest.fixture
def code(app) -> str:
    return make_storytime(app).code


def form_of(client, code: str, **values) -> dict:
    """Open the join page like a browser and fill its form."""
    page = client.get(f"/j/{code}").get_data(as_text=True)
    data = {
        "csrf_token": CSRF_FIELD.search(page).group(1),
        "client_id": CLIENT_ID_FIELD.search(page).group(1),
        "kind": "tip",
        "text": "Pack a spare pair of socks.",
        "name": "Ana",
        "on_screen": "screen",
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


def send(client, code: str, **values):
    return client.post(f"/j/{code}", data=form_of(client, code, **values), csrf=False)


def test_join_page_shows_the_storytime_and_its_open_kinds(app, client):
    code = make_storytime(
        app, title="Baby Bounce", theme="Transportation", kinds=("hello", "tip", "question")
    ).code
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert "Baby Bounce" in page and "Transportation" in page
    for kind in ("hello", "tip", "question"):
        assert f'id="kind-{kind}"' in page
    assert 'id="kind-song"' not in page and 'id="kind-idea"' not in page
    assert "A tip for travelling with little ones" in page
    assert "0 / 500" in re.sub(r"<[^>]+>", "", page)
    assert "Show on the big screen" in page and "Just for the librarian" in page
    assert '<meta name="csrf-token"' in page
    assert 'href="/privacy"' in page
    assert "<script>" not in page and "style=" not in page


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{dashed}", "{spaced}"])
def test_codes_are_case_insensitive_and_ignore_spaces_and_dashes(client, code, typed):
    path = "/j/" + typed.format(
        code=code,
        lower=code.lower(),
        dashed=f"{code[:3]}-{code[3:]}",
        spaced=f"{code[:3]}%20{code[3:]}",
    )
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == f"/j/{code}"


def test_unknown_code_gives_a_404_with_a_code_box(client, code):
    response = client.get("/j/ZZZZZZ")
    assert response.status_code == 404
    assert 'name="code"' in response.get_data(as_text=True)


def test_first_visit_sets_a_private_phone_cookie(client, code):
    response = client.get(f"/j/{code}")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("st_phone="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert "Secure" not in cookie
    assert response.headers["Cache-Control"] == "no-store"
    again = client.get(f"/j/{code}")
    assert not any(h.startswith("st_phone=") for h in again.headers.getlist("Set-Cookie"))


def test_phone_cookie_is_secure_on_https(app_config):
    app = make_app({**app_config, "BASE_URL": "https://library.example"})
    try:
        code = make_storytime(app).code
        response = app.test_client().get(f"/j/{code}")
    finally:
        close_app(app)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("st_phone="))
    assert "Secure" in cookie


def test_sharing_without_javascript(app, client, code):
    response = send(client, code, text="  Pack a spare pair of socks.  ")
    assert response.status_code == 302
    assert re.search(rf"/j/{code}\?sent=\d+#sent$", response.headers["Location"])

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you!" in page and "Share another" in page
    assert "It is on the big screen now." in page
    assert "What you shared" in page and "Pack a spare pair of socks." in page
    assert "Edit" in page and "Delete" in page

    [stored] = shares(app)
    assert stored["kind"] == "tip" and stored["text"] == "Pack a spare pair of socks."
    assert stored["name"] == "Ana" and stored["allow_screen"] and stored["on_screen"]
    cookie = client.get_cookie("st_phone").value
    assert stored["phone"] == phone_hash(cookie) != cookie


def test_just_for_the_librarian_never_goes_on_screen(app, client, code):
    send(client, code, kind="question", text="When is the next one?", on_screen="librarian")
    [stored] = shares(app)
    assert not stored["allow_screen"] and not stored["on_screen"]
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert "Just for the librarian" in page


def checked_audience(page: str) -> str | None:
    """Return the audience radio the page checks before the caregiver chooses, if any."""
    checked = re.search(
        r'<input checked id="on_screen-\d" name="on_screen" type="radio" value="(\w+)"', page
    )
    return checked.group(1) if checked else None


@pytest.mark.parametrize(
    ("kinds", "opens_with", "checked"),
    [
        (("hello", "tip", "song", "question", "idea"), "question", "librarian"),
        (("hello", "tip", "song", "question", "idea"), "tip", None),
        (("hello", "tip", "song", "question", "idea"), None, None),
        (("hello", "tip", "idea"), "tip", "screen"),
        (("question",), None, "librarian"),
    ],
)
def test_the_page_checks_an_audience_only_when_it_is_right_for_any_kind(
    app, client, kinds, opens_with, checked
):
    code = make_storytime(app, kinds=kinds).code
    page = client.get(f"/j/{code}" + (f"?kind={opens_with}" if opens_with else "")).get_data(
        as_text=True
    )
    assert checked_audience(page) == checked
    kind = opens_with or kinds[0]
    assert re.search(rf'id="kind-{kind}" value="{kind}"[^>]*checked', page)
    # The page says what happens when nobody chooses.
    assert "Questions go to the librarian only unless you choose otherwise." in page


@pytest.mark.parametrize(("kind", "allowed"), [("question", False), ("tip", True), ("hello", True)])
def test_without_javascript_a_share_sent_without_a_choice_gets_its_kinds_default(
    app, client, code, kind, allowed
):
    # The page opens on "Hello"; a browser without script picks the kind and sends the
    # audience exactly as the page rendered it: none checked, as questions are open.
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert checked_audience(page) is None
    response = send(client, code, kind=kind, on_screen=checked_audience(page))
    assert response.status_code == 302
    [stored] = shares(app)
    assert stored["allow_screen"] is allowed and stored["on_screen"] is allowed


def test_an_edit_without_a_choice_keeps_the_audience_chosen_before(app, client, code):
    send(client, code, kind="question", text="Story at home?", on_screen="screen")
    share_id = shares(app)[0]["id"]
    response = client.post(
        f"/j/{code}/shares/{share_id}/edit", data={"text": "Stories at home?", "name": ""}
    )
    assert response.status_code == 302
    [stored] = shares(app)
    assert stored["text"] == "Stories at home?" and stored["allow_screen"] is True


def test_review_mode_holds_shares_and_says_so(app, client):
    code = make_storytime(app, moderation="review").code
    response = send(client, code)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The librarian will choose when to show it" in page
    assert shares(app)[0]["held"]


def test_sending_the_same_form_twice_stores_one_share(app, client, code):
    data = form_of(client, code)
    first = client.post(f"/j/{code}", data=data, csrf=False)
    second = client.post(f"/j/{code}", data=data, csrf=False)
    assert first.headers["Location"] == second.headers["Location"]
    assert share_count(app) == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"text": ""}, "Please write something to share."),
        ({"text": "   \n  "}, "Please write something to share."),
        ({"text": "x" * 501}, "Please keep it under 500 characters."),
        ({"kind": "song"}, "Please choose one of the kinds of share on this page."),
        ({"kind": "spam"}, "Please choose one of the kinds of share on this page."),
        ({"kind": None}, "Please choose one of the kinds of share on this page."),
        ({"name": "N" * 41}, "Please keep the name under 40 characters."),
        ({"client_id": "x"}, "This page is out of date. Please reload it."),
    ],
)
def test_bad_input_is_refused_clearly_and_stores_nothing(app, client, values, message):
    code = make_storytime(app, kinds=("hello", "tip")).code
    response = send(client, code, **values)
    assert response.status_code in (400, 422)
    page = response.get_data(as_text=True)
    assert message in page
    assert share_count(app) == 0
    if values.get("text", "").strip():
        assert values["text"] in page  # what was typed is still in the box


def test_exactly_the_limit_is_accepted(app, client, code):
    assert send(client, code, text="é" * 500).status_code == 302
    assert share_count(app) == 1


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_missing_or_wrong_csrf_token_keeps_the_text_and_stores_nothing(app, client, code, token):
    data = form_of(client, code, csrf_token=token, text="Sing it slowly")
    response = client.post(f"/j/{code}", data=data, csrf=False)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "nothing was sent yet" in page
    assert "Sing it slowly" in page
    assert share_count(app) == 0
    # The page it shows carries a fresh token that works.
    data["csrf_token"] = CSRF_FIELD.search(page).group(1)
    assert client.post(f"/j/{code}", data=data, csrf=False).status_code == 302
    assert share_count(app) == 1


def test_a_closed_storytime_shows_the_closed_page_and_takes_nothing(app, client):
    code = make_storytime(app, state="closed").code
    page = client.get(f"/j/{code}")
    assert page.status_code == 200
    assert "This storytime has ended" in page.get_data(as_text=True)
    response = client.post(
        f"/j/{code}", data={"kind": "tip", "text": "hi", "client_id": "abcdefgh1"}
    )
    assert response.status_code == 409
    assert "This storytime has ended" in response.get_data(as_text=True)
    assert share_count(app) == 0


def test_a_scheduled_storytime_says_when_it_starts(app, client):
    code = make_storytime(
        app, state="scheduled", starts_at=datetime(2030, 5, 6, 10, 30, tzinfo=UTC)
    ).code
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert "This storytime is not open yet." in page
    assert "2030" in page and "10:30" in page
    response = client.post(
        f"/j/{code}", data={"kind": "tip", "text": "hi", "client_id": "abcdefgh1"}
    )
    assert response.status_code == 409
    assert share_count(app) == 0


def test_a_storytime_closed_while_the_page_was_open_stores_nothing(app, client, code):
    data = form_of(client, code)
    with app.app_context():
        from storytime.models import Storytime

        db.session.execute(db.update(Storytime).values(state="closed"))
        db.session.commit()
    response = client.post(f"/j/{code}", data=data, csrf=False)
    assert response.status_code == 409
    assert "This storytime has ended" in response.get_data(as_text=True)
    assert share_count(app) == 0


def test_edit_ones_own_share(app, client, code):
    send(client, code, text="First try")
    share_id = shares(app)[0]["id"]
    page = client.get(f"/j/{code}/shares/{share_id}/edit").get_data(as_text=True)
    assert "First try" in page
    response = client.post(
        f"/j/{code}/shares/{share_id}/edit",
        data={"text": "Second try", "name": "", "on_screen": "librarian"},
    )
    assert response.status_code == 302
    [stored] = shares(app)
    assert stored["text"] == "Second try" and stored["name"] is None
    assert not stored["allow_screen"] and not stored["on_screen"]
    assert "Your share was changed." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_edit_refuses_bad_text_and_changes_nothing(app, client, code):
    send(client, code, text="Keep me")
    share_id = shares(app)[0]["id"]
    response = client.post(
        f"/j/{code}/shares/{share_id}/edit", data={"text": " ", "on_screen": "screen"}
    )
    assert response.status_code == 422
    assert "Please write something to share." in response.get_data(as_text=True)
    assert shares(app)[0]["text"] == "Keep me"


def test_delete_ones_own_share_after_confirming(app, client, code):
    send(client, code, text="Oops, wrong storytime")
    share_id = shares(app)[0]["id"]
    confirm = client.get(f"/j/{code}/shares/{share_id}/delete")
    assert confirm.status_code == 200
    assert "Delete your share?" in confirm.get_data(as_text=True)
    assert share_count(app) == 1  # asking is not deleting
    response = client.post(f"/j/{code}/shares/{share_id}/delete")
    assert response.status_code == 302
    assert share_count(app) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your share was deleted." in page and "Oops, wrong storytime" not in page


@pytest.mark.parametrize(
    ("method", "action", "data"),
    [
        ("get", "edit", None),
        ("post", "edit", {"text": "Hijacked", "on_screen": "screen"}),
        ("get", "delete", None),
        ("post", "delete", {}),
    ],
)
def test_another_phone_cannot_touch_a_share(app, client, code, method, action, data):
    send(client, code, text="Mine only")
    share_id = shares(app)[0]["id"]
    other = app.test_client()
    other.get(f"/j/{code}")
    response = getattr(other, method)(f"/j/{code}/shares/{share_id}/{action}", data=data)
    assert response.status_code == 404
    assert shares(app)[0]["text"] == "Mine only"
    assert "Mine only" not in other.get(f"/j/{code}").get_data(as_text=True)


def test_shares_cannot_be_changed_once_the_storytime_closed(app, client, code):
    send(client, code, text="Too late to change")
    share_id = shares(app)[0]["id"]
    with app.app_context():
        from storytime.models import Storytime

        db.session.execute(db.update(Storytime).values(state="closed"))
        db.session.commit()
    for action, data in (("edit", {"text": "Changed", "on_screen": "screen"}), ("delete", {})):
        response = client.post(f"/j/{code}/shares/{share_id}/{action}", data=data)
        assert response.status_code == 409
    assert shares(app)[0]["text"] == "Too late to change"


def test_privacy_page_says_what_is_kept_who_sees_it_and_for_how_long(client):
    page = client.get("/privacy").get_data(as_text=True)
    for heading in ("What we keep", "Who sees it", "For how long"):
        assert heading in page


def test_join_page_is_light(client, code):
    """HTML, CSS and script of the join page stay well under 40 KB compressed."""
    import gzip

    page = client.get(f"/j/{code}")
    html = page.get_data()
    total = len(gzip.compress(html))
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html.decode())
    for asset in assets:
        response = client.get(asset)
        total += len(gzip.compress(response.get_data()))
        response.close()
    assert any("share.js" in a for a in assets) and any("share.css" in a for a in assets)
    assert not re.search(r'(?:href|src)="(?:https?:)?//', html.decode())  # nothing third-party
    assert total < 40_000
