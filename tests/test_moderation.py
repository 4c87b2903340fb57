"""Moderation: what each action does, and who may do it (API and the no-script forms)."""

from __future__ import annotations

import re

import pytest
from factories import make_storytime
from live_support import post_share, share_state
from review_data import add_share
from seeded_world import Phone, seed, sign_in

from storytime.auth.tokens import create_token
from storytime.extensions import db
from storytime.models import Event, Share, Storytime, User
from storytime.review.recap import set_included
from storytime.share.moderation import moderate, save_note
from storytime.share.service import ShareGone, delete_share

ACTIONS = [
    ("PATCH", {"on_screen": False}),
    ("PATCH", {"pinned": True}),
    ("PATCH", {"starred": True}),
    ("DELETE", None),
]


def call(client, method, share_id, body=None, **kwargs):
    url = f"/api/v1/shares/{share_id}"
    if method == "DELETE":
        return client.delete(url, **kwargs)
    return client.patch(url, json=body, **kwargs)


@pytest.fixture
def room(app):
    """An open storytime at Central with one on-screen tip; return (storytime id, share id, token)."""
    storytime = make_storytime(app, "central")
    storytime_id, token = storytime.id, storytime.display_token
    share_id = post_share(app, storytime_id, "tip", "Bubbles calm my baby")
    return storytime_id, share_id, token


@pytest.mark.parametrize(("method", "body"), ACTIONS)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("caregiver_phone", 403),
        ("display_token", 403),
        ("librarian_other_branch", 403),
        ("librarian", None),
        ("coordinator", None),
        ("admin", None),
        ("bearer", None),
    ],
)
def test_who_may_moderate(app, client, staff, room, who, status, method, body):
    _storytime_id, share_id, token = room
    kwargs = {}
    if who == "caregiver_phone":
        client.set_cookie("st_phone", "a" * 32)
    elif who == "display_token":
        kwargs["headers"] = {"X-Display-Token": token}
    elif who == "librarian_other_branch":
        staff.signed_in(client, "librarian", "eastside")
    elif who in ("librarian", "coordinator", "admin"):
        staff.signed_in(client, who, "central")
    elif who == "bearer":
        user_id = staff.user("librarian", "script@central.example.org", "central")
        with app.app_context():
            secret = create_token(db.session.get(User, user_id), "script")
        kwargs["headers"] = {"Authorization": f"Bearer {secret}"}
    before = share_state(app, share_id)
    response = call(client, method, share_id, body, **kwargs)
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)
        after = share_state(app, share_id)
        assert after is not None and after.updated_at == before.updated_at, "it changed anyway"
    else:
        assert response.status_code == (204 if method == "DELETE" else 200)


def test_display_token_in_the_query_is_refused_too(app, client, room):
    _storytime_id, share_id, token = room
    response = client.patch(f"/api/v1/shares/{share_id}?token={token}", json={"starred": True})
    assert response.status_code == 403


def test_session_without_csrf_is_refused(app, client, staff, room):
    _storytime_id, share_id, _token = room
    staff.signed_in(client)
    response = client.patch(f"/api/v1/shares/{share_id}", json={"starred": True}, csrf=False)
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"
    assert not share_state(app, share_id).starred


def test_a_missing_share_is_404_for_staff_and_401_for_strangers(app, client, staff):
    assert client.patch("/api/v1/shares/999", json={"starred": True}).status_code == 401
    staff.signed_in(client)
    assert client.patch("/api/v1/shares/999", json={"starred": True}).status_code == 404
    assert client.delete("/api/v1/shares/999").status_code == 404


