"""Shared steps for the storytime set-up tests: form data, counts, reading rows back."""

from __future__ import annotations

from xml.etree import ElementTree

from flask import Flask
from PIL import Image, ImageDraw

from storytime.extensions import db
from storytime.models import Branch, Storytime

KINDS = ("hello", "tip", "song", "question", "idea")
SVG = "{http://www.w3.org/2000/svg}"
SCALE = 10  # pixels per module when we draw an SVG QR code back


def branch_id(app: Flask, slug: str = "central") -> int:
    with app.app_context():
        return db.session.execute(db.select(Branch.id).where(Branch.slug == slug)).scalar_one()


def form_data(branch_pk: int, /, **overrides) -> dict:
    """Return a valid storytime form; `open_<kind>=None` unticks a kind."""
    data = {
        "title": "Baby Bounce",
        "branch": str(branch_pk),
        "starts_at": "2030-05-06T10:30",
        "audience": "babies",
        "theme": "Transportation",
        "moderation": "instant",
    }
    for kind in KINDS:
        data[f"open_{kind}"] = "y"
        data[f"question_{kind}"] = f"Question for {kind}"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def storytime_count(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count(Storytime.id))).scalar_one()


def read(app: Flask, storytime_id: int) -> dict | None:
    """Return a storytime's stored values as a plain dict (None when it is gone)."""
    with app.app_context():
        st = db.session.get(Storytime, storytime_id)
        if st is None:
            return None
        return {
            "title": st.title,
            "branch": st.branch.slug,
            "starts_at": st.starts_at,
            "audience": st.audience,
            "theme": st.theme,
            "moderation": st.moderation,
            "state": st.state,
            "code": st.code,
            "display_token": st.display_token,
            "prompts": [(p.kind, p.text) for p in st.prompts],
        }


def create(client, branch: int, **overrides) -> int:
    """Create a storytime through the form; return its id."""
    response = client.post("/storytimes/new", data=form_data(branch, **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").split("/")[-1])


def svg_to_image(svg_text: str) -> tuple[Image.Image, ElementTree.Element]:
    """Draw the SVG's rects the way a browser would, with no SVG library."""
    root = ElementTree.fromstring(svg_text)
    _x, _y, width, height = (int(v) for v in root.get("viewBox").split())
    image = Image.new("L", (width * SCALE, height * SCALE), 255)
    draw = ImageDraw.Draw(image)
    for group in [root, *root.iter(f"{SVG}g")]:
        fill = group.get("fill")
        for rect in group.findall(f"{SVG}rect"):
            colour = rect.get("fill") or fill
            x, y = int(rect.get("x", 0)), int(rect.get("y", 0))
            w, h = int(rect.get("width")), int(rect.get("height"))
            draw.rectangle(
                [x * SCALE, y * SCALE, (x + w) * SCALE - 1, (y + h) * SCALE - 1],
                fill=0 if colour == "#000000" else 255,
            )
    return image, root
