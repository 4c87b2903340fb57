"""A TV is set up once: permanent screen links per branch room, and pairing by a short code."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from factories import Staff, close_app, make_app, make_branch, make_storytime
from flask import render_template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from storytime.extensions import db
from storytime.models import Branch, DisplayPairing, DisplayScreen, Storytime, now_utc
from storytime.screens import service
from storytime.storytimes.service import CODE_ALPHABET

TV_CODE = re.compile(r'id="tv-code"[^>]*>([A-Z0-9]+)<')


# --- helpers ---


def room(app, storytime_id: int, name: str) -> None:
    """Put a storytime in a named room of its branch."""
    with app.app_context():
        db.session.get(Storytime, storytime_id).room = name
        db.session.commit()


def change(app, storytime_id: int, **values) -> None:
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        for name, value in values.items():
            setattr(storytime, name, value)
        db.session.commit()


def screen_token(app, branch: str = "central", name: str = "") -> str:
    """Return the token of a branch room's screen, made (as on the screens page) if missing."""
    with app.app_context():
        place = db.session.get(Branch, make_branch(app, branch.title(), branch))
        found = service.find_screen(place.id, name)
        return (found or service.add_screen(place, name)).token


def showing(client, token: str):
    response = client.get(f"/screen/{token}/now")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["storytime_id"]


def tv_code(tv) -> str:
    """Open /tv as a TV; return the code it shows."""
    response = tv.get("/tv")
    assert response.status_code == 200
    return TV_CODE.search(response.get_data(as_text=True)).group(1)


@pytest.fixture
def librarian(app, client, staff):
    staff.signed_in(client, "librarian", "central")
    return client


@pytest.fixture
def tv(app):
    return app.test_client()


# --- what a screen shows ---


def test_a_screen_follows_its_room_open_then_scheduled_then_idle(app, client, staff):
    staff.branch("Central", "central")
    token = screen_token(app)
    assert showing(client, token) is None
    idle = client.get(f"/screen/{token}")
    assert idle.status_code == 200
    page = idle.get_data(as_text=True)
    assert "Central" in page and "No storytime right now" in page
    assert "storytime.test/b/central" in page  # the branch QR's link, spelled out under it

    later = make_storytime(
        app, state="scheduled", title="Next week", starts_at=now_utc() + timedelta(days=7)
    )
    sooner = make_storytime(
        app, state="scheduled", title="Tomorrow", starts_at=now_utc() + timedelta(days=1)
    )
    assert showing(client, token) == sooner.id
    assert "Tomorrow" in client.get(f"/screen/{token}").get_data(as_text=True)

    opened = make_storytime(app, title="Rhymes now")
    assert showing(client, token) == opened.id
    assert "Rhymes now" in client.get(f"/screen/{token}").get_data(as_text=True)

    # Closed a moment ago: its goodbye stays on the screen for a while, then the next one.
    change(app, opened.id, state="closed", closed_at=now_utc())
    assert showing(client, token) == opened.id
    change(app, opened.id, closed_at=now_utc() - service.GOODBYE - timedelta(seconds=1))
    assert showing(client, token) == sooner.id

    change(app, sooner.id, state="closed", closed_at=now_utc() - timedelta(days=1))
    change(app, later.id, starts_at=now_utc() - timedelta(days=1))  # missed, long ago
    assert showing(client, token) is None


def test_with_several_open_it_shows_the_most_recently_opened(app, client, staff):
    token = screen_token(app)
    first = make_storytime(app, title="First")
    second = make_storytime(app, title="Second")
    change(app, first.id, opened_at=now_utc() - timedelta(minutes=1))
    change(app, second.id, opened_at=now_utc() - timedelta(minutes=30))

    assert showing(client, token) == first.id


def test_an_open_storytime_wins_over_one_that_just_closed(app, client, staff):
    token = screen_token(app)
    closed = make_storytime(app, state="closed", title="Earlier")
    opened = make_storytime(app, title="Back to back")

    assert showing(client, token) == opened.id
    assert closed.id != opened.id


