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
