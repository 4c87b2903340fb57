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


CHAR_PX = 8  # a 14px label's average advance, to lay out text an SVG cannot wrap


def _legend(key: str, width: int) -> tuple[list[str], int]:
    """Return the legend's parts, flowing onto a new row when one is full, and its height."""
    parts, x, y = [], 0.0, 6
    for v in SCALE:
        label = str(SCALE_LABELS[v])
        slot = 16 + 6 + CHAR_PX * len(label) + 18
        if x and x + slot > width:
            x, y = 0.0, y + 24
        parts.append(
            f'<rect x="{x:.0f}" y="{y}" width="16" height="16" fill="url(#{key}-p{v})" '
            f'stroke="#222"/><text x="{x + 22:.0f}" y="{y + 13}" class="legend">'
            f"{escape(label)}</text>"
        )
        x += slot
    return parts, y + 30


def agreement_chart(key: str, title: str, figures: dict[str, dict[str, Any]]) -> Chart:
    """One 100% bar per statement split by the five answers, labelled with % agreeing."""
    width, right, row_h = 720, 56, 58
    plot_w = width - right
    legend, legend_h = _legend(key, width)
    height = legend_h + row_h * len(figures) + 4
    rows, descs = [], []
    for statement, f in figures.items():
        text = statement_text(statement)
        rows.append([text, f["n"], percent(f["agree"]), f["mean"] or "\u2013", *f["counts"]])
        descs.append(
            _("%(statement)s: %(agree)s agree of %(n)d")
            % {"statement": text.rstrip("."), "agree": percent(f["agree"]), "n": f["n"]}
        )
    desc = "; ".join(descs) or _("No check-ins in this range yet.")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{key}-title {key}-desc" focusable="false">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(desc)}</desc>',
        _defs(key),
        *legend,
    ]
    longest = width // CHAR_PX
    for i, (statement, f) in enumerate(figures.items()):
        y = legend_h + i * row_h
        text = statement_text(statement)
        short = text if len(text) <= longest else text[: longest - 1] + "\u2026"
        parts.append(f'<text x="0" y="{y + 14}" class="label">{escape(short)}</text>')
        offset = 0.0
        for v, count in zip(SCALE, f["counts"], strict=True):
            if not count:
                continue
            w = plot_w * count / f["n"]
            parts.append(
                f'<rect x="{offset:.1f}" y="{y + 22}" width="{w:.1f}" height="26" '
                f'fill="url(#{key}-p{v})" stroke="#fff" stroke-width="0.5">'
                f"<title>{escape(SCALE_LABELS[v])}: {count}</title></rect>"
            )
            offset += w
        parts.append(
            f'<text x="{plot_w + 8}" y="{y + 41}" class="value">{percent(f["agree"])}</text>'
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
