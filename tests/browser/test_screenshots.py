"""The documented screenshots command writes a picture of each page at each size."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"


def load_script():
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def test_screenshots_are_written_at_each_size(browser, live_server, tmp_path):
    screenshots = load_script()

    written = screenshots.take(
        browser, live_server, tmp_path, pages=["join", "display"], sizes=["phone", "tv"]
    )

    assert sorted(path.name for path in written) == [
        "display-phone.png",
        "display-tv.png",
        "join-phone.png",
        "join-tv.png",
    ]
    assert image_size(tmp_path / "join-phone.png") == (390, 844)
    assert image_size(tmp_path / "display-tv.png") == (1920, 1080)


def test_readme_pictures_stay_small(tmp_path):
    screenshots = load_script()
    source = tmp_path / "big.png"
    Image.effect_noise((1920, 1080), 64).convert("RGB").save(source)

    screenshots.shrink_for_readme(source, tmp_path / "small.png", 1200)

    assert (tmp_path / "small.png").stat().st_size <= screenshots.README_MAX_BYTES
    assert image_size(tmp_path / "small.png")[0] <= 1200
