"""Password rules (NIST SP 800-63B) wherever a password is chosen, and changing one.

A password is refused, with a message saying why, when it is shorter than 10
characters, on the list of common and leaked passwords (or one with a little padding),
a repeat or a run of characters, or built from the account's email or name, the
library's name or "Storytime". The same rule holds on the setup page, the admin's staff
form, a password change, an admin's reset and the `create-user` and `set-password`
commands.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
import seeded_world
from factories import PASSWORD, close_app, make_app, make_user
from flask.testing import FlaskClient

from storytime.extensions import db
from storytime.models import StaffSession, User

NEW_PASSWORD = "tulips under the maple"
LEE = "lee@library.example.org"
SETUP_LINK = re.compile(r"https?://\S+(/setup/\S+)")

TOO_SHORT = "Use at least 10 characters."
COMMON = "This password is on a list of common and leaked passwords."
RUN = "This password is a repeat or a run of characters, like 1234567890."
BUILT_FROM = "This password is built from your email, your name or the library's name."

# Chosen for an account "Lee Librarian" <lee@library.example.org>, at "Our Library".
WEAK = [
    ("storytime", TOO_SHORT),
    ("1234567890", RUN),
    ("password12", COMMON),
    ("PASSWORD12", COMMON),  # case does not hide it
    ("ｐａｓｓｗｏｒｄ１２", COMMON),  # nor full-width look-alikes  # noqa: RUF001
    ("password2024!", COMMON),  # nor a little padding
    ("monkey123456789", COMMON),
    ("iloveyou!!", COMMON),
    ("tinkerbell", COMMON),
    ("aaaaaaaaaaaa", RUN),
    ("abcdefghijkl", RUN),
    ("0987654321", RUN),
    ("7890123456", RUN),
    ("qwertyuiop", RUN),
    ("1-2-3-4-5-6-7-8", RUN),
    ("monkeymonkey", RUN),
    ("lee@library.example.org", BUILT_FROM),
    ("Lee Librarian 2024", BUILT_FROM),
    ("librarian!lee", BUILT_FROM),
    ("Our Library rocks", BUILT_FROM),
    ("storytime2024", BUILT_FROM),
]
ONE_OF_EACH = [WEAK[0], WEAK[1], WEAK[2], WEAK[-1]]
CREATE_LEE = [
    "create-user",
    LEE,
    "--role",
    "librarian",
    "--branch",
    "central",
    "--name",
    "Lee Librarian",
]
GOOD = [PASSWORD, NEW_PASSWORD, "s3cret-garden-gnome", "dragon83749!#2847"]


def error_text(page: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'<p class="error"[^>]*>([^<]*)</p>', page)]


def users(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(db.select(User.email).order_by(User.id)).scalars())


def live_sessions(app, email: str) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count())
            .select_from(StaffSession)
            .join(User)
            .where(User.email == email, StaffSession.ended_at.is_(None))
        ).scalar_one()


def sign_in(app, email: str = LEE, password: str = PASSWORD, remember: bool = False):
    client = app.test_client()
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client, client.post("/login", data=data).status_code


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/api/v1/me").status_code == 200


@pytest.fixture
def lee(app, central) -> int:
    return make_user(app, LEE, "librarian", "central", display_name="Lee Librarian")


@pytest.fixture
def central(staff) -> int:
    return staff.branch("Central", "central")


@pytest.fixture
def admin(app, staff, central) -> FlaskClient:
    client = app.test_client()
    staff.signed_in(client, "admin", branch=None)
    return client


# --- choosing a password ------------------------------------------------------------------


@pytest.mark.parametrize(("password", "message"), WEAK, ids=[w for w, _ in WEAK])
def test_the_admin_staff_form_refuses_a_weak_password_and_says_why(app, admin, password, message):
    before = users(app)

    response = admin.post(
        "/admin/staff",
        data={
            "display_name": "Lee Librarian",
            "email": LEE,
            "role": "librarian",
            "branch": "1",
            "password": password,
            "confirm": password,
        },
    )

    assert response.status_code == 400
    assert any(e.startswith(message) for e in error_text(response.get_data(as_text=True)))
    assert users(app) == before


@pytest.mark.parametrize(("password", "message"), ONE_OF_EACH)
def test_create_user_refuses_a_weak_password_with_the_reason(
    app, runner, central, password, message
):
    result = runner.invoke(args=[*CREATE_LEE, "--password", password])

    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert users(app) == []


@pytest.mark.parametrize("password", GOOD)
def test_good_passwords_make_working_accounts(app, runner, central, password):
    result = runner.invoke(args=[*CREATE_LEE, "--password", password])

    assert result.exit_code == 0, result.output
    assert sign_in(app, LEE, password)[1] == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [("1234567890", RUN), ("password12", COMMON), ("Ada Admin 1815", BUILT_FROM)],
)
def test_the_setup_page_refuses_a_weak_password(app, client, runner, password, message):
    path = SETUP_LINK.search(runner.invoke(args=["setup-link"]).output).group(1)

    response = client.post(
        path,
        data={
            "display_name": "Ada Admin",
            "email": "ada@library.example.org",
            "password": password,
            "confirm": password,
        },
    )

    assert response.status_code == 400
    assert any(e.startswith(message) for e in error_text(response.get_data(as_text=True)))
    assert users(app) == []
    assert client.get(path).status_code == 200  # the link still works


def test_the_library_name_in_settings_counts_as_guessable(app, admin, runner, central):
    admin.post("/admin/settings", data={"library_name": "Maplewood Public", "timezone": "UTC"})

    result = runner.invoke(
        args=["create-user", LEE, "--role", "admin", "--password", "Maplewood Public 2024"]
    )

    assert result.exit_code == 1
    assert BUILT_FROM in result.output


# --- changing one's own password ----------------------------------------------------------


def change(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/account/password",
        data={"current": current, "password": new, "confirm": new if confirm is None else confirm},
    )


def test_staff_change_their_password_and_their_other_browsers_are_signed_out(app, lee):
    laptop, _ = sign_in(app, remember=True)
    phone, _ = sign_in(app)
    old_remember = laptop.get_cookie("remember_token").value
    assert laptop.get("/account/password").status_code == 200

    response = change(laptop, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert urlsplit(response.location).path == "/account/sessions"
    assert is_signed_in(laptop)  # with a new session…
    assert laptop.get_cookie("remember_token").value != old_remember  # …and remember cookie
    assert not is_signed_in(phone)
    assert live_sessions(app, LEE) == 1
    assert sign_in(app, LEE, PASSWORD)[1] == 400
    assert sign_in(app, LEE, NEW_PASSWORD)[1] == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("not my password", NEW_PASSWORD, None, "That is not your current password."),
        (PASSWORD, "password12", None, COMMON),
        (PASSWORD, "Lee Librarian 99", None, BUILT_FROM),
        (PASSWORD, NEW_PASSWORD, "tulips under the oak", "Passwords do not match."),
        ("", NEW_PASSWORD, None, "This field is required."),
    ],
)
def test_a_password_change_is_refused_with_the_reason(app, lee, current, new, confirm, message):
    client, _ = sign_in(app)
    other, _ = sign_in(app)

    response = change(client, current, new, confirm)

    assert response.status_code == 400
    assert any(e.startswith(message) for e in error_text(response.get_data(as_text=True)))
    assert is_signed_in(client) and is_signed_in(other)
    assert sign_in(app, LEE, PASSWORD)[1] == 302  # the old password still works


# --- an admin resets a password, changes a role or a branch -------------------------------


def test_an_admin_resets_a_password_and_the_account_is_signed_out(app, admin, lee):
    lees_browser, _ = sign_in(app)
    assert admin.get(f"/admin/staff/{lee}").status_code == 200

    response = admin.post(
        f"/admin/staff/{lee}/password",
        data={"reset-password": NEW_PASSWORD, "reset-confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not is_signed_in(lees_browser)
    assert sign_in(app, LEE, PASSWORD)[1] == 400
    assert sign_in(app, LEE, NEW_PASSWORD)[1] == 302


@pytest.mark.parametrize(("password", "message"), ONE_OF_EACH)
def test_an_admin_reset_refuses_a_weak_password(app, admin, lee, password, message):
    response = admin.post(
        f"/admin/staff/{lee}/password", data={"reset-password": password, "reset-confirm": password}
    )

    assert response.status_code == 400
    assert any(e.startswith(message) for e in error_text(response.get_data(as_text=True)))
    assert sign_in(app, LEE, PASSWORD)[1] == 302


def test_an_admin_changes_their_own_password_on_the_password_page(app, admin):
    own = users(app)[0]
    with app.app_context():
        own_id = db.session.execute(db.select(User.id).where(User.email == own)).scalar_one()

    response = admin.post(
        f"/admin/staff/{own_id}/password",
        data={"reset-password": NEW_PASSWORD, "reset-confirm": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert "Change your own password on the Password page." in response.get_data(as_text=True)
    assert is_signed_in(admin)


def test_an_admin_changes_a_role_and_branch(app, admin, staff, lee):
    staff.branch("East", "east")

    response = admin.post(f"/admin/staff/{lee}", data={"role": "librarian", "branch": "2"})
    assert response.status_code == 302
    lee_client, _ = sign_in(app)
    assert lee_client.get("/api/v1/me").get_json()["branch"] == "east"

    response = admin.post(f"/admin/staff/{lee}", data={"role": "coordinator", "branch": "0"})
    assert response.status_code == 302
    me = lee_client.get("/api/v1/me").get_json()
    assert (me["role"], me["branch"]) == ("coordinator", None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "librarian", "branch": "0"}, "A librarian belongs to a branch."),
        ({"role": "superuser", "branch": "1"}, "Not a valid choice."),
        ({"role": "librarian", "branch": "99"}, "Not a valid choice."),
        ({}, "Not a valid choice."),
    ],
)
def test_a_bad_role_or_branch_is_refused_and_nothing_changes(app, admin, lee, data, message):
    response = admin.post(f"/admin/staff/{lee}", data=data)

    assert response.status_code == 400
    assert message in error_text(response.get_data(as_text=True))
    with app.app_context():
        user = db.session.get(User, lee)
        assert (user.role, user.branch.slug) == ("librarian", "central")


def test_an_admin_cannot_change_their_own_role(app, admin):
    with app.app_context():
        own = db.session.execute(db.select(User).where(User.role == "admin")).scalar_one()

    response = admin.post(f"/admin/staff/{own.id}", data={"role": "librarian", "branch": "1"})

    assert response.status_code == 400
    assert "You cannot change your own role." in error_text(response.get_data(as_text=True))
    assert admin.get("/admin/staff").status_code == 200


def test_staff_member_pages_for_no_one_are_404(admin):
    assert admin.get("/admin/staff/999").status_code == 404
    assert admin.post("/admin/staff/999", data={"role": "admin"}).status_code == 404
    assert admin.post("/admin/staff/999/password", data={}).status_code == 404


def test_librarians_cannot_reset_passwords_or_change_roles(app, staff, lee):
    client = app.test_client()
    staff.signed_in(client, "coordinator", branch=None)

    assert client.get(f"/admin/staff/{lee}").status_code == 403
    assert client.post(f"/admin/staff/{lee}", data={"role": "admin"}).status_code == 403
    reset = {"reset-password": NEW_PASSWORD, "reset-confirm": NEW_PASSWORD}
    assert client.post(f"/admin/staff/{lee}/password", data=reset).status_code == 403
    assert sign_in(app, LEE, PASSWORD)[1] == 302


# --- the same from the command line -------------------------------------------------------


def test_set_password_reads_the_password_from_the_prompt_and_ends_sessions(app, runner, lee):
    lees_browser, _ = sign_in(app)

    result = runner.invoke(
        args=["set-password", "LEE@library.example.org"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    assert not is_signed_in(lees_browser)
    assert sign_in(app, LEE, NEW_PASSWORD)[1] == 302


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set-password", LEE, "--password", "password12"], COMMON),
        (["set-password", LEE, "--password", "Lee Librarian 1"], BUILT_FROM),
        (["set-password", "nobody@library.example.org", "--password", NEW_PASSWORD], "No account"),
        (["set-role", LEE, "--role", "librarian", "--branch", "none"], "A librarian belongs"),
        (["set-role", LEE, "--role", "admin", "--branch", "nowhere"], "No branch with the slug"),
        (["set-role", "nobody@library.example.org", "--role", "admin"], "No account"),
        (["set-role", LEE, "--role", "superuser"], "'superuser' is not one of"),
    ],
)
def test_account_commands_refuse_bad_input_and_change_nothing(app, runner, lee, args, message):
    lees_browser, _ = sign_in(app)

    result = runner.invoke(args=args)

    assert result.exit_code != 0
    assert message in result.output
    assert is_signed_in(lees_browser)
    me = lees_browser.get("/api/v1/me").get_json()
    assert (me["role"], me["branch"]) == ("librarian", "central")


def test_set_role_changes_the_role_and_keeps_the_branch_unless_told(app, runner, staff, lee):
    staff.branch("East", "east")
    client, _ = sign_in(app)

    assert runner.invoke(args=["set-role", LEE, "--role", "coordinator"]).exit_code == 0
    me = client.get("/api/v1/me").get_json()
    assert (me["role"], me["branch"]) == ("coordinator", "central")

    result = runner.invoke(args=["set-role", LEE, "--role", "librarian", "--branch", "east"])
    assert result.output.strip() == f"{LEE} is now librarian at east."
    me = client.get("/api/v1/me").get_json()
    assert (me["role"], me["branch"]) == ("librarian", "east")


def test_deactivate_user_ends_sessions_and_keeps_one_admin(app, runner, staff, lee):
    lees_browser, _ = sign_in(app)

    result = runner.invoke(args=["deactivate-user", LEE])
    assert result.exit_code == 0, result.output
    assert not is_signed_in(lees_browser)
    assert sign_in(app)[1] == 400

    assert runner.invoke(args=["reactivate-user", LEE]).exit_code == 0
    assert sign_in(app)[1] == 302

    staff.user("admin", "boss@library.example.org", branch=None)
    result = runner.invoke(args=["deactivate-user", "boss@library.example.org"])
    assert result.exit_code == 1
    assert "At least one active admin must remain." in result.output


def test_guessing_the_current_password_is_slowed_down(app_config):
    limited = make_app({**app_config, "RATELIMIT_ENABLED": True})
    try:
        world = seeded_world.seed(limited)
        client = limited.test_client()
        seeded_world.sign_in(client, world.users["librarian"])
        guesses = [change(client, f"guess number {i}", NEW_PASSWORD) for i in range(6)]
        assert [r.status_code for r in guesses] == [400] * 5 + [429]
    finally:
        close_app(limited)
