"""QR codes of join links that scan from across a room: on a TV, a wall, a printed card.

Medium error correction keeps the symbol small (bigger modules read better from far away)
while surviving glare; the four-module quiet zone is what the standard asks and what
phone cameras need against a busy background.
"""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
import qrcode.constants
from markupsafe import Markup, escape

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4
PNG_BOX_SIZE = 16  # pixels per module: a 33-module code is ~650 px, sharp when projected


def _code(data: str, box_size: int = 1) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE, box_size=box_size)
    code.add_data(data)
    code.make(fit=True)
    return code


@lru_cache(maxsize=128)
def matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """Return the code's modules, quiet zone included; True is dark."""
    return tuple(tuple(row) for row in _code(data).get_matrix())


def svg(data: str, label: str = "", css_class: str = "qr") -> str:
    """Return a standalone SVG: scalable (viewBox only), crisp edges, white ground."""
    rows = matrix(data)
    size = len(rows)
    rects = []
    for y, row in enumerate(rows):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            # One rect per run of dark modules keeps the file small and easy to read back.
            rects.append(f'<rect x="{start}" y="{y}" width="{x - start}" height="1"/>')
    title = f"<title>{escape(label)}</title>" if label else ""
    role = f' role="img" aria-label="{escape(label)}"' if label else ' aria-hidden="true"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges"{role}>{title}'
        f'<rect width="{size}" height="{size}" fill="#ffffff"/>'
        f'<g fill="#000000">{"".join(rects)}</g></svg>'
    )


def inline_svg(data: str, label: str, css_class: str = "qr") -> Markup:
    """Return the SVG for embedding in a page."""
    return Markup(svg(data, label, css_class))


def png(data: str, box_size: int = PNG_BOX_SIZE) -> bytes:
    """Return a large black-on-white PNG of the code."""
    image = _code(data, box_size=box_size).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
