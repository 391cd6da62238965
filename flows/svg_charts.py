"""Charts as SVG text, built on the server: a bar chart and a line chart, readable without colour.

Every chart has a <title> and a <desc> named by aria-labelledby; every bar and point has its own <title>; lines
differ by dash and marker shape as well as colour, and hidden figures are drawn as a dashed outline marked
"hidden", never as a zero. All text is escaped. The numbers are always also in a table beside the chart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 20, 44
PALETTE = ("#1f4e79", "#9c3d00", "#2d6a2e", "#6b2f8a", "#7a5c00", "#333333")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "1 5")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "bar")
MAX_SERIES = len(PALETTE)


@dataclass(frozen=True)
class LineSeries:
    """One line: its name and a value per x label (None where the figure is hidden)."""

    name: str
    values: tuple[float | None, ...]


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if not float(value).is_integer() else str(int(value))


def _safe_id(chart_id: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]", "-", chart_id.lower()).strip("-")
    return f"chart-{cleaned or 'x'}"


def _open(chart_id: str, title: str, description: str, height: int = HEIGHT) -> list[str]:
    ident = _safe_id(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{ident}-title {ident}-desc" id="{ident}">',
        f'<title id="{ident}-title">{_text(title)}</title>',
        f'<desc id="{ident}-desc">{_text(description)}</desc>',
    ]


NICE_STEPS = (1.0, 2.0, 2.5, 5.0)


def _nice_step(raw: float) -> float:
    """Return the smallest 1, 2, 2.5 or 5 times a power of ten at or above `raw`."""
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next((step * magnitude for step in NICE_STEPS if raw <= step * magnitude + 1e-9), 10.0 * magnitude)


def nice_scale(highest: float) -> tuple[float, int]:
    """Return a round top for an axis from 0 and how many equal steps to mark (4 to 6), lowest top first."""
    if highest <= 0:
        return 1.0, 4
    options = [(_nice_step(highest / divisions) * divisions, divisions) for divisions in (5, 4, 6)]
    return min(options, key=lambda option: option[0])


def nice_divisions(low: float, high: float) -> int:
    """Return how many equal steps (4 to 7) split a fixed scale into round numbers; 4 if none does."""
    span = high - low
    for divisions in (4, 5, 6, 7):
        step = span / divisions
        if step > 0 and abs(_nice_step(step) - step) < 1e-9:
            return divisions
    return 4


def _axis(low: float, high: float, plot_height: float, divisions: int) -> list[str]:
    parts = []
    for index in range(divisions + 1):
        value = low + (high - low) * index / divisions
        y = TOP + plot_height - plot_height * index / divisions
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>')
    return parts


def _x_labels(labels: Sequence[str], centre: Sequence[float], baseline: float) -> list[str]:
    every = max(1, math.ceil(len(labels) / 12))
    return [
        f'<text class="label" x="{x:.1f}" y="{baseline + 18:.1f}" text-anchor="middle">{_text(label)}</text>'
        for index, (label, x) in enumerate(zip(labels, centre, strict=True))
        if index % every == 0
    ]


def bar_chart(
    chart_id: str, title: str, description: str, labels: Sequence[str], values: Sequence[float | None], unit: str
) -> str:
    """Draw one bar per label, with its value written above it; a hidden value is a dashed box marked "hidden"."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    plot_height = HEIGHT - TOP - BOTTOM
    top, divisions = nice_scale(max((value for value in values if value is not None), default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    baseline = TOP + plot_height
    parts = [*_open(chart_id, title, description), *_axis(0, top, plot_height, divisions)]
    centres = [LEFT + slot * (index + 0.5) for index in range(len(labels))]
    for label, value, centre in zip(labels, values, centres, strict=True):
        x, width = centre - slot * 0.35, slot * 0.7
        if value is None:
            height = plot_height * 0.12
            parts.append(
                f'<g class="bar hidden-figure"><title>{_text(label)}: hidden</title>'
                f'<rect x="{x:.1f}" y="{baseline - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="none" stroke="#555555" stroke-dasharray="4 3"/>'
                f'<text class="value" x="{centre:.1f}" y="{baseline - height - 4:.1f}" text-anchor="middle">'
                "hidden</text></g>"
            )
            continue
        height = plot_height * value / top
        parts.append(
            f'<g class="bar"><title>{_text(label)}: {_number(value)} {_text(unit)}</title>'
            f'<rect x="{x:.1f}" y="{baseline - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text class="value" x="{centre:.1f}" y="{baseline - height - 4:.1f}" text-anchor="middle">'
            f"{_number(value)}</text></g>"
        )
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{baseline}" y2="{baseline}"/>')
    parts += _x_labels(labels, centres, baseline)
    parts.append("</svg>")
    return "\n".join(parts)


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    size = 4.5
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size}" fill="{colour}"/>'
    if kind == "square":
        return f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size}" height="{2 * size}" fill="{colour}"/>'
    if kind == "triangle":
        points = f"{x:.1f},{y - size - 1:.1f} {x - size - 1:.1f},{y + size:.1f} {x + size + 1:.1f},{y + size:.1f}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    if kind == "diamond":
        reach = size + 1
        points = f"{x:.1f},{y - reach:.1f} {x + reach:.1f},{y:.1f} {x:.1f},{y + reach:.1f} {x - reach:.1f},{y:.1f}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    if kind == "cross":
        return (
            f'<path d="M{x - size:.1f},{y - size:.1f}L{x + size:.1f},{y + size:.1f}'
            f'M{x - size:.1f},{y + size:.1f}L{x + size:.1f},{y - size:.1f}" stroke="{colour}" stroke-width="2.5"/>'
        )
    return f'<rect x="{x - 1.5:.1f}" y="{y - size - 1:.1f}" width="3" height="{2 * size + 2}" fill="{colour}"/>'


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[LineSeries],
    low: float,
    high: float,
) -> str:
    """Draw up to six lines over the labels; hidden values leave a gap; a legend names each line and its marker."""
    if len(series) > MAX_SERIES:
        raise ValueError(f"at most {MAX_SERIES} lines")
    if any(len(line.values) != len(labels) for line in series):
        raise ValueError("one value per label in every line")
    legend_rows = math.ceil(len(series) / 2)
    height = HEIGHT + 22 * legend_rows
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    centres = [LEFT + slot * (index + 0.5) for index in range(len(labels))]
    span = (high - low) or 1

    def y_of(value: float) -> float:
        return baseline - plot_height * (min(max(value, low), high) - low) / span

    parts = [*_open(chart_id, title, description, height), *_axis(low, high, plot_height, nice_divisions(low, high))]
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{baseline}" y2="{baseline}"/>')
    parts += _x_labels(labels, centres, baseline)
    for index, line in enumerate(series):
        colour, dash, marker = PALETTE[index], DASHES[index], MARKERS[index]
        parts.append(f'<g class="series"><title>{_text(line.name)}</title>')
        for path in _runs(line.values, centres, y_of):
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dashed}/>')
        for label, value, x in zip(labels, line.values, centres, strict=True):
            if value is not None:
                point_title = f"{_text(line.name)}, {_text(label)}: {_number(value)}"
                parts.append(f"<g><title>{point_title}</title>{_marker(marker, x, y_of(value), colour)}</g>")
        parts.append("</g>")
    parts += _legend(series, HEIGHT + 4)
    parts.append("</svg>")
    return "\n".join(parts)


def _runs(values: Sequence[float | None], centres: Sequence[float], y_of: Callable[[float], float]) -> list[str]:
    """Return the polyline points of each unbroken run of two or more shown values."""
    runs: list[list[str]] = [[]]
    for value, x in zip(values, centres, strict=True):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(f"{x:.1f},{y_of(value):.1f}")
    return [" ".join(run) for run in runs if len(run) > 1]


def _legend(series: Sequence[LineSeries], top: float) -> list[str]:
    parts = ['<g class="legend">']
    for index, line in enumerate(series):
        column, row = index % 2, index // 2
        x, y = LEFT + column * 290, top + row * 22 + 8
        dash = f' stroke-dasharray="{DASHES[index]}"' if DASHES[index] else ""
        parts.append(
            f'<line x1="{x}" x2="{x + 36}" y1="{y}" y2="{y}" stroke="{PALETTE[index]}" stroke-width="2.5"{dash}/>'
            + _marker(MARKERS[index], x + 18, y, PALETTE[index])
            + f'<text class="label" x="{x + 44}" y="{y + 4}">{_text(line.name)}</text>'
        )
    parts.append("</g>")
    return parts
