"""Every message of es, fr and ar is translated: no empty, no fuzzy, none missing from the .pot."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "storytime" / "translations"
LANGUAGES = ["es", "fr", "ar"]
SHOWN = 40  # entries listed in a failure; the count says how many in all


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _untranslated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return not strings or any(not (text or "").strip() for text in strings)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    catalog = _catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    template = _catalog(TRANSLATIONS / "messages.pot")
    problems = []
    for message in catalog:
        if not message.id:
            continue  # the header
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        where = ", ".join(f"{file}:{line}" for file, line in message.locations[:2])
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where})")
        elif _untranslated(message):
            problems.append(f"empty: {msgid!r} ({where})")
    for message in template:
        if message.id and message.id not in catalog:
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            problems.append(f"missing (run pybabel update): {msgid!r}")
    assert not problems, (
        f"{language}: {len(problems)} entries need a translator:\n"
        + "\n".join(problems[:SHOWN])
        + (f"\n… and {len(problems) - SHOWN} more" if len(problems) > SHOWN else "")
    )
