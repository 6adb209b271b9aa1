"""Therapists' pages: the day view with its hooks, availability, profile and photo, and
cancelling or moving their own sessions only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

import pytest
from PIL import Image

from tests.conftest import sign_in, submit
from tests.factories import make_bookable_therapist, make_patient
from tests.webapp.booking.conftest import NOW
from webapp.booking import services as booking_services
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityException,
    QuestionnaireResponse,
    RiskFlag,
    Role,
    TherapistPhoto,
    WeeklyHours,
)

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def therapist(client):
    user = make_bookable_therapist(full_name="Gil Therapist")
    sign_in(client, user)
    return user


def appointment_with(therapist, starts_at=datetime(2026, 3, 23, 10, tzinfo=UTC)) -> int:
    patient = make_patient(full_name="Hal Patient")
    appointment = Appointment(
        patient_id=patient.id,
        therapist_id=therapist.id,
        starts_at=starts_at,
        ends_at=starts_at.replace(minute=50),
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment.id


def test_patients_may_not_see_therapists_pages(login_as, client):
    login_as(Role.PATIENT)
    for path in ("/therapist/", "/therapist/availability", "/therapist/profile"):
        assert client.get(path).status_code == 403


def test_the_day_view_lists_todays_sessions_with_questionnaires_and_risk_flags(client, therapist):
    appointment_id = appointment_with(therapist)
    page = client.get("/therapist/").get_data(as_text=True)
    assert "Hal Patient" in page and "10:00am to 10:50am" in page
    assert "Not complete" in page
    assert f"/questionnaires/therapist/appointments/{appointment_id}" in page
    appointment = db.session.get(Appointment, appointment_id)
    response = QuestionnaireResponse(
        patient_id=appointment.patient_id,
        appointment_id=appointment_id,
        instrument="phq9",
        instrument_version="1",
        answers={},
    )
    db.session.add(response)
    db.session.flush()
    db.session.add(
        RiskFlag(
            appointment_id=appointment_id,
            patient_id=appointment.patient_id,
            response_id=response.id,
            code="phq9_item9",
            description="PHQ-9 item 9 answered above 0.",
        )
    )
    db.session.commit()
    page = client.get("/therapist/").get_data(as_text=True)
    assert "PHQ-9 item 9 answered above 0." in page and "Review and acknowledge" in page


def test_the_day_view_links_to_the_session_room_only_while_it_is_open(app, therapist, clock):
    appointment_id = appointment_with(therapist, datetime(2026, 3, 23, 10, tzinfo=UTC))
    room = f'href="/sessions/{appointment_id}"'
    for moment, shown in (
        (datetime(2026, 3, 23, 9, 49, tzinfo=UTC), False),
        (datetime(2026, 3, 23, 9, 50, tzinfo=UTC), True),  # 10 minutes early for the therapist
        (datetime(2026, 3, 23, 10, 49, tzinfo=UTC), True),
        (datetime(2026, 3, 23, 10, 50, tzinfo=UTC), False),
    ):
        clock.move_to(moment)
        assert (room in day_page(app, therapist)) is shown, moment
    db.session.get(Appointment, appointment_id).status = AppointmentStatus.CANCELLED
    db.session.commit()
    clock.move_to(datetime(2026, 3, 23, 10, 5, tzinfo=UTC))
    assert room not in day_page(app, therapist)


def test_a_started_session_offers_no_move_or_cancel_and_read_flags_are_counted(
    app, therapist, clock
):
    appointment_id = appointment_with(therapist, datetime(2026, 3, 23, 10, tzinfo=UTC))
    move = f'href="/therapist/appointments/{appointment_id}/reschedule"'
    clock.move_to(datetime(2026, 3, 23, 9, 59, tzinfo=UTC))
    assert move in day_page(app, therapist)
    clock.move_to(datetime(2026, 3, 23, 10, 1, tzinfo=UTC))
    page = day_page(app, therapist)
    assert move not in page and f"/therapist/appointments/{appointment_id}/cancel" not in page
    appointment = db.session.get(Appointment, appointment_id)
    response = QuestionnaireResponse(
        patient_id=appointment.patient_id,
        appointment_id=appointment_id,
        instrument="phq9",
        instrument_version="1",
        answers={},
    )
    db.session.add(response)
    db.session.flush()
    db.session.add(
        RiskFlag(
            appointment_id=appointment_id,
            patient_id=appointment.patient_id,
            response_id=response.id,
            code="phq9_item9",
            description="PHQ-9 item 9 answered above 0.",
            acknowledged_at=datetime(2026, 3, 23, 9, 55, tzinfo=UTC),
        )
    )
    db.session.commit()
    clock.move_to(datetime(2026, 3, 23, 10, 2, tzinfo=UTC))  # (a fresh two-factor code)
    page = day_page(app, therapist)
    assert ">1 read<" in page and "Review and acknowledge" not in page


def day_page(app, therapist) -> str:
    client = app.test_client()  # signed in afresh at the moment the clock shows
    sign_in(client, therapist)
    return client.get("/therapist/").get_data(as_text=True)


def test_the_day_view_shows_another_day_on_request(client, therapist):
    appointment_with(therapist, datetime(2026, 3, 25, 10, tzinfo=UTC))
    assert "Hal Patient" in client.get("/therapist/?day=2026-03-25").get_data(as_text=True)
    assert "no sessions on this day" in client.get("/therapist/").get_data(as_text=True)


def test_another_therapists_session_cannot_be_cancelled_or_moved(client, therapist):
    other = make_bookable_therapist()
    theirs = appointment_with(other)
    for path in ("cancel", "reschedule"):
        assert client.get(f"/therapist/appointments/{theirs}/{path}").status_code == 404


def test_a_therapist_cancels_with_a_reason_and_code_4(client, therapist, app):
    with app.app_context():
        patient = make_patient()
        appointment = booking_services.book_appointment(
            patient.id, therapist.id, datetime(2026, 3, 24, 9, tzinfo=UTC), now=NOW
        )
    path = f"/therapist/appointments/{appointment.id}/cancel"
    page = submit(client, path, {"reason": ""}).get_data(as_text=True)
    assert "Enter why you are cancelling" in page
    assert submit(client, path, {"reason": "Unwell"}).status_code == 302
    db.session.remove()
    cancelled = db.session.get(Appointment, appointment.id)
    assert cancelled.status is AppointmentStatus.CANCELLED and cancelled.attendance_code == "4"


def test_a_therapist_moves_a_session_to_one_of_their_free_times(client, therapist, app):
    with app.app_context():
        patient = make_patient()
        appointment = booking_services.book_appointment(
            patient.id, therapist.id, datetime(2026, 3, 24, 9, tzinfo=UTC), now=NOW
        )
    path = f"/therapist/appointments/{appointment.id}/reschedule"
    assert "start=20260324T100000Z" in client.get(path).get_data(as_text=True)
    response = submit(client, f"{path}?start=20260324T100000Z", {"start": "20260324T100000Z"})
    assert response.status_code == 302
    db.session.remove()
    old = db.session.get(Appointment, appointment.id)
    assert old.status is AppointmentStatus.RESCHEDULED and old.cancelled_by_role == "therapist"
    assert old.attendance_code == "4"


def test_weekly_hours_are_added_and_bad_times_are_refused(client, therapist):
    before = db.session.query(WeeklyHours).filter_by(therapist_id=therapist.id).count()
    page = submit(
        client,
        "/therapist/availability/weekly",
        {"weekday": "0", "starts_at": "18:00", "ends_at": "17:00"},
        form_page="/therapist/availability",
    ).get_data(as_text=True)
    assert "The finish time must be after the start time" in page
    page = submit(
        client,
        "/therapist/availability/weekly",
        {"weekday": "0", "starts_at": "9am", "ends_at": "17:00"},
        form_page="/therapist/availability",
    ).get_data(as_text=True)
    assert "Enter the time you start as hours and minutes" in page
    overlap = submit(
        client,
        "/therapist/availability/weekly",
        {"weekday": "0", "starts_at": "16:00", "ends_at": "18:00"},
        form_page="/therapist/availability",
    ).get_data(as_text=True)
    assert "overlap hours you already have" in overlap
    too_short = submit(
        client,
        "/therapist/availability/weekly",
        {"weekday": "2", "starts_at": "09:30", "ends_at": "10:00"},
        form_page="/therapist/availability",
    ).get_data(as_text=True)
    assert "Weekly hours must be at least 60 minutes long" in too_short
    assert db.session.query(WeeklyHours).filter_by(therapist_id=therapist.id).count() == before
    response = submit(
        client,
        "/therapist/availability/weekly",
        {"weekday": "0", "starts_at": "18:00", "ends_at": "20:00"},
        form_page="/therapist/availability",
    )
    assert response.status_code == 302
    assert (
        db.session.query(WeeklyHours)
        .filter_by(therapist_id=therapist.id, starts_at=time(18))
        .count()
        == 1
    )
    saved = submit(
        client,
        "/therapist/availability/weekly",
        {"weekday": "6", "starts_at": "06:00", "ends_at": "08:30"},
        form_page="/therapist/availability",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "The last 30 minutes hold no whole session." in saved


def test_leave_removes_slots_from_the_patients_view(client, therapist):
    response = submit(
        client,
        "/therapist/availability/exceptions",
        {
            "kind": "leave",
            "start_date": "2026-03-24",
            "start_time": "00:00",
            "end_date": "2026-03-24",
            "end_time": "23:59",
        },
        form_page="/therapist/availability",
    )
    assert response.status_code == 302
    leave = db.session.query(AvailabilityException).filter_by(therapist_id=therapist.id).one()
    assert leave.starts_at == datetime(2026, 3, 24, 0, tzinfo=UTC)
    patient = make_patient()
    client.post("/sign-out", data={})
    patient_client = client.application.test_client()
    sign_in(patient_client, patient)
    page = patient_client.get(f"/booking/therapists/{therapist.id}").get_data(as_text=True)
    assert "start=20260324T" not in page and "start=20260325T090000Z" in page


def test_leave_in_summer_is_converted_from_uk_time(client, therapist):
    submit(
        client,
        "/therapist/availability/exceptions",
        {
            "kind": "extra",
            "start_date": "2026-07-01",
            "start_time": "18:00",
            "end_date": "2026-07-01",
            "end_time": "20:00",
        },
        form_page="/therapist/availability",
    )
    extra = db.session.query(AvailabilityException).filter_by(therapist_id=therapist.id).one()
    assert extra.starts_at == datetime(2026, 7, 1, 17, tzinfo=UTC)  # 18:00 BST


def _time_off(client, kind: str, start: str, end: str, **extra: str):
    start_date, start_time = start.split(" ")
    end_date, end_time = end.split(" ")
    return submit(
        client,
        "/therapist/availability/exceptions",
        {
            "kind": kind,
            "start_date": start_date,
            "start_time": start_time,
            "end_date": end_date,
            "end_time": end_time,
            **extra,
        },
        form_page="/therapist/availability",
    )


def test_overlapping_far_off_or_extra_hours_in_leave_are_refused(client, therapist):
    assert _time_off(client, "leave", "2026-04-01 9:00", "2026-04-03 17:00").status_code == 302
    for kind, start, end, message in (
        ("leave", "2026-04-02 09:00", "2026-04-05 17:00", "This overlaps your time off from"),
        ("extra", "2026-04-02 18:00", "2026-04-02 20:00", "This overlaps your time off from"),
        ("leave", "2099-01-01 09:00", "2099-01-02 17:00", "up to 2 years ahead"),
    ):
        page = _time_off(client, kind, start, end).get_data(as_text=True)
        assert "There is a problem" in page and message in page, (kind, start)
    assert db.session.query(AvailabilityException).count() == 1
    # extra hours after the leave, and leave over them later, are fine
    assert _time_off(client, "extra", "2026-04-04 18:00", "2026-04-04 20:00").status_code == 302


def test_sessions_booked_in_time_off_added_later_are_listed_to_move_or_cancel(client, therapist):
    appointment_id = appointment_with(therapist, datetime(2026, 3, 25, 10, tzinfo=UTC))
    _time_off(client, "leave", "2026-03-25 00:00", "2026-03-25 23:59")
    page = client.get("/therapist/availability").get_data(as_text=True)
    assert "1 booked session in your time off" in page and "Hal Patient" in page
    assert f"/therapist/appointments/{appointment_id}/reschedule" in page
    assert f"/therapist/appointments/{appointment_id}/cancel" in page


def test_an_exception_ending_before_it_starts_is_refused(client, therapist):
    page = submit(
        client,
        "/therapist/availability/exceptions",
        {
            "kind": "leave",
            "start_date": "2026-03-25",
            "start_time": "00:00",
            "end_date": "2026-03-24",
            "end_time": "23:59",
        },
        form_page="/therapist/availability",
    ).get_data(as_text=True)
    assert "The end must be after the start" in page
    assert db.session.query(AvailabilityException).count() == 0


def test_another_therapists_hours_cannot_be_removed(client, therapist):
    other = make_bookable_therapist()
    block = db.session.query(WeeklyHours).filter_by(therapist_id=other.id).first()
    response = submit(
        client,
        f"/therapist/availability/weekly/{block.id}/remove",
        {},
        form_page="/therapist/availability",
    )
    assert response.status_code == 404
    mine = db.session.query(WeeklyHours).filter_by(therapist_id=therapist.id).first()
    mine_id = mine.id
    response = submit(
        client,
        f"/therapist/availability/weekly/{mine_id}/remove",
        {},
        form_page="/therapist/availability",
    )
    assert response.status_code == 302
    db.session.remove()
    assert db.session.get(WeeklyHours, mine_id) is None


def test_the_profile_is_saved_with_lists_split_on_commas(client, therapist):
    response = submit(
        client,
        "/therapist/profile",
        {
            "display_name": "Gil T",
            "pronouns": "he/him",
            "gender": "Male",
            "languages": "English, Welsh, English",
            "approaches": "CBT, Interpersonal psychotherapy",
            "step_of_care": "step3",
            "biography": "I help with worry.",
        },
    )
    assert response.status_code == 302
    db.session.remove()
    profile = db.session.get(type(therapist.therapist_profile), therapist.id)
    assert profile.languages == ["English", "Welsh"]
    assert profile.approaches == ["CBT", "Interpersonal psychotherapy"]


def test_a_profile_listing_no_language_or_therapy_is_refused(client, therapist):
    before = list(therapist.therapist_profile.languages)
    page = submit(
        client,
        "/therapist/profile",
        {
            "display_name": "Gil",
            "languages": ", ,",
            "approaches": " , ",
            "step_of_care": "step3",
            "biography": "I help with worry.",
        },
    ).get_data(as_text=True)
    assert "Enter at least one language" in page and "Enter at least one type of therapy" in page
    db.session.remove()
    assert db.session.get(type(therapist.therapist_profile), therapist.id).languages == before


def test_a_profile_without_a_biography_is_refused(client, therapist):
    page = submit(
        client,
        "/therapist/profile",
        {
            "display_name": "Gil",
            "languages": "English",
            "approaches": "CBT",
            "step_of_care": "step3",
            "biography": "",
        },
    ).get_data(as_text=True)
    assert "Write a short introduction for patients" in page


def test_an_uploaded_photo_is_stored_as_a_clean_jpeg(client, therapist):
    image = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(image, format="PNG")
    response = submit(
        client,
        "/therapist/profile/photo",
        {"photo": (io.BytesIO(image.getvalue()), "me.png", "image/png")},
        form_page="/therapist/profile",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    photo = db.session.get(TherapistPhoto, therapist.id)
    assert photo.content_type == "image/jpeg" and photo.data[:2] == b"\xff\xd8"
    served = client.get(f"/booking/therapists/{therapist.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_a_file_that_is_not_an_image_is_refused_with_a_message(client, therapist):
    page = submit(
        client,
        "/therapist/profile/photo",
        {"photo": (io.BytesIO(b"<svg onload=alert(1)>"), "me.svg", "image/svg+xml")},
        form_page="/therapist/profile",
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "The photo must be a JPEG, PNG or WebP" in page
    assert db.session.get(TherapistPhoto, therapist.id) is None


def test_the_profile_page_shows_the_saved_lists_as_text(client, therapist):
    page = client.get("/therapist/profile").get_data(as_text=True)
    assert 'value="English"' in page and 'value="CBT"' in page
    assert "You have not uploaded a photo yet" in page
