"""A caregiver reads the prompt in their own language: built-in suggestions and translations."""

from __future__ import annotations

import re

import pytest
from factories import make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from storytime.admin.service import find_user
from storytime.auth.tokens import create_token
from storytime.extensions import db
from storytime.models import Storytime
from storytime.review.recap import note_translations_from, save_recap


def page(client, path: str, language: str) -> str:
    return client.get(path, headers={"Accept-Language": language}).get_data(as_text=True)


def set_prompt(app, storytime_id: int, kind: str, text: str, translations: dict) -> None:
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        prompt = storytime.prompt_for(kind)
        prompt.text, prompt.translations = text, translations
        db.session.commit()


@pytest.fixture
def toddlers(app):
    """An open toddler storytime whose hello prompt is still the built-in suggestion."""
    made = make_storytime(app, audience="toddlers")
    set_prompt(app, made.id, "hello", "Say hello: who came with you today?", {})
    return made


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "Salude: ¿quién vino con usted hoy?"),
        ("zh-CN", "打个招呼：今天谁和您一起来了？"),  # noqa: RUF001
        ("vi-VN", "Chào mọi người: hôm nay ai đi cùng bạn?"),
    ],
)
def test_a_built_in_prompt_is_shown_in_the_caregivers_language(
    client, toddlers, language, expected
):
    html = page(client, f"/j/{toddlers.code}", language)
    assert expected in html
    assert "Say hello: who came with you today?" not in html


def test_a_suggestion_written_in_another_language_still_counts(app, client, toddlers):
    """A Spanish librarian's form stores the Spanish suggestion: a French phone reads French."""
    spanish = page(client, f"/j/{toddlers.code}", "es")
    assert "Salude: ¿quién vino con usted hoy?" in spanish
    set_prompt(app, toddlers.id, "hello", "Salude: ¿quién vino con usted hoy?", {})
    french = page(client, f"/j/{toddlers.code}", "fr")
    assert "Salude" not in french


def test_a_custom_prompt_shows_its_translation(app, client, toddlers):
    set_prompt(
        app,
        toddlers.id,
        "tip",
        "What helps at the dinner table?",
        {"es": "¿Qué ayuda a la hora de comer?", "vi": "Điều gì giúp ích trong bữa ăn?"},
    )
    assert "¿Qué ayuda a la hora de comer?" in page(client, f"/j/{toddlers.code}", "es-MX")
    assert "Điều gì giúp ích trong bữa ăn?" in page(client, f"/j/{toddlers.code}", "vi")
    english = page(client, f"/j/{toddlers.code}", "en")
    assert "What helps at the dinner table?" in english and "¿Qué" not in english


def test_a_missing_translation_falls_back_to_the_default_language(app, client, toddlers):
    app.config["DEFAULT_LANGUAGE"] = "es"
    set_prompt(
        app,
        toddlers.id,
        "tip",
        "What helps at the dinner table?",
        {"es": "¿Qué ayuda a la hora de comer?", "fr": "  "},
    )
    html = page(client, f"/j/{toddlers.code}", "fr")
    assert '<html lang="fr"' in html
    assert "¿Qué ayuda a la hora de comer?" in html
    assert "What helps at the dinner table?" not in html


def test_a_prompt_is_isolated_for_its_own_direction(app, client, toddlers):
    set_prompt(app, toddlers.id, "tip", "ما الذي يساعد؟", {})
    assert '<span dir="auto">ما الذي يساعد؟</span>' in page(client, f"/j/{toddlers.code}", "en")


def make_bilingual(app, storytime_id: int, second: str) -> None:
    with app.app_context():
        db.session.get(Storytime, storytime_id).second_language = second
        db.session.commit()


