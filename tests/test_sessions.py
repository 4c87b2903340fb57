"""Staff sessions live on the server: signing out, a new password or deactivation ends them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from factories import PASSWORD
from flask.testing import FlaskClient

from storytime.extensions import db
from storytime.models import StaffSession, now_utc

LEE = "lee@library.example.org"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
COOKIES = ("session", "remember_token")


@pytest.fixture
def lee(staff) -> int:
    return staff.user("librarian", LEE)


def browser(app, user_agent: str = FIREFOX) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def sign_in(client: FlaskClient, email: str = LEE, remember: bool = False) -> None:
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def copy_cookies(source: FlaskClient, target: FlaskClient, names=COOKIES) -> None:
    """Give `target` the same cookies as `source`, as someone who copied them would."""
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def signed_in(client: FlaskClient) -> bool:
    """Return whether the client gets staff pages and the staff API, checking they agree."""
    page = client.get("/storytimes")
    me = client.get("/api/v1/me")
    assert (page.status_code == 200) == (me.status_code == 200)
    if page.status_code != 200:
        assert urlsplit(page.location).path == "/login"
        assert me.status_code == 401
    return page.status_code == 200


def session_rows(app, user_id: int) -> list[StaffSession]:
    with app.app_context():
        rows = db.session.execute(
            db.select(StaffSession).where(StaffSession.user_id == user_id)
        ).scalars()
        return [row for row in rows]


def test_a_copied_session_cookie_stops_working_at_sign_out(app, lee):
    mine, copy = browser(app), browser(app)
    sign_in(mine)
    copy_cookies(mine, copy)
    assert signed_in(copy)

    assert mine.post("/logout").status_code == 302

    assert not signed_in(mine)
    assert not signed_in(copy)


def test_the_remember_cookie_is_new_at_each_sign_in_and_dies_at_sign_out(app, lee):
    first, second = browser(app), browser(app)
    sign_in(first, remember=True)
    sign_in(second, remember=True)
    first_cookie = first.get_cookie("remember_token").value
    assert first_cookie != second.get_cookie("remember_token").value

    # The remember cookie alone (the browser was closed) signs in…
    reopened = browser(app)
    copy_cookies(first, reopened, names=["remember_token"])
    assert signed_in(reopened)

    signed_out = first.post("/logout")
    assert "remember_token=;" in " ".join(signed_out.headers.getlist("Set-Cookie"))

    # …and no longer once that browser has signed out, not even a copy of it.
    replay = browser(app)
    replay.set_cookie("remember_token", first_cookie)
    assert not signed_in(replay)
    assert signed_in(second)  # another browser's sign-out leaves this one alone


def test_the_remember_cookie_lasts_thirty_days_and_no_session_lasts_longer(app, lee):
    client = browser(app)
    client.post("/login", data={"email": LEE, "password": PASSWORD, "remember": "y"})
    cookie = client.get_cookie("remember_token")
    assert cookie.http_only and cookie.same_site == "Lax"
    lifetime = cookie.expires - now_utc()
    assert timedelta(days=29) < lifetime <= timedelta(days=30)

    # The cookie's value carries no date: the server refuses a session past its lifetime.
    with app.app_context():
        row = db.session.execute(db.select(StaffSession)).scalar_one()
        row.created_at = now_utc() - timedelta(days=30, minutes=1)
        db.session.commit()
    assert not signed_in(client)


def test_a_cookie_naming_an_account_id_signs_nobody_in(app, client, lee):
    # What a session cookie held before sessions lived on the server.
    with client.session_transaction() as session:
        session["_user_id"] = str(lee)
        session["_fresh"] = True

    assert not signed_in(client)


def test_deactivation_ends_every_session_and_revokes_every_token(app, staff, lee, runner):
    lees_browser, copy = browser(app), browser(app)
    sign_in(lees_browser, remember=True)
    copy_cookies(lees_browser, copy)
    token = runner.invoke(args=["create-token", LEE]).output.strip()
    admin = browser(app)
    staff.signed_in(admin, "admin", branch=None)

    assert admin.post(f"/admin/staff/{lee}/active").status_code == 302
    assert not signed_in(lees_browser)
    assert not signed_in(copy)

    # Reactivated, the account needs a new sign-in and new tokens: nothing old comes back.
    assert admin.post(f"/admin/staff/{lee}/active").status_code == 302
    assert not signed_in(copy)
    assert (
        browser(app).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    sign_in(lees_browser)
    assert signed_in(lees_browser)


def test_last_seen_is_written_at_most_once_a_minute(app, lee):
    client = browser(app)
    sign_in(client)
    (row,) = session_rows(app, lee)
    first_seen = row.last_seen_at

    for _ in range(3):
        assert signed_in(client)
    (row,) = session_rows(app, lee)
    assert row.last_seen_at == first_seen

    with app.app_context():
        db.session.get(StaffSession, row.id).last_seen_at = first_seen - timedelta(minutes=2)
        db.session.commit()
    assert signed_in(client)
    (row,) = session_rows(app, lee)
    assert row.last_seen_at > first_seen - timedelta(minutes=1)


# --- seeing and ending one's own sessions -------------------------------------------------


def test_the_sessions_page_lists_each_browser_and_marks_this_one(app, lee):
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    sign_in(laptop)
    sign_in(phone)

    html = laptop.get("/account/sessions").get_data(as_text=True)

    assert "Firefox on Linux" in html
    assert "Safari on iPhone" in html
    assert html.count("(this browser)") == 1
    assert html.index("Firefox on Linux") < html.index("(this browser)")
    assert "Sign out everywhere else" in html


def test_staff_sign_out_one_of_their_other_browsers(app, lee):
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    sign_in(laptop)
    sign_in(phone)
    phone_session = next(r for r in session_rows(app, lee) if "iPhone" in r.user_agent)

    response = laptop.post(f"/account/sessions/{phone_session.id}/end")

    assert response.status_code == 302
    assert urlsplit(response.location).path == "/account/sessions"
    assert not signed_in(phone)
    assert signed_in(laptop)
    assert "iPhone" not in laptop.get("/account/sessions").get_data(as_text=True)


def test_ending_this_browsers_own_session_signs_it_out(app, lee):
    laptop = browser(app)
    sign_in(laptop)
    (row,) = session_rows(app, lee)

    response = laptop.post(f"/account/sessions/{row.id}/end")

    assert urlsplit(response.location).path == "/login"
    assert not signed_in(laptop)


def test_sign_out_everywhere_else_keeps_only_this_browser(app, lee):
    laptop, phone, tablet = browser(app), browser(app, IPHONE), browser(app)
    for client in (laptop, phone, tablet):
        sign_in(client, remember=True)

    response = laptop.post("/account/sessions/end-others")

    assert response.status_code == 302
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert not signed_in(tablet)
    assert [r.ended_at is None for r in session_rows(app, lee)] == [True, False, False]


@pytest.mark.parametrize("whose", ["another account's", "an ended", "a missing"])
def test_no_one_ends_a_session_that_is_not_their_own_live_one(app, staff, lee, whose):
    staff.user("librarian", "kim@library.example.org")
    lees_browser, kims_browser = browser(app), browser(app)
    sign_in(lees_browser)
    sign_in(kims_browser, "kim@library.example.org")
    old = browser(app)
    sign_in(old)
    old.post("/logout")
    lees_live, lees_ended = session_rows(app, lee)
    target = {"another account's": lees_live.id, "an ended": lees_ended.id, "a missing": 999}

    client = lees_browser if whose != "another account's" else kims_browser
    assert client.post(f"/account/sessions/{target[whose]}/end").status_code == 404
    assert signed_in(lees_browser)
    assert [r.ended_at is None for r in session_rows(app, lee)] == [True, False]


def test_sessions_pages_need_a_sign_in(app, client, lee):
    assert urlsplit(client.get("/account/sessions").location).path == "/login"
    assert urlsplit(client.post("/account/sessions/1/end").location).path == "/login"
    assert urlsplit(client.post("/account/sessions/end-others").location).path == "/login"
