"""The score chart (pure): accessible, escaped, and drawn to scale."""

from __future__ import annotations

from datetime import date

import pytest

from webapp.measures.chart import Point, line_chart_svg

pytestmark = pytest.mark.pure


def test_the_chart_has_a_title_a_description_and_one_marker_per_score():
    svg = line_chart_svg(
        [Point(date(2026, 1, 5), 14), Point(date(2026, 1, 12), 9)],
        maximum=27,
        caseness_at=10,
        title="Depression (PHQ-9)",
        chart_id="phq9",
    )
    assert 'role="img"' in svg and 'aria-labelledby="phq9-title phq9-desc"' in svg
    assert '<title id="phq9-title">Depression (PHQ-9)</title>' in svg
    assert "Latest score 9" in svg
    assert svg.count("<circle") == 2 and "<polyline" in svg
    assert "10: clinical range" in svg


def test_text_in_the_chart_is_escaped():
    svg = line_chart_svg([], maximum=21, caseness_at=8, title="<script>x</script>", chart_id='a"b')
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&quot;b" in svg


def test_a_higher_score_is_drawn_higher():
    svg = line_chart_svg(
        [Point(date(2026, 1, 1), 0), Point(date(2026, 1, 2), 27)],
        maximum=27,
        caseness_at=10,
        title="t",
        chart_id="c",
    )
    low, high = [float(part.split('cy="')[1].split('"')[0]) for part in svg.split("<circle")[1:]]
    assert high < low
