"""Operator commands: `flask --app storytime init-db | create-branch | create-user | …`."""

from __future__ import annotations

import os
import re

import pytest
from factories import PASSWORD

from storytime.extensions import db
from storytime.models import ApiToken

SETUP_LINK = re.compile(r"https?://\S+/setup/\S+")


def invoke(runner, *args: str, input: str | None = None):
    return runner.invoke(args=list(args), input=input)


def login(app, email: str, password: str = PASSWORD) -> int:
    return app.test_client().post("/login", data={"email": email, "password": password}).status_code


# --- init-db ------------------------------------------------------------------------------


def test_init_db_creates_the_tables_and_prints_a_setup_link(empty_app):
    runner = empty_app.test_cli_runner()

    result = invoke(runner, "init-db")

    assert result.exit_code == 0, result.output
    assert "Database is up to date." in result.output
    link = SETUP_LINK.search(result.output)
    assert link, result.output
    client = empty_app.test_client()
    assert client.get(link.group(0).removeprefix("http://storytime.test")).status_code == 200


def test_init_db_prints_no_link_once_staff_exist(empty_app):
    runner = empty_app.test_cli_runner()
    invoke(runner, "init-db")
    invoke(
        runner, "create-user", "a@library.example.org", "--role", "admin", "--password", PASSWORD
    )

    result = invoke(runner, "init-db")

    assert result.exit_code == 0, result.output
    assert "Database is up to date." in result.output
    assert SETUP_LINK.search(result.output) is None


def test_the_server_prints_a_setup_link_on_first_start(tmp_path, monkeypatch, capsys):
    from storytime import serve

    for name in list(os.environ):
        if name.startswith("STORYTIME_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("STORYTIME_INSTANCE_PATH", str(tmp_path / "instance"))
    served = {}
    monkeypatch.setattr(
        serve, "run_server", lambda app, host, port, threads: served.update(app=app, port=port)
    )

    serve.main(["--port", "25123"])

    app = served["app"]
    try:
        out = capsys.readouterr().out
        assert served["port"] == 25123
        assert "Storytime is running at http://127.0.0.1:25123/" in out
        link = SETUP_LINK.search(out)
        assert link, out
        assert link.group(0).startswith("http://127.0.0.1:25123/setup/")
        assert (tmp_path / "instance" / "storytime.sqlite").exists()
        path = link.group(0).removeprefix("http://127.0.0.1:25123")
        assert app.test_client().get(path).status_code == 200
    finally:
        with app.app_context():
            db.engine.dispose()
        app.extensions["storytime_notifier"].close()


# --- create-branch ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "name", "slug"),
    [
        (["Rivière Branch"], "Rivière Branch", "riviere-branch"),
        (["  Main Library  "], "Main Library", "main-library"),
        (["Westside", "--slug", "west"], "Westside", "west"),
        (["Northside", "--slug", "North-2"], "Northside", "north-2"),
    ],
)
def test_create_branch(runner, args, name, slug):
    result = invoke(runner, "create-branch", *args)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Created branch {name} ({slug})."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Central"], "A branch with the slug 'central' already exists."),
        (["Central!"], "A branch with the slug 'central' already exists."),
        (["Elsewhere", "--slug", "central"], "A branch with the slug 'central' already exists."),
        (["Central", "--slug", "central-2"], "A branch named 'Central' already exists."),
        (["Elsewhere", "--slug", "bad slug"], "'bad slug' is not a valid slug"),
        (["!!!"], "is not a valid slug"),
        (["   "], "A branch needs a name."),
    ],
)
def test_create_branch_refuses_clashes_and_bad_slugs(runner, args, message):
    assert invoke(runner, "create-branch", "Central").exit_code == 0

    result = invoke(runner, "create-branch", *args)

    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


# --- create-user --------------------------------------------------------------------------


@pytest.fixture
def central(runner) -> str:
    assert invoke(runner, "create-branch", "Central").exit_code == 0
    return "central"


