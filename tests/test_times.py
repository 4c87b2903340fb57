"""One path for times: pages and JSON read a time in the reader's language and library's zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from factories import make_storytime
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
