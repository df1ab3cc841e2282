"""Charts drawn on the server as inline SVG: no CDN, no JavaScript. Each is an image with a
title and a description for screen readers, and the page beside it has the same figures as a
table (the text equivalent). Colours come from the stylesheet's classes; every bar also carries
its value as text, so colour never carries meaning alone."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 640
LABEL_WIDTH = 250
VALUE_WIDTH = 90
ROW = 30
BAR = 20


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as text, beside the bar
    tone: str = "blue"  # a class suffix: blue, red, amber, green, grey


def bar_chart(chart_id: str, title: str, description: str, bars: list[Bar]) -> Markup:
    """Horizontal bars, longest value full width; an empty chart says so in words."""
    height = max(1, len(bars)) * ROW + 10
    largest = max((b.value for b in bars), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    if not bars:
        parts.append('<text class="chart__label" x="0" y="20">Nothing to show</text>')
    for i, bar in enumerate(bars):
        y = 5 + i * ROW
        length = 0 if bar.value <= 0 else max(2, round(room * bar.value / largest))
        parts += [
            f'<text class="chart__label" x="{LABEL_WIDTH - 8}" y="{y + BAR - 5}" '
            f'text-anchor="end">{escape(bar.label)}</text>',
            f'<rect class="chart__bar chart__bar--{escape(bar.tone)}" x="{LABEL_WIDTH}" '
            f'y="{y}" width="{length}" height="{BAR}" fill="#005eb8"></rect>',
            f'<text class="chart__value" x="{LABEL_WIDTH + length + 6}" y="{y + BAR - 5}">'
            f"{escape(bar.shown)}</text>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Mark:
    day: float
    row: str  # which line of the timeline (a template)


def timeline_chart(
    chart_id: str, title: str, description: str, span_days: float, marks: list[Mark]
) -> Markup:
    """One line per template across the weeks after enrolment, a dot at each send."""
    rows = list(dict.fromkeys(m.row for m in marks))
    span = max(span_days, 7.0)
    left, right = 120, 20
    room = WIDTH - left - right
    height = 30 + len(rows) * ROW + 20
    cid = escape(chart_id)
    parts = [
        f'<svg class="chart chart--timeline" id="{cid}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-labelledby="{cid}-title {cid}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]
    weeks = span / 7
    step = next(n for n in (1, 2, 4, 8, 13, 26, 52) if weeks / n <= 8)
    axis_y = 20 + len(rows) * ROW
    week = 0
    while week * 7 <= span:
        x = left + room * week * 7 / span
        parts.append(
            f'<line class="chart__grid" x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{axis_y}" '
            'stroke="#d8dde0"></line>'
            f'<text class="chart__axis" x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle">'
            f"{'start' if week == 0 else f'week {week}'}</text>"
        )
        week += step
    for i, row in enumerate(rows):
        y = 20 + i * ROW + BAR / 2
        parts.append(
            f'<text class="chart__label" x="{left - 8}" y="{y + 5}" text-anchor="end">'
            f"{escape(row)}</text>"
            f'<line class="chart__track" x1="{left}" y1="{y}" x2="{WIDTH - right}" y2="{y}" '
            'stroke="#aeb7bd"></line>'
        )
        for mark in (m for m in marks if m.row == row):
            x = left + room * mark.day / span
            parts.append(
                f'<circle class="chart__dot" cx="{x:.1f}" cy="{y}" r="5" fill="#005eb8"></circle>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
