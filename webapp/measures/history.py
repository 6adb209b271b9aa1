"""A patient's PHQ-9 and GAD-7 history, ready to show: a chart and the rows behind it.
Used by the scores page and the patient's home page; reads only the patient's own answers."""

from __future__ import annotations

from dataclasses import dataclass

import questionnaires
from webapp.measures import chart, queries
from webapp.models import QuestionnaireResponse

CHARTED = {"phq9": ("Depression (PHQ-9)", 27), "gad7": ("Anxiety (GAD-7)", 21)}


@dataclass(frozen=True)
class ScoreChart:
    code: str
    title: str
    svg: str
    history: list[QuestionnaireResponse]


def score_charts(patient_id: int) -> list[ScoreChart]:
    charts = []
    for code, (title, maximum) in CHARTED.items():
        history = queries.score_history(patient_id, code)
        points = [
            chart.Point(r.completed_at.date(), r.total)
            for r in history
            if r.completed_at is not None and r.total is not None
        ]
        svg = chart.line_chart_svg(
            points,
            maximum=maximum,
            title=title,
            chart_id=code,
            caseness_at=questionnaires.get(code).caseness_at or 0,
        )
        charts.append(ScoreChart(code, title, svg, history))
    return charts
