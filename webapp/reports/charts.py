"""Bar charts of published report tables, drawn with matplotlib's object API as SVG.

Pure: a published `Table` in, an SVG out; only published (suppressed) figures are drawn, so a
chart can show nothing a table would hide. A hidden figure ("*") is drawn as an empty bar marked
"*". Each SVG carries a <title> and <desc> for screen readers and always sits beside its table.
Pages show it as a data: image, which the Content-Security-Policy allows (img-src data:) while
it forbids the inline styles matplotlib writes into the SVG.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from html import escape

import matplotlib

matplotlib.use("Agg")  # never a window: reports are drawn on servers and in jobs

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from webapp.reports.report import Table
from webapp.reports.suppression import SUPPRESSED

NHS_BLUE = "#005eb8"
TEXT = "#212b32"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    svg: str

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def _number(published: str) -> float | None:
    text = published.rstrip("%")
    try:
        return float(text)
    except ValueError:
        return None


def bar_chart(table: Table) -> Chart | None:
    """A horizontal bar chart of the table's chart column; None if it has no chart or no data."""
    if table.chart is None:
        return None
    column = next(c for c in table.columns if c.key == table.chart)
    pairs = [
        (row[0], value)
        for row, value in zip(table.rows, table.column(table.chart), strict=True)
        if value != ""
    ]
    if not pairs:
        return None
    labels = [label for label, _ in pairs]
    values = [_number(value) or 0.0 for _, value in pairs]
    hidden = [value == SUPPRESSED for _, value in pairs]
    title = f"{table.title}: {column.title.lower()}"
    description = "; ".join(f"{label}: {value}" for label, value in pairs)

    figure = Figure(figsize=(7.0, 0.45 * len(pairs) + 1.0), dpi=72)
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    positions = list(range(len(pairs)))
    axes.barh(positions, values, color=NHS_BLUE)
    axes.set_yticks(positions, labels=labels, fontsize=10, color=TEXT)
    axes.invert_yaxis()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="x", labelsize=9, colors=TEXT)
    if column.kind == "rate":
        axes.set_xlim(0, 100)
        axes.set_xlabel("%", color=TEXT)
    top = max(values) if any(values) else 1.0
    for position, value, is_hidden, (_, shown) in zip(
        positions, values, hidden, pairs, strict=True
    ):
        axes.text(
            value + top * 0.01,
            position,
            f"{shown} (hidden)" if is_hidden else shown,
            va="center",
            fontsize=9,
            color=TEXT,
        )
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return Chart(table.key, title, description, _accessible(buffer.getvalue(), title, description))


def _accessible(svg: str, title: str, description: str) -> str:
    """The SVG without its XML prologue, with role="img", a <title> and a <desc> first."""
    start = svg.index("<svg")
    body = svg[start:]
    body = re.sub(r"<svg\b", '<svg role="img"', body, count=1)
    tag_end = body.index(">") + 1
    return (
        body[:tag_end]
        + f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        + body[tag_end:]
    )


def charts(tables: list[Table]) -> dict[str, Chart]:
    """Each table's chart by table key (tables without one are left out)."""
    drawn = {t.key: bar_chart(t) for t in tables}
    return {key: chart for key, chart in drawn.items() if chart is not None}