def test_a_bilingual_tv_shows_its_words_and_the_prompt_in_both_languages(app, client, toddlers):
    make_bilingual(app, toddlers.id, "es")
    html = page(client, f"/display/{toddlers.display_token}", "en")
    assert '<html lang="en"' in html
    assert "Scan to share · Escanea para compartir" in html
    assert "Thank you for coming to storytime! · ¡Gracias por venir a la hora del cuento!" in html
    assert "Say hello: who came with you today?" in html
    assert "Salude: ¿quién vino con usted hoy?" in html
    # The welcome's template for the script keeps one {names}: it is split there.
    assert html.count("{names}") == 1


def test_a_tv_in_one_language_says_each_word_once(app, client, toddlers):
    html = page(client, f"/display/{toddlers.display_token}", "en")
    assert "Scan to share" in html and "Escanea" not in html and "Scan to share · " not in html
    make_bilingual(app, toddlers.id, "vi")
    html = page(client, f"/display/{toddlers.display_token}", "en")
    assert "Scan to share · Quét mã để chia sẻ" in html
    assert "Chào mọi người: hôm nay ai đi cùng bạn?" in html


@pytest.fixture
def recap_code(app) -> str:
    """A closed storytime whose recap is published with a note in English and Spanish."""
    made = make_storytime(app, state="closed")
    with app.app_context():
        storytime = db.session.get(Storytime, made.id)
        save_recap(
            storytime,
            "Next week: boats!",
            published=True,
            show_names=False,
            translations=note_translations_from(
                {
                    "note_translation-es": " ¡La semana que viene: barcos! ",
                    "note_translation-xx": "?",
                }
            ),
        )
    return made.code


@pytest.mark.parametrize("path", ["/j/{code}", "/j/{code}/recap"])
def test_the_recap_note_is_shown_in_the_readers_language(client, recap_code, path):
    html = page(client, path.format(code=recap_code), "es")
    assert '<p class="recap-note" dir="auto">¡La semana que viene: barcos!</p>' in html
    assert "Next week: boats!" not in html
    assert "Next week: boats!" in page(client, path.format(code=recap_code), "en")


def test_a_recap_note_without_a_translation_falls_back_to_the_default_language(
    app, client, recap_code
):
    assert "Next week: boats!" in page(client, f"/j/{recap_code}/recap", "vi")
    app.config["DEFAULT_LANGUAGE"] = "es"
    html = page(client, f"/j/{recap_code}/recap", "vi")
    assert '<html lang="vi"' in html and "¡La semana que viene: barcos!" in html


def test_only_known_languages_are_kept_as_note_translations(app, recap_code):
    with app.app_context():
        storytime = db.session.execute(
            db.select(Storytime).where(Storytime.code == recap_code)
        ).scalar_one()
        assert storytime.recap_note_translations == {"es": "¡La semana que viene: barcos!"}


def test_the_recap_editor_offers_a_note_field_per_language(app, client, staff, recap_code):
    staff.signed_in(client)
    with app.app_context():
        storytime_id = db.session.execute(
            db.select(Storytime.id).where(Storytime.code == recap_code)
        ).scalar_one()
    html = client.get(f"/review/storytimes/{storytime_id}/recap").get_data(as_text=True)
    assert "<summary>Translations</summary>" in html
    assert re.search(
        r'name="note_translation-es"[^>]*>¡La semana que viene: barcos!</textarea>', html
    )
    for code in ("fr", "ar", "zh_Hans", "vi"):
        assert f'name="note_translation-{code}"' in html
    assert 'name="note_translation-en"' not in html  # the note itself is the default language


# --- the storytimes API carries translations and the second language ---

API_STORYTIME = {
    "branch": "central",
    "title": "Wheels on the Bus",
    "starts_at": "2030-05-06T10:30:00-04:00",
    "audience": "toddlers",
    "kinds": [
        "hello",
        {
            "kind": "tip",
            "question": "What helps in the car?",
            "translations": {"es": "¿Qué ayuda en el coche?", "zh_Hans": "坐车时什么有帮助？"},  # noqa: RUF001
        },
    ],
}


