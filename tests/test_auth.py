"""Staff sign-in: first-run setup link, login and logout, safe redirects after login."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from factories import PASSWORD

LOGIN_FAILED = "That email and password do not match an account."
SETUP_LINK = re.compile(r"(https?://\S+/setup/\S+)")


def setup_path(output: str) -> str:
    """Return the path of the one-time link printed by a command."""
    match = SETUP_LINK.search(output)
    assert match, f"no setup link in: {output!r}"
    return urlsplit(match.group(1)).path


def setup_form(**overrides: str) -> dict[str, str]:
    return {
        "display_name": "Ada Admin",
        "email": "ada@library.example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **overrides,
    }


def error_text(html: str) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>([^<]*)</p>', html)


# --- first run ----------------------------------------------------------------------------


def test_setup_link_is_printed_while_no_staff_exists(runner):
    result = runner.invoke(args=["setup-link"])

    assert result.exit_code == 0, result.output
    assert setup_path(result.output).startswith("/setup/")
    assert result.output.startswith("http://storytime.test/setup/")  # built from BASE_URL


def test_setup_link_works_once(client, runner):
    path = setup_path(runner.invoke(args=["setup-link"]).output)

    page = client.get(path)
    assert page.status_code == 200
    assert 'name="password"' in page.get_data(as_text=True)

    created = client.post(path, data=setup_form())
    assert created.status_code == 302
    assert urlsplit(created.location).path == "/admin/branches"
    assert client.get("/admin/staff").status_code == 200  # signed in as the new admin

    assert client.get(path).status_code == 404
    assert client.post(path, data=setup_form(email="eve@library.example.org")).status_code == 404


def test_the_first_admin_can_sign_in_later(app, client, runner):
    path = setup_path(runner.invoke(args=["setup-link"]).output)
    client.post(path, data=setup_form(email="  Ada@Library.Example.org "))
    other = app.test_client()

    response = other.post("/login", data={"email": "ada@library.example.org", "password": PASSWORD})

    assert response.status_code == 302


def test_a_second_link_kills_the_first(client, runner):
    first = setup_path(runner.invoke(args=["setup-link"]).output)
    second = setup_path(runner.invoke(args=["setup-link"]).output)

    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "short", "confirm": "short"}, "Use at least 10 characters."),
        ({"confirm": "something else entirely"}, "Passwords do not match."),
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"display_name": ""}, "This field is required."),
    ],
)
def test_bad_setup_input_creates_nothing_and_keeps_the_link(client, runner, overrides, message):
    path = setup_path(runner.invoke(args=["setup-link"]).output)

    response = client.post(path, data=setup_form(**overrides))

    assert response.status_code == 400
    assert message in error_text(response.get_data(as_text=True))
    assert client.get("/admin/staff").status_code == 302  # nobody is signed in
    assert client.get(path).status_code == 200
    assert client.post(path, data=setup_form()).status_code == 302


def test_setup_link_is_refused_once_staff_exist(runner, staff):
    staff.user("admin", "admin@library.example.org", branch=None)

    result = runner.invoke(args=["setup-link"])

    assert result.exit_code != 0
    assert "Staff accounts exist already" in result.output
    assert SETUP_LINK.search(result.output) is None


def test_an_unused_link_dies_when_staff_are_created_another_way(client, runner, staff):
    path = setup_path(runner.invoke(args=["setup-link"]).output)
    staff.user("admin", "admin@library.example.org", branch=None)

    assert client.get(path).status_code == 404


@pytest.mark.parametrize("token", ["", "x", "not-the-token-at-all-000000000000"])
def test_made_up_setup_links_are_not_found(client, runner, token):
    runner.invoke(args=["setup-link"])

    assert client.get(f"/setup/{token}").status_code == 404


# --- login and logout ---------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get("/login")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="email"' in html
    assert 'autocomplete="current-password"' in html


def test_staff_sign_in_and_out(client, staff):
    staff.user("librarian", "lib@library.example.org")

    signed_in = staff.login(client, "Lib@Library.Example.org")
    assert signed_in.status_code == 302
    assert urlsplit(signed_in.location).path == "/"
    assert "Sign out" in client.get("/").get_data(as_text=True)
    assert client.get("/account/tokens").status_code == 200

    signed_out = client.post("/logout")
    assert signed_out.status_code == 302
    assert urlsplit(signed_out.location).path == "/login"
    assert client.get("/account/tokens").status_code == 302
    assert "Sign out" not in client.get("/").get_data(as_text=True)


def test_logout_needs_a_post_with_a_csrf_token(client, staff):
    staff.signed_in(client)

    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/account/tokens").status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("lib@library.example.org", "wrong password here"),
        ("LIB@library.example.org", PASSWORD.upper()),
        ("nobody@library.example.org", PASSWORD),
        ("nobody@library.example.org", "wrong password here"),
    ],
)
def test_a_failed_login_says_the_same_whatever_was_wrong(client, staff, email, password):
    staff.user("librarian", "lib@library.example.org")

    response = staff.login(client, email, password)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error_text(html) == [LOGIN_FAILED]
    assert "Sign out" not in html
    assert client.get("/account/tokens").status_code == 302


@pytest.mark.parametrize(
    "data",
    [{}, {"email": "lib@library.example.org"}, {"password": PASSWORD}],
    ids=["nothing", "no-password", "no-email"],
)
def test_an_incomplete_login_form_is_refused(client, staff, data):
    staff.user("librarian", "lib@library.example.org")

    response = client.post("/login", data=data)

    assert response.status_code == 400
    assert "This field is required." in error_text(response.get_data(as_text=True))


def test_an_inactive_account_cannot_sign_in(client, staff, app):
    user_id = staff.user("librarian", "lib@library.example.org")
    admin = app.test_client()
    staff.signed_in(admin, "admin", branch=None)
    assert admin.post(f"/admin/staff/{user_id}/active").status_code == 302

    response = staff.login(client, "lib@library.example.org")

    assert response.status_code == 400
    assert error_text(response.get_data(as_text=True)) == [LOGIN_FAILED]
    assert client.get("/account/tokens").status_code == 302


def test_staff_pages_send_anonymous_visitors_to_login_and_back(client, staff):
    staff.user("admin", "admin@library.example.org", branch=None)

    bounced = client.get("/admin/staff")
    assert bounced.status_code == 302
    assert bounced.location == "/login?next=/admin/staff"

    signed_in = client.post(
        bounced.location, data={"email": "admin@library.example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in.location == "/admin/staff"


@pytest.mark.parametrize(
    "target",
    ["/admin/staff", "/account/tokens?x=1", "/"],
)
def test_next_goes_to_a_page_on_this_site(client, staff, target):
    staff.user("admin", "admin@library.example.org", branch=None)

    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "admin@library.example.org", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.location == target


OFF_SITE_TARGETS = [
    "//evil.example",
    "//evil.example/login",
    "https://evil.example",
    "http://evil.example/admin",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "https:/evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_next_never_leaves_the_site(client, staff, target):
    staff.user("admin", "admin@library.example.org", branch=None)

    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "admin@library.example.org", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.location == "/"


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_a_signed_in_visit_to_login_never_leaves_the_site(client, staff, target):
    staff.signed_in(client)

    response = client.get("/login", query_string={"next": target})

    assert response.status_code == 302
    assert response.location == "/"


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_the_language_picker_never_leaves_the_site(client, target):
    response = client.post("/lang/fr", data={"next": target})

    assert response.status_code == 302
    assert response.location == "/"


def test_session_cookie_is_httponly_and_lax(client, staff):
    staff.user("librarian", "lib@library.example.org")

    response = staff.login(client, "lib@library.example.org")

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_keep_me_signed_in_sets_an_httponly_remember_cookie(client, staff):
    staff.user("librarian", "lib@library.example.org")

    response = client.post(
        "/login",
        data={"email": "lib@library.example.org", "password": PASSWORD, "remember": "y"},
    )

    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember
