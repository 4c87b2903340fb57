"""A phone that scans before the storytime opens waits on a page that asks /j/<code>/status.

Also: the join page's Send button names the audience, and the outcome check-in card's hook.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import ChoiceLoader, DictLoader

from storytime.extensions import db
from storytime.models import Storytime
from storytime.storytimes.service import set_state


@pytest.mark.parametrize("state", ["scheduled", "open", "closed"])
def test_the_status_says_only_the_state_and_is_never_cached(app, client, state):
    code = make_storytime(app, state=state, title="Secret title", theme="Secret theme").code
    response = client.get(f"/j/{code}/status")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data()) == {"state": state}
    assert response.headers["Cache-Control"] == "no-store"
    # Asking is not visiting: no phone cookie is made for it.
    assert not any(h.startswith("st_phone=") for h in response.headers.getlist("Set-Cookie"))


def test_the_status_follows_the_storytime_as_it_opens_and_closes(app, client):
    storytime = make_storytime(app, state="scheduled")
    assert client.get(f"/j/{storytime.code}/status").get_json() == {"state": "scheduled"}
    for state in ("open", "closed"):
        with app.app_context():
            set_state(db.session.get(Storytime, storytime.id), state)
            db.session.commit()
        assert client.get(f"/j/{storytime.code}/status").get_json() == {"state": state}


def test_the_status_reads_a_code_as_the_join_page_does(app, client):
    code = make_storytime(app, state="scheduled").code
    for typed in (code.lower(), f"{code[:3]}-{code[3:]}"):
        response = client.get(f"/j/{typed}/status")
        assert response.get_json() == {"state": "scheduled"}


def test_an_unknown_code_is_a_json_404(client):
    response = client.get("/j/ZZZZZZ/status")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "not_found" and body["message"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_status_only_answers_get(app, client):
    code = make_storytime(app, state="scheduled").code
    assert client.post(f"/j/{code}/status").status_code == 405


NOON = datetime(2030, 5, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def at_noon(monkeypatch) -> datetime:
    """Make it noon UTC on Monday 6 May 2030 for the waiting page."""
    monkeypatch.setattr("storytime.share.routes.now_utc", lambda: NOON)
    return NOON


@pytest.mark.parametrize(
    ("starts_in", "says"),
    [
        (timedelta(minutes=20), "Storytime starts at 12:20\u202fPM."),
        (timedelta(minutes=-20), "Storytime starts at 11:40\u202fAM."),
        (timedelta(days=9), "It starts on Wednesday, May 15, 2030 at 12:00\u202fPM."),
    ],
)
def test_the_waiting_page_says_when_and_asks_the_status(app, client, at_noon, starts_in, says):
    code = make_storytime(app, state="scheduled", starts_at=at_noon + starts_in).code
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert "This storytime is not open yet." in page
    assert says in page
    assert f'data-status-url="/j/{code}/status"' in page
    assert 'data-state="scheduled"' in page
    assert re.search(r'<script type="module" src="/static/js/share-wait\.js\?v=\w+">', page)
    # Without script the page makes no promise of opening by itself: the line is hidden.
    assert re.search(r'<p class="wait-auto" hidden>', page)


@pytest.mark.parametrize(
    ("starts_at", "says"),
    [
        # 21:00 on Monday in Toronto, though already Tuesday in UTC: today, there.
        (datetime(2030, 5, 7, 1, 0, tzinfo=UTC), "Storytime starts at 9:00\u202fPM."),
        # 22:00 on Sunday in Toronto, though Monday in UTC as now is: not today, there.
        (
            datetime(2030, 5, 6, 2, 0, tzinfo=UTC),
            "It starts on Sunday, May 5, 2030 at 10:00\u202fPM.",
        ),
    ],
)
def test_today_is_the_library_s_today(app, client, monkeypatch, starts_at, says):
    # Now: 19:00 on Monday 6 May in Toronto, 23:00 in UTC.
    monkeypatch.setattr(
        "storytime.share.routes.now_utc", lambda: datetime(2030, 5, 6, 23, 0, tzinfo=UTC)
    )
    app.config["TIMEZONE"] = "America/Toronto"
    code = make_storytime(app, state="scheduled", starts_at=starts_at).code
    assert says in client.get(f"/j/{code}").get_data(as_text=True)


def test_check_again_keeps_the_kind_the_qr_asked_for(app, client):
    code = make_storytime(app, state="scheduled").code
    page = client.get(f"/j/{code}?kind=song").get_data(as_text=True)
    assert f'href="/j/{code}?kind=song">Check again' in page


# NUL is refused everywhere with a 400 (security.py); any other text is a query.
@given(
    query=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_check_again_stays_on_this_page_whatever_the_query(app, client, query):
    code = make_storytime(app, state="scheduled").code
    response = client.get(f"/j/{code}", query_string={"q": query, "code": query})
    assert response.status_code == 200
    link = re.search(
        r'<a class="button" href="([^"]*)">Check again', response.get_data(as_text=True)
    )
    assert link and link.group(1).startswith(f"/j/{code}?")


def test_the_join_page_names_the_audience_on_send(app, client):
    code = make_storytime(app, kinds=("hello", "tip", "question")).code
    page = client.get(f"/j/{code}").get_data(as_text=True)
    button = re.search(r'<button type="submit" class="[^"]*send-button">(.*?)</button>', page, re.S)
    assert button
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", button.group(1))).strip()
    assert words == "Send Send to the screen Send to the librarian"
    # The choice comes before the prompt and the message, right after the kind.
    assert page.index('id="audience"') < page.index('class="questions"') < page.index("<textarea")
    assert page.index('class="kinds') < page.index('id="audience"')


def test_the_edit_page_puts_the_choice_before_the_message(app, client):
    code = make_storytime(app).code
    client.get(f"/j/{code}")  # the phone's cookie
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(f"/j/{code}").text
    )
    client_id = re.search(
        r'name="client_id" type="hidden" value="([^"]+)"', client.get(f"/j/{code}").text
    )
    data = {"kind": "tip", "text": "Socks", "on_screen": "librarian"}
    data |= {"csrf_token": token.group(1), "client_id": client_id.group(1)}
    sent = client.post(f"/j/{code}", data=data)
    share_id = re.search(r"sent=(\d+)", sent.headers["Location"]).group(1)
    page = client.get(f"/j/{code}/shares/{share_id}/edit").get_data(as_text=True)
    assert page.index('id="audience"') < page.index("<textarea")
    assert "Questions go to the librarian" not in page  # nothing to default on an edit


PHONE_CARD = {"outcomes/_phone_card.html": '<p class="hook">card for {{ storytime.code }}</p>'}


@pytest.fixture
def with_phone_card(app):
    """Stand in for the outcomes card (H16 builds the real one), whichever exists."""
    app.jinja_env.loader = ChoiceLoader([DictLoader(PHONE_CARD), app.jinja_env.loader])
    app.jinja_env.cache.clear()


@pytest.mark.parametrize(
    ("state", "shown"), [("open", True), ("closed", True), ("scheduled", False)]
)
def test_the_check_in_card_is_offered_on_the_join_and_closed_pages(
    app, client, with_phone_card, state, shown
):
    code = make_storytime(app, state=state).code
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert (f'<p class="hook">card for {code}</p>' in page) is shown


def test_the_pages_render_without_the_check_in_card(app, client):
    for state in ("open", "closed"):
        assert client.get(f"/j/{make_storytime(app, state=state).code}").status_code == 200


def test_a_code_typed_loosely_redirects_with_any_query(app, client):
    code = make_storytime(app).code
    response = client.get(f"/j/{code.lower()}?code=x&_external=1&kind=song")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/j/{code}?code=x&_external=1&kind=song"
