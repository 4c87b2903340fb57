"""Home languages in a real Chromium: the prompt in Spanish, CJK and Vietnamese with real glyphs."""

from __future__ import annotations

import pytest
from harness import PHONE, TV
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Latin fonts a Debian Chromium falls back to; a CJK string drawn in one of these is tofu.
LATIN_ONLY = ("DejaVu", "Liberation", "Noto Color Emoji")


def fonts_used(page, selector: str) -> list[dict]:
    """Return the platform fonts Chromium drew an element's text with (name, glyph count)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def width_of(page, text: str) -> float:
    """Return the rendered width of `text` in the page's body font."""
    return page.evaluate(
        """(text) => {
            const probe = document.createElement("span");
            probe.textContent = text;
            probe.style.position = "absolute";  // its own width, not the page's
            probe.style.whiteSpace = "nowrap";
            document.body.append(probe);
            const width = probe.getBoundingClientRect().width;
            probe.remove();
            return width;
        }""",
        text,
    )


def test_a_spanish_phone_reads_built_in_and_translated_prompts(contexts, live_server):
    status, storytime = live_server.api(
        "POST",
        "/storytimes",
        {
            "branch": "central",
            "title": "Hora del cuento",
            "starts_at": "2030-05-06T10:30:00Z",
            "audience": "toddlers",
            "kinds": [
                "hello",
                {
                    "kind": "tip",
                    "question": "What helps in the car?",
                    "translations": {"es": "¿Qué ayuda en el coche?"},
                },
            ],
        },
    )
    assert status == 201, storytime
    status, _opened = live_server.api("PATCH", f"/storytimes/{storytime['id']}", {"state": "open"})
    assert status == 200
    phone = contexts.new(PHONE, locale="es-ES", extra_http_headers={"Accept-Language": "es"})
    page = phone.new_page()
    page.goto(storytime["join_url"])
    expect(page.locator("#q-hello")).to_contain_text("Salude: ¿quién vino con usted hoy?")
    expect(page.locator("#q-tip")).to_contain_text("¿Qué ayuda en el coche?")
    assert "What helps in the car?" not in page.content()


@pytest.mark.parametrize(
    ("header", "lang", "sample"),
    [
        ("zh-CN,zh;q=0.9", "zh_Hans", "您想分享什么？"),  # noqa: RUF001
        ("vi-VN,vi;q=0.9", "vi", "Bạn muốn chia sẻ điều gì?"),
    ],
)
def test_chinese_and_vietnamese_join_pages_draw_real_glyphs(
    contexts, storytime, header, lang, sample
):
    phone = contexts.new(PHONE, extra_http_headers={"Accept-Language": header})
    page = phone.new_page()
    page.goto(storytime["join_url"])
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang").replace("-", "_") == lang
    expect(page.get_by_text(sample).first).to_be_visible()
    page.screenshot(path=f"/tmp/join-{lang}.png", full_page=True)

    # Every character of the question was drawn by a font that has it (no notdef boxes)...
    fonts = fonts_used(page, "fieldset.kinds legend")
    assert fonts and all(font["glyphCount"] > 0 for font in fonts), fonts
    if lang == "zh_Hans":
        # ...and the Han characters by a CJK font, not a Latin font's missing-glyph box.
        assert [f for f in fonts if not f["familyName"].startswith(LATIN_ONLY)], fonts
        # A missing-glyph box is as wide whatever the character: a private-use one shows it.
        assert width_of(page, "简体中文") != pytest.approx(width_of(page, "\ue000" * 4), abs=0.5)
    else:
        # Vietnamese stacks marks on one letter (ệ, ữ): one Latin font draws the whole line.
        assert [f["familyName"] for f in fonts if not f["familyName"].startswith(LATIN_ONLY)] == []


def test_a_bilingual_tv_shows_both_languages(contexts, live_server, storytime):
    status, _changed = live_server.api(
        "PATCH", f"/storytimes/{storytime['id']}", {"second_language": "zh_Hans"}
    )
    assert status == 200
    tv = contexts.new(TV).new_page()
    tv.goto(storytime["display_url"])
    expect(tv.locator("#join-call")).to_have_text("Scan to share · 扫码分享")
    tv.screenshot(path="/tmp/tv-bilingual.png")
