"""A branch's permanent link /b/<slug>: the open storytime, else when the next one is."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from storytime_helpers import svg_to_image

from storytime.extensions import db
from storytime.models import Prompt, Storytime, now_utc
from storytime.storytimes.service import new_code, new_display_token


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TIMEZONE": "America/Toronto"}


@pytest.fixture
def central(app, staff) -> int:
    return staff.branch("Central", "central")


def add(app, branch: int, *, state: str, starts_at: datetime, opened_at=None, title="Rhymes"):
    with app.app_context():
        st = Storytime(
            branch_id=branch,
            title=title,
            starts_at=starts_at,
            state=state,
            opened_at=opened_at,
            code=new_code(),
            display_token=new_display_token(),
            prompts=[Prompt(kind="hello", text="Hi")],
        )
        db.session.add(st)
        db.session.commit()
        return st.code


def test_it_opens_the_storytime_open_now(app, client, central):
    code = add(app, central, state="open", starts_at=now_utc(), opened_at=now_utc())

    response = client.get("/b/central")

    assert response.status_code == 302
    assert response.location == f"/j/{code}"
    assert response.headers["Cache-Control"] == "no-store"


def test_with_several_open_it_opens_the_most_recently_opened(app, client, central):
    now = now_utc()
    add(app, central, state="open", starts_at=now, opened_at=now - timedelta(hours=1))
    newest = add(app, central, state="open", starts_at=now, opened_at=now - timedelta(minutes=5))
    add(app, central, state="open", starts_at=now, opened_at=now - timedelta(hours=2))

    assert client.get("/b/central").location == f"/j/{newest}"


def test_otherwise_it_says_when_the_next_one_is_in_library_time(app, client, central):
    later = datetime(2031, 1, 15, 15, 0, tzinfo=UTC)  # 10:00 in Toronto (EST)
    add(app, central, state="scheduled", starts_at=later + timedelta(days=7), title="Later")
    add(app, central, state="scheduled", starts_at=later, title="Snow Songs")
    add(app, central, state="closed", starts_at=now_utc() - timedelta(days=1), title="Past")

    response = client.get("/b/central")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Snow Songs" in html
    assert "Later" not in html
    assert "10:00" in html and "January 15, 2031" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_within_the_hour_before_the_next_start_it_leads_to_its_waiting_page(app, client, central):
    soon = add(app, central, state="scheduled", starts_at=now_utc() + timedelta(minutes=50))

    response = client.get("/b/central")

    assert response.status_code == 302
    assert response.location == f"/j/{soon}"
    waiting = client.get(response.location).get_data(as_text=True)
    assert "opens by itself" in waiting


def test_more_than_an_hour_before_it_only_says_when(app, client, central):
    add(app, central, state="scheduled", starts_at=now_utc() + timedelta(minutes=70))

    assert client.get("/b/central").status_code == 200


def test_storytimes_at_other_branches_do_not_count(app, client, staff, central):
    riverside = staff.branch("Riverside", "riverside")
    add(app, riverside, state="open", starts_at=now_utc(), opened_at=now_utc())

    html = client.get("/b/central").get_data(as_text=True)

    assert "none is scheduled yet" in html


def test_with_nothing_scheduled_it_says_so(client, central):
    response = client.get("/b/central")

    assert response.status_code == 200
    assert "No storytime is open right now, and none is scheduled yet." in response.get_data(
        as_text=True
    )


def test_an_unknown_branch_is_404(client, central):
    assert client.get("/b/nowhere").status_code == 404


def test_the_branch_card_has_the_permanent_qr(app, client, staff, central):
    staff.signed_in(client, "librarian", "central")

    html = client.get("/b/central/card").get_data(as_text=True)

    svg = re.search(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="qr qr-card".*?</svg>', html, re.S
    )
    image, _root = svg_to_image(svg.group(0))
    assert zxingcpp.read_barcodes(image)[0].text == "http://storytime.test/b/central"
    assert client.get("/b/central/qr.png").mimetype == "image/png"


def test_the_branch_card_is_for_staff(client, central):
    assert client.get("/b/central/card").status_code == 302
