"""The families' take-home recap: only what was starred or shown, never staff-only, only when published."""

from __future__ import annotations

import re

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from review_data import add_share, set_state

from storytime.extensions import db
from storytime.models import Share, Storytime


@pytest.fixture
def ended(app):
    """A storytime with every sort of share, then closed; return (id, code)."""
    st = make_storytime(app, title="Baby Rhyme Time").id
    add_share(app, st, "tip", "Sing in the car", name="Amira", starred=True, on_screen=False)
    add_share(app, st, "song", "Frère Jacques 🎵", on_screen=True)
    add_share(app, st, "question", "Bilingual books?", note="Shelf by the window!", starred=True)
    add_share(app, st, "tip", "SECRET staff-only tip", allow_screen=False, starred=True)
    add_share(app, st, "question", "SECRET private question", allow_screen=False, note="x")
    add_share(app, st, "tip", "HIDDEN tip nobody starred", on_screen=False, starred=False)
    add_share(app, st, "song", "HELD song", held=True, on_screen=False, starred=True)
    add_share(app, st, "hello", "Hello from SECRETNAME", name="SECRETNAME", on_screen=True)
    set_state(app, st, "closed")
    with app.app_context():
        return st, db.session.get(Storytime, st).code


def _publish(app, st, note="See you next week!"):
    with app.app_context():
        storytime = db.session.get(Storytime, st)
        storytime.recap_published = True
        storytime.recap_note = note
        db.session.commit()


@pytest.mark.parametrize("path", ["/j/{code}", "/j/{code}/recap"])
def test_a_published_recap_shows_only_starred_or_shown_public_shares(app, client, ended, path):
    st, code = ended
    _publish(app, st)
    page = client.get(path.format(code=code))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for expected in ("Sing in the car", "Frère Jacques", "Bilingual books?",
                     "Shelf by the window!", "See you next week!"):  # fmt: skip
        assert expected in html
    for hidden in ("SECRET", "HIDDEN", "HELD", "Amira"):  # names are off by default
        assert hidden not in html


def test_an_unpublished_recap_is_not_public(app, client, ended):
    _st, code = ended
    html = client.get(f"/j/{code}").get_data(as_text=True)
    assert "Sing in the car" not in html
    response = client.get(f"/j/{code}/recap")
    assert response.status_code == 404
    # The goodbye screen's QR leads here before publishing: families are told to come back.
    assert "The recap is not ready yet" in response.get_data(as_text=True)
    assert "Sing in the car" not in response.get_data(as_text=True)


def test_a_recap_of_a_storytime_still_running_is_not_public(app, client):
    st = make_storytime(app).id
    add_share(app, st, "tip", "Starred while open", starred=True)
    _publish(app, st)
    with app.app_context():
        code = db.session.get(Storytime, st).code
    assert client.get(f"/j/{code}/recap").status_code == 404
    assert client.get("/j/NOSUCH/recap").status_code == 404


def test_the_librarian_edits_and_publishes_the_recap(app, client, staff, ended):
    st, code = ended
    staff.signed_in(client)
    editor = client.get(f"/review/storytimes/{st}/recap")
    assert editor.status_code == 200
    assert "SECRET" not in editor.get_data(as_text=True)  # staff-only shares are not even offered

    response = client.post(
        f"/review/storytimes/{st}/recap",
        data={"note": "Thank you for coming", "published": "y"},
    )
    assert response.status_code == 303
    assert "Thank you for coming" in client.get(f"/j/{code}").get_data(as_text=True)

    with app.app_context():
        hidden = db.session.execute(
            db.select(Share.id).where(Share.text == "HIDDEN tip nobody starred")
        ).scalar_one()
        tip = db.session.execute(
            db.select(Share.id).where(Share.text == "Sing in the car")
        ).scalar_one()
        private = db.session.execute(
            db.select(Share.id).where(Share.text == "SECRET staff-only tip")
        ).scalar_one()
    client.post(f"/review/storytimes/{st}/recap/shares", data={"share_id": hidden, "included": "1"})
    client.post(f"/review/storytimes/{st}/recap/shares", data={"share_id": tip, "included": "0"})
    refused = client.post(
        f"/review/storytimes/{st}/recap/shares", data={"share_id": private, "included": "1"}
    )
    assert refused.status_code == 409
    html = client.get(f"/j/{code}/recap").get_data(as_text=True)
    assert "HIDDEN tip nobody starred" in html
    assert "Sing in the car" not in html
    assert "SECRET" not in html

    client.post(f"/review/storytimes/{st}/recap", data={"note": "", "published": ""})
    assert client.get(f"/j/{code}/recap").status_code == 404


