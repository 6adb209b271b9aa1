"""The monthly report's community voice section: consultations that closed in the month with
their poll results, and suggestions by status, every count suppressed as the rest of the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.webapp.voice.conftest import make_consultation, make_member
from tests.webapp.voice.test_report_queries import _vote
from webapp.extensions import db
from webapp.models import Consultation, ConsultationKind
from webapp.reports import aggregates, report
from webapp.reports.definitions import Period

NOW = datetime.now(UTC)


def _month_of(moment: datetime) -> Period:
    return Period.month(moment.year, moment.month)


def test_a_closed_poll_and_its_results_are_in_its_month():
    poll = make_consultation(state="closed", title="When should live chats run?")
    _vote(poll, 0, 6)
    _vote(poll, 1, 2)
    make_consultation(state="closed", kind=ConsultationKind.SURVEY, title="Your ideas")
    make_consultation(state="open", title="Still open")
    make_member("someone")
    built = aggregates.build(_month_of(poll.closes_at), NOW)
    closed = built.table("consultations")
    assert closed.column("label") == ["When should live chats run?", "Your ideas"]
    assert closed.cell("When should live chats run?", "respondents") == "10"  # 8
    assert closed.cell("When should live chats run?", "kind") == "Poll"
    assert closed.cell("Your ideas", "respondents") == "0"
    results = built.table("consultation_results")
    assert results.cell("When should live chats run?: Mornings", "chose") == "5"  # 6
    # of the rounded figures (5 of 10): 6 of 8 exactly, 75%, would give away the hidden 2
    assert results.cell("When should live chats run?: Mornings", "share") == "50.0%"
    assert results.cell("When should live chats run?: Evenings", "chose") == "*"  # 2
    assert results.cell("When should live chats run?: Evenings", "share") == "*"
    assert results.cell("When should live chats run?: Weekends", "share") == "0.0%"
    assert "Suggestions received" in built.table("suggestions").column("label")
    csv = report.to_csv(built)
    assert "Consultations closed this month" in csv and "Poll results" in csv


def test_a_month_without_consultations_says_so():
    later = NOW + timedelta(days=70)
    built = aggregates.build(_month_of(later), NOW)
    assert built.table("consultations").rows == ()
    assert "No consultation closed" in built.table("consultations").note
    assert built.table("suggestions").cell("Suggestions received", "count") == "0"


def test_the_demo_worlds_closed_consultation_is_in_its_months_report(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    closed = db.session.scalar(
        select(Consultation).where(Consultation.closes_at <= NOW).order_by(Consultation.id)
    )
    assert closed is not None and closed.kind is ConsultationKind.POLL
    built = aggregates.build(_month_of(closed.closes_at), NOW)
    assert closed.title in built.table("consultations").column("label")
    shares = [
        share
        for label, share in zip(
            built.table("consultation_results").column("label"),
            built.table("consultation_results").column("share"),
            strict=True,
        )
        if label.startswith(closed.title)
    ]
    assert shares and all(share not in ("", "*") for share in shares[:2])  # results shown
