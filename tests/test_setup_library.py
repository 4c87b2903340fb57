"""First-run setup asks for the library: its name, time zone (IANA list) and default language."""

from __future__ import annotations

import re

import pytest
from test_auth import error_text, setup_form, setup_path

from storytime import settings
from storytime.extensions import db
from storytime.models import User

LIBRARY = {
    "library_name": "Maple Grove Library",
    "timezone": "America/Toronto",
    "default_language": "fr",
}


def _users(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one()


def test_setup_asks_for_the_library(client, runner):
    path = setup_path(runner.invoke(args=["setup-link"]).output)

    page = client.get(path + "?lang=en").get_data(as_text=True)

    assert 'name="library_name"' in page and 'value="Our Library"' in page
    select = re.search(r'<select[^>]*name="timezone".*?</select>', page, re.S)[0]
    assert '<optgroup label="Americas">' in select and 'value="America/Toronto"' in select
    assert '<option selected value="UTC">' in select
    assert re.search(r'<select[^>]*name="default_language"', page)
    assert "js/timezone-select.js" in page


def test_setup_saves_the_library_with_the_admin(app, client, runner):
    path = setup_path(runner.invoke(args=["setup-link"]).output)

    response = client.post(path, data=setup_form(**LIBRARY))

    assert response.status_code == 302
    with app.test_request_context():
        assert settings.library_name() == "Maple Grove Library"
        assert settings.timezone() == "America/Toronto"
        assert settings.default_language() == "fr"
    settings_page = client.get("/admin/settings").get_data(as_text=True)
    assert '<option selected value="America/Toronto">' in settings_page


@pytest.mark.parametrize("zone", ["Eastern", "EST-5", "", "Mars/Olympus"])
def test_setup_refuses_a_zone_not_on_the_list_and_creates_nothing(app, client, runner, zone):
    path = setup_path(runner.invoke(args=["setup-link"]).output)

    response = client.post(path + "?lang=en", data=setup_form(**{**LIBRARY, "timezone": zone}))

    assert response.status_code == 400
    errors = " ".join(error_text(response.get_data(as_text=True)))
    assert ("Unknown time zone" in errors) if zone else ("Choose the library" in errors)
    assert _users(app) == 0
    with app.test_request_context():
        assert settings.timezone() == "UTC" and settings.library_name() == "Our Library"
    assert client.post(path, data=setup_form(**LIBRARY)).status_code == 302  # link still works


def test_setup_without_the_library_fields_keeps_the_defaults(app, client, runner):
    """A script written before these fields still makes the admin; Settings changes them later."""
    path = setup_path(runner.invoke(args=["setup-link"]).output)

    assert client.post(path, data=setup_form()).status_code == 302
    with app.test_request_context():
        assert settings.timezone() == "UTC" and settings.default_language() == "en"
