"""The storytime form, the recap editor and the picker store what H17a's fields send."""

from __future__ import annotations

import pytest
from factories import make_storytime
from storytime_helpers import branch_id, form_data

from storytime.extensions import db
from storytime.models import Storytime


def stored(app, storytime_id: int) -> Storytime:
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        db.session.expunge(storytime)
        return storytime


def test_the_form_stores_prompt_translations_and_the_second_language(app, client, staff):
    staff.signed_in(client)
    data = form_data(
        branch_id(app),
        translation_tip_es=" ¿Qué ayuda? ",
        translation_tip_vi="",
        translation_song_fr="Votre chanson",
        second_language="es",
    )
    response = client.post("/storytimes/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        storytime = db.session.execute(db.select(Storytime)).scalar_one()
        assert storytime.second_language == "es"
        assert storytime.prompt_for("tip").translations == {"es": "¿Qué ayuda?"}
        assert storytime.prompt_for("song").translations == {"fr": "Votre chanson"}
        assert storytime.prompt_for("hello").translations == {}
        storytime_id = storytime.id
    data["translation_tip_es"] = ""
    data["second_language"] = ""
    assert client.post(f"/storytimes/{storytime_id}/edit", data=data).status_code == 302
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        assert storytime.second_language == "" and storytime.prompt_for("tip").translations == {}


def test_a_bad_second_language_changes_nothing(app, client, staff):
    staff.signed_in(client)
    response = client.post("/storytimes/new", data=form_data(branch_id(app), second_language="de"))
    assert response.status_code in (200, 400, 422)
    with app.app_context():
        assert db.session.execute(db.select(Storytime)).first() is None


@pytest.mark.parametrize(
    "path", ["/review/storytimes/{id}/recap", "/storytimes/{id}/wrap-up/recap"]
)
def test_the_recap_note_translations_are_saved(app, client, staff, path):
    staff.signed_in(client)
    made = make_storytime(app, state="closed")
    page = client.post(
        path.format(id=made.id),
        data={"note": "Boats!", "published": "y", "note_translation-es": "¡Barcos!"},
    )
    assert page.status_code in (302, 303)
    with app.app_context():
        storytime = db.session.get(Storytime, made.id)
        assert storytime.recap_note_translations == {"es": "¡Barcos!"}
    assert "¡Barcos!" in client.get(
        f"/j/{made.code}/recap", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)


def test_the_picker_switches_a_family_page_to_chinese(app, client):
    code = make_storytime(app).code
    client.post("/lang/zh_Hans", data={"next": f"/j/{code}"})
    html = client.get(f"/j/{code}").get_data(as_text=True)
    assert '<html lang="zh-Hans"' in html and "您想分享什么" in html