@pytest.mark.parametrize(
    ("role", "branch_args", "branch"),
    [
        ("librarian", ["--branch", "central"], "central"),
        ("librarian", ["--branch", "CENTRAL"], "central"),
        ("coordinator", [], None),
        ("admin", [], None),
        ("coordinator", ["--branch", "central"], "central"),
    ],
)
def test_create_user_with_each_role(app, runner, central, role, branch_args, branch):
    result = invoke(
        runner,
        "create-user",
        "Lee@Library.Example.org",
        "--role",
        role,
        *branch_args,
        "--name",
        "Lee",
        "--password",
        PASSWORD,
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Created {role} lee@library.example.org."
    client = app.test_client()
    client.post("/login", data={"email": "lee@library.example.org", "password": PASSWORD})
    me = client.get("/api/v1/me").get_json()
    assert me["role"] == role
    assert me["branch"] == branch
    assert me["display_name"] == "Lee"


def test_create_user_asks_for_the_password_when_omitted(app, runner, central):
    result = invoke(
        runner,
        "create-user",
        "lee@library.example.org",
        "--role",
        "admin",
        input=f"{PASSWORD}\nnot the same at all\n{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Password:" in result.output
    assert "do not match" in result.output
    assert PASSWORD not in result.output  # typed input is hidden
    assert login(app, "lee@library.example.org") == 302


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "librarian"], "A librarian belongs to a branch"),
        (["--role", "librarian", "--branch", "nowhere"], "No branch with the slug 'nowhere'."),
        (["--role", "admin", "--branch", "nowhere"], "No branch with the slug 'nowhere'."),
        (["--role", "superuser"], "'superuser' is not one of"),
        (["--role", "admin", "--password", "short"], "at least 10 characters"),
        (["--role", "admin", "--email-typo"], "No such option"),
    ],
)
def test_create_user_refuses_bad_input(app, runner, central, args, message):
    if "--password" not in args:
        args = [*args, "--password", PASSWORD]

    result = invoke(runner, "create-user", "lee@library.example.org", *args)

    assert result.exit_code != 0
    assert message in result.output
    assert login(app, "lee@library.example.org") == 400


@pytest.mark.parametrize("email", ["not-an-email", "lee@" + "x" * 260 + ".org"])
def test_create_user_refuses_a_bad_email(runner, email):
    result = invoke(runner, "create-user", email, "--role", "admin", "--password", PASSWORD)

    assert result.exit_code != 0
    assert "is not an email address" in result.output


def test_create_user_refuses_a_taken_email(app, runner, central):
    first = ["--role", "admin", "--password", PASSWORD]
    assert invoke(runner, "create-user", "lee@library.example.org", *first).exit_code == 0

    result = invoke(
        runner,
        "create-user",
        "LEE@library.example.org",
        "--role",
        "librarian",
        "--branch",
        "central",
        "--password",
        "another long password",
    )

    assert result.exit_code != 0
    assert "An account for lee@library.example.org already exists." in result.output
    assert login(app, "lee@library.example.org", "another long password") == 400


# --- create-token and revoke-token --------------------------------------------------------


@pytest.fixture
def lee(runner, central) -> str:
    args = ["--role", "librarian", "--branch", "central", "--password", PASSWORD]
    assert invoke(runner, "create-user", "lee@library.example.org", *args).exit_code == 0
    return "lee@library.example.org"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_create_token_prints_a_token_that_works_as_a_bearer(client, runner, lee):
    result = invoke(runner, "create-token", "LEE@library.example.org", "--name", "calendar sync")

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert re.fullmatch(r"st_[A-Za-z0-9_-]{40,}", token)
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["email"] == lee


def test_each_token_is_new(runner, lee):
    first = invoke(runner, "create-token", lee).output.strip()
    second = invoke(runner, "create-token", lee).output.strip()

    assert first != second


@pytest.mark.parametrize("email", ["nobody@library.example.org", "not-an-email"])
def test_create_token_refuses_an_unknown_account(runner, email):
    result = invoke(runner, "create-token", email)

    assert result.exit_code != 0
    assert f"No active account for {email}." in result.output


def test_create_token_refuses_an_inactive_account(app, runner, lee):
    admin = app.test_client()
    invoke(
        runner, "create-user", "a@library.example.org", "--role", "admin", "--password", PASSWORD
    )
    admin.post("/login", data={"email": "a@library.example.org", "password": PASSWORD})
    with app.app_context():
        from storytime.admin.service import find_user

        lee_id = find_user(lee).id
    assert admin.post(f"/admin/staff/{lee_id}/active").status_code == 302

    result = invoke(runner, "create-token", lee)

    assert result.exit_code != 0
    assert f"No active account for {lee}." in result.output


def test_revoke_token_by_its_prefix(client, runner, lee):
    token = invoke(runner, "create-token", lee).output.strip()
    other = invoke(runner, "create-token", lee).output.strip()

    result = invoke(runner, "revoke-token", token[:10])

    assert result.exit_code == 0, result.output
    assert f"Revoked token {token[:10]}… of {lee}." in result.output
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_revoke_token_accepts_the_whole_token(client, runner, lee):
    token = invoke(runner, "create-token", lee).output.strip()

    assert invoke(runner, "revoke-token", token).exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("prefix", ["st_nothing", "", "st_"])
def test_revoke_token_refuses_an_unknown_prefix(app, runner, lee, prefix):
    invoke(runner, "create-token", lee)

    result = invoke(runner, "revoke-token", prefix)

    assert result.exit_code != 0
    assert "No single live token starts with that prefix." in result.output
    with app.app_context():
        revoked = db.session.execute(db.select(ApiToken).where(ApiToken.revoked_at.is_not(None)))
        assert revoked.first() is None


def test_revoking_twice_says_there_is_nothing_left(runner, lee):
    token = invoke(runner, "create-token", lee).output.strip()
    invoke(runner, "revoke-token", token[:10])

    result = invoke(runner, "revoke-token", token[:10])

    assert result.exit_code != 0
    assert "No single live token" in result.output
