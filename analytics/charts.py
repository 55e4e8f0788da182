"""Charts drawn on the server as inline SVG: no JavaScript, no library, nothing for the CSP to
block. Only SVG presentation attributes (x, y, width, fill…) and classes styled by css/programs.css
are used, never a `style` attribute. Each bar carries a <title> (the browser's tooltip); the data
table printed beside every chart is the accessible version, so the SVG is `role="img"` with a
short label.

    bar_chart([Bar("Заявки", 120, "120", "Заявки: 120")], label="Воронка")
    stacked_chart([Stack("Партнёр А", [Segment(30, "used", "В актах: 30"), …], "75 %")], label="Квоты")
"""
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 600
VALUE_WIDTH = 110
BAR_AREA = WIDTH - VALUE_WIDTH
ROW = 46  # a row: its label on one line, the bar under it
BAR = 18
MAX_LABEL = 70
# Fallback colours (presentation attributes); css/programs.css sets the same through the classes.
SEGMENT_FILLS = {"used": "#1e6b47", "reserved": "#1d4f91", "free": "#dce2ea"}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # printed after the bar
    title: str  # the tooltip


@dataclass(frozen=True)
class Segment:
    value: float
    kind: str  # a CSS class suffix: chart-segment-<kind>
    title: str


@dataclass(frozen=True)
class Stack:
    label: str
    segments: list[Segment]
    text: str


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def _svg(rows: int, label: str, body) -> SafeString:
    height = max(rows, 1) * ROW + 4
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        label, WIDTH, height, WIDTH, height, body)


def _bar_y(index: int) -> int:
    return index * ROW + 20


def _row_label(index: int, label: str) -> SafeString:
    return format_html('<text class="chart-label" x="0" y="{}" font-size="14" fill="#1f2a37"><title>{}</title>{}'
                       '</text>', index * ROW + 15, label, _short(label))


def _value_text(index: int, x: float, text: str) -> SafeString:
    return format_html('<text class="chart-value" x="{}" y="{}" dominant-baseline="middle" font-size="14" '
                       'fill="#1f2a37">{}</text>', f"{x + 6:.1f}", _bar_y(index) + BAR / 2, text)


def bar_chart(bars: list[Bar], *, label: str) -> SafeString:
    """Horizontal bars scaled to the largest value; a zero value draws no bar, only its text."""
    top = max((float(bar.value) for bar in bars), default=0) or 1
    parts = []
    for index, bar in enumerate(bars):
        width = BAR_AREA * max(float(bar.value), 0) / top
        parts.append(_row_label(index, bar.label))
        parts.append(format_html(
            '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" rx="2" fill="#1d4f91"><title>{}</title>'
            '</rect>', 0, _bar_y(index), f"{width:.1f}", BAR, bar.title))
        parts.append(_value_text(index, width, bar.text))
    return _svg(len(bars), label, format_html_join("", "{}", ((p,) for p in parts)))


def stacked_chart(stacks: list[Stack], *, label: str) -> SafeString:
    """One full-width bar per row, split into its segments in proportion to their sum."""
    parts = []
    for index, stack in enumerate(stacks):
        total = sum(max(float(s.value), 0) for s in stack.segments)
        parts.append(_row_label(index, stack.label))
        x = 0.0
        for segment in stack.segments:
            width = BAR_AREA * max(float(segment.value), 0) / total if total else 0
            if width > 0:
                parts.append(format_html(
                    '<rect class="chart-segment chart-segment-{}" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    '<title>{}</title></rect>', segment.kind, f"{x:.1f}", _bar_y(index), f"{width:.1f}", BAR,
                    SEGMENT_FILLS.get(segment.kind, "#5a6677"), segment.title))
            x += width
        parts.append(_value_text(index, BAR_AREA, stack.text))
    return _svg(len(stacks), label, format_html_join("", "{}", ((p,) for p in parts)))
