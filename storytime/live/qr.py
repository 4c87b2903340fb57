"""The join QR for the display, as inline SVG (no image request, crisp at any size)."""

from __future__ import annotations

from functools import lru_cache
from xml.etree import ElementTree

import qrcode
import qrcode.image.svg
from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"


@lru_cache(maxsize=64)
def qr_svg(url: str, label: str) -> Markup:
    """Return an accessible inline SVG QR code for `url`, dark on a white quiet zone."""
    try:  # one QR look across the app when the storytimes feature provides it
        from storytime.storytimes.qr import inline_svg
    except ImportError:
        return _own_qr_svg(url, label)
    return inline_svg(url, label)


def _own_qr_svg(url: str, label: str) -> Markup:
    """Draw the QR code here (used when storytime.storytimes.qr is not installed)."""
    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathImage,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    root = ElementTree.fromstring(image.to_string())
    view_box = root.get("viewBox", "")
    paths = "".join(
        f'<path d="{escape(path.get("d", ""))}" fill="#000000"/>'
        for path in root.iter(f"{{{SVG_NS}}}path")
    )
    # A white ground keeps the code scannable on the dark display.
    return Markup(
        f'<svg xmlns="{SVG_NS}" class="qr" viewBox="{escape(view_box)}" role="img" '
        f'aria-label="{escape(label)}"><rect width="100%" height="100%" fill="#ffffff"/>'
        f"{paths}</svg>"
    )
