"""Consultations: publishing (UK times stored as UTC, options checked), one response per member
(the service and the database), closed is closed, results suppressed for members, survey answers
screened exactly as posts, and changes refused once members have responded."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.conftest import csrf_token
from tests.webapp.voice.conftest import RISK, make_consultation, make_member, make_staff
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    Consultation,
    ConsultationAnswer,
    ConsultationChoice,
    ConsultationKind,
    ConsultationResponse,
    ItemKind,
    ModerationItem,
    Post,
    PostStatus,
    Space,
)
from webapp.voice import queries, services


def _post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def _publish(client, **values):
    data = {
        "kind": "poll",
        "title": "When should live chats run?",
        "description": "",
        "options": "Mornings\nEvenings\n\nWeekends",
        "multiple": "no",
        "max_choices": "",
        "questions": "",
        "opens_at": "2026-07-01T09:00",
        "closes_at": "2026-07-14T17:30",
    }
    return _post(client, "/moderation/voice/consultations/new", {**data, **values})


def test_a_moderator_publishes_a_poll_in_uk_time_stored_as_utc(signed_in):
    client = signed_in(make_staff())
    response = _publish(client)
    assert response.status_code == 302
    consultation = db.session.scalars(select(Consultation)).one()
    assert consultation.opens_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # BST
    assert consultation.closes_at == datetime(2026, 7, 14, 16, 30, tzinfo=UTC)
    assert [o.label for o in consultation.options] == ["Mornings", "Evenings", "Weekends"]
    assert not consultation.is_multiple_choice and consultation.max_choices == 1


def test_a_multiple_choice_poll_keeps_its_maximum(signed_in):
    client = signed_in(make_staff())
    assert _publish(client, multiple="yes", max_choices="2").status_code == 302
    consultation = db.session.scalars(select(Consultation)).one()
    assert consultation.is_multiple_choice and consultation.max_choices == 2


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"options": "Only one"}, "Give from 2 to 10 options"),
        ({"options": "\n".join(str(n) for n in range(11))}, "Give from 2 to 10 options"),
        ({"multiple": "yes", "max_choices": "7"}, "from 2 to 3"),
        ({"closes_at": "2026-06-30T09:00"}, "closing time must be after"),
        ({"opens_at": "2026-03-29T01:30"}, "does not exist in the UK"),
        ({"kind": "survey", "questions": ""}, "Give from 1 to 5 questions"),
        ({"title": ""}, "Enter a title"),
    ],
)
def test_bad_consultations_are_refused_with_an_error_summary(signed_in, values, message):
    client = signed_in(make_staff())
    response = _publish(client, **values)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert db.session.scalar(select(Consultation.id)) is None


def _respond(client, consultation, data):
    return _post(client, f"/community/voice/consultations/{consultation.id}", data)


def test_a_member_answers_a_poll_once(signed_in):
    consultation = make_consultation()
    client = signed_in(make_member("calm-heron"))
    option = consultation.options[1]
    assert _respond(client, consultation, {"single": option.id}).status_code == 302
    page = client.get(f"/community/voice/consultations/{consultation.id}").get_data(as_text=True)
    assert "You have responded" in page and 'name="single"' not in page
    again = _respond(client, consultation, {"single": consultation.options[0].id})
    assert "You have already responded" in again.get_data(as_text=True)
    assert db.session.scalars(select(ConsultationChoice.option_id)).all() == [option.id]


def test_the_service_refuses_a_second_response(app):
    consultation = make_consultation()
    member = db.session.get(CommunityMember, make_member("twice-owl").id)
    with app.test_request_context():
        now = datetime.now(UTC)
        services.respond_to_poll(member, consultation, [consultation.options[0].id], now=now)
        with pytest.raises(services.Refused, match="already responded"):
            services.respond_to_poll(member, consultation, [consultation.options[1].id], now=now)


def test_the_database_refuses_a_second_response_when_the_check_is_raced(app, monkeypatch):
    """Two requests both pass the check before either writes: the unique constraint decides,
    and the loser is told, not shown an error page."""
    consultation = make_consultation()
    consultation_id = consultation.id
    member = db.session.get(CommunityMember, make_member("racing-fox").id)
    monkeypatch.setattr(queries, "has_responded", lambda *_: False)
    with app.test_request_context():
        now = datetime.now(UTC)
        services.respond_to_poll(member, consultation, [consultation.options[0].id], now=now)
        with pytest.raises(services.Refused, match="already responded"):
            services.respond_to_poll(member, consultation, [consultation.options[1].id], now=now)
    assert queries.response_count(consultation_id) == 1


def test_the_unique_constraint_holds_without_the_service():
    consultation = make_consultation()
    member_id = make_member("raw-writer").id
    db.session.add(ConsultationResponse(consultation_id=consultation.id, member_id=member_id))
    db.session.commit()
    db.session.add(ConsultationResponse(consultation_id=consultation.id, member_id=member_id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_multiple_choice_is_limited_to_its_maximum(signed_in):
    consultation = make_consultation(multiple=2)
    client = signed_in(make_member("many-minds"))
    ids = [option.id for option in consultation.options]
    page = _respond(client, consultation, {"several": ids}).get_data(as_text=True)
    assert "Select up to 2 answers" in page
    assert _respond(client, consultation, {"several": ids[:2]}).status_code == 302
    assert len(db.session.scalars(select(ConsultationChoice)).all()) == 2


def test_an_empty_or_foreign_choice_is_refused(signed_in):
    consultation = make_consultation()
    other = make_consultation(title="Another poll")
    client = signed_in(make_member("picky-wren"))
    assert "Select an answer" in _respond(client, consultation, {}).get_data(as_text=True)
    page = _respond(client, consultation, {"single": other.options[0].id}).get_data(as_text=True)
    assert "Select from the options shown" in page
    assert queries.response_count(consultation.id) == 0


def test_responding_after_closing_is_refused(signed_in):
    consultation = make_consultation(state="closed")
    client = signed_in(make_member("late-lark"))
    path = f"/community/voice/consultations/{consultation.id}"
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "single": consultation.options[0].id}
    )
    assert "This consultation is closed" in response.get_data(as_text=True)
    assert queries.response_count(consultation.id) == 0


def test_a_member_whose_posting_is_paused_cannot_respond(signed_in):
    consultation = make_consultation()
    user = make_member("paused-pika")
    member = db.session.get(CommunityMember, user.id)
    member.suspended_until = datetime.now(UTC) + timedelta(days=2)
    db.session.commit()
    client = signed_in(user)
    page = client.get(f"/community/voice/consultations/{consultation.id}").get_data(as_text=True)
    assert "paused your posting" in page and 'name="single"' not in page
    response = _respond(client, consultation, {"single": consultation.options[0].id})
    assert "paused your posting" in response.get_data(as_text=True)
    assert queries.response_count(consultation.id) == 0


def _answers(consultation, picks):
    """Responses written directly: picks[n] is the option index member n chose."""
    for n, index in enumerate(picks):
        member_id = make_member(f"voter-{n}").id
        response = ConsultationResponse(consultation_id=consultation.id, member_id=member_id)
        db.session.add(response)
        db.session.flush()
        db.session.add(
            ConsultationChoice(response_id=response.id, option_id=consultation.options[index].id)
        )
    db.session.commit()


def _cells(page):
    return re.findall(
        r'nhsuk-table__cell[^"]*"><span class="nhsuk-table-responsive__heading">'
        r"[^<]+</span>([^<]*)<",
        page,
    )


def test_members_see_closed_results_with_small_numbers_suppressed(signed_in):
    consultation = make_consultation(state="closed")
    _answers(consultation, [0] * 12 + [1] * 3)  # 12 and 3 of 15; nobody chose the third
    client = signed_in(make_member("result-reader"))
    page = client.get(f"/community/voice/consultations/{consultation.id}").get_data(as_text=True)
    assert "Results from 15 members" in page
    assert _cells(page) == [
        "Mornings", "10", "80.0%",
        "Evenings", "*", "*",
        "Weekends", "0", "0.0%",
    ]  # fmt: skip


def test_staff_see_exact_counts_beside_what_members_see(signed_in):
    consultation = make_consultation(state="closed")
    _answers(consultation, [0] * 12 + [1] * 3)
    page = (
        signed_in(make_staff())
        .get(f"/moderation/voice/consultations/{consultation.id}")
        .get_data(as_text=True)
    )
    assert _cells(page)[:4] == ["Mornings", "12", "10", "80.0%"]


def test_results_are_not_shown_while_a_poll_is_open(signed_in):
    consultation = make_consultation()
    _answers(consultation, [0] * 6)
    page = (
        signed_in(make_member("eager-eye"))
        .get(f"/community/voice/consultations/{consultation.id}")
        .get_data(as_text=True)
    )
    assert "Results" not in page


def test_a_consultation_with_responses_can_only_be_closed_early(signed_in):
    consultation = make_consultation()
    _answers(consultation, [0])
    client = signed_in(make_staff())
    path = f"/moderation/voice/consultations/{consultation.id}/edit"
    response = _post(client, path, {
        "kind": "poll", "title": "Changed", "options": "A\nB", "multiple": "no",
        "opens_at": "2026-07-01T09:00", "closes_at": "2026-07-14T17:30",
    })  # fmt: skip
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert db.session.get(Consultation, consultation.id).title != "Changed"
    close = f"/moderation/voice/consultations/{consultation.id}/close"
    token = csrf_token(client, f"/moderation/voice/consultations/{consultation.id}")
    assert client.post(close, data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    closed = db.session.get(Consultation, consultation.id)
    assert closed.closed_early_at is not None
    assert queries.phase_of(closed, datetime.now(UTC)).value == "closed"


def test_a_consultation_nobody_answered_can_be_changed(signed_in):
    consultation = make_consultation()
    client = signed_in(make_staff())
    path = f"/moderation/voice/consultations/{consultation.id}/edit"
    assert "Mornings" in client.get(path).get_data(as_text=True)  # filled in from the saved one
    response = _post(client, path, {
        "kind": "poll", "title": "Changed", "options": "A\nB\nC", "multiple": "no",
        "opens_at": "2026-12-01T09:00", "closes_at": "2026-12-14T17:30",
    })  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Consultation, consultation.id)
    assert changed.title == "Changed" and [o.label for o in changed.options] == ["A", "B", "C"]
    assert changed.opens_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # GMT


def _survey_page(client, consultation):
    return client.get(f"/community/voice/consultations/{consultation.id}").get_data(as_text=True)


def test_a_survey_answer_with_a_risk_watchword_is_held_alerted_and_the_author_supported(signed_in):
    consultation = make_consultation(kind=ConsultationKind.SURVEY)
    client = signed_in(make_member("brave-finch"))
    first, second = consultation.questions
    response = _respond(
        client,
        consultation,
        {f"answer_{first.id}": "More evening chats", f"answer_{second.id}": RISK},
    )
    assert response.status_code == 302
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    assert [(p.body, p.status) for p in posts] == [
        ("More evening chats", PostStatus.VISIBLE),
        (RISK, PostStatus.HELD),  # kept, waiting for a moderator: nothing is lost
    ]
    item = db.session.scalars(select(ModerationItem)).one()
    assert item.kind is ItemKind.ALERT and item.post_id == posts[1].id and item.is_clinical_risk
    assert item.next_escalation_at is not None  # the escalation clock runs, as for a post
    page = _survey_page(client, consultation)
    assert "If you are thinking about harming yourself" in page and "116 123" in page
    assert len(db.session.scalars(select(ConsultationAnswer)).all()) == 2


def test_the_voice_space_never_appears_among_the_communitys_spaces(signed_in):
    consultation = make_consultation(kind=ConsultationKind.SURVEY)
    client = signed_in(make_member("quiet-shore"))
    first = consultation.questions[0]
    _respond(client, consultation, {f"answer_{first.id}": "Kinder replies please"})
    space = db.session.scalars(select(Space)).one()
    post = db.session.scalars(select(Post)).one()
    assert not space.is_listed
    assert space.title not in client.get("/community/").get_data(as_text=True)
    assert client.get(f"/community/spaces/{space.id}").status_code == 404
    assert client.get(f"/community/threads/{post.thread_id}").status_code == 404


def test_a_survey_needs_one_answer(signed_in):
    consultation = make_consultation(kind=ConsultationKind.SURVEY)
    client = signed_in(make_member("blank-page"))
    page = _respond(client, consultation, {}).get_data(as_text=True)
    assert "Answer at least one question" in page
    assert queries.response_count(consultation.id) == 0


def test_staff_read_every_survey_answer_in_full_by_handle(signed_in):
    consultation = make_consultation(kind=ConsultationKind.SURVEY)
    member = signed_in(make_member("open-book", full_name="Harriet Quill"))
    first, second = consultation.questions
    _respond(
        member,
        consultation,
        {f"answer_{first.id}": "More evening chats", f"answer_{second.id}": RISK},
    )
    page = (
        signed_in(make_staff())
        .get(f"/moderation/voice/consultations/{consultation.id}")
        .get_data(as_text=True)
    )
    assert "More evening chats" in page and "kill myself" in page and "Held" in page
    assert "open-book" in page and "Harriet" not in page


def test_members_never_see_survey_answers_only_how_many(signed_in):
    consultation = make_consultation(kind=ConsultationKind.SURVEY)
    consultation_id, question_id = consultation.id, consultation.questions[0].id
    for n in range(6):
        client = signed_in(make_member(f"answerer-{n}"))
        _respond(client, consultation, {f"answer_{question_id}": f"Idea {n}"})
    consultation = db.session.get(Consultation, consultation_id)  # requests end their sessions
    consultation.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    page = _survey_page(signed_in(make_member("reader-x")), consultation)
    assert "5 members answered this survey" in page  # 6, rounded to the nearest 5
    assert "Idea" not in page


def test_the_moderation_item_page_shows_a_held_survey_answer(signed_in):
    consultation = make_consultation(kind=ConsultationKind.SURVEY)
    client = signed_in(make_member("item-maker"))
    _respond(client, consultation, {f"answer_{consultation.questions[0].id}": RISK})
    item = db.session.scalars(select(ModerationItem)).one()
    page = signed_in(make_staff()).get(f"/moderation/items/{item.id}").get_data(as_text=True)
    assert (
        "kill myself" in page and "item-maker" in page and f"Survey: {consultation.title}" in page
    )
