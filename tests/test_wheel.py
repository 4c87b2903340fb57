"""A wheel built from pyproject.toml carries templates, static files and migrations, and serves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from server_process import free_port, log_tail, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent

# Run inside the installed wheel, from a folder outside the checkout.
SERVE_LOGIN = """
import json, sys
from storytime import create_app

app = create_app({"INSTANCE_PATH": sys.argv[1], "SECRET_KEY": "wheel-test"})
response = app.test_client().get("/login")
css = app.test_client().get("/static/css/storytime.css")
print(json.dumps({
    "module": __import__("storytime").__file__,
    "template_folder": app.jinja_loader.searchpath[0],
    "static_folder": app.static_folder,
    "status": response.status_code,
    "has_form": 'name="password"' in response.get_data(as_text=True),
    "css_status": css.status_code,
}))
app.extensions["storytime_notifier"].close()
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",  # hatchling comes with the test extra: no network needed
            "--wheel-dir",
            str(wheelhouse),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = wheelhouse.glob("storytime-*.whl")
    return built


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "storytime/__init__.py",
        "storytime/templates/base.html",
        "storytime/templates/errors/error.html",
        "storytime/templates/auth/login.html",
        "storytime/static/css/storytime.css",
        "storytime/migrations/env.py",
        "storytime/migrations/alembic.ini",
        "storytime/migrations/script.py.mako",
    ],
)
def test_the_wheel_carries_code_templates_static_files_and_migrations(wheel, name):
    with zipfile.ZipFile(wheel) as archive:
        assert name in archive.namelist()


@pytest.mark.slow
def test_the_wheel_carries_every_migration_and_no_caches(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()

    shipped = {n for n in names if n.startswith("storytime/migrations/versions/")}
    in_checkout = {
        "storytime/migrations/versions/" + p.name
        for p in (ROOT / "storytime" / "migrations" / "versions").glob("*.py")
    }
    assert shipped == in_checkout
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("tests/", "instance/"))]


@pytest.mark.slow
def test_the_installed_wheel_serves_the_login_page(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site, wheel],
        check=True,
        capture_output=True,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("STORYTIME_")}
    # The wheel first, then this environment's dependencies (not the checkout).
    env["PYTHONPATH"] = os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]])
    env["PYTHONSAFEPATH"] = "1"

    result = subprocess.run(
        [sys.executable, "-c", SERVE_LOGIN, str(tmp_path / "instance")],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout.strip().splitlines()[-1])
    installed = site / "storytime"
    assert Path(served["module"]).is_relative_to(installed)
    assert Path(served["template_folder"]) == installed / "templates"
    assert Path(served["static_folder"]) == installed / "static"
    assert served["status"] == 200
    assert served["has_form"]
    assert served["css_status"] == 200
    # Started with the embedded defaults: the wheel's migrations built the SQLite database.
    assert (tmp_path / "instance" / "storytime.sqlite").exists()


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Install the wheel (not editable) into a folder; return it and an environment using it."""
    site = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site, wheel],
        check=True,
        capture_output=True,
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("STORYTIME_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]])
    env["PYTHONSAFEPATH"] = "1"
    return site, env


def _data_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


@pytest.mark.slow
def test_the_installed_storytime_keeps_its_data_in_instance_of_where_it_runs(installed, tmp_path):
    site, env = installed
    library = tmp_path / "library"
    library.mkdir()
    port = free_port()
    log = tmp_path / "storytime.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(site / "bin" / "storytime"), "--port", str(port)],
            cwd=library,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, log, timeout=60)
    finally:
        stop(process)

    instance = (library / "instance").resolve()
    assert {"storytime.sqlite", "secret_key"} <= _data_in(instance), log_tail(log)
    assert f"Data folder: {instance}" in log.read_text()
    # Nothing is kept beside the installed code, where a rebuilt virtualenv would lose it.
    assert not list(site.rglob("storytime.sqlite")) and not list(site.rglob("secret_key"))


@pytest.mark.slow
def test_flask_commands_of_the_installed_package_use_the_same_instance_folder(installed, tmp_path):
    site, env = installed
    library = tmp_path / "library"
    library.mkdir()

    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "storytime", "init-db"],
        cwd=library,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert {"storytime.sqlite", "secret_key"} <= _data_in(library / "instance")
    assert not list(site.rglob("storytime.sqlite")) and not list(site.rglob("secret_key"))