def test_each_room_has_its_own_screen(app, client, staff):
    main = screen_token(app)
    hall = screen_token(app, name="Hall")
    in_hall = make_storytime(app, title="In the hall")
    room(app, in_hall.id, "  hall ")  # a room is the same whatever its case and spaces
    in_main = make_storytime(app, title="In the main room", state="scheduled")

    assert showing(client, hall) == in_hall.id
    assert showing(client, main) == in_main.id
    page = client.get(f"/screen/{main}").get_data(as_text=True)
    assert "In the hall" not in page


def test_other_branches_never_reach_a_screen(app, client, staff):
    token = screen_token(app)
    make_storytime(app, "east", title="Across town")

    assert showing(client, token) is None
    assert "Across town" not in client.get(f"/screen/{token}").get_data(as_text=True)


@pytest.mark.parametrize("token", ["nope", "x" * 32])
def test_an_unknown_link_says_to_pair_the_tv_again(app, client, staff, token):
    screen_token(app)

    page = client.get(f"/screen/{token}")
    assert page.status_code == 404
    assert "Pair this TV again" in page.get_data(as_text=True)
    assert 'href="/tv"' in page.get_data(as_text=True)
    now = client.get(f"/screen/{token}/now")
    assert now.status_code == 404
    assert now.get_json()["error"] == "not_valid"
    assert "Pair the TV again" in now.get_json()["message"]


def test_screen_pages_are_never_cached_and_leak_no_referrer(app, client, staff):
    token = screen_token(app)
    response = client.get(f"/screen/{token}")

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_now_says_only_which_storytime(app, client, staff):
    token = screen_token(app)
    make_storytime(app)

    assert set(client.get(f"/screen/{token}/now").get_json()) == {"storytime_id"}


# --- staff manage screens ---


def test_replacing_a_link_stops_the_old_one_at_once(app, client, librarian):
    old = screen_token(app)
    make_storytime(app)
    assert client.get(f"/screen/{old}").status_code == 200
    with app.app_context():
        screen_id = service.find_by_token(old).id

    response = client.post(f"/b/central/screens/{screen_id}/replace")

    assert response.status_code == 303
    assert client.get(f"/screen/{old}").status_code == 404
    assert client.get(f"/screen/{old}/now").status_code == 404
    new = screen_token(app)
    assert new != old
    assert client.get(f"/screen/{new}").status_code == 200
    assert f"/screen/{new}" in client.get("/b/central/screens").get_data(as_text=True)


def test_the_screens_page_lists_links_with_their_qr(app, client, librarian):
    token = screen_token(app)

    page = client.get("/b/central/screens").get_data(as_text=True)

    assert f"http://storytime.test/screen/{token}" in page
    assert 'class="qr qr-screen"' in page
    assert "Replace link" in page and "Add a room" in page


def test_a_branch_without_a_screen_offers_to_make_the_main_rooms_link(app, client, librarian):
    assert "Make its link" in client.get("/b/central/screens").get_data(as_text=True)

    response = client.post("/b/central/screens", data={"room": ""})

    assert response.status_code == 303
    page = client.get("/b/central/screens").get_data(as_text=True)
    assert "Make its link" not in page and "Main room" in page


def test_adding_a_room_gives_it_a_link_once(app, client, librarian):
    assert client.post("/b/central/screens", data={"room": " Story  Hall "}).status_code == 303
    with app.app_context():
        rooms = [s.room for s in db.session.execute(db.select(DisplayScreen)).scalars()]
    assert rooms == ["Story Hall"]

    again = client.post("/b/central/screens", data={"room": "story hall"})
    assert again.status_code == 409
    assert "Story Hall already has a screen link." in again.get_data(as_text=True)

    too_long = client.post("/b/central/screens", data={"room": "x" * 61})
    assert too_long.status_code == 422
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(DisplayScreen.id))).scalar_one() == 1


def test_staff_forms_need_their_csrf_token(app, client, librarian):
    response = client.post("/b/central/screens", data={"room": "Hall"}, csrf=False)

    assert response.status_code == 400
    with app.app_context():
        assert db.session.execute(db.select(DisplayScreen)).first() is None


