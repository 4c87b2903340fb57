"""Configuration: defaults < instance/config.py < STORYTIME_* variables < test config."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factories import PASSWORD
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storytime import create_app
from storytime.extensions import db
from storytime.models import User

STRING_SETTINGS = {
    "DATABASE_URL": "sqlite:///{instance}/layer-{layer}.sqlite",
    "SECRET_KEY": "secret-from-{layer}",
    "BASE_URL": "https://{layer}.library.example",
    # Port 9 (discard) is closed: the notifier retries quietly until the app is closed.
    "REDIS_URL": "redis://127.0.0.1:9/{layer}",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Remove every STORYTIME_* variable so only what a test sets is seen."""
    for name in list(os.environ):
        if name.startswith("STORYTIME_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def make_app(clean_env: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """Return a factory for apps, closed again at the end of the test."""
    apps: list[Flask] = []

    def factory(test_config: dict | None = None) -> Flask:
        app = create_app(test_config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["storytime_notifier"].close()


@pytest.fixture
def instance(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> Path:
    """An instance folder chosen through STORYTIME_INSTANCE_PATH."""
    folder = tmp_path / "instance"
    clean_env.setenv("STORYTIME_INSTANCE_PATH", str(folder))
    clean_env.setenv("STORYTIME_AUTO_MIGRATE", "false")
    return folder


def layer_value(key: str, layer: str, instance: Path) -> str:
    return STRING_SETTINGS[key].format(layer=layer, instance=instance)


def write_instance_config(instance: Path, **values: str) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    lines = [f"{key} = {value!r}" for key, value in values.items()]
    (instance / "config.py").write_text("\n".join(lines) + "\n")


def test_defaults_run_an_embedded_install_in_the_instance_folder(make_app, instance):
    app = make_app()

    assert app.instance_path == str(instance.resolve())
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert app.config["REDIS_URL"] == ""
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{instance.resolve() / 'storytime.sqlite'}"
    )
    assert app.config["IS_SQLITE"] is True


@pytest.mark.parametrize("key", sorted(STRING_SETTINGS))
def test_instance_config_file_overrides_the_defaults(make_app, instance, key):
    write_instance_config(instance, **{key: layer_value(key, "file", instance)})

    app = make_app()

    assert app.config[key] == layer_value(key, "file", instance)


@pytest.mark.parametrize("key", sorted(STRING_SETTINGS))
def test_environment_overrides_the_instance_config_file(make_app, instance, clean_env, key):
    write_instance_config(instance, **{key: layer_value(key, "file", instance)})
    clean_env.setenv("STORYTIME_" + key, layer_value(key, "env", instance))

    app = make_app()

    assert app.config[key] == layer_value(key, "env", instance)


@pytest.mark.parametrize("key", sorted(STRING_SETTINGS))
def test_test_config_overrides_the_environment(make_app, instance, clean_env, key):
    write_instance_config(instance, **{key: layer_value(key, "file", instance)})
    clean_env.setenv("STORYTIME_" + key, layer_value(key, "env", instance))

    app = make_app({key: layer_value(key, "test", instance)})

    assert app.config[key] == layer_value(key, "test", instance)


def test_database_url_from_the_environment_is_the_one_used(make_app, instance, clean_env):
    url = f"sqlite:///{instance / 'elsewhere.sqlite'}"
    clean_env.setenv("STORYTIME_DATABASE_URL", url)

    app = make_app()
    with app.app_context():
        db.create_all()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert (instance / "elsewhere.sqlite").exists()
    assert not (instance / "storytime.sqlite").exists()


@pytest.mark.parametrize("value", ["12345", "true", "[1, 2]", "null"])
def test_string_settings_from_the_environment_stay_strings(make_app, instance, clean_env, value):
    """JSON parsing of STORYTIME_* values must not turn a secret into a number or a bool."""
    clean_env.setenv("STORYTIME_SECRET_KEY", value)

    app = make_app()

    assert app.config["SECRET_KEY"] == value


def test_other_environment_values_are_parsed_like_flask_does(make_app, instance, clean_env):
    clean_env.setenv("STORYTIME_AUTO_MIGRATE", "false")
    clean_env.setenv("STORYTIME_SHARE_MAX_LENGTH", "300")

    app = make_app()

    assert app.config["AUTO_MIGRATE"] is False
    assert app.config["SHARE_MAX_LENGTH"] == 300


def test_instance_path_from_the_test_config_wins_over_the_environment(make_app, instance, tmp_path):
    other = tmp_path / "other-instance"

    app = make_app({"INSTANCE_PATH": str(other)})

    assert app.instance_path == str(other.resolve())
    assert (other / "secret_key").exists()
    assert not (instance / "secret_key").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db.example/st", "postgresql+psycopg://u:p@db.example/st"),
        ("postgresql://u:p@db.example/st", "postgresql+psycopg://u:p@db.example/st"),
        ("postgresql+psycopg://u:p@db.example/st", "postgresql+psycopg://u:p@db.example/st"),
    ],
)
def test_postgresql_urls_use_the_psycopg_driver(make_app, instance, clean_env, url, expected):
    clean_env.setenv("STORYTIME_DATABASE_URL", url)

    app = make_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected
    assert app.config["IS_SQLITE"] is False
    assert app.config["AUTO_MIGRATE"] is False  # servers migrate with `init-db`


@pytest.mark.parametrize(
    ("base_url", "overrides", "secure"),
    [
        ("https://storytime.library.example", {}, True),
        ("http://127.0.0.1:5000", {}, False),
        ("https://storytime.library.example", {"SESSION_COOKIE_SECURE": False}, False),
        ("http://127.0.0.1:5000", {"SESSION_COOKIE_SECURE": True}, True),
    ],
)
def test_cookies_are_secure_when_the_site_is_served_over_https(
    make_app, instance, base_url, overrides, secure
):
    app = make_app({"BASE_URL": base_url, **overrides})

    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure


def test_base_url_loses_its_trailing_slash(make_app, instance):
    app = make_app({"BASE_URL": "https://storytime.library.example/"})

    assert app.config["BASE_URL"] == "https://storytime.library.example"


# --- the generated secret key -------------------------------------------------------------


def test_without_a_secret_key_one_is_generated_into_the_instance_folder(make_app, instance):
    app = make_app()

    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    assert len(app.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_generated_secret_key_survives_a_restart(make_app, instance):
    first = make_app({"AUTO_MIGRATE": True})
    runner = first.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "admin@library.example.org", "--role", "admin", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    client = first.test_client()
    signed_in = client.post(
        "/login",
        data={"email": "admin@library.example.org", "password": PASSWORD},
        headers={"X-CSRFToken": _csrf(client)},
    )
    assert signed_in.status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None

    restarted = make_app({"AUTO_MIGRATE": True})
    restarted_client = restarted.test_client()
    restarted_client.set_cookie("session", cookie.value, domain=cookie.domain)

    assert restarted.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert restarted_client.get("/account/tokens").status_code == 200


def test_each_install_gets_its_own_secret_key(make_app, instance, tmp_path):
    first = make_app()
    second = make_app({"INSTANCE_PATH": str(tmp_path / "second")})

    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]


def test_a_configured_secret_key_writes_no_key_file(make_app, instance, clean_env):
    clean_env.setenv("STORYTIME_SECRET_KEY", "from-the-operator")

    app = make_app()

    assert app.config["SECRET_KEY"] == "from-the-operator"
    assert not (instance / "secret_key").exists()


def _csrf(client) -> str:
    import re

    page = client.get("/login").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


# --- SQLite settings ----------------------------------------------------------------------


@pytest.fixture
def sqlite_app(app: Flask) -> Flask:
    if not app.config["IS_SQLITE"]:
        pytest.skip("SQLite pragmas")
    return app


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 10_000)],
)
def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_app, pragma, expected):
    with sqlite_app.app_context():
        value = db.session.execute(text(f"PRAGMA {pragma}")).scalar()

    assert value == expected


def test_sqlite_enforces_foreign_keys(sqlite_app):
    with sqlite_app.app_context():
        db.session.add(
            User(email="x@library.example.org", display_name="X", role="admin", branch_id=999)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
