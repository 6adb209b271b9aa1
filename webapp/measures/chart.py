"""A small line chart as SVG for a patient's PHQ-9 or GAD-7 totals, with the caseness line.

Pure: values in, markup out. Every piece of text is escaped here, because the template inserts
the result as markup; the same figures are always shown beside it as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 40


@dataclass(frozen=True)
class Point:
    day: date
    value: int


def line_chart_svg(
    points: Sequence[Point], *, maximum: int, caseness_at: int, title: str, chart_id: str
) -> str:
    """An accessible SVG: a title and description for screen readers, then the drawing."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int) -> float:
        return LEFT + (
            plot_width * index / (len(points) - 1) if len(points) > 1 else plot_width / 2
        )

    def y(value: float) -> float:
        return TOP + plot_height * (1 - value / maximum)

    latest = f" Latest score {points[-1].value}." if points else " No scores yet."
    description = (
        f"{title}: {len(points)} score{'s' if len(points) != 1 else ''} over time. "
        f"Scores of {caseness_at} or more are in the range where treatment usually "
        f"helps.{latest}"
    )
    parts = [
        f'<svg class="app-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for tick in range(0, maximum + 1, 5 if maximum > 10 else 2):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}" stroke="#d8dde0" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 8}" y="{y(tick) + 5:.1f}" text-anchor="end" '
            f'font-size="14" fill="#4c6272">{tick}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(caseness_at):.1f}" '
        f'y2="{y(caseness_at):.1f}" stroke="#d5281b" stroke-width="2" '
        f'stroke-dasharray="8 6"/>'
    )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{y(caseness_at) - 6:.1f}" text-anchor="end" '
        f'font-size="14" fill="#d5281b">{caseness_at}: clinical range</text>'
    )
    if len(points) > 1:
        path = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(points))
        parts.append(f'<polyline points="{path}" fill="none" stroke="#005eb8" stroke-width="3"/>')
    for index, point in enumerate(points):
        parts.append(
            f'<circle cx="{x(index):.1f}" cy="{y(point.value):.1f}" r="5" fill="#005eb8"/>'
        )
        if len(points) <= 12 or index in (0, len(points) - 1):
            parts.append(
                f'<text x="{x(index):.1f}" y="{HEIGHT - 12}" text-anchor="middle" '
                f'font-size="13" fill="#4c6272">{point.day:%d %b}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