def test_a_librarian_manages_only_their_own_branch(app, client, staff):
    staff.branch("East", "east")
    east = screen_token(app, "east")
    with app.app_context():
        east_id = service.find_by_token(east).id
    east_storytime = make_storytime(app, "east")
    staff.signed_in(client, "librarian", "central")

    assert client.get("/screens").location == "/b/central/screens"
    assert client.get("/b/east/screens").status_code == 403
    assert client.post("/b/east/screens", data={"room": "Hall"}).status_code == 403
    assert client.post(f"/b/east/screens/{east_id}/replace").status_code == 403
    assert client.post(f"/b/central/screens/{east_id}/replace").status_code == 404
    code = tv_code(app.test_client())
    for target in ({"screen_id": east_id}, {"storytime_id": east_storytime.id}):
        assert client.post("/screens/pair", data={"code": code, **target}).status_code == 403
    assert screen_token(app, "east") == east
    with app.app_context():
        assert db.session.execute(db.select(DisplayPairing.screen_id)).scalar_one() is None


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_manage_every_branch(app, client, staff, role):
    staff.branch("Central", "central")
    staff.branch("East", "east")
    staff.signed_in(client, role, None)

    index = client.get("/screens").get_data(as_text=True)
    assert "/b/central/screens" in index and "/b/east/screens" in index
    assert client.get("/b/east/screens").status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/screens"),
        ("GET", "/b/central/screens"),
        ("POST", "/b/central/screens"),
        ("POST", "/b/central/screens/1/replace"),
        ("POST", "/screens/pair"),
    ],
)
def test_staff_pages_ask_visitors_to_sign_in(app, client, staff, method, url):
    staff.branch("Central", "central")

    response = client.open(url, method=method, data={"code": "BCDFGH", "screen_id": 1})

    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_the_dashboard_pair_form_names_the_storytime_and_the_rooms_link(app, staff):
    made = make_storytime(app)
    token = screen_token(app)
    with app.test_request_context(f"/storytimes/{made.id}/live"):
        storytime = db.session.get(Storytime, made.id)
        html = render_template("screens/_pair_form.html", storytime=storytime)

    assert 'action="/screens/pair"' in html
    assert f'name="storytime_id" value="{made.id}"' in html
    assert f'name="next" value="/storytimes/{made.id}/live"' in html
    assert 'name="csrf_token"' in html
    assert f"http://storytime.test/screen/{token}" in html
    assert "Open storytime.test/tv on the TV" in html


# --- pairing a TV ---


def test_a_tv_shows_a_short_code_and_keeps_only_a_hash_of_its_secret(app, tv, staff):
    response = tv.get("/tv")

    code = TV_CODE.search(response.get_data(as_text=True)).group(1)
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    assert "Type this code on the librarian's dashboard:" in response.get_data(as_text=True)
    cookie = tv.get_cookie("st_tv", path="/tv")
    assert cookie.http_only and cookie.path == "/tv"
    with app.app_context():
        pairing = db.session.execute(db.select(DisplayPairing)).scalar_one()
        assert pairing.code == code
        assert pairing.secret_hash == hashlib.sha256(cookie.value.encode()).hexdigest()
        assert cookie.value not in pairing.secret_hash
        lifetime = pairing.expires_at - pairing.created_at
        assert lifetime == timedelta(minutes=15)
    # Reloading (or "Check again") keeps the same code.
    assert tv_code(tv) == code
    assert tv.get("/tv/status").get_json() == {"state": "waiting", "code": code}


def test_a_librarian_pairs_a_tv_with_the_storytimes_room(app, tv, librarian):
    made = make_storytime(app)
    code = tv_code(tv)

    response = librarian.post(
        "/screens/pair",
        data={
            "code": f" {code.lower()[:3]}-{code[3:]} ",
            "storytime_id": made.id,
            "next": f"/storytimes/{made.id}/live",
        },
    )

    assert response.status_code == 303
    assert response.location == f"/storytimes/{made.id}/live"
    status = tv.get("/tv/status").get_json()
    token = screen_token(app)
    assert status == {"state": "paired", "url": f"/screen/{token}"}
    assert showing(tv, token) == made.id
    # The link is handed over once; the pairing is used up.
    assert tv.get("/tv/status").status_code == 400
    with app.app_context():
        assert db.session.execute(db.select(DisplayPairing)).first() is None


