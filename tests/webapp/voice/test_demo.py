"""The demo world's voice: a closed poll whose results show unsuppressed figures, open ones the
demo patient can answer, and suggestions with replies; seeding twice adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from webapp import demo
from webapp.extensions import db
from webapp.models import Consultation, ConsultationResponse, Suggestion, SuggestionStatus
from webapp.voice import queries
from webapp.voice.demo import CLOSED_POLL
from webapp.voice.rules import Phase


def test_the_demo_has_a_closed_poll_with_results_shown_and_answered_suggestions(app):
    with app.app_context():
        demo.seed()
        demo.seed()
        now = datetime.now(UTC)
        poll = db.session.scalars(
            select(Consultation).where(Consultation.title == CLOSED_POLL)
        ).one()
        assert queries.phase_of(poll, now) is Phase.CLOSED
        results = queries.poll_results(0, poll)
        assert results.respondents_shown == "30"
        assert [option.shown for option in results.options] == ["15", "10", "5", "*"]
        assert results.options[0].share == "43.8%"
        open_ones = [
            c
            for c in db.session.scalars(select(Consultation))
            if queries.phase_of(c, now) is Phase.OPEN
        ]
        assert len(open_ones) == 2
        assert db.session.scalar(select(func.count(ConsultationResponse.id))) == 32 + 7
        statuses = {s.status for s in db.session.scalars(select(Suggestion))}
        assert statuses == set(SuggestionStatus)
        assert all(
            s.reply
            for s in db.session.scalars(select(Suggestion))
            if s.status is not SuggestionStatus.NEW
        )