def test_other_branches_cannot_edit_a_recap(app, client, staff, ended):
    st, _code = ended
    staff.signed_in(client, "librarian", "riverside")
    assert client.get(f"/review/storytimes/{st}/recap").status_code == 403
    response = client.post(f"/review/storytimes/{st}/recap", data={"published": "y"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Storytime, st).recap_published is False


def test_only_a_share_of_this_storytime_goes_in_its_recap(app, client, staff, ended):
    st, _code = ended
    other = make_storytime(app, title="Toddler Time").id
    elsewhere = add_share(app, other, "tip", "Another room's tip")
    staff.signed_in(client)
    for share_id in (elsewhere, 999_999):
        response = client.post(
            f"/review/storytimes/{st}/recap/shares", data={"share_id": share_id, "included": "1"}
        )
        assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Share, elsewhere).starred is False


# --- first names: left out unless the librarian turns them on for that recap ---

RECAP_BLOCK = re.compile(r'<div class="recap".*?</div>', re.S)
# First names as caregivers type them: any letters and marks, spaces, hyphens, apostrophes.
NAMES = (
    st.text(
        st.characters(categories=("L", "M")) | st.sampled_from(" -'\u2019"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


def show_names_ticked(editor_html: str) -> bool:
    (checkbox,) = re.findall(r'<input[^>]*name="show_names"[^>]*>', editor_html)
    return re.search(r"\bchecked\b", checkbox) is not None


def recap_blocks(client, code) -> list[str]:
    """Return the recap as the public page and the closed join page render it."""
    blocks = []
    for path in (f"/j/{code}/recap", f"/j/{code}"):
        response = client.get(path)
        assert response.status_code == 200
        blocks += RECAP_BLOCK.findall(response.get_data(as_text=True))
    assert len(blocks) == 2
    return blocks


def name_tip(app, st_id, name):
    with app.app_context():
        tip = db.session.execute(
            db.select(Share).where(Share.text == "Sing in the car")
        ).scalar_one()
        tip.name = name
        db.session.commit()


def save(client, st_id, **fields):
    data = {"note": "See you next week!", "published": "y", **fields}
    assert client.post(f"/review/storytimes/{st_id}/recap", data=data).status_code == 303


@pytest.fixture
def librarian(app, staff):
    client = app.test_client()
    staff.signed_in(client)
    return client


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES)
def test_no_first_name_reaches_a_recap_by_default(app, client, ended, name):
    st_id, code = ended
    _publish(app, st_id)
    name_tip(app, st_id, None)
    without = recap_blocks(client, code)

    name_tip(app, st_id, name)

    # Whatever the name, the recap is exactly what it is for a share without one.
    assert recap_blocks(client, code) == without


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES)
def test_first_names_show_only_while_the_librarian_has_them_on(app, librarian, ended, name):
    st_id, code = ended
    name_tip(app, st_id, name)
    shown = f"— <bdi>{escape(name)}</bdi>"
    public = app.test_client()

    save(librarian, st_id)
    assert not any(shown in block for block in recap_blocks(public, code))

    save(librarian, st_id, show_names="y")
    assert all(shown in block for block in recap_blocks(public, code))
    editor = librarian.get(f"/review/storytimes/{st_id}/recap").get_data(as_text=True)
    assert show_names_ticked(editor)

    save(librarian, st_id)  # unticked: off again
    assert not any(shown in block for block in recap_blocks(public, code))
    with app.app_context():
        assert db.session.get(Storytime, st_id).recap_show_names is False


def test_a_new_recap_leaves_names_out_and_its_editor_says_so(app, client, staff, ended):
    st_id, _code = ended
    staff.signed_in(client)
    editor = client.get(f"/review/storytimes/{st_id}/recap").get_data(as_text=True)
    assert not show_names_ticked(editor)
    with app.app_context():
        assert db.session.get(Storytime, st_id).recap_show_names is False
