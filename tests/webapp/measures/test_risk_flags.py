"""Risk flags nobody may miss: an answer changed for the worse after a flag was read raises
another; a flag waiting to be read is listed for its therapist and for the clinical lead,
whatever became of its session, and the clinical lead may read and acknowledge it; the
therapist is emailed when one is raised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import sign_in, submit
from webapp.extensions import db
from webapp.measures import queries, services
from webapp.models import Appointment, AppointmentStatus, AuditEvent, RiskFlag, Role, User


@pytest.fixture
def booked(client):
    patient = factories.make_user(Role.PATIENT, full_name="Casey Jordan")
    appointment = factories.make_appointment(patient)
    sign_in(client, patient)
    return patient, appointment


def _answer_phq9(client, appointment, q9: int) -> None:
    base = f"/questionnaires/appointments/{appointment.id}/phq9"
    submit(client, f"{base}/1", {"q1": "1", "q2": "1", "q3": "0"})
    submit(client, f"{base}/2", {"q4": "0", "q5": "0", "q6": "0"})
    submit(client, f"{base}/3", {"q7": "0", "q8": "0", "q9": str(q9)})


def _flags(appointment) -> list[RiskFlag]:
    db.session.expire_all()
    return queries.risk_flags_for_appointment(appointment.id)


def _acknowledge(appointment, flag: RiskFlag) -> None:
    therapist = db.session.get(User, appointment.therapist_id)
    level = "" if flag.level is None else str(flag.level)
    services.acknowledge_flag(
        therapist, flag, "Will ask first", now=datetime.now(UTC), level_shown=level
    )


def test_an_answer_made_worse_after_the_flag_was_read_raises_another(client, booked, outbox):
    _, appointment = booked
    _answer_phq9(client, appointment, q9=1)
    (first,) = _flags(appointment)
    assert (first.level, first.acknowledged_at) == (1, None)
    _acknowledge(appointment, first)
    outbox.clear()

    _answer_phq9(client, appointment, q9=1)  # saved again, no worse: nothing new
    assert [flag.id for flag in _flags(appointment)] == [first.id]
    _answer_phq9(client, appointment, q9=3)
    flags = _flags(appointment)
    assert [flag.level for flag in flags] == [1, 3]
    again = flags[1]
    assert again.acknowledged_at is None
    assert again.description.startswith("Raised again: the answer is now 3, worse than the 1")
    assert [f.id for f in queries.unacknowledged_risk_flags(appointment.id)] == [again.id]
    assert len(outbox) == 1  # the therapist is told again
    raised = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "risk_flag.raised").order_by(AuditEvent.id)
    ).all()
    assert [event.detail for event in raised] == [
        {"code": "phq9_item9", "level": 1, "again": False},
        {"code": "phq9_item9", "level": 3, "again": True},
    ]

    _answer_phq9(client, appointment, q9=2)  # better than the one waiting: nothing new
    assert len(_flags(appointment)) == 2


def test_a_worse_answer_before_the_flag_is_read_updates_it_and_tells_the_therapist_again(
    app, client, booked, outbox
):
    _, appointment = booked
    _answer_phq9(client, appointment, q9=1)
    outbox.clear()
    _answer_phq9(client, appointment, q9=3)
    (flag,) = _flags(appointment)
    assert flag.level == 3 and flag.description.startswith("The answer changed to 3")
    assert len(outbox) == 1  # told again
    _acknowledge(appointment, flag)
    _answer_phq9(client, appointment, q9=3)
    assert len(_flags(appointment)) == 1


def test_an_acknowledgement_from_a_page_showing_a_milder_answer_is_refused(app, client, booked):
    """The therapist opened the flag at question 9 = 1; the patient changed it to 3 before they
    pressed "I have seen this": nothing is saved, and they are shown the answer as it now is."""
    _, appointment = booked
    _answer_phq9(client, appointment, q9=1)
    (flag,) = _flags(appointment)
    therapist_client = app.test_client()
    sign_in(therapist_client, db.session.get(User, appointment.therapist_id))
    view = f"/questionnaires/therapist/appointments/{appointment.id}"
    assert 'name="level_shown" value="1"' in therapist_client.get(view).get_data(as_text=True)
    _answer_phq9(client, appointment, q9=3)
    path = f"{view}/risk-flags/{flag.id}/acknowledge"
    page = submit(
        therapist_client, path, {"note": "Will ask first.", "level_shown": "1"}, form_page=view
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "The answer changed since you opened this page" in html
    assert "Will ask first." in html and 'name="level_shown" value="3"' in html
    assert [f.acknowledged_at for f in _flags(appointment)] == [None]
    response = submit(
        therapist_client, path, {"note": "Will ask first.", "level_shown": "3"}, form_page=view
    )
    assert response.status_code == 302
    assert _flags(appointment)[0].acknowledged_at is not None


def test_a_flag_from_before_levels_were_kept_counts_as_the_mildest_answer(client, booked):
    """Read before levels were kept, it is taken as question 9 = 1: a 3 raises another, so a
    worse answer is never missed (a 1 again does not)."""
    _, appointment = booked
    _answer_phq9(client, appointment, q9=1)
    (flag,) = _flags(appointment)
    flag.level = None
    db.session.commit()
    _acknowledge(appointment, flag)
    _answer_phq9(client, appointment, q9=1)
    assert len(_flags(appointment)) == 1
    _answer_phq9(client, appointment, q9=3)
    assert [f.level for f in _flags(appointment)] == [None, 3]


def test_the_therapist_is_emailed_without_the_patients_name_or_answer(client, booked, outbox):
    patient, appointment = booked
    outbox.clear()
    _answer_phq9(client, appointment, q9=2)
    (email,) = outbox
    therapist = db.session.get(User, appointment.therapist_id)
    assert email.to == therapist.email and email.subject == "Answers to read before a session"
    assert f"/questionnaires/therapist/appointments/{appointment.id}" in email.body
    assert patient.full_name not in email.body and "question 9" not in email.body


def test_a_cancelled_sessions_unread_flag_stays_on_the_therapists_and_the_leads_pages(
    app, client, booked
):
    """The patient answered, then cancelled: the flag is still listed until someone reads it,
    and the clinical lead may read and acknowledge it. Another therapist never sees it."""
    _, appointment = booked
    _answer_phq9(client, appointment, q9=3)
    (flag,) = _flags(appointment)
    db.session.get(Appointment, appointment.id).status = AppointmentStatus.CANCELLED
    db.session.commit()
    therapist = db.session.get(User, appointment.therapist_id)

    therapist_client = app.test_client()
    sign_in(therapist_client, therapist)
    day = therapist_client.get("/therapist/").get_data(as_text=True)
    assert "Risk answers to read (1)" in day and "Casey Jordan" in day
    assert "(cancelled)" in day
    other = app.test_client()
    sign_in(other, factories.make_therapist())
    assert "Risk answers to read" not in other.get("/therapist/").get_data(as_text=True)
    view = f"/questionnaires/therapist/appointments/{appointment.id}"
    assert other.get(view).status_code == 404

    lead_user = factories.make_user(Role.CLINICAL_LEAD, full_name="Dr Ada Shaw")
    lead = app.test_client()
    sign_in(lead, lead_user)
    dashboard = lead.get("/clinical/").get_data(as_text=True)
    assert "Risk answers to read (1)" in dashboard
    assert f"(therapist {therapist.full_name})" in dashboard and f'href="{view}"' in dashboard
    assert lead.get(view).status_code == 200
    response = submit(
        lead,
        f"{view}/risk-flags/{flag.id}/acknowledge",
        {"note": "Called Casey: safe, rebooked.", "level_shown": "3"},
        form_page=view,
    )
    assert response.status_code == 302
    read = db.session.get(RiskFlag, flag.id)
    db.session.refresh(read)
    assert read.acknowledged_by_id == lead_user.id
    assert "Risk answers to read" not in lead.get("/clinical/").get_data(as_text=True)
    page = therapist_client.get(view).get_data(as_text=True)
    assert "by Dr Ada Shaw: Called Casey: safe, rebooked." in page


def test_a_commissioner_or_moderator_cannot_read_a_flag(app, client, booked):
    _, appointment = booked
    _answer_phq9(client, appointment, q9=3)
    view = f"/questionnaires/therapist/appointments/{appointment.id}"
    for role in (Role.COMMISSIONER, Role.MODERATOR, Role.ADMIN):
        other = app.test_client()
        sign_in(other, factories.make_user(role))
        assert other.get(view).status_code == 403
    assert client.get(view).status_code == 403  # the patient themselves