@pytest.fixture
def api_auth(app, staff) -> dict:
    staff.user("librarian", "api@central.example.org", "central")
    with app.app_context():
        user = find_user("api@central.example.org")
        return {"Authorization": f"Bearer {create_token(user, 'test')}"}


def test_the_api_stores_and_returns_prompt_translations(client, api_auth):
    body = {**API_STORYTIME, "second_language": "es"}
    created = client.post("/api/v1/storytimes", json=body, headers=api_auth)
    assert created.status_code == 201, created.json
    prompts = {p["kind"]: p for p in created.json["prompts"]}
    assert prompts["tip"]["question"] == "What helps in the car?"
    assert prompts["tip"]["translations"] == {
        "es": "¿Qué ayuda en el coche?",
        "zh_Hans": "坐车时什么有帮助？",  # noqa: RUF001
    }
    assert "translations" not in prompts["hello"]
    assert created.json["second_language"] == "es"
    path = f"/api/v1/storytimes/{created.json['id']}"
    # A kind sent without translations keeps its own; another language can be chosen.
    changed = client.patch(
        path, json={"kinds": ["hello", "tip"], "second_language": ""}, headers=api_auth
    )
    assert changed.status_code == 200, changed.json
    tip = next(p for p in changed.json["prompts"] if p["kind"] == "tip")
    assert tip["translations"]["es"] == "¿Qué ayuda en el coche?"
    assert changed.json["second_language"] == ""


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"second_language": "de"}, "second_language"),
        ({"second_language": 3}, "second_language"),
        ({"kinds": [{"kind": "tip", "translations": ["es"]}]}, "translations"),
        ({"kinds": [{"kind": "tip", "translations": {"xx": "?"}}]}, "translations"),
        ({"kinds": [{"kind": "tip", "translations": {"es": 5}}]}, "translations"),
        ({"kinds": [{"kind": "tip", "translations": {"es": "x" * 301}}]}, "translations"),
    ],
)
def test_bad_languages_are_refused_and_nothing_changes(client, api_auth, change, field):
    created = client.post("/api/v1/storytimes", json=API_STORYTIME, headers=api_auth).json
    path = f"/api/v1/storytimes/{created['id']}"
    response = client.patch(path, json={"title": "Renamed", **change}, headers=api_auth)
    assert response.status_code == 422
    assert response.json["field"] == field and response.json["message"]
    after = client.get(path, headers=api_auth).json
    assert after["title"] == "Wheels on the Bus" and after["prompts"] == created["prompts"]


# --- the storytime form ---


def test_the_form_offers_translation_boxes_and_a_second_language(app, client, staff, toddlers):
    staff.signed_in(client)
    set_prompt(app, toddlers.id, "tip", "What helps?", {"es": "¿Qué ayuda?"})
    make_bilingual(app, toddlers.id, "vi")
    html = client.get(f"/storytimes/{toddlers.id}/edit").get_data(as_text=True)
    assert html.count("<summary>Translations</summary>") == 5  # one per kind
    assert re.search(r'name="translation_tip_es"[^>]*value="¿Qué ayuda\?"', html)
    for code in ("fr", "ar", "zh_Hans", "vi"):
        assert f'name="translation_hello_{code}"' in html
    assert 'name="translation_hello_en"' not in html  # the prompt itself is the default
    assert re.search(r'<option selected value="vi">Tiếng Việt</option>', html)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
    ).filter(str.strip),
    language=st.sampled_from(["en", "es", "ar", "zh-CN", "vi"]),
)
def test_any_translation_is_shown_escaped_in_its_own_direction(
    app, client, toddlers, text, language
):
    """Hostile, RTL or emoji text: always escaped, always inside a dir="auto" element."""
    code = {"zh-CN": "zh_Hans"}.get(language, language)
    set_prompt(app, toddlers.id, "tip", "What helps?", {code: text})
    html = page(client, f"/j/{toddlers.code}", language)
    assert f'<span dir="auto">{escape(text.strip())}</span>' in html
