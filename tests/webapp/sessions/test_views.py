"""Session pages: the room and where it sends people who cannot come in yet, the record with
its gate, the patient's notes and rating, transcripts and their audit rows, and refusals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import submit
from tests.webapp.sessions.conftest import (
    STARTS_AT,
    connect,
    fast_sign_in,
    raise_risk_flag,
    send,
)
from webapp import local_datetime, london_datetime
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    AttendanceEvent,
    AttendanceKind,
    AuditEvent,
    ChatMessage,
    PatientSessionNote,
    Role,
    ServerInstance,
    SessionRating,
    SessionRecord,
)

RECORD = {
    "clinical_notes": "Worked on a sleep diary; mood a little better.",
    "therapy_type": "cbt",
    "appointment_type": "treatment",
    "step_of_care": "2",
    "contact_minutes": "50",
    "attendance_code": "5",
    "next_steps": "Keep the diary; review in a week.",
}


def room_url(appointment):
    return f"/sessions/{appointment.id}"


def test_the_room_page_has_the_clock_live_region_and_script(pair):
    pair.move_to(STARTS_AT + timedelta(minutes=2))
    page = pair.patient_client.get(room_url(pair.appointment))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'role="timer"' in html and "48:00" in html
    assert 'aria-live="polite"' in html
    assert 'src="/static/chat.js"' in html and "<script>" not in html
    assert "Let my therapist see when I am typing" in html


def test_before_it_opens_the_room_says_when(pair):
    page = pair.patient_client.get(room_url(pair.appointment))
    assert page.status_code == 200
    assert "not open yet" in page.get_data(as_text=True)
    assert "The room opens for you at" in page.get_data(as_text=True)


def test_a_patient_with_questionnaires_to_finish_is_sent_to_them(client, clock):
    appointment = factories.make_appointment(starts_at=STARTS_AT)
    fast_sign_in(client, appointment.patient)
    clock.move_to(STARTS_AT)
    fast_sign_in(client, appointment.patient)
    page = client.get(room_url(appointment))
    assert page.status_code == 302
    assert page.headers["Location"].endswith(f"/questionnaires/appointments/{appointment.id}")


def test_a_therapist_with_a_risk_flag_to_read_is_sent_to_it(pair):
    raise_risk_flag(pair.appointment)
    pair.move_to(STARTS_AT)
    page = pair.therapist_client.get(room_url(pair.appointment))
    assert page.headers["Location"].endswith(
        f"/questionnaires/therapist/appointments/{pair.appointment.id}"
    )
    waiting = pair.patient_client.get(room_url(pair.appointment)).get_data(as_text=True)
    assert "reading your answers" in waiting
    assert "The room opens for you at" not in waiting  # it is past: not a time to wait for


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST])
def test_someone_elses_session_is_a_404_on_every_page(client, pair, role):
    stranger = factories.make_therapist() if role is Role.THERAPIST else factories.make_user()
    fast_sign_in(client, stranger)
    paths = ["", "/transcript", "/record" if role is Role.THERAPIST else "/my-notes"]
    if role is Role.PATIENT:
        paths.append("/rating")
    for path in paths:
        assert client.get(room_url(pair.appointment) + path).status_code == 404, path


def test_staff_other_than_therapists_cannot_use_session_pages(client, pair):
    fast_sign_in(client, factories.make_user(Role.MODERATOR))
    assert client.get(room_url(pair.appointment)).status_code == 403
    assert client.get("/sessions/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(app, pair):
    page = app.test_client().get(room_url(pair.appointment))
    assert page.status_code == 302 and "/sign-in" in page.headers["Location"]


def test_a_patient_cannot_use_the_record_and_a_therapist_cannot_rate(pair):
    pair.move_to(STARTS_AT + timedelta(minutes=55))
    assert pair.patient_client.get(room_url(pair.appointment) + "/record").status_code == 403
    assert pair.therapist_client.get(room_url(pair.appointment) + "/rating").status_code == 403
    assert pair.therapist_client.get(room_url(pair.appointment) + "/my-notes").status_code == 403


def _a_session_with_messages(app, pair):
    pair.move_to(STARTS_AT)
    therapist = connect(app, pair.therapist_client, pair.appointment.id)
    patient = connect(app, pair.patient_client, pair.appointment.id)
    send(patient, "I slept badly <again>", "view-test-0001")
    send(therapist, "Let us look at https://www.nhs.uk/every-mind-matters", "view-test-0002")
    pair.move_to(STARTS_AT + timedelta(minutes=49))
    therapist.disconnect("/chat")
    patient.disconnect("/chat")


def test_after_the_session_the_room_sends_each_to_their_next_step(app, pair):
    _a_session_with_messages(app, pair)
    pair.move_to(STARTS_AT + timedelta(minutes=50))
    patient = pair.patient_client.get(room_url(pair.appointment))
    therapist = pair.therapist_client.get(room_url(pair.appointment))
    assert patient.headers["Location"].endswith(f"{room_url(pair.appointment)}/rating")
    assert therapist.headers["Location"].endswith(f"{room_url(pair.appointment)}/record")


def test_the_record_is_required_before_the_next_session_and_suggests_attendance(app, pair):
    _a_session_with_messages(app, pair)
    later = factories.make_appointment(
        factories.make_user(), pair.therapist, starts_at=STARTS_AT + timedelta(hours=1)
    )
    pair.move_to(later.starts_at - timedelta(minutes=5))
    page = pair.therapist_client.get(room_url(later))
    assert page.headers["Location"].endswith(f"{room_url(pair.appointment)}/record")
    form = pair.therapist_client.get(room_url(pair.appointment) + "/record").get_data(as_text=True)
    assert "will be marked late" not in form
    assert re.search(r'value="5"\s+checked', form)  # suggested from the attendance records
    response = submit(pair.therapist_client, room_url(pair.appointment) + "/record", RECORD)
    assert response.status_code == 302
    record = db.session.scalar(select(SessionRecord))
    assert record.clinical_notes == RECORD["clinical_notes"] and not record.is_late
    assert record.proposed_outcome == "attended"
    appointment = db.session.get(Appointment, pair.appointment.id)
    db.session.refresh(appointment)
    assert (appointment.outcome, appointment.charged) == ("attended", True)  # the charge is set
    # the coding the care pathway derives "entered treatment" from, saved with the record
    assert (appointment.appointment_type, appointment.step_of_care) == ("treatment", "2")
    assert record.step_of_care == "2"  # the national code, as the extracts carry it
    assert pair.therapist_client.get(room_url(later)).status_code == 200


def test_a_record_with_missing_or_bad_answers_is_refused_and_nothing_is_saved(app, pair):
    _a_session_with_messages(app, pair)
    pair.move_to(STARTS_AT + timedelta(minutes=52))
    bad = {**RECORD, "clinical_notes": "", "contact_minutes": "90", "attendance_code": "9"}
    del bad["appointment_type"]
    page = submit(pair.therapist_client, room_url(pair.appointment) + "/record", bad)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "There is a problem" in html
    assert "Enter brief clinical notes" in html and "between 0 and 60" in html
    assert "Select the appointment type" in html
    assert db.session.scalar(select(SessionRecord)) is None


def test_a_record_written_after_the_10_minutes_is_kept_and_marked_late(app, pair):
    _a_session_with_messages(app, pair)
    pair.move_to(STARTS_AT + timedelta(minutes=75))
    submit(pair.therapist_client, room_url(pair.appointment) + "/record", RECORD)
    assert db.session.scalar(select(SessionRecord)).is_late


def test_a_moved_sessions_old_room_says_where_it_went_and_a_cancelled_one_says_so(app, pair):
    later = factories.make_appointment(
        pair.patient, pair.therapist, starts_at=STARTS_AT + timedelta(days=7)
    )
    appointment = db.session.get(Appointment, pair.appointment.id)
    appointment.status, appointment.rescheduled_to_id = AppointmentStatus.RESCHEDULED, later.id
    db.session.commit()
    page = pair.patient_client.get(room_url(pair.appointment)).get_data(as_text=True)
    assert f"was moved to {local_datetime(later.starts_at)}" in page
    assert f'href="{room_url(later)}"' in page and "The room opens for you" not in page
    assert "Your appointments" in page

    db.session.get(Appointment, later.id).status = AppointmentStatus.CANCELLED
    db.session.commit()
    page = pair.therapist_client.get(room_url(pair.appointment)).get_data(as_text=True)
    assert "That session was then cancelled" in page and "Your appointments" not in page
    page = pair.therapist_client.get(room_url(later)).get_data(as_text=True)
    assert "was cancelled" in page

    # a session whose outcome is recorded has finished: it is not called cancelled
    db.session.get(Appointment, later.id).status = AppointmentStatus.CLOSED
    db.session.commit()
    response = pair.patient_client.get(room_url(later))
    assert response.status_code == 302 and response.location.endswith(f"/{later.id}/rating")


def test_the_record_is_not_open_during_the_session(app, pair):
    pair.move_to(STARTS_AT + timedelta(minutes=20))
    page = submit(pair.therapist_client, room_url(pair.appointment) + "/record", RECORD)
    assert "opens when the session ends" in page.get_data(as_text=True)
    assert db.session.scalar(select(SessionRecord)) is None


def test_the_patient_rates_the_session_and_a_low_rating_is_shown_to_the_therapist(app, pair):
    _a_session_with_messages(app, pair)
    pair.move_to(STARTS_AT + timedelta(minutes=51))
    answers = {"relationship": "9", "goals_topics": "9", "approach_method": "9", "overall": "9"}
    assert (
        submit(pair.patient_client, room_url(pair.appointment) + "/rating", answers).status_code
        == 302
    )
    rating = db.session.scalar(select(SessionRating))
    assert rating.total == 36 and rating.is_alliance_concern
    note = pair.therapist_client.get("/sessions/").get_data(as_text=True)
    # the session's own start, not the minute it was rated (51 minutes in)
    link = f'<a href="/sessions/{pair.appointment.id}/record">{london_datetime(STARTS_AT)}'
    assert f"{pair.patient.full_name}: total 36 out of 40, for the session on {link}" in note
    record_page = pair.therapist_client.get(room_url(pair.appointment) + "/record")
    assert "Low session rating" in record_page.get_data(as_text=True)

    # the next session with that patient talks it through: once its record is written, the
    # concern leaves the list (a record of an earlier session would not settle it)
    next_session = factories.make_appointment(
        pair.patient, pair.therapist, starts_at=STARTS_AT + timedelta(days=7)
    )
    assert "Low session ratings" in pair.therapist_client.get("/sessions/").get_data(as_text=True)
    db.session.add(
        SessionRecord(
            appointment_id=next_session.id,
            therapist_id=pair.therapist.id,
            clinical_notes="Talked through last week's rating.",
            therapy_type="cbt",
            step_of_care="2",
            contact_minutes=50,
            attendance_code="5",
            next_steps="Carry on.",
        )
    )
    db.session.commit()
    assert "Low session ratings" not in pair.therapist_client.get("/sessions/").get_data(
        as_text=True
    )


def test_a_rating_of_37_is_not_a_concern_and_a_missing_answer_is_refused(app, pair):
    _a_session_with_messages(app, pair)
    pair.move_to(STARTS_AT + timedelta(minutes=51))
    url = room_url(pair.appointment) + "/rating"
    page = submit(pair.patient_client, url, {"relationship": "10", "goals_topics": "9"})
    assert "There is a problem" in page.get_data(as_text=True)
    assert db.session.scalar(select(SessionRating)) is None
    answers = {"relationship": "10", "goals_topics": "9", "approach_method": "9", "overall": "9"}
    submit(pair.patient_client, url, answers)
    assert not db.session.scalar(select(SessionRating)).is_alliance_concern


def test_the_patients_own_notes_are_saved_encrypted(app, pair):
    _a_session_with_messages(app, pair)
    pair.move_to(STARTS_AT + timedelta(minutes=51))
    url = room_url(pair.appointment) + "/my-notes"
    assert "There is a problem" in submit(pair.patient_client, url, {"body": ""}).get_data(
        as_text=True
    )
    submit(pair.patient_client, url, {"body": "Try the breathing exercise"})
    assert db.session.scalar(select(PatientSessionNote)).body == "Try the breathing exercise"
    page = pair.patient_client.get(url).get_data(as_text=True)
    assert "Try the breathing exercise" in page
    # emptied and saved, the notes are deleted (they are the patient's own)
    assert "To delete your notes, empty the box and save." in page
    assert submit(pair.patient_client, url, {"body": "  "}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(PatientSessionNote)) is None
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "session.patient_note_deleted")
    )


def test_transcripts_are_readable_by_the_two_people_and_every_read_is_audited(app, pair):
    _a_session_with_messages(app, pair)
    pair.move_to(STARTS_AT + timedelta(minutes=51))
    for client in (pair.patient_client, pair.therapist_client):
        html = client.get(room_url(pair.appointment) + "/transcript").get_data(as_text=True)
        assert "I slept badly &lt;again&gt;" in html
        assert (
            'href="https://www.nhs.uk/every-mind-matters" rel="nofollow noopener noreferrer"'
            in html
        )
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["session.transcript_viewed", "patient_record.viewed"]
    assert db.session.query(ChatMessage).count() == 2


def test_a_record_cannot_contradict_an_outcome_already_recorded(app, pair):
    """Code 4 does not settle the charge from the record, so over an attended (charged)
    outcome it would have the figures count a session the statement charges for as not held:
    the record is refused with what to do instead, and the form starts from what is there.
    Codes 3 and 7 (a non-attendance, on time or too late to be seen) settle it themselves."""
    from webapp.charges import services as charges

    pair.move_to(STARTS_AT + timedelta(minutes=52))  # nobody joined the room: the room says 4
    charges.record_outcome(
        db.session.get(Appointment, pair.appointment.id),
        "attended",
        actor=pair.therapist,
        now=STARTS_AT + timedelta(minutes=51),
    )
    path = room_url(pair.appointment) + "/record"
    form = pair.therapist_client.get(path).get_data(as_text=True)
    assert re.search(r'value="5"\s+checked', form)  # the recorded outcome, not the room's guess
    page = submit(pair.therapist_client, path, {**RECORD, "attendance_code": "4"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "There is a problem" in html
    assert "already recorded, with attendance code 5" in html
    assert "outcome page" in html
    assert db.session.scalar(select(SessionRecord)) is None
    db.session.expire_all()
    appointment = db.session.get(Appointment, pair.appointment.id)
    assert (appointment.attendance_code, appointment.charged) == ("5", True)
    # A code that settles the outcome itself still may change it (the ledger is corrected).
    assert (
        submit(pair.therapist_client, path, {**RECORD, "attendance_code": "3"}).status_code == 302
    )
    db.session.expire_all()
    appointment = db.session.get(Appointment, pair.appointment.id)
    assert (appointment.outcome, appointment.attendance_code) == ("patient_dna", "3")
    amended = {**RECORD, "attendance_code": "7", "version_shown": "1"}  # (amends version 1)
    assert submit(pair.therapist_client, path, amended).status_code == 302
    db.session.expire_all()
    appointment = db.session.get(Appointment, pair.appointment.id)
    assert (appointment.outcome, appointment.attendance_code) == ("patient_dna", "7")
    assert appointment.charged  # too late to be seen: charged as a non-attendance


def _a_session_on_a_server_that_crashed(pair, *, crashed_at, back_at):
    """Both joined on an instance that stopped at `crashed_at` without recording their ends;
    another instance began serving at `back_at`; neither came back."""
    db.session.add_all(
        [
            ServerInstance(
                id="old", host="a", started_at=STARTS_AT - timedelta(hours=1), beat_at=crashed_at
            ),
            ServerInstance(
                id="new", host="a", started_at=back_at, beat_at=STARTS_AT + timedelta(hours=2)
            ),
        ]
    )
    for user, party, minute in ((pair.therapist, "therapist", -2), (pair.patient, "patient", 0)):
        db.session.add(
            AttendanceEvent(
                appointment_id=pair.appointment.id,
                user_id=user.id,
                party=party,
                kind=AttendanceKind.JOIN,
                connection=f"{party}-socket",
                instance="old",
                at=STARTS_AT + timedelta(minutes=minute),
            )
        )
    db.session.commit()
    pair.move_to(STARTS_AT + timedelta(minutes=55))


@pytest.mark.parametrize(
    ("back_after", "reason"),
    [
        (2, "The service stopped during the session and cut it short."),
        (11, "The service was down during the session."),
    ],
)
def test_a_session_cut_short_by_the_server_is_suggested_as_the_providers_failure(
    pair, back_after, reason
):
    crashed_at = STARTS_AT + timedelta(minutes=12)
    _a_session_on_a_server_that_crashed(
        pair, crashed_at=crashed_at, back_at=crashed_at + timedelta(minutes=back_after)
    )
    form = pair.therapist_client.get(room_url(pair.appointment) + "/record").get_data(as_text=True)
    assert f"The room's own attendance records: {reason}" in form
    assert re.search(r'value="4"\s+checked', form)  # not the "attended" a crash used to suggest
    assert re.search(r'name="contact_minutes"[^>]*value="12"', form)
    submit(pair.therapist_client, room_url(pair.appointment) + "/record", RECORD)
    assert db.session.scalar(select(SessionRecord)).proposed_outcome == "tech_failure_provider"


def test_an_outage_that_began_days_before_the_session_is_still_an_outage(pair):
    """The server was down from two days before until 20 minutes in; the therapist joined at
    21 minutes and the patient never came: the provider's failure, not the patient's."""
    db.session.add_all(
        [
            ServerInstance(
                id="long-gone",
                host="a",
                started_at=STARTS_AT - timedelta(days=10),
                beat_at=STARTS_AT - timedelta(days=2),
            ),
            ServerInstance(
                id="back",
                host="a",
                started_at=STARTS_AT + timedelta(minutes=20),
                beat_at=STARTS_AT + timedelta(hours=2),
            ),
            AttendanceEvent(
                appointment_id=pair.appointment.id,
                user_id=pair.therapist.id,
                party="therapist",
                kind=AttendanceKind.JOIN,
                connection="therapist-socket",
                instance="back",
                at=STARTS_AT + timedelta(minutes=21),
            ),
        ]
    )
    db.session.commit()
    pair.move_to(STARTS_AT + timedelta(minutes=55))
    form = pair.therapist_client.get(room_url(pair.appointment) + "/record").get_data(as_text=True)
    assert "The service was down during the session." in form
    assert re.search(r'value="4"\s+checked', form)  # not 3, "did not attend"


def test_a_record_saved_again_unchanged_leaves_a_later_outcome_alone(app, pair):
    """Code 5 settled the session as attended; the clinical lead then ruled it a technical
    failure on the provider's side. Saving the record again as it was does not overturn that."""
    from webapp.charges import services as charges

    _a_session_with_messages(app, pair)
    pair.move_to(STARTS_AT + timedelta(minutes=52))
    path = room_url(pair.appointment) + "/record"
    assert submit(pair.therapist_client, path, RECORD).status_code == 302
    charges.record_outcome(
        db.session.get(Appointment, pair.appointment.id),
        "tech_failure_provider",
        actor=factories.make_user(Role.CLINICAL_LEAD),
        now=STARTS_AT + timedelta(minutes=55),
    )
    again = submit(pair.therapist_client, path, {**RECORD, "version_shown": "1"})
    assert again.status_code == 302
    db.session.expire_all()
    appointment = db.session.get(Appointment, pair.appointment.id)
    assert (appointment.outcome, appointment.charged) == ("tech_failure_provider", False)