def test_a_tv_without_script_checks_again_and_lands_on_its_screen(app, tv, librarian):
    code = tv_code(tv)
    token = screen_token(app, name="Hall")
    with app.app_context():
        screen_id = service.find_by_token(token).id

    assert (
        librarian.post("/screens/pair", data={"code": code, "screen_id": screen_id}).status_code
        == 303
    )

    response = tv.get("/tv")
    assert response.status_code == 302
    assert response.location == f"/screen/{token}"


def test_pairing_answers_json_to_a_script(app, tv, librarian):
    made = make_storytime(app)
    code = tv_code(tv)
    headers = {"Accept": "application/json"}

    wrong = librarian.post(
        "/screens/pair", data={"code": "BBBBBB", "storytime_id": made.id}, headers=headers
    )
    assert wrong.status_code == 422
    assert wrong.get_json()["field"] == "code" and wrong.get_json()["error"] == "invalid"
    right = librarian.post(
        "/screens/pair", data={"code": code, "storytime_id": made.id}, headers=headers
    )
    assert right.status_code == 200
    assert right.get_json()["link"] == f"http://storytime.test/screen/{screen_token(app)}"


@pytest.mark.parametrize("typed", ["", "   ", "BBBBBB", "K7P4QX0", "<b>"])
def test_a_wrong_code_is_refused_and_changes_nothing(app, tv, librarian, typed):
    made = make_storytime(app)
    tv_code(tv)

    response = librarian.post("/screens/pair", data={"code": typed, "storytime_id": made.id})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Type the code the TV shows" in page
    assert "type it again" in page or "Type the code the TV shows." in page
    assert tv.get("/tv/status").get_json()["state"] == "waiting"
    with app.app_context():
        assert db.session.execute(db.select(DisplayScreen)).first() is None


def test_an_expired_code_is_refused(app, tv, librarian):
    made = make_storytime(app)
    code = tv_code(tv)
    with app.app_context():
        pairing = db.session.execute(db.select(DisplayPairing)).scalar_one()
        pairing.expires_at = now_utc() - timedelta(seconds=1)
        db.session.commit()

    response = librarian.post("/screens/pair", data={"code": code, "storytime_id": made.id})

    assert response.status_code == 422
    assert "it has expired" in response.get_data(as_text=True)
    assert tv.get("/tv/status").get_json() == {"state": "expired"}
    # Opening /tv again gives a fresh code, and frees the old one.
    assert tv_code(tv) != code
    with app.app_context():
        assert db.session.execute(db.select(DisplayPairing.code)).scalars().all() != [code]


def test_a_code_pairs_one_tv_once(app, tv, librarian):
    made = make_storytime(app)
    code = tv_code(tv)
    hall = screen_token(app, name="Hall")
    with app.app_context():
        hall_id = service.find_by_token(hall).id
    assert (
        librarian.post("/screens/pair", data={"code": code, "storytime_id": made.id}).status_code
        == 303
    )

    again = librarian.post("/screens/pair", data={"code": code, "screen_id": hall_id})

    assert again.status_code == 422
    assert tv.get("/tv/status").get_json()["url"] == f"/screen/{screen_token(app)}"


def test_only_the_tv_that_showed_the_code_gets_the_link(app, tv, librarian):
    made = make_storytime(app)
    code = tv_code(tv)
    other_tv = app.test_client()
    other_code = tv_code(other_tv)
    assert (
        librarian.post("/screens/pair", data={"code": code, "storytime_id": made.id}).status_code
        == 303
    )

    # Another TV sees only its own pairing, and cannot pass off a made-up secret.
    assert other_tv.get("/tv/status").get_json() == {"state": "waiting", "code": other_code}
    assert b"/screen/" not in other_tv.get("/tv").get_data()
    stranger = app.test_client()
    stranger.set_cookie("st_tv", "made-up-secret", path="/tv")
    assert stranger.get("/tv/status").get_json() == {"state": "expired"}
    assert tv.get("/tv/status").get_json()["state"] == "paired"


