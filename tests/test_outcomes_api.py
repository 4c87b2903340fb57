"""The check-in API a phone calls: what it is asked, saving, replay, replacement, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from storytime.extensions import db
from storytime.models import CheckIn, Storytime, now_utc
from storytime.share.service import clean_text

CLIENT_ID = "c0ffee00-1234-4abc-9def-000000000001"


def url(code: str) -> str:
    return f"/api/v1/storytimes/{code}/checkin"


def body(**values) -> dict:
    data = {
        "client_id": CLIENT_ID,
        "answers": {"learned": 5, "confident": 4, "will_use": 3, "aware": 2},
        "comments": {"liked": "The bubbles!", "wish": "A Saturday session"},
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not ...}


def checkins(app) -> list[CheckIn]:
    with app.app_context():
        rows = list(db.session.execute(db.select(CheckIn).order_by(CheckIn.id)).scalars())
        db.session.expunge_all()
        return rows


def set_storytime(app, storytime_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(
            db.update(Storytime).where(Storytime.id == storytime_id).values(**values)
        )
        db.session.commit()


@pytest.fixture
def room(app):
    return make_storytime(app)


def test_a_phone_is_asked_the_four_immediate_statements_on_a_five_point_scale(client, room):
    response = client.get(url(room.code))
    assert response.status_code == 200
    data = response.get_json()
    assert data["kind"] == "immediate"
    assert [s["id"] for s in data["statements"]] == ["learned", "confident", "will_use", "aware"]
    assert all(s["text"] for s in data["statements"])
    assert data["scale"] == [1, 2, 3, 4, 5]
    assert [q["id"] for q in data["questions"]] == ["liked", "wish"]
    assert data["done"] is False
    assert response.headers["Cache-Control"] == "no-store"


def test_statements_come_in_the_phones_language(client, room):
    data = client.get(url(room.code), headers={"Accept-Language": "es"}).get_json()
    english = client.get(url(room.code), headers={"Accept-Language": "en"}).get_json()
    assert [s["id"] for s in data["statements"]] == [s["id"] for s in english["statements"]]


def test_a_check_in_is_saved_with_201_dated_by_the_day_only(app, client, room):
    response = client.post(url(room.code), json=body())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["answers"] == {
        "learned": 5,
        "confident": 4,
        "will_use": 3,
        "aware": 2,
    }
    [saved] = checkins(app)
    assert (saved.learned, saved.confident, saved.will_use, saved.aware) == (5, 4, 3, 2)
    assert saved.liked == "The bubbles!" and saved.kind == "immediate"
    assert saved.phone and len(saved.phone) == 64  # the cookie's hash, never the cookie
    assert saved.phone != client.get_cookie("st_phone").value
    assert client.get(url(room.code)).get_json()["done"] is True


def test_the_same_client_id_again_is_a_200_and_stores_nothing_new(app, client, room):
    first = client.post(url(room.code), json=body())
    again = client.post(url(room.code), json=body(answers={"learned": 1}))
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    [saved] = checkins(app)
    assert saved.learned == 5


def test_a_second_check_in_from_the_phone_replaces_the_first(app, client, room):
    client.post(url(room.code), json=body())
    second = client.post(
        url(room.code),
        json=body(client_id="another-client-id", answers={"aware": 5}, comments={"liked": "Songs"}),
    )
    assert second.status_code == 201
    [saved] = checkins(app)
    assert saved.answers() == {"aware": 5}
    assert (saved.liked, saved.wish) == ("Songs", "")


def test_a_late_retry_of_a_replaced_check_in_changes_nothing(app, client, room):
    client.post(url(room.code), json=body())  # answered 5 for "learned"
    client.post(url(room.code), json=body(client_id="second-answer-01", answers={"learned": 1}))

    retry = client.post(url(room.code), json=body())  # the first send, arriving late

    assert retry.status_code == 200
    assert retry.get_json()["answers"] == {"learned": 1}
    [saved] = checkins(app)
    assert saved.answers() == {"learned": 1} and saved.client_id == "second-answer-01"


def test_another_phone_makes_its_own_check_in(app, client, room):
    client.post(url(room.code), json=body())
    assert app.test_client().post(url(room.code), json=body()).status_code == 201
    assert len(checkins(app)) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (body(answers={"learned": "5"}), "answers.learned"),
        (body(answers={"learned": 6}), "answers.learned"),
        (body(answers={"learned": 0}), "answers.learned"),
        (body(answers={"learned": 4.0}), "answers.learned"),
        (body(answers={"learned": 4.5}), "answers.learned"),
        (body(answers={"learned": True}), "answers.learned"),
        (body(answers={"learned": [5]}), "answers.learned"),
        (body(answers={"learned": 5, "cheerful": 5}), "answers.cheerful"),
        (body(answers={"tried": 5}), "answers.tried"),
        (body(answers=[5, 4]), "answers"),
        (body(answers={}, comments={}), "answers"),
        (body(answers=..., comments=...), "answers"),
        (body(answers={"learned": None}, comments={"liked": "   "}), "answers"),
        (body(comments={"liked": 5}), "comments.liked"),
        (body(comments={"best": "x"}), "comments.best"),
        (body(comments="lovely"), "comments"),
        (body(comments={"liked": "x" * 501}), "comments.liked"),
        (body(client_id=...), "client_id"),
        (body(client_id=""), "client_id"),
        (body(client_id=12345678), "client_id"),
        (body(client_id="no spaces allowed"), "client_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(app, client, room, payload, field):
    response = client.post(url(room.code), json=payload)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert error["error"] == "invalid" and error["field"] == field and error["message"]
    assert checkins(app) == []


def test_a_refused_replacement_keeps_the_first_check_in(app, client, room):
    client.post(url(room.code), json=body())
    response = client.post(url(room.code), json=body(client_id="second-attempt", answers={"x": 1}))
    assert response.status_code == 422
    [saved] = checkins(app)
    assert saved.learned == 5 and saved.client_id == CLIENT_ID


def test_a_body_that_is_not_an_object_is_a_400(client, room):
    response = client.post(url(room.code), data="[1]", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


def test_without_a_csrf_token_nothing_is_stored(app, client, room):
    response = client.post(url(room.code), json=body(), csrf=False)
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"
    assert checkins(app) == []


def test_an_unknown_code_is_a_404(client):
    assert client.get(url("ZZZZZZ")).status_code == 404
    assert client.post(url("ZZZZZZ"), json=body()).status_code == 404


def test_check_ins_wait_for_the_storytime_to_open(app, client):
    room = make_storytime(app, state="scheduled")
    response = client.get(url(room.code))
    assert response.status_code == 409 and response.get_json()["error"] == "not_open"
    assert client.post(url(room.code), json=body()).status_code == 409
    assert checkins(app) == []


def test_check_ins_stay_open_for_the_configured_hours_after_close(app, client, room):
    app.config["CHECKIN_HOURS_AFTER_CLOSE"] = 48
    set_storytime(app, room.id, state="closed", closed_at=now_utc() - timedelta(hours=47))
    assert client.get(url(room.code)).status_code == 200
    assert client.post(url(room.code), json=body()).status_code == 201
    set_storytime(app, room.id, closed_at=now_utc() - timedelta(hours=49))
    late = client.get(url(room.code))
    assert late.status_code == 409 and late.get_json()["error"] == "closed"
    assert client.post(url(room.code), json=body(client_id="too-late-now")).status_code == 409
    # A resend of what did get through still answers with it.
    assert client.post(url(room.code), json=body()).status_code == 200
    assert len(checkins(app)) == 1


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(words=st.text(max_size=500))
@example(words="Loved it\x00")
@example(words=" \u200b ")
def test_any_words_are_kept_as_sent_or_refused_cleanly(app, room, words):
    client = app.test_client()  # a new phone each time
    before = len(checkins(app))
    response = client.post(url(room.code), json=body(answers={}, comments={"liked": words}))
    if "\x00" in words:  # refused everywhere before any view runs (docs/security.md)
        assert response.status_code == 400 and response.get_json()["message"]
        assert len(checkins(app)) == before
        return
    if not clean_text(words):
        assert response.status_code == 422 and response.get_json()["field"] == "answers"
        return
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["comments"]["liked"] == clean_text(words)
