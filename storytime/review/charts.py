"""Server-side SVG charts, readable without colour: patterns, direct labels, data tables.

Each chart returns its SVG (with <title> and <desc>) and the table the page
shows beside it for screen readers and for people who would rather read.
Caregiver text (song titles) is escaped like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import func

from storytime.extensions import db
from storytime.models import KINDS, Branch, Share, SongbookEntry, Storytime, User
from storytime.review.queries import Filters, month_expr, scoped_storytimes
from storytime.share.kinds import kind_heading

# Fill and pattern per kind: the pattern tells kinds apart without colour.
KIND_STYLE = {
    "hello": ("#1f5f99", "solid"),
    "tip": ("#2e7d32", "diagonal"),
    "song": ("#8e24aa", "dots"),
    "question": ("#b45309", "cross"),
    "idea": ("#37474f", "horizontal"),
}


@dataclass
class Chart:
    key: str
    title: str
    description: str
    svg: Markup
    headers: list[str]
    rows: list[list[Any]]


def _patterns(prefix: str) -> str:
    parts = []
    for kind, (colour, pattern) in KIND_STYLE.items():
        pid = f"{prefix}-{kind}"
        mark = {
            "solid": "",
            "diagonal": '<path d="M0,8 L8,0" stroke="#fff" stroke-width="2"/>',
            "dots": '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
            "cross": '<path d="M0,4 H8 M4,0 V8" stroke="#fff" stroke-width="1.5"/>',
            "horizontal": '<path d="M0,2 H8 M0,6 H8" stroke="#fff" stroke-width="1.2"/>',
        }[pattern]
        parts.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{mark}</pattern>'
        )
    return "<defs>" + "".join(parts) + "</defs>"


def _svg_open(key: str, width: int, height: int, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{key}-title {key}-desc" focusable="false">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(desc)}</desc>'
    )


def shares_per_month(user: User, filters: Filters) -> Chart:
    """Stacked bars: shares per month, one patterned segment per kind, with a legend."""
    year, month = month_expr(Storytime.starts_at)
    query = scoped_storytimes(
        db.select(year, month, Share.kind, func.count(Share.id))
        .select_from(Share)
        .join(Share.storytime),
        user,
        filters,
    )
    data: dict[str, dict[str, int]] = {}
    for y, m, kind, count in db.session.execute(query.group_by(year, month, Share.kind)):
        data.setdefault(f"{int(y):04d}-{int(m):02d}", {})[kind] = count
    months = sorted(data)[-24:]
    title = _("Shares per month, by kind")
    headers = [_("Month"), *(kind_heading(k) for k in KINDS), _("Total")]
    rows = [[m, *(data[m].get(k, 0) for k in KINDS), sum(data[m].values())] for m in months]
    desc = (
        _("Stacked bars for %(n)d months; the busiest month had %(max)d shares.")
        % {"n": len(months), "max": max((r[-1] for r in rows), default=0)}
        if rows
        else _("No shares in this range yet.")
    )
    key = "chart-months"
    width, height, left, bottom, top = 720, 320, 48, 48, 16
    plot_h = height - bottom - top
    peak = max((r[-1] for r in rows), default=0) or 1
    slot = (width - left - 130) / max(len(months), 1)
    bar = max(4.0, slot * 0.7)
    out = [_svg_open(key, width, height, title, desc), _patterns(key)]
    for tick in range(5):
        value = round(peak * tick / 4)
        ty = top + plot_h - plot_h * value / peak
        out.append(
            f'<line x1="{left}" x2="{width - 130}" y1="{ty:.1f}" y2="{ty:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" class="tick">{value}</text>'
        )
    for i, row in enumerate(rows):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for kind, count in zip(KINDS, row[1:-1], strict=True):
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="url(#{key}-{kind})" stroke="#fff" stroke-width="0.5">'
                f"<title>{escape(row[0])}: {escape(kind_heading(kind))} {count}</title></rect>"
            )
        out.append(
            f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">'
            f"{row[-1]}</text>"
        )
        if len(months) <= 12 or i % 2 == 0:
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'class="tick">{escape(row[0][2:])}</text>'
            )
    for j, kind in enumerate(reversed(KINDS)):
        ly = top + 8 + j * 26
        out.append(
            f'<rect x="{width - 118}" y="{ly}" width="18" height="18" fill="url(#{key}-{kind})" '
            f'stroke="#222"/><text x="{width - 94}" y="{ly + 14}" class="legend">'
            f"{escape(kind_heading(kind))}</text>"
        )
    out.append("</svg>")
    return Chart(key, title, desc, Markup("".join(out)), headers, rows)


def _hbars(key: str, title: str, desc: str, labels: list[str], values: list[int]) -> Markup:
    """Horizontal bars, each labelled with its name and value (no legend needed)."""
    row_h, width, label_w = 34, 720, 260
    height = max(row_h * len(labels) + 16, 60)
    peak = max(values, default=0) or 1
    out = [_svg_open(key, width, height, title, desc), _patterns(key)]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 8 + i * row_h
        w = (width - label_w - 70) * value / peak
        short = label if len(label) <= 34 else label[:33] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end" class="label">'
            f"{escape(short)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" '
            f'fill="url(#{key}-{"song" if key.endswith("songs") else "hello"})"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 20}" class="value">{value}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def participation_by_branch(user: User, filters: Filters) -> Chart:
    """Bars per branch: storytimes held, shares, phones that shared and people counted."""
    shares = (
        db.select(
            Share.storytime_id.label("sid"),
            func.count(Share.id).label("shares"),
            func.count(func.distinct(Share.phone)).label("phones"),
        )
        .group_by(Share.storytime_id)
        .subquery()
    )
    people = (
        func.coalesce(Storytime.headcount_adults, 0)
        + func.coalesce(Storytime.headcount_children, 0)
        + func.coalesce(Storytime.headcount_babies, 0)
    )
    query = scoped_storytimes(
        db.select(
            Branch.name,
            func.count(Storytime.id),
            func.coalesce(func.sum(shares.c.shares), 0),
            func.coalesce(func.sum(shares.c.phones), 0),
            func.coalesce(func.sum(people), 0),
        )
        .select_from(Storytime)
        .join(Storytime.branch)
        .outerjoin(shares, shares.c.sid == Storytime.id)
        .where(Storytime.state == "closed"),
        user,
        filters,
    ).group_by(Branch.name)
    rows = [list(r) for r in db.session.execute(query.order_by(Branch.name))]
    title = _("Participation by branch")
    desc = "; ".join(
        _("%(branch)s: %(st)d storytimes, %(shares)d shares, %(people)d people counted")
        % {"branch": r[0], "st": r[1], "shares": r[2], "people": r[4]}
        for r in rows
    ) or _("No storytimes in this range yet.")
    headers = [_("Branch"), _("Storytimes"), _("Shares"), _("Phones that shared"), _("People")]
    svg = _hbars("chart-branches", title, desc, [r[0] for r in rows], [r[2] for r in rows])
    return Chart("chart-branches", title, desc, svg, headers, rows)


def top_songs(user: User, filters: Filters, limit: int = 10) -> Chart:
    """Bars for the songs shared most often in the range."""
    query = scoped_storytimes(
        db.select(SongbookEntry.title, func.count(Share.id).label("n"))
        .select_from(Share)
        .join(Share.storytime)
        .join(SongbookEntry, Share.song_entry_id == SongbookEntry.id),
        user,
        filters,
    )
    query = (
        query.group_by(SongbookEntry.id, SongbookEntry.title)
        .order_by(func.count(Share.id).desc(), SongbookEntry.title)
        .limit(limit)
    )
    rows = [list(r) for r in db.session.execute(query)]
    title = _("Top songs")
    desc = (
        "; ".join(f"{r[0]}: {r[1]}" for r in rows) if rows else _("No songs shared in this range.")
    )
    svg = _hbars("chart-songs", title, desc, [r[0] for r in rows], [r[1] for r in rows])
    return Chart("chart-songs", title, desc, svg, [_("Song"), _("Times shared")], rows)


def all_charts(user: User, filters: Filters) -> list[Chart]:
    """Return the charts page's charts."""
    return [
        shares_per_month(user, filters),
        participation_by_branch(user, filters),
        top_songs(user, filters),
    ]
