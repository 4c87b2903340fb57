"""The caregiver side speaks Spanish, French and Arabic: chosen by the browser or the picker."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from factories import make_storytime
from share_helpers import share_count

from storytime import create_app
from storytime.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "storytime" / "translations"
# Everything a caregiver can see; every string in these must be translated.
CAREGIVER_SOURCES = (
    "templates/share/",
    "templates/base.html",
    "templates/_language_picker.html",
    "templates/errors/",
    "templates/main/index.html",
    "storytime/share/",
    "storytime/api/shares.py",
    "storytime/errors.py",
    # Outcome check-ins on the phone: the page, its card and the words of the statements.
    "templates/outcomes/checkin.html",
    "templates/outcomes/closed.html",
    "templates/outcomes/_phone_card.html",
    "storytime/outcomes/statements.py",
    "storytime/outcomes/service.py",
    "storytime/api/outcomes.py",
    # The families' recap link before it is published.
    "storytime/review/public.py",
    # What the whole room reads on the TV.
    "templates/live/display.html",
    "storytime/live/display.py",
    "templates/screens/tv.html",
    "templates/screens/idle.html",
    "templates/screens/not_valid.html",
    "templates/screens/_tv_layout.html",
    # The built-in suggested prompts a phone reads.
    "storytime/storytimes/defaults.py",
    # The take-home recap, the branch's link and the printed QR card.
    "templates/review/recap_public.html",
    "templates/review/_recap.html",
    "templates/storytimes/branch.html",
    "templates/storytimes/card.html",
)
# Home languages only the family side and the TV speak; staff pages stay in LANGUAGES.
FAMILY_ONLY = ("zh_Hans", "vi")


@pytest.fixture
def code(app) -> str:
    return make_storytime(app, theme="Transportation").code


def page(client, path: str, language: str) -> str:
    return client.get(path, headers={"Accept-Language": language}).get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "es",
            [
                "¿Qué te gustaría compartir?",
                "Mostrar en la pantalla grande",
                "Solo para la bibliotecaria",
                "Enviar",
                "Tema de hoy: Transportation",
                "Privacidad",
            ],
        ),
        (
            "fr",
            [
                "Que souhaitez-vous partager ?",
                "Afficher sur le grand écran",
                "Seulement pour le ou la bibliothécaire",
                "Envoyer",
                "Thème du jour : Transportation",
                "Confidentialité",
            ],
        ),
        (
            "ar",
            [
                "ماذا تودّ أن تشارك؟",
                "اعرضها على الشاشة الكبيرة",
                "لأمين المكتبة فقط",
                "إرسال",
                "الخصوصية",
            ],
        ),
    ],
)
def test_join_page_in_the_browsers_language(client, code, language, expected):
    html = page(client, f"/j/{code}", language)
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in html
    for text in expected:
        assert text in html
    assert "What would you like to share?" not in html


def test_the_best_supported_language_wins(client, code):
    html = page(client, f"/j/{code}", "de-DE,de;q=0.9,fr-CA;q=0.8,en;q=0.5")
    assert '<html lang="fr"' in html


def test_an_unsupported_language_falls_back_to_english(client, code):
    html = page(client, f"/j/{code}", "de")
    assert '<html lang="en" dir="ltr">' in html and "What would you like to share?" in html


def test_the_picker_names_each_language_in_itself(client, code):
    html = page(client, f"/j/{code}", "es")
    for language, name in (
        ("en", "English"),
        ("es", "Español"),
        ("fr", "Français"),
        ("ar", "العربية"),
    ):
        assert re.search(rf'lang="{language}"[^>]*>\s*{name}</button>', html)
    assert re.search(r'lang="es"\s+aria-current="true"', html)


def test_the_picker_switches_language_and_remembers_it(client, code):
    response = client.post("/lang/fr", data={"next": f"/j/{code}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/j/{code}")
    html = page(client, f"/j/{code}", "es")  # the choice beats the browser's preference
    assert '<html lang="fr"' in html and "Envoyer" in html
    client.post("/lang/ar", data={"next": f"/j/{code}"})
    assert 'dir="rtl"' in page(client, f"/j/{code}", "es")


def test_the_picker_refuses_to_send_people_elsewhere(client):
    response = client.post("/lang/es", data={"next": "//evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "Por favor, escribe algo para compartir."),
        ("fr", "Veuillez écrire quelque chose à partager."),
        ("ar", "يرجى كتابة شيء لمشاركته."),
    ],
)
def test_form_errors_are_in_the_caregivers_language(app, client, code, language, message):
    response = client.post(
        f"/j/{code}",
        data={"kind": "tip", "text": " ", "on_screen": "screen", "client_id": "abcdefgh12"},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert share_count(app) == 0


@pytest.mark.parametrize(
    ("state", "language", "expected"),
    [
        ("closed", "es", "Esta hora del cuento terminó, así que ya no se puede compartir."),
        ("closed", "fr", "Cette heure du conte est terminée : le partage est fermé."),
        ("scheduled", "es", "Esta hora del cuento todavía no está abierta."),
        ("scheduled", "fr", "Cette heure du conte n'est pas encore ouverte."),
        ("scheduled", "ar", "جلسة الحكايات هذه لم تبدأ بعد."),
    ],
)
def test_closed_and_not_yet_open_pages_are_translated(app, client, state, language, expected):
    code = make_storytime(app, state=state).code
    assert expected in page(client, f"/j/{code}", language)


def test_the_not_open_page_writes_the_date_in_the_readers_language(app, client):
    starts_at = datetime(2030, 5, 6, 10, 30, tzinfo=UTC)
    code = make_storytime(app, state="scheduled", starts_at=starts_at).code
    html = page(client, f"/j/{code}", "fr")
    assert "lundi 6 mai 2030" in html


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("es", "No encontramos esa página"),
        ("fr", "Nous n'avons pas trouvé cette page"),
        ("ar", "لم نعثر على هذه الصفحة"),
    ],
)
def test_the_unknown_code_page_is_translated(client, language, title):
    response = client.get("/j/ZZZZZZ", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert title in response.get_data(as_text=True).replace("&#39;", "'")


def test_the_privacy_page_is_translated(client):
    assert "Qué guardamos" in page(client, "/privacy", "es")
    assert "Ce que nous gardons" in page(client, "/privacy", "fr")
    assert "ما نحتفظ به" in page(client, "/privacy", "ar")


def test_catalogs_are_found_from_any_working_directory(app_config, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    app = create_app(app_config)
    assert Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]).is_absolute()
    with app.app_context():
        db.create_all()
    html = app.test_client().get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Únete a la hora del cuento" in html
    with app.app_context():
        db.engine.dispose()
    app.extensions["storytime_notifier"].close()


@pytest.mark.parametrize("language", ["es", "fr", "ar", *FAMILY_ONLY])
def test_every_caregiver_string_is_translated(language):
    """A string added to a caregiver page without a translation fails here, not in the room."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    missing = [
        message.id
        for message in catalog
        if message.id
        and any(path.startswith(CAREGIVER_SOURCES) for path, _line in message.locations)
        and (not message.string or message.fuzzy)
    ]
    assert missing == []
    assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").is_file()


