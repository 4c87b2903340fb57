"""The check-in pages: the phone's form without JavaScript, its card, the librarian's ask,
the library's wording in Settings, and one storytime's results on its wrap-up page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from factories import make_storytime
from flask import render_template
from outcome_helpers import check_in, stored

from storytime.extensions import db
from storytime.models import Event, Setting, Storytime, now_utc

RADIO = re.compile(r'<input class="scale-input" type="radio" name="answer_(\w+)"')


def set_storytime(app, storytime_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(
            db.update(Storytime).where(Storytime.id == storytime_id).values(**values)
        )
        db.session.commit()


def form_of(page: str) -> dict:
    """Return the hidden fields a browser would send back from the check-in page."""
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    client_id = re.search(r'id="client_id" name="client_id" type="hidden" value="([^"]+)"', page)
    return {"csrf_token": token.group(1), "client_id": client_id.group(1)}


@pytest.fixture
def room(app):
    return make_storytime(app)


# --- the phone's page, without JavaScript ---


def test_the_page_asks_four_statements_on_five_points_and_two_questions(client, room):
    response = client.get(f"/j/{room.code}/checkin")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    names = RADIO.findall(page)
    assert sorted(set(names)) == sorted(["learned", "confident", "will_use", "aware"])
    assert len(names) == 20
    assert "Strongly disagree" in page and "Strongly agree" in page
    assert 'name="liked"' in page and 'name="wish"' in page
    assert "<script" not in page.split("</main>")[0].split("<main")[1]  # nothing needs a script
    assert response.headers["Cache-Control"] == "no-store"


def test_a_check_in_sent_as_a_plain_form_is_stored_then_thanked(app, client, room):
    page = client.get(f"/j/{room.code}/checkin").get_data(as_text=True)
    data = {**form_of(page), "answer_learned": "5", "answer_aware": "3", "liked": "Bubbles"}
    response = client.post(f"/j/{room.code}/checkin", data=data, csrf=False)
    assert response.status_code == 302
    [saved] = stored(app)
    assert saved.answers() == {"learned": 5, "aware": 3} and saved.liked == "Bubbles"
    thanks = client.get(response.location).get_data(as_text=True)
    assert "Thank you for checking in!" in thanks
    assert 'value="5" checked' in thanks  # the answers are there to change
    again = {**form_of(thanks), "answer_learned": "2"}
    assert client.post(f"/j/{room.code}/checkin", data=again, csrf=False).status_code == 302
    [replaced] = stored(app)
    assert replaced.answers() == {"learned": 2} and replaced.liked == ""


@pytest.mark.parametrize(
    "bad",
    [
        {"answer_learned": "7"},
        {"answer_learned": "five"},
        {"answer_tried": "4"},
        {"answer_cheerful": "4"},
        {},
        {"client_id": "x"},
    ],
)
def test_a_bad_form_is_shown_again_with_the_reason_and_stores_nothing(app, client, room, bad):
    page = client.get(f"/j/{room.code}/checkin").get_data(as_text=True)
    response = client.post(f"/j/{room.code}/checkin", data={**form_of(page), **bad}, csrf=False)
    assert response.status_code == 422
    assert 'class="flash flash-error" id="checkin-error"' in response.get_data(as_text=True)
    assert stored(app) == []


def test_an_expired_form_keeps_the_choices_and_stores_nothing(app, client, room):
    page = client.get(f"/j/{room.code}/checkin").get_data(as_text=True)
    data = {**form_of(page), "csrf_token": "expired", "answer_learned": "4"}
    response = client.post(f"/j/{room.code}/checkin", data=data, csrf=False)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "nothing was sent yet" in body and 'value="4" checked' in body
    assert stored(app) == []


def test_the_page_says_when_check_ins_are_closed(app, client, room):
    set_storytime(app, room.id, state="closed", closed_at=now_utc() - timedelta(hours=49))
    page = client.get(f"/j/{room.code}/checkin")
    assert page.status_code == 200 and "Check-ins for this storytime are closed" in page.text
    sent = client.post(f"/j/{room.code}/checkin", data={"answer_learned": "4"})
    assert sent.status_code == 409 and stored(app) == []


@pytest.mark.parametrize("language", ["es", "fr", "ar"])
def test_the_page_speaks_every_language_of_the_phone_side(client, room, language):
    page = client.get(f"/j/{room.code}/checkin", headers={"Accept-Language": language}).text
    assert f'lang="{language}"' in page
    assert ('dir="rtl"' in page) == (language == "ar")
    assert len(RADIO.findall(page)) == 20


# --- the card on the phone ---


def card(app, storytime_id: int, cookie: str | None = None) -> str:
    headers = {"Cookie": f"st_phone={cookie}"} if cookie else {}
    with app.test_request_context("/", headers=headers):
        storytime = db.session.get(Storytime, storytime_id)
        return render_template("outcomes/_phone_card.html", storytime=storytime)


def test_the_card_waits_for_the_librarian_then_shows_and_thanks(app, client, staff, room):
    waiting = card(app, room.id)
    assert 'id="checkin-card"' in waiting and " hidden>" in waiting
    assert "js/checkin.js" in waiting
    staff.signed_in(client, "librarian", "central")
    assert client.post(f"/storytimes/{room.id}/checkins/ask").status_code == 302
    shown = card(app, room.id)
    assert 'id="checkin-card"' in shown and " hidden>" not in shown
    assert f'href="/j/{room.code}/checkin"' in shown and "checkin.js" not in shown
    phone = app.test_client()
    phone.get(f"/j/{room.code}")
    cookie = phone.get_cookie("st_phone").value
    phone.post(
        f"/api/v1/storytimes/{room.code}/checkin",
        json={"client_id": "card-test-01", "answers": {"learned": 4}},
    )
    done = card(app, room.id, cookie)
    assert "Thank you for checking in!" in done and 'id="checkin-card"' not in done


def test_the_card_shows_after_close_and_goes_when_check_ins_do(app, room):
    set_storytime(app, room.id, state="closed", closed_at=now_utc() - timedelta(hours=1))
    assert " hidden>" not in card(app, room.id) and "Check in" in card(app, room.id)
    set_storytime(app, room.id, closed_at=now_utc() - timedelta(hours=49))
    assert card(app, room.id).strip() == ""


# --- the librarian asks ---


def test_asking_for_check_ins_marks_the_storytime_and_tells_the_display(app, client, staff, room):
    staff.signed_in(client, "librarian", "central")
    response = client.post(f"/storytimes/{room.id}/checkins/ask", data={"next": "/evil//x"})
    assert response.status_code == 302
    with app.app_context():
        storytime = db.session.get(Storytime, room.id)
        assert storytime.checkins_asked_at is not None
        event = db.session.execute(
            db.select(Event).where(Event.storytime_id == room.id).order_by(Event.id.desc())
        ).scalar()
        assert (event.type, event.public) == ("storytime.updated", True)
    data = app.test_client().get(f"/api/v1/storytimes/{room.code}/checkin").get_json()
    assert data["asked"] is True


def test_only_the_branchs_staff_may_ask(app, client, staff, room):
    assert app.test_client().post(f"/storytimes/{room.id}/checkins/ask").status_code in (302, 401)
    staff.signed_in(client, "librarian", "east")
    assert client.post(f"/storytimes/{room.id}/checkins/ask").status_code == 403
    with app.app_context():
        assert db.session.get(Storytime, room.id).checkins_asked_at is None


def test_the_dashboard_piece_offers_the_button_then_counts(app, client, staff, room):
    staff.signed_in(client, "librarian", "central")
    with app.test_request_context("/"):
        storytime = db.session.get(Storytime, room.id)
        before = render_template("outcomes/_dashboard_ask.html", storytime=storytime)
    assert f'action="/storytimes/{room.id}/checkins/ask"' in before
    client.post(f"/storytimes/{room.id}/checkins/ask")
    check_in(app, room.id, "a", {"learned": 5})
    with app.test_request_context("/"):
        storytime = db.session.get(Storytime, room.id)
        after = render_template("outcomes/_dashboard_ask.html", storytime=storytime)
    assert "checkins/ask" not in after and "1 check-in so far." in after


# --- one storytime's results ---


def results(app, storytime_id: int) -> str:
    with app.test_request_context("/"):
        storytime = db.session.get(Storytime, storytime_id)
        return render_template("outcomes/_storytime_results.html", storytime=storytime)


def test_a_storytime_shows_its_results_from_five_check_ins(app, room):
    for i in range(4):
        check_in(app, room.id, f"p{i}", {"learned": 5 if i else 2})
    assert "4 check-ins so far; results show from 5." in results(app, room.id)
    check_in(app, room.id, "p4", {"learned": 4})
    shown = results(app, room.id)
    assert "results show from" not in shown
    assert "80%" in shown  # four of five agree


# --- the library's wording ---


def test_an_admin_rewords_a_statement_and_its_id_stays(app, client, staff, room):
    staff.signed_in(client, "admin", None)
    settings_page = client.get("/admin/settings").text
    assert 'id="checkin-wording"' in settings_page
    response = client.post(
        "/admin/settings/checkin-statements",
        data={"learned": "  Today I learned   a new rhyme. ", "aware": ""},
    )
    assert response.status_code == 302
    data = app.test_client().get(f"/api/v1/storytimes/{room.code}/checkin").get_json()
    texts = {s["id"]: s["text"] for s in data["statements"]}
    assert texts["learned"] == "Today I learned a new rhyme."
    assert texts["aware"] == "I know more about what the library offers."
    # Written in the library's language: a phone in another one gets the translated default.
    spanish = app.test_client().get(
        f"/api/v1/storytimes/{room.code}/checkin", headers={"Accept-Language": "es"}
    )
    learned = next(s["text"] for s in spanish.get_json()["statements"] if s["id"] == "learned")
    assert learned != "Today I learned a new rhyme." and learned.startswith("Aprend")
    client.post("/admin/settings/checkin-statements", data={"learned": ""})
    with app.app_context():
        assert db.session.get(Setting, "checkin_statement_learned") is None


def test_wording_is_for_admins_and_kept_short(app, client, staff):
    staff.signed_in(client, "coordinator", None)
    assert (
        client.post("/admin/settings/checkin-statements", data={"learned": "x"}).status_code == 403
    )
    client.post("/logout")
    staff.signed_in(client, "admin", None)
    client.post("/admin/settings/checkin-statements", data={"learned": "x" * 201})
    with app.app_context():
        assert db.session.get(Setting, "checkin_statement_learned") is None


# --- review pages ---


def test_review_pages_show_figures_comments_and_a_printable_report(app, client, staff, room):
    for i, value in enumerate([5, 5, 4, 2, 1]):
        check_in(app, room.id, f"p{i}", {"learned": value}, comments={"liked": f"word{i} rhymes"})
    staff.signed_in(client, "coordinator", None)
    index = client.get("/review/outcomes").text
    assert "60%" in index and "<svg" in index and "Show the numbers as a table" in index
    found = client.get("/review/outcomes/comments?q=word3").text
    assert "word3 rhymes" in found and "word1 rhymes" not in found
    report = client.get("/review/outcomes/report").text
    assert "Storytime outcomes" in report and "60%" in report
    assert client.get("/review/outcomes?by=week").status_code == 400
