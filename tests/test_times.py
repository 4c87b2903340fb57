"""One path for times: pages and JSON read a time in the reader's language and library's zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from factories import Staff, close_app, make_app, make_storytime
from live_support import post_share

from storytime.extensions import db
from storytime.models import Share, Storytime

SENT = datetime(2026, 11, 29, 14, 22, tzinfo=UTC)  # 9:22 in New York, 15:22 in Paris


def _sent_at(app, share_id: int, when: datetime = SENT) -> None:
    with app.app_context():
        db.session.get(Share, share_id).created_at = when
        db.session.commit()


def _set_zone(admin, zone: str) -> None:
    response = admin.post("/admin/settings", data={"library_name": "Our Library", "timezone": zone})
    assert response.status_code == 302, response.get_data(as_text=True)


def _page_time(client, storytime_id: int, share_id: int, lang: str) -> str:
    page = client.get(f"/storytimes/{storytime_id}/live?lang={lang}").get_data(as_text=True)
    card = page[page.index(f'id="share-{share_id}"') :]
    return re.search(r'<time class="share-time"[^>]*>([^<]*)</time>', card)[1]


def _feed_time(client, storytime_id: int, share_id: int, lang: str) -> str:
    feed = client.get(f"/api/v1/storytimes/{storytime_id}/events?lang={lang}").get_json()
    shares = [e["share"] for e in feed["events"] if e.get("share", {}).get("id") == share_id]
    return shares[-1]["time_text"]


@pytest.fixture
def admin(app, client, staff):
    staff.signed_in(client, "admin", None)
    return client


@pytest.mark.parametrize(
    ("zone", "lang", "expected"),
    [
        ("America/New_York", "en", "9:22\u202fAM"),
        ("America/New_York", "fr", "09:22"),
        ("America/New_York", "es", "9:22"),
        ("Europe/Paris", "en", "3:22\u202fPM"),
        ("Europe/Paris", "fr", "15:22"),
        ("Asia/Kolkata", "ar", "7:52 م"),
        ("UTC", "en", "2:22\u202fPM"),
    ],
)
def test_a_share_reads_the_same_live_and_after_a_reload(app, admin, zone, lang, expected):
    _set_zone(admin, zone)
    storytime_id = make_storytime(app, "central").id
    share_id = post_share(app, storytime_id, "tip", "Sing it twice")
    _sent_at(app, share_id)

    page_text = _page_time(admin, storytime_id, share_id, lang)
    feed_text = _feed_time(admin, storytime_id, share_id, lang)

    assert page_text == feed_text == expected


def test_a_moderated_share_answers_with_the_same_time_text(app, admin):
    _set_zone(admin, "America/New_York")
    storytime_id = make_storytime(app, "central").id
    share_id = post_share(app, storytime_id, "tip", "Sing it twice")
    _sent_at(app, share_id)

    response = admin.patch(f"/api/v1/shares/{share_id}?lang=fr", json={"starred": True})

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["share"]["time_text"] == "09:22"


def test_pages_show_storytime_times_in_the_library_zone(app, admin):
    """The `localtime` filter takes the same path: a start at 14:30 UTC is 9:30 in New York."""
    _set_zone(admin, "America/New_York")
    storytime_id = make_storytime(
        app, "central", starts_at=datetime(2026, 11, 29, 14, 30, tzinfo=UTC)
    ).id

    page = admin.get(f"/storytimes/{storytime_id}?lang=en").get_data(as_text=True)

    assert "9:30" in page
    assert "2:30" not in page
    with app.app_context():
        assert db.session.get(Storytime, storytime_id).starts_at.hour == 14  # stored as UTC


# --- the library's time zone and default language (Settings) ------------------------------


def _errors(html: str) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>([^<]*)</p>', html)


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)[0]
    return re.search(r'<option selected value="([^"]*)"', select)[1]


def test_the_zone_is_chosen_from_the_iana_list_grouped_by_region(admin):
    page = admin.get("/admin/settings?lang=en").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="timezone".*?</select>', page, re.S)[0]

    groups = re.findall(r'<optgroup label="([^"]*)">', select)
    assert groups[:3] == ["Africa", "Americas", "Antarctica"]
    assert {"Europe", "Pacific Ocean", "Other names"} <= set(groups)
    values = re.findall(r'value="([^"]*)"', select)
    assert values[0] == "UTC"
    assert {"America/Toronto", "Europe/Paris", "Asia/Kolkata", "US/Eastern"} <= set(values)
    assert "localtime" not in values and "Eastern" not in values
    toronto = re.search(r'<optgroup label="Americas">.*?</optgroup>', select, re.S)[0]
    assert re.search(r'value="America/Toronto">Toronto \(UTC\u22120[45]:00\)<', toronto)
    assert _selected(page, "timezone") == "UTC"
    assert "data-zone-filter" in page and "js/timezone-select.js" in page


@pytest.mark.parametrize(
    "zone",
    [
        "Eastern",
        "Mars/Olympus",
        "America/Nowhere",
        "localtime",
        "../../etc/passwd",
        "utc",
        "",
    ],
)
def test_a_name_not_on_the_iana_list_is_refused_and_nothing_changes(app, admin, zone):
    _set_zone(admin, "Europe/Paris")

    response = admin.post(
        "/admin/settings?lang=en",
        data={"library_name": "Renamed", "timezone": zone, "default_language": "fr"},
    )

    assert response.status_code == 400
    errors = " ".join(_errors(response.get_data(as_text=True)))
    if zone.strip():
        assert f"Unknown time zone “{zone.strip()}”" in errors
        assert "America/Toronto" in errors  # says what a good one looks like
    else:
        assert "Choose the library&#39;s time zone." in errors
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert _selected(page, "timezone") == "Europe/Paris"
    assert 'value="Renamed"' not in page


def test_an_old_iana_name_is_kept(admin):
    _set_zone(admin, "US/Eastern")
    assert (
        _selected(admin.get("/admin/settings").get_data(as_text=True), "timezone") == "US/Eastern"
    )


def test_the_default_language_is_one_of_the_languages(app, admin):
    data = {"library_name": "Our Library", "timezone": "UTC"}
    assert admin.post("/admin/settings", data={**data, "default_language": "es"}).status_code == 302
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert _selected(page, "default_language") == "es"
    assert re.search(r'<option value="ar">العربية</option>', page)

    refused = admin.post("/admin/settings?lang=en", data={**data, "default_language": "xx"})

    assert refused.status_code == 400
    assert "Choose one of the languages in the list." in _errors(refused.get_data(as_text=True))
    # A script that leaves the field out keeps the language as it is.
    assert admin.post("/admin/settings", data=data).status_code == 302
    assert (
        _selected(admin.get("/admin/settings").get_data(as_text=True), "default_language") == "es"
    )
    with app.test_request_context():
        from storytime import settings

        assert settings.default_language() == "es"


def test_the_zone_from_the_environment_still_works(monkeypatch, app_config):
    monkeypatch.setenv("STORYTIME_TIMEZONE", "Asia/Kolkata")
    app = make_app(app_config)
    try:
        client = app.test_client()
        Staff(app).signed_in(client, "admin", None)
        storytime_id = make_storytime(app, "central").id
        share_id = post_share(app, storytime_id, "tip", "Sing it twice")
        _sent_at(app, share_id)

        assert _selected(client.get("/admin/settings").get_data(as_text=True), "timezone") == (
            "Asia/Kolkata"
        )
        assert _feed_time(client, storytime_id, share_id, "en") == "7:52\u202fPM"
    finally:
        close_app(app)


@pytest.mark.parametrize(
    ("lang", "city"),
    [("es", "Nueva York — New York"), ("ar", "نيويورك — New York"), ("fr", "New York")],
)
def test_cities_are_named_in_the_readers_language(admin, lang, city):
    page = admin.get(f"/admin/settings?lang={lang}").get_data(as_text=True)
    assert re.search(rf'value="America/New_York">{city} \(UTC\u22120[45]:00\)<', page)


def test_an_old_name_of_a_city_shows_its_iana_name_after_the_current_one(admin):
    page = admin.get("/admin/settings?lang=en").get_data(as_text=True)
    asia = re.search(r'<optgroup label="Asia">.*?</optgroup>', page, re.S)[0]
    kolkata = asia.index('value="Asia/Kolkata">Kolkata (UTC+05:30)<')
    assert asia.index('value="Asia/Calcutta">Kolkata — Calcutta (UTC+05:30)<') > kolkata