def test_caregiver_css_mirrors_for_right_to_left():
    """Physical left/right would not flip for Arabic; logical properties do."""
    css = (ROOT / "static" / "css" / "share.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|\b(?:left|right)\s*:|"
        r"(?:text-align|float)\s*:\s*(?:left|right)",
        css,
    )
    assert physical == []


@pytest.mark.parametrize(
    ("header", "lang", "expected"),
    [
        ("zh-CN,zh;q=0.9", "zh_Hans", "您想分享什么？"),  # noqa: RUF001
        ("zh-Hans", "zh_Hans", "您想分享什么？"),  # noqa: RUF001
        ("zh", "zh_Hans", "您想分享什么？"),  # noqa: RUF001
        ("vi-VN,vi;q=0.9,en;q=0.5", "vi", "Bạn muốn chia sẻ điều gì?"),
    ],
)
def test_family_languages_are_negotiated_on_the_join_page(client, code, header, lang, expected):
    html = page(client, f"/j/{code}", header)
    # The catalog's code, or its BCP 47 tag ("zh-Hans") once base.html writes one.
    assert re.search(rf'<html lang="{lang.replace("_", "[-_]")}" dir="ltr">', html)
    assert expected in html and "What would you like to share?" not in html


def test_the_family_picker_names_chinese_and_vietnamese_in_their_own_script(client, code):
    html = page(client, f"/j/{code}", "en")
    assert re.search(r'lang="zh-Hans"[^>]*>\s*简体中文</button>', html)
    assert re.search(r'lang="vi"[^>]*>\s*Tiếng Việt</button>', html)


def test_a_staff_page_in_a_family_only_language_falls_back(app, client, staff):
    staff.signed_in(client)
    html = page(client, "/storytimes", "zh-CN,zh;q=0.9")
    assert '<html lang="en"' in html
    assert "简体中文" not in html  # the staff picker offers the staff languages only
    app.config["DEFAULT_LANGUAGE"] = "fr"
    assert '<html lang="fr"' in page(client, "/storytimes", "vi")


@pytest.mark.parametrize(
    ("language", "text"), [("zh_Hans", "我们保存什么"), ("vi", "Chúng tôi lưu gì")]
)
def test_the_privacy_page_speaks_the_family_languages(client, language, text):
    assert text in page(client, f"/privacy?lang={language}", "en")


def test_the_phones_json_errors_speak_the_family_languages(client, code):
    response = client.post(
        f"/api/v1/storytimes/{code}/shares",
        json={"kind": "tip", "text": " ", "client_id": "abcdefgh12"},
        headers={"Accept-Language": "vi-VN"},
    )
    assert response.status_code == 422
    assert response.json["message"] == "Vui lòng viết điều gì đó để chia sẻ."
