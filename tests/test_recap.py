"""The families' take-home recap: only what was starred or shown, never staff-only, only when published."""

from __future__ import annotations

import pytest
from review_data import add_share, make_storytime, set_state

from storytime.extensions import db
from storytime.models import Share, Storytime


@pytest.fixture
def ended(app):
    """A storytime with every sort of share, then closed; return (id, code)."""
    st = make_storytime(app, title="Baby Rhyme Time")
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
    for expected in ("Sing in the car", "Amira", "Frère Jacques", "Bilingual books?",
                     "Shelf by the window!", "See you next week!"):  # fmt: skip
        assert expected in html
    for hidden in ("SECRET", "HIDDEN", "HELD"):
        assert hidden not in html


def test_an_unpublished_recap_is_not_public(app, client, ended):
    _st, code = ended
    html = client.get(f"/j/{code}").get_data(as_text=True)
    assert "Sing in the car" not in html
    assert client.get(f"/j/{code}/recap").status_code == 404


def test_a_recap_of_a_storytime_still_running_is_not_public(app, client):
    st = make_storytime(app)
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
