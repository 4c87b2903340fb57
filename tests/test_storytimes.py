"""Librarians set up storytimes: create, edit, duplicate, delete, open and close, codes."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from storytime_helpers import KINDS, branch_id, create, form_data, read, storytime_count

from storytime.extensions import db
from storytime.models import Storytime
from storytime.storytimes import service


@pytest.fixture
def app_config(app_config):
    # A zone with daylight saving, so local-to-UTC conversion is really exercised.
    return {**app_config, "TIMEZONE": "America/Toronto"}


@pytest.fixture
def librarian(client, staff):
    staff.signed_in(client, "librarian", "central")
    return client


def test_a_librarian_creates_a_storytime_entered_in_library_time(app, librarian):
    response = librarian.post("/storytimes/new", data=form_data(branch_id(app)))

    assert response.status_code == 302
    storytime_id = int(response.location.split("/")[-1])
    stored = read(app, storytime_id)
    # 10:30 in Toronto in May (EDT, UTC-4) is 14:30 UTC.
    assert stored["starts_at"] == datetime(2030, 5, 6, 14, 30, tzinfo=UTC)
    assert stored["state"] == "scheduled"
    assert stored["prompts"][1] == ("tip", "Question for tip")
    assert re.fullmatch(f"[{service.CODE_ALPHABET}]{{6}}", stored["code"])
    page = librarian.get(response.location).get_data(as_text=True)
    assert "Baby Bounce" in page
    assert stored["code"] in page
    assert f"http://storytime.test/j/{stored['code']}" in page


def test_only_the_open_kinds_become_prompts_in_kind_order(app, librarian):
    storytime_id = create(
        librarian, branch_id(app), open_hello=None, open_question=None, open_idea=None
    )

    assert [kind for kind, _q in read(app, storytime_id)["prompts"]] == ["tip", "song"]


def test_the_new_form_suggests_questions_for_the_audience_and_theme(app, librarian):
    page = librarian.get("/storytimes/new?audience=babies&theme=Transportation")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "A tip for travelling with little ones" in html
    assert "Your baby&#39;s favourite song or rhyme" in html
    for kind in KINDS:
        assert re.search(rf'name="open_{kind}"[^>]*checked|checked[^>]*name="open_{kind}"', html)


def test_a_librarian_can_only_pick_her_own_branch(app, librarian, staff):
    staff.branch("Riverside", "riverside")
    html = librarian.get("/storytimes/new").get_data(as_text=True)

    assert "Central" in html
    assert "Riverside" not in html


BAD_INPUTS = [
    ({"title": ""}, "Give the storytime a title."),
    ({"title": "   "}, "Give the storytime a title."),
    ({"title": "x" * 201}, "200"),
    ({"starts_at": ""}, "Give the date and time it starts."),
    ({"starts_at": "next tuesday"}, "Not a valid datetime value."),
    ({"audience": "teenagers"}, "Not a valid choice"),
    ({"moderation": "never"}, "Not a valid choice"),
    ({"branch": "999"}, "Not a valid choice"),
    ({"theme": "t" * 201}, "200"),
    ({"question_tip": "q" * 301}, "300"),
    ({f"open_{kind}": None for kind in KINDS}, "Open at least one kind of share"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUTS)
def test_bad_input_re_renders_the_form_with_a_message_and_stores_nothing(
    app, librarian, changes, message
):
    response = librarian.post("/storytimes/new", data=form_data(branch_id(app), **changes))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "Nothing was saved yet" in html
    assert storytime_count(app) == 0


def test_a_librarian_cannot_create_at_another_branch(app, librarian, staff):
    other = staff.branch("Riverside", "riverside")

    response = librarian.post("/storytimes/new", data=form_data(other))

    assert response.status_code == 422
    assert storytime_count(app) == 0


def test_the_form_is_csrf_protected(app, librarian):
    response = librarian.post("/storytimes/new", data=form_data(branch_id(app)), csrf=False)

    assert response.status_code == 400
    assert storytime_count(app) == 0


def test_editing_changes_details_and_prompts_but_keeps_code_and_link(app, librarian):
    storytime_id = create(librarian, branch_id(app))
    before = read(app, storytime_id)

    edit = librarian.get(f"/storytimes/{storytime_id}/edit")
    assert edit.status_code == 200
    assert 'value="2030-05-06T10:30"' in edit.get_data(as_text=True)
    response = librarian.post(
        f"/storytimes/{storytime_id}/edit",
        data=form_data(
            branch_id(app),
            title="Toddler Time",
            audience="toddlers",
            moderation="review",
            open_hello=None,
            question_song="Which song makes your toddler dance?",
        ),
    )

    assert response.status_code == 302
    after = read(app, storytime_id)
    assert after["title"] == "Toddler Time"
    assert after["moderation"] == "review"
    assert ("song", "Which song makes your toddler dance?") in after["prompts"]
    assert "hello" not in [kind for kind, _q in after["prompts"]]
    assert after["code"] == before["code"]
    assert after["display_token"] == before["display_token"]


def test_a_bad_edit_changes_nothing(app, librarian):
    storytime_id = create(librarian, branch_id(app))
    before = read(app, storytime_id)

    response = librarian.post(
        f"/storytimes/{storytime_id}/edit",
        data=form_data(branch_id(app), title="", **{f"open_{k}": None for k in KINDS}),
    )

    assert response.status_code == 422
    assert "Open at least one kind of share" in response.get_data(as_text=True)
    assert read(app, storytime_id) == before


def test_run_again_from_a_session_still_ahead_is_a_week_later(app, librarian):
    storytime_id = create(librarian, branch_id(app), open_idea=None)
    librarian.post(f"/storytimes/{storytime_id}/state", data={"state": "open"})
    librarian.post(f"/storytimes/{storytime_id}/state", data={"state": "closed"})
    original = read(app, storytime_id)

    response = librarian.post(f"/storytimes/{storytime_id}/duplicate")

    assert response.status_code == 302
    copy_id = int(response.location.split("/")[-1])
    assert copy_id != storytime_id
    copy = read(app, copy_id)
    assert copy["starts_at"] == original["starts_at"] + timedelta(days=7)
    assert copy["prompts"] == original["prompts"]
    assert copy["state"] == "scheduled"
    assert copy["code"] != original["code"]
    assert copy["display_token"] != original["display_token"]
    assert {copy[k] == original[k] for k in ("title", "audience", "theme", "moderation")} == {True}
    assert storytime_count(app) == 2


def test_delete_asks_first_then_deletes(app, librarian):
    storytime_id = create(librarian, branch_id(app))

    confirm = librarian.get(f"/storytimes/{storytime_id}/delete")
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.get_data(as_text=True)
    assert storytime_count(app) == 1

    response = librarian.post(f"/storytimes/{storytime_id}/delete")
    assert response.status_code == 302
    assert read(app, storytime_id) is None
    assert librarian.get(f"/storytimes/{storytime_id}").status_code == 404


def test_an_open_storytime_must_be_closed_before_it_is_deleted(app, librarian):
    storytime_id = create(librarian, branch_id(app))
    librarian.post(f"/storytimes/{storytime_id}/state", data={"state": "open"})

    response = librarian.post(f"/storytimes/{storytime_id}/delete")

    assert response.status_code == 409
    assert "Close it before deleting it." in response.get_data(as_text=True)
    assert storytime_count(app) == 1


def test_delete_without_csrf_deletes_nothing(app, librarian):
    storytime_id = create(librarian, branch_id(app))

    assert librarian.post(f"/storytimes/{storytime_id}/delete", csrf=False).status_code == 400
    assert storytime_count(app) == 1


def test_open_and_close_from_the_storytime_page(app, librarian):
    storytime_id = create(librarian, branch_id(app))
    page = librarian.get(f"/storytimes/{storytime_id}").get_data(as_text=True)
    assert "Open for sharing" in page

    librarian.post(f"/storytimes/{storytime_id}/state", data={"state": "open"})
    assert read(app, storytime_id)["state"] == "open"
    page = librarian.get(f"/storytimes/{storytime_id}").get_data(as_text=True)
    assert "Close sharing" in page
    assert f'href="/storytimes/{storytime_id}/live"' in page
    assert "http://storytime.test/display/" in page

    librarian.post(f"/storytimes/{storytime_id}/state", data={"state": "closed"})
    assert read(app, storytime_id)["state"] == "closed"


def test_an_unknown_state_is_refused(app, librarian):
    storytime_id = create(librarian, branch_id(app))

    response = librarian.post(f"/storytimes/{storytime_id}/state", data={"state": "paused"})

    assert response.status_code == 400
    assert read(app, storytime_id)["state"] == "scheduled"


def test_the_list_shows_a_librarian_her_branch_only(app, client, staff):
    staff.signed_in(client, "coordinator", "central")
    central = branch_id(app)
    riverside = staff.branch("Riverside", "riverside")
    create(client, central, title="Central Rhymes")
    create(client, riverside, title="Riverside Songs")
    client.post("/logout")
    other = client.application.test_client()
    staff.signed_in(other, "librarian", "riverside")

    html = other.get("/storytimes").get_data(as_text=True)

    assert "Riverside Songs" in html
    assert "Central Rhymes" not in html
    # The start page shows the same list to staff.
    assert "Riverside Songs" in other.get("/").get_data(as_text=True)


def test_coordinators_see_every_branch_and_filter_by_branch(app, client, staff):
    staff.signed_in(client, "coordinator", "central")
    riverside = staff.branch("Riverside", "riverside")
    create(client, branch_id(app), title="Central Rhymes")
    create(client, riverside, title="Riverside Songs")

    everything = client.get("/storytimes").get_data(as_text=True)
    filtered = client.get("/storytimes?branch=riverside").get_data(as_text=True)

    assert "Central Rhymes" in everything and "Riverside Songs" in everything
    assert "Riverside Songs" in filtered and "Central Rhymes" not in filtered
    assert client.get("/storytimes?branch=nowhere").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/storytimes/{id}"),
        ("get", "/storytimes/{id}/edit"),
        ("post", "/storytimes/{id}/edit"),
        ("get", "/storytimes/{id}/delete"),
        ("post", "/storytimes/{id}/delete"),
        ("post", "/storytimes/{id}/duplicate"),
        ("post", "/storytimes/{id}/state"),
        ("get", "/storytimes/{id}/qr.png"),
        ("get", "/storytimes/{id}/qr.svg"),
        ("get", "/storytimes/{id}/card"),
    ],
)
def test_a_librarian_of_another_branch_gets_403(app, client, staff, method, path):
    staff.signed_in(client, "coordinator", "central")
    storytime_id = create(client, branch_id(app))
    intruder = client.application.test_client()
    staff.signed_in(intruder, "librarian", "riverside")

    response = getattr(intruder, method)(
        path.format(id=storytime_id), data=form_data(branch_id(app), title="Hijacked")
    )

    assert response.status_code == 403
    assert read(app, storytime_id)["title"] == "Baby Bounce"
    assert storytime_count(app) == 1


@pytest.mark.parametrize("path", ["/storytimes", "/storytimes/new", "/storytimes/1"])
def test_staff_pages_need_a_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert "/login" in response.location


def _scripted_choice(monkeypatch, letters: str) -> None:
    """Make code generation pick these letters in turn, then 'Z' for ever."""
    supply = itertools.chain(letters, itertools.repeat("Z"))
    monkeypatch.setattr(service.secrets, "choice", lambda alphabet: next(supply))


def test_codes_are_unique_among_storytimes_that_are_not_closed(app, librarian, monkeypatch):
    # The second storytime draws BBBBBB first, which the first one holds, then CCCCCC.
    _scripted_choice(monkeypatch, "B" * 6 + "B" * 6 + "C" * 6)
    first = create(librarian, branch_id(app))
    second = create(librarian, branch_id(app))

    assert read(app, first)["code"] == "BBBBBB"
    assert read(app, second)["code"] == "CCCCCC"


def test_a_closed_storytime_frees_its_code_and_gets_a_new_one_if_reopened(
    app, librarian, monkeypatch
):
    _scripted_choice(monkeypatch, "B" * 6 + "B" * 6 + "D" * 6)
    first = create(librarian, branch_id(app))
    librarian.post(f"/storytimes/{first}/state", data={"state": "closed"})
    second = create(librarian, branch_id(app))  # BBBBBB is free again
    assert read(app, second)["code"] == "BBBBBB"

    librarian.post(f"/storytimes/{first}/state", data={"state": "open"})  # draws DDDDDD

    assert read(app, first)["code"] == "DDDDDD"
    assert read(app, first)["state"] == "open"


def test_duplicate_draws_a_code_no_live_storytime_uses(app, librarian, monkeypatch):
    _scripted_choice(monkeypatch, "B" * 6 + "B" * 6 + "F" * 6)
    first = create(librarian, branch_id(app))

    response = librarian.post(f"/storytimes/{first}/duplicate")

    assert read(app, int(response.location.split("/")[-1]))["code"] == "FFFFFF"


@pytest.mark.parametrize("typed", ["bcdfgh", "BCD-FGH", " bcd fgh ", "Bcd-Fgh"])
def test_codes_are_found_whatever_the_case_spaces_or_dashes(app, librarian, typed):
    storytime_id = create(librarian, branch_id(app))
    with app.app_context():
        db.session.get(Storytime, storytime_id).code = "BCDFGH"
        db.session.commit()
        assert service.find_live_by_code(typed).id == storytime_id
        assert service.find_by_code(typed).id == storytime_id


def test_the_code_alphabet_has_no_look_alikes():
    assert not set("01OIL") & set(service.CODE_ALPHABET)
    assert service.CODE_LENGTH >= 6
