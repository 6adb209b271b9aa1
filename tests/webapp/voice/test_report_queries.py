"""What the monthly commissioner report can call: consultations that closed in the month with
their (suppressed) results, and suggestions by status. Aggregates only: no handle, no text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.webapp.voice.conftest import make_consultation, make_member, make_staff
from webapp.extensions import db
from webapp.models import (
    ConsultationChoice,
    ConsultationKind,
    ConsultationResponse,
    Post,
    PostStatus,
    Space,
    Suggestion,
    SuggestionStatus,
    Thread,
)
from webapp.voice import queries, rules

NOW = datetime.now(UTC)
MONTH = (NOW - timedelta(days=20), NOW + timedelta(days=1))


def _vote(consultation, index, n):
    for k in range(n):
        member_id = make_member(f"v{consultation.id}-{index}-{k}").id
        response = ConsultationResponse(consultation_id=consultation.id, member_id=member_id)
        db.session.add(response)
        db.session.flush()
        db.session.add(
            ConsultationChoice(response_id=response.id, option_id=consultation.options[index].id)
        )
    db.session.commit()


def test_consultations_closed_in_the_month_with_suppressed_results():
    poll = make_consultation(state="closed", title="Poll in the month")
    _vote(poll, 0, 6)
    _vote(poll, 1, 2)
    make_consultation(state="closed", kind=ConsultationKind.SURVEY, title="Survey")
    make_consultation(state="open", title="Still open")
    summary = queries.consultation_summary(*MONTH)
    # Oldest closing first: the poll was made (and so closes) a moment before the survey.
    assert [(s.title, s.kind, s.respondents) for s in summary] == [
        ("Poll in the month", ConsultationKind.POLL, 8),
        ("Survey", ConsultationKind.SURVEY, 0),
    ]
    poll_summary = next(s for s in summary if s.poll is not None)
    assert poll_summary.poll.respondents_shown == "10"
    assert [(o.label, o.shown, o.share) for o in poll_summary.poll.options] == [
        ("Mornings", "5", "75.0%"),
        ("Evenings", "*", "*"),
        ("Weekends", "0", "0.0%"),
    ]
    assert summary[1].poll is None  # a survey has no options to count
    assert queries.consultation_summary(NOW + timedelta(days=2), NOW + timedelta(days=3)) == []


def test_suggestion_counts_by_status_for_the_month():
    staff = make_staff()
    space = Space(title="voice test", is_listed=False)
    db.session.add(space)
    statuses = [SuggestionStatus.NEW, SuggestionStatus.DONE, SuggestionStatus.DONE]
    for n, status in enumerate(statuses):
        member_id = make_member(f"s-{n}").id
        thread = Thread(space=space, author_id=member_id, title=f"Idea {n}")
        post = Post(thread=thread, author_id=member_id, body="text", status=PostStatus.VISIBLE)
        db.session.add(post)
        db.session.flush()
        replied = None if status is SuggestionStatus.NEW else NOW
        db.session.add(
            Suggestion(
                author_id=member_id,
                post_id=post.id,
                status=status,
                reply=None if replied is None else "Done it",
                replied_at=replied,
                replied_by_id=None if replied is None else staff.id,
                created_at=NOW - timedelta(days=n),
            )
        )
    db.session.commit()
    counts = queries.suggestion_counts(*MONTH)
    assert counts == {
        "new": 1,
        "under_review": 0,
        "planned": 0,
        "done": 2,
        "not_doing": 0,
        "received": 3,
        "replied": 2,
    }
    assert rules.counts_shown(counts)["received"] == "*"
