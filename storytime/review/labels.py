"""Words people see for kinds of share and audiences (template globals)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from storytime.storytimes.defaults import AUDIENCE_LABELS

KIND_LABELS = {
    "hello": _l("Hellos"),
    "tip": _l("Tips"),
    "song": _l("Songs"),
    "question": _l("Questions"),
    "idea": _l("Ideas"),
}


def kind_label(kind: str) -> str:
    """Return the word people see for a kind of share."""
    return str(KIND_LABELS.get(kind, kind))


def audience_label(audience: str) -> str:
    """Return the word people see for an audience."""
    return str(AUDIENCE_LABELS.get(audience, audience))
