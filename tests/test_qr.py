"""The join QR scans back to the join link: PNG, SVG download, inline SVG and printed card."""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree

import pytest
import zxingcpp
from PIL import Image
from storytime_helpers import SCALE, branch_id, create, read, svg_to_image


@pytest.fixture
def storytime(app, client, staff) -> dict:
    staff.signed_in(client, "librarian", "central")
    storytime_id = create(client, branch_id(app))
    return {"id": storytime_id, **read(app, storytime_id)}


def decode(image: Image.Image) -> zxingcpp.Result:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, "expected exactly one QR code"
    return results[0]


def test_the_png_decodes_to_the_join_url(client, storytime):
    response = client.get(f"/storytimes/{storytime['id']}/qr.png")

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    result = decode(Image.open(io.BytesIO(response.data)))
    assert result.text == f"http://storytime.test/j/{storytime['code']}"
    assert result.ec_level in {"M", "Q"}


def test_the_png_is_large_with_a_four_module_quiet_zone(client, storytime):
    image = Image.open(io.BytesIO(client.get(f"/storytimes/{storytime['id']}/qr.png").data))
    svg_text = client.get(f"/storytimes/{storytime['id']}/qr.svg").get_data(as_text=True)
    modules = int(ElementTree.fromstring(svg_text).get("viewBox").split()[2])

    box = image.width // modules
    assert box >= 10
    grey = image.convert("L")
    # The first four modules on every side are white.
    for i in range(4 * box):
        assert grey.getpixel((i, image.height // 2)) == 255
        assert grey.getpixel((image.width // 2, i)) == 255
    assert grey.getpixel((4 * box, 4 * box)) == 0  # the finder pattern starts right after


def test_the_svg_decodes_to_the_join_url_and_scales(client, storytime):
    response = client.get(f"/storytimes/{storytime['id']}/qr.svg")

    assert response.mimetype == "image/svg+xml"
    image, root = svg_to_image(response.get_data(as_text=True))
    assert decode(image).text == f"http://storytime.test/j/{storytime['code']}"
    # Scalable: a viewBox, and no fixed width or height to keep it small on a TV.
    assert root.get("width") is None and root.get("height") is None
    assert root.get("viewBox").startswith("0 0 ")


def test_svg_and_png_carry_the_same_modules(client, storytime):
    svg_image, root = svg_to_image(
        client.get(f"/storytimes/{storytime['id']}/qr.svg").get_data(as_text=True)
    )
    png = Image.open(io.BytesIO(client.get(f"/storytimes/{storytime['id']}/qr.png").data))
    modules = int(root.get("viewBox").split()[2])
    box = png.width // modules
    png_grey = png.convert("L")

    for y in range(modules):
        for x in range(modules):
            png_dark = png_grey.getpixel((x * box + box // 2, y * box + box // 2)) < 128
            svg_dark = svg_image.getpixel((x * SCALE + 5, y * SCALE + 5)) < 128
            assert png_dark == svg_dark, (x, y)


def test_the_storytime_page_shows_an_inline_qr_of_the_join_url(client, storytime):
    html = client.get(f"/storytimes/{storytime['id']}").get_data(as_text=True)

    match = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="qr".*?</svg>', html, re.S)
    assert match
    image, _root = svg_to_image(match.group(0))
    assert decode(image).text == f"http://storytime.test/j/{storytime['code']}"
    assert 'class="join-code"' in html


@pytest.mark.parametrize(("fmt", "mimetype"), [("png", "image/png"), ("svg", "image/svg+xml")])
def test_downloads_are_attachments_named_by_code(client, storytime, fmt, mimetype):
    response = client.get(f"/storytimes/{storytime['id']}/qr.{fmt}?download=1")

    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="storytime-{storytime["code"]}.{fmt}"'
    )


def test_the_printable_card_has_the_qr_code_and_four_languages(client, storytime):
    html = client.get(f"/storytimes/{storytime['id']}/card").get_data(as_text=True)

    match = re.search(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="qr qr-card".*?</svg>', html, re.S
    )
    assert match
    assert decode(svg_to_image(match.group(0))[0]).text.endswith(f"/j/{storytime['code']}")
    assert f'<p class="card-code">{storytime["code"]}</p>' in html
    for lang, direction in [("en", "ltr"), ("es", "ltr"), ("fr", "ltr"), ("ar", "rtl")]:
        assert f'<li lang="{lang}" dir="{direction}">' in html


def test_the_qr_follows_the_base_url(app, client, storytime):
    app.config["BASE_URL"] = "https://library.example.org/storytime"
    response = client.get(f"/storytimes/{storytime['id']}/qr.png")

    text = decode(Image.open(io.BytesIO(response.data))).text
    assert text == f"https://library.example.org/storytime/j/{storytime['code']}"


def test_qr_images_need_a_staff_sign_in(app, client, storytime):
    client.post("/logout")

    assert client.get(f"/storytimes/{storytime['id']}/qr.png").status_code == 302
