"""Outcome charts as server-side SVG, readable without colour, each with its table of numbers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from storytime.models.outcome import SCALE
from storytime.outcomes.statements import SCALE_LABELS, statement_text
from storytime.review.charts import Chart

# Disagree to agree: lighter to darker, and a pattern each, so no colour is needed.
POINT_STYLE = {
    1: ("#a3212a", "cross"),
    2: ("#e08a6d", "diagonal"),
    3: ("#c9bba9", "dots"),
    4: ("#5b8fc7", "horizontal"),
    5: ("#1f5f99", "solid"),
}
MARKS = {
    "solid": "",
    "diagonal": '<path d="M0,8 L8,0" stroke="#fff" stroke-width="2"/>',
    "dots": '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
    "cross": '<path d="M0,4 H8 M4,0 V8" stroke="#fff" stroke-width="1.5"/>',
    "horizontal": '<path d="M0,2 H8 M0,6 H8" stroke="#fff" stroke-width="1.2"/>',
}


def _defs(key: str) -> str:
    return (
        "<defs>"
        + "".join(
            f'<pattern id="{key}-p{v}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{MARKS[mark]}</pattern>'
            for v, (colour, mark) in POINT_STYLE.items()
        )
        + "</defs>"
    )


def percent(value: float | None) -> str:
    """Return a share from 0 to 1 as a whole percentage, or a dash."""
    return "\u2013" if value is None else f"{round(value * 100)}%"


def agreement_chart(key: str, title: str, figures: dict[str, dict[str, Any]]) -> Chart:
    """One 100% bar per statement split by the five answers, labelled with % agreeing."""
    ids = list(figures)
    row_h, width, label_w, right = 46, 760, 300, 70
    legend_h = 34
    height = legend_h + row_h * len(ids) + 10
    plot_w = width - label_w - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{key}-title {key}-desc" focusable="false">'
    ]
    rows = []
    descs = []
    for statement in ids:
        f = figures[statement]
        text = statement_text(statement)
        rows.append([text, f["n"], percent(f["agree"]), f["mean"] or "\u2013", *f["counts"]])
        descs.append(
            _("%(statement)s: %(agree)s agree of %(n)d")
            % {"statement": text, "agree": percent(f["agree"]), "n": f["n"]}
        )
    desc = "; ".join(descs) or _("No check-ins in this range yet.")
    parts.append(f'<title id="{key}-title">{escape(title)}</title>')
    parts.append(f'<desc id="{key}-desc">{escape(desc)}</desc>')
    parts.append(_defs(key))
    x = label_w
    for v in SCALE:
        parts.append(
            f'<rect x="{x}" y="6" width="16" height="16" fill="url(#{key}-p{v})" stroke="#222"/>'
            f'<text x="{x + 20}" y="19" class="legend">{escape(SCALE_LABELS[v])}</text>'
        )
        x += 16 + 8 + 7.2 * len(str(SCALE_LABELS[v]))
    for i, statement in enumerate(ids):
        f = figures[statement]
        y = legend_h + i * row_h
        text = statement_text(statement)
        short = text if len(text) <= 42 else text[:41] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 26}" text-anchor="end" class="label">'
            f"{escape(short)}</text>"
        )
        offset = float(label_w)
        for v, count in zip(SCALE, f["counts"], strict=True):
            if not count or not f["n"]:
                continue
            w = plot_w * count / f["n"]
            parts.append(
                f'<rect x="{offset:.1f}" y="{y + 8}" width="{w:.1f}" height="{row_h - 16}" '
                f'fill="url(#{key}-p{v})" stroke="#fff" stroke-width="0.5">'
                f"<title>{escape(SCALE_LABELS[v])}: {count}</title></rect>"
            )
            offset += w
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + 26}" class="value">'
            f"{percent(f['agree'])}</text>"
        )
    parts.append("</svg>")
    headers = [
        _("Statement"),
        _("Answers"),
        _("Agree"),
        _("Mean (1 to 5)"),
        *(str(SCALE_LABELS[v]) for v in SCALE),
    ]
    return Chart(key, title, desc, Markup("".join(parts)), headers, rows)