# A body that is not a JSON object gets 400 on every API call: see tests/test_errors.py.
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"on_screen": "false"},
        {"on_screen": 0},
        {"pinned": None},
        {"starred": 1},
        {"colour": "red"},
        {"starred": True, "text": "changed"},
    ],
)
def test_bad_moderation_bodies_get_422_and_change_nothing(app, client, staff, room, body):
    _storytime_id, share_id, _token = room
    staff.signed_in(client)
    before = share_state(app, share_id)
    response = client.patch(f"/api/v1/shares/{share_id}", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["message"]
    after = share_state(app, share_id)
    assert (after.on_screen, after.pinned, after.starred, after.text) == (
        before.on_screen,
        before.pinned,
        before.starred,
        before.text,
    )


def test_show_hide_pin_answer_star_and_delete(app, client, staff):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    tip = post_share(app, storytime_id, "tip", "Sing slowly")
    other = post_share(app, storytime_id, "tip", "Clap along")
    question = post_share(app, storytime_id, "question", "More music?", allow_screen=True)

    body = client.patch(f"/api/v1/shares/{tip}", json={"on_screen": False}).get_json()["share"]
    assert body["on_screen"] is False
    assert client.patch(f"/api/v1/shares/{tip}", json={"on_screen": True}).status_code == 200
    assert share_state(app, tip).on_screen

    client.patch(f"/api/v1/shares/{other}", json={"pinned": True})
    client.patch(f"/api/v1/shares/{tip}", json={"pinned": True})
    assert share_state(app, tip).pinned and not share_state(app, other).pinned, "one pin only"
    client.patch(f"/api/v1/shares/{tip}", json={"on_screen": False})
    assert not share_state(app, tip).pinned, "taking a share off screen unpins it"

    assert client.patch(f"/api/v1/shares/{question}", json={"answered": True}).status_code == 200
    assert share_state(app, question).answered
    assert client.patch(f"/api/v1/shares/{tip}", json={"answered": True}).status_code == 422

    both = {"starred": True, "on_screen": True}
    assert client.patch(f"/api/v1/shares/{tip}", json=both).get_json()["share"]["starred"]

    assert client.delete(f"/api/v1/shares/{tip}").status_code == 204
    assert share_state(app, tip) is None
    assert client.delete(f"/api/v1/shares/{tip}").status_code == 404


def test_a_staff_only_share_never_goes_on_screen(app, client, staff):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    private = post_share(app, storytime_id, "question", "Private", allow_screen=False)
    for change in ({"on_screen": True}, {"pinned": True}):
        response = client.patch(f"/api/v1/shares/{private}", json=change)
        assert response.status_code == 409
    assert not share_state(app, private).on_screen
    assert client.patch(f"/api/v1/shares/{private}", json={"starred": True}).status_code == 200


def test_a_held_share_is_released_by_showing_it(app, client, staff):
    storytime_id = make_storytime(app, moderation="review").id
    staff.signed_in(client)
    held = post_share(app, storytime_id, "tip", "Waiting for a look")
    assert share_state(app, held).held and not share_state(app, held).on_screen
    client.patch(f"/api/v1/shares/{held}", json={"on_screen": True})
    assert not share_state(app, held).held and share_state(app, held).on_screen


def test_two_dashboards_stay_in_step_through_the_event_log(app, staff):
    storytime_id = make_storytime(app).id
    share_id = post_share(app, storytime_id, "song", "Row your boat")
    laptop, phone = app.test_client(), app.test_client()
    staff.signed_in(laptop)
    staff.login(phone, "librarian@central.example.org")
    last = phone.get(f"/api/v1/storytimes/{storytime_id}/events").get_json()["last_id"]
    laptop.patch(f"/api/v1/shares/{share_id}", json={"starred": True})
    feed = phone.get(f"/api/v1/storytimes/{storytime_id}/events?after={last}").get_json()
    assert [(e["type"], e["share"]["starred"]) for e in feed["events"]] == [("share.updated", True)]
    laptop.delete(f"/api/v1/shares/{share_id}")
    feed = phone.get(f"/api/v1/storytimes/{storytime_id}/events?after={feed['last_id']}").get_json()
    assert feed["events"] == [
        {
            "id": feed["last_id"],
            "type": "share.deleted",
            "share": {"id": share_id},
            "counts": feed["events"][0]["counts"],
        }
    ]
    assert feed["events"][0]["counts"]["by_kind"]["song"] == 0


# --- the dashboard's forms, for browsers without JavaScript ---


@pytest.mark.parametrize(
    ("action", "flag", "value"),
    [
        ("hide", "on_screen", False),
        ("pin", "pinned", True),
        ("star", "starred", True),
    ],
)
def test_dashboard_buttons_work_without_javascript(app, client, staff, room, action, flag, value):
    storytime_id, share_id, _token = room
    staff.signed_in(client)
    response = client.post(
        f"/storytimes/{storytime_id}/live/shares/{share_id}", data={"action": action}
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/storytimes/{storytime_id}/live#share-{share_id}")
    assert getattr(share_state(app, share_id), flag) is value


def test_dashboard_delete_button_without_javascript(app, client, staff, room):
    storytime_id, share_id, _token = room
    staff.signed_in(client)
    client.post(f"/storytimes/{storytime_id}/live/shares/{share_id}", data={"action": "delete"})
    assert share_state(app, share_id) is None


def test_unknown_form_action_changes_nothing(app, client, staff, room):
    storytime_id, share_id, _token = room
    staff.signed_in(client)
    response = client.post(
        f"/storytimes/{storytime_id}/live/shares/{share_id}",
        data={"action": "explode"},
        follow_redirects=True,
    )
    assert "That action is not known" in response.get_data(as_text=True)
    assert share_state(app, share_id).on_screen


def test_form_actions_need_the_right_branch_and_csrf(app, client, staff, room):
    storytime_id, share_id, _token = room
    url = f"/storytimes/{storytime_id}/live/shares/{share_id}"
    assert client.post(url, data={"action": "hide"}).status_code == 302  # to the sign-in page
    staff.signed_in(client, "librarian", "eastside")
    assert client.post(url, data={"action": "hide"}).status_code == 403
    assert share_state(app, share_id).on_screen


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("close", lambda st: st.state == "closed"),
        ("quiet", lambda st: st.quiet),
        ("rotate", None),
    ],
)
def test_room_controls_without_javascript(app, client, staff, action, check):
    from storytime.models import Storytime

    storytime = make_storytime(app)

    storytime_id, token = storytime.id, storytime.display_token
    staff.signed_in(client)
    response = client.post(f"/storytimes/{storytime_id}/live/control", data={"action": action})
    assert response.status_code == 302
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        if check is None:
            assert storytime.display_token != token
        else:
            assert check(storytime)


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("display_token", 403), ("librarian_other_branch", 403), ("admin", 200)],
)
def test_who_may_rotate_the_display_link(app, client, staff, who, status):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    headers = {}
    if who == "display_token":
        headers = {"X-Display-Token": token}
    elif who == "librarian_other_branch":
        staff.signed_in(client, "librarian", "eastside")
    elif who == "admin":
        staff.signed_in(client, "admin", None)
    response = client.post(f"/api/v1/storytimes/{storytime_id}/display-token", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["display_url"].startswith("http://storytime.test/display/")
        assert token not in response.get_json()["display_url"]


# --- Once staff take a share off the screen, only staff put it back ------------------------

STAFF_HIDES = {
    "api": lambda staff, world, sid: staff.patch(
        f"/api/v1/shares/{sid}", json={"on_screen": False}
    ),
    "dashboard button": lambda staff, world, sid: staff.post(
        f"/storytimes/{world.storytime_id}/live/shares/{sid}", data={"action": "hide"}
    ),
    "recap take out": lambda staff, world, sid: staff.post(
        f"/review/storytimes/{world.storytime_id}/recap/shares",
        data={"share_id": sid, "included": "0"},
    ),
}


def phone_edit(phone, sid, **body):
    return phone.client.patch(
        f"/api/v1/storytimes/{phone.code}/shares/{sid}",
        json=body,
        headers={"X-CSRFToken": phone.token},
        csrf=False,
    )


def phone_edit_form(phone, sid, **fields):
    page = phone.client.get(f"/j/{phone.code}/shares/{sid}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return phone.client.post(
        f"/j/{phone.code}/shares/{sid}/edit",
        data={"csrf_token": token, "text": "Bubbles calm my baby", "name": "", **fields},
        csrf=False,
    )


CAREGIVER_TRIES = {
    "api on_screen true": lambda phone, sid: phone_edit(phone, sid, on_screen=True),
    "api new text": lambda phone, sid: phone_edit(phone, sid, text="Bubbles, really!"),
    "api new name": lambda phone, sid: phone_edit(phone, sid, name="Ana"),
    "api withdraw then allow": lambda phone, sid: (
        phone_edit(phone, sid, on_screen=False),
        phone_edit(phone, sid, on_screen=True),
    )[-1],
    "form with the screen": lambda phone, sid: phone_edit_form(phone, sid, on_screen="screen"),
    "form new text": lambda phone, sid: phone_edit_form(
        phone, sid, text="Bubbles, truly", on_screen="screen"
    ),
}


def on_display(app, world, sid: int) -> bool:
    """Return whether the room's screen (its feed and its page) carries the share now."""
    screen = app.test_client()
    feed = screen.get(
        f"/api/v1/storytimes/{world.storytime_id}/events?after=0",
        headers={"X-Display-Token": world.display_token},
    ).get_json()["events"]
    latest = [e["type"] for e in feed if e.get("share", {}).get("id") == sid]
    page = screen.get(f"/display/{world.display_token}").get_data(as_text=True)
    return bool(latest) and latest[-1] == "share.shown" and f'data-id="{sid}"' in page


@pytest.mark.parametrize("moderation", ["instant", "review"])
@pytest.mark.parametrize("hide", list(STAFF_HIDES))
@pytest.mark.parametrize("attempt", list(CAREGIVER_TRIES))
def test_a_caregiver_cannot_put_back_what_staff_took_off_the_screen(app, moderation, hide, attempt):
    world = seed(app)
    staff = app.test_client()
    sign_in(staff, world.users["librarian"])
    staff.patch(f"/api/v1/storytimes/{world.storytime_id}", json={"moderation": moderation})
    phone = Phone(app, world.code)
    sid = phone.share("Bubbles calm my baby", kind="tip", on_screen=True).get_json()["id"]
    if moderation == "review":
        staff.patch(f"/api/v1/shares/{sid}", json={"on_screen": True})
    assert on_display(app, world, sid)

    assert STAFF_HIDES[hide](staff, world, sid).status_code in (200, 302, 303)
    assert not on_display(app, world, sid)

    response = CAREGIVER_TRIES[attempt](phone, sid)
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    assert not on_display(app, world, sid), f"{attempt} put back a share staff hid ({hide})"
    mine = phone.client.get(f"/api/v1/storytimes/{world.code}/shares/mine").get_json()
    assert [s["shown"] for s in mine["shares"] if s["id"] == sid] == [False]

    # Staff still decide: showing it again works, and the caregiver's choice is kept.
    shown = staff.patch(f"/api/v1/shares/{sid}", json={"on_screen": True})
    assert shown.status_code == 200
    assert on_display(app, world, sid)


def room_with_a_tip_on_screen(app):
    """Return the seeded world, a signed-in librarian, a phone and its tip on the screen."""
    world = seed(app)
    staff = app.test_client()
    sign_in(staff, world.users["librarian"])
    phone = Phone(app, world.code)
    sid = phone.share("Bubbles calm my baby", kind="tip", on_screen=True).get_json()["id"]
    return world, staff, phone, sid


def test_a_caregiver_can_always_withdraw_even_after_staff_showed_it(app):
    world, staff, phone, sid = room_with_a_tip_on_screen(app)
    staff.patch(f"/api/v1/shares/{sid}", json={"on_screen": False})
    staff.patch(f"/api/v1/shares/{sid}", json={"pinned": True})
    assert on_display(app, world, sid)

    assert phone_edit(phone, sid, on_screen=False).get_json()["shown"] is False
    assert not on_display(app, world, sid)
    # Once withdrawn, not even staff may show it: the caregiver said no.
    assert staff.patch(f"/api/v1/shares/{sid}", json={"on_screen": True}).status_code == 409


def test_a_share_staff_showed_again_follows_the_caregivers_edits_as_before(app):
    world, staff, phone, sid = room_with_a_tip_on_screen(app)
    staff.patch(f"/api/v1/shares/{sid}", json={"on_screen": False})
    staff.patch(f"/api/v1/shares/{sid}", json={"on_screen": True})
    phone_edit(phone, sid, on_screen=False)
    assert phone_edit(phone, sid, on_screen=True).get_json()["shown"] is True
    assert on_display(app, world, sid)


def test_a_change_to_a_share_deleted_meanwhile_is_a_404_and_logs_nothing(app):
    storytime_id = make_storytime(app).id
    share_id = add_share(app, storytime_id, "question", "Books in Arabic?")
    with app.app_context():
        stale = db.session.get(Share, share_id)  # what another request still holds
        db.session.expunge(stale)
        delete_share(db.session.get(Share, share_id))
        logged = db.session.execute(db.select(db.func.count(Event.id))).scalar_one()
        changes = {
            "moderate": lambda: moderate(stale, {"starred": True}),
            "note": lambda: save_note(stale, "Shelf 3", answered=True),
            "recap": lambda: set_included(
                db.session.get(Storytime, storytime_id), share_id, included=True
            ),
        }
        for name, change in changes.items():
            with pytest.raises(ShareGone) as gone:
                change()
            assert gone.value.status == 404, name
        delete_share(stale)  # deleting again changes nothing
        assert db.session.execute(db.select(db.func.count(Event.id))).scalar_one() == logged