def test_the_status_needs_the_tvs_cookie(app, client):
    response = client.get("/tv/status")

    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "no_pairing" and "/tv" in body["message"]


def test_replacing_the_link_cancels_a_pairing_not_yet_collected(app, tv, librarian):
    made = make_storytime(app)
    code = tv_code(tv)
    assert (
        librarian.post("/screens/pair", data={"code": code, "storytime_id": made.id}).status_code
        == 303
    )
    with app.app_context():
        screen_id = service.find_by_token(screen_token(app)).id

    assert librarian.post(f"/b/central/screens/{screen_id}/replace").status_code == 303

    assert tv.get("/tv/status").get_json() == {"state": "expired"}


def test_the_pair_form_needs_a_screen_or_a_storytime(app, tv, librarian):
    code = tv_code(tv)

    assert librarian.post("/screens/pair", data={"code": code}).status_code == 400
    assert librarian.post("/screens/pair", data={"code": code, "screen_id": 999}).status_code == 404
    assert librarian.post("/screens/pair", data={"code": code}, csrf=False).status_code == 400


@pytest.fixture
def limited_app(app_config):
    """Return a maker of apps with rate limits on; each is closed after the test.

    An app left open keeps its pooled PostgreSQL connections until the garbage collector
    finds them, in some later test, still open.
    """
    made = []

    def build(**limits):
        app = make_app({**app_config, "RATELIMIT_ENABLED": True, **limits})
        made.append(app)
        return app

    yield build
    for app in made:
        close_app(app)


def test_pairing_is_rate_limited_per_account(limited_app):
    app = limited_app(RATELIMIT_SCREEN_PAIRING="3/minute")
    made = make_storytime(app)
    client = app.test_client()
    Staff(app).signed_in(client, "librarian", "central")
    statuses = [
        client.post("/screens/pair", data={"code": "BBBBBB", "storytime_id": made.id}).status_code
        for _ in range(4)
    ]

    assert statuses == [422, 422, 422, 429]
    # Even the right code waits: guessing is what is being slowed.
    code = tv_code(app.test_client())
    assert (
        client.post("/screens/pair", data={"code": code, "storytime_id": made.id}).status_code
        == 429
    )


def test_starting_pairings_is_rate_limited_per_address(limited_app):
    app = limited_app(RATELIMIT_TV_PAIRING="2/hour")
    first, second, third = (app.test_client() for _ in range(3))

    assert first.get("/tv").status_code == 200
    assert second.get("/tv").status_code == 200
    assert third.get("/tv").status_code == 429
    # A TV showing its code may reload as often as it likes.
    assert first.get("/tv").status_code == 200


ROOM_PIECES = (
    "a",
    "Hall",
    "  ",
    "\t",
    "مرحبا",
    "\u202e",
    "👩‍👧‍👦",
    "<b>",
    "&amp;",
    "\"'",
    "e\u0301",
    "ß",
)
ROOM_TEXT = st.lists(st.sampled_from(ROOM_PIECES), max_size=20).map("".join)


@given(name=ROOM_TEXT)
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_room_name_gets_a_link_or_a_clear_error_and_only_its_storytimes(app, librarian, name):
    client = librarian
    with app.app_context():
        db.session.execute(db.delete(DisplayScreen))
        db.session.execute(db.delete(Storytime))
        db.session.commit()
    stored = " ".join(name.split())

    response = client.post("/b/central/screens", data={"room": name})

    if len(stored) > service.ROOM_MAX:
        assert response.status_code == 422
        assert "at most 60 characters" in response.get_data(as_text=True)
        return
    assert response.status_code == 303, response.get_data(as_text=True)
    token = screen_token(app, name=stored)
    here = make_storytime(app, title="Here", state="scheduled")
    room(app, here.id, stored)
    elsewhere = make_storytime(app, title="Elsewhere")
    room(app, elsewhere.id, stored + " annex")
    assert showing(client, token) == here.id
    page = client.get("/b/central/screens").get_data(as_text=True)
    assert "<b>" not in page  # every name is escaped
    if stored:
        assert str(escape(stored)) in page
