"""The patient's booking pages: who may see them, the therapist list and its filters, booking
across the clock changes, cancelling with an honest warning, and moving an appointment."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from tests.conftest import sign_in, submit
from tests.factories import (
    give_credentials,
    make_appointment,
    make_bookable_therapist,
    make_patient,
    make_therapist,
)
from tests.webapp.booking.conftest import NOW
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    CredentialKind,
    Role,
    SessionRating,
    TherapistPhoto,
)

pytestmark = pytest.mark.usefixtures("clock")

TOMORROW_9 = "20260324T090000Z"  # Tuesday 24 March 2026, 09:00 GMT


@pytest.fixture
def patient(client):
    user = make_patient()
    sign_in(client, user)
    return user


def book(client, therapist, start=TOMORROW_9):
    path = f"/booking/therapists/{therapist.id}/book?start={start}"
    return submit(client, path, {"start": start})


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/booking/therapists")
    assert response.status_code == 302 and "/sign-in" in response.location


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.CLINICAL_LEAD])
def test_staff_cannot_use_the_patients_booking_pages(login_as, client, role):
    login_as(role)
    assert client.get("/booking/therapists").status_code == 403
    assert client.get("/booking/appointments").status_code == 403


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.COMMISSIONER, Role.ADMIN])
def test_other_staff_cannot_see_therapists_photos(login_as, client, role):
    therapist = make_bookable_therapist()
    login_as(role)
    assert client.get(f"/booking/therapists/{therapist.id}/photo").status_code == 403


def test_the_list_hides_therapists_with_an_expired_or_missing_credential(client, patient):
    make_bookable_therapist(full_name="Ada Bookable")
    make_bookable_therapist(full_name="Bea Expired", expires_on=date(2026, 3, 22))
    missing = make_therapist(full_name="Cy Missing")
    give_credentials(missing, skip=(CredentialKind.APPRAISAL,))
    page = client.get("/booking/therapists").get_data(as_text=True)
    assert "Ada Bookable" in page
    assert "Bea Expired" not in page and "Cy Missing" not in page


def test_a_therapist_who_cannot_be_booked_has_no_profile_page(client, patient):
    expired = make_bookable_therapist(expires_on=date(2026, 3, 1))
    assert client.get(f"/booking/therapists/{expired.id}").status_code == 404
    assert book(client, expired).status_code == 404


def test_the_list_filters_by_language_and_shows_the_next_free_time(client, patient):
    welsh = make_bookable_therapist(full_name="Dai Welsh")
    welsh.therapist_profile.languages = ["English", "Welsh"]
    make_bookable_therapist(full_name="Eve English")
    db.session.commit()
    page = client.get("/booking/therapists?language=Welsh").get_data(as_text=True)
    assert "Dai Welsh" in page and "Eve English" not in page
    assert "Monday 23 March 2026, 10:00am (UK time)" in page  # 2 hours' notice from 08:00


def test_ratings_are_not_shown_until_there_are_enough(client, patient):
    make_bookable_therapist()
    assert "Not enough ratings yet" in client.get("/booking/therapists").get_data(as_text=True)


def rate(therapist, total: int, patient=None) -> None:
    day = db.session.query(Appointment).count()  # one past session a day
    appointment = make_appointment(
        patient, therapist, starts_at=datetime(2026, 2, 1, 9, tzinfo=UTC) + timedelta(days=day)
    )
    db.session.add(
        SessionRating(
            appointment_id=appointment.id,
            patient_id=appointment.patient_id,
            therapist_id=therapist.id,
            answers={},
            total=total,
            is_alliance_concern=total <= 36,
        )
    )
    db.session.commit()


def test_a_therapists_rating_is_their_patients_average_once_five_patients_have_rated(
    client, patient
):
    therapist = make_bookable_therapist()
    one_patient = make_patient()
    for total in (10, 12, 14, 16):  # many ratings, but from one patient: who gave them shows
        rate(therapist, total, one_patient)
    for total in (38, 40, 36):
        rate(therapist, total)
    path = f"/booking/therapists/{therapist.id}"
    assert "Not enough ratings yet" in client.get(path).get_data(as_text=True)
    rate(therapist, 30)  # the fifth patient
    page = client.get(path).get_data(as_text=True)
    assert "Rating from patients" in page and "24.5 out of 40 from 8 session ratings" in page
    listing = client.get("/booking/therapists").get_data(as_text=True)
    assert "24.5 out of 40 from 8 session ratings" in listing


def test_a_9am_slot_stays_at_9am_on_the_patients_clock_across_the_march_change(client, patient):
    therapist = make_bookable_therapist()
    page = client.get(f"/booking/therapists/{therapist.id}").get_data(as_text=True)
    # Tuesday 24 March is GMT (09:00Z); Tuesday 31 March is BST (08:00Z); both show 9:00am.
    assert re.search(r"start=20260324T090000Z\">9:00am<", page)
    assert re.search(r"start=20260331T080000Z\">9:00am<", page)
    assert re.search(r"start=20260331T090000Z\">10:00am<", page)
    response = book(client, therapist, "20260331T080000Z")
    assert response.status_code == 302
    appointment = db.session.query(Appointment).one()
    assert appointment.starts_at == datetime(2026, 3, 31, 8, tzinfo=UTC)
    listing = client.get("/booking/appointments").get_data(as_text=True)
    assert "Tuesday 31 March 2026, 9:00am (UK time)" in listing


def test_a_9am_slot_stays_at_9am_across_the_october_change(client):
    therapist = make_bookable_therapist()
    with time_machine.travel(datetime(2026, 10, 20, 8, tzinfo=UTC), tick=False):
        sign_in(client, make_patient())
        page = client.get(f"/booking/therapists/{therapist.id}").get_data(as_text=True)
        # Friday 23 October is BST (08:00Z); Monday 26 October is GMT (09:00Z).
        assert re.search(r"start=20261023T080000Z\">9:00am<", page)
        assert re.search(r"start=20261026T090000Z\">9:00am<", page)
        assert "start=20261026T080000Z" not in page  # 08:00 GMT: before the therapist starts
        assert book(client, therapist, "20261026T090000Z").status_code == 302
    assert db.session.query(Appointment).one().starts_at == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_booking_a_slot_confirms_it_and_lists_it(client, patient, outbox):
    therapist = make_bookable_therapist(full_name="Fay Therapist")
    page = client.get(f"/booking/therapists/{therapist.id}/book?start={TOMORROW_9}")
    assert "Tuesday 24 March 2026, 9:00am (UK time)" in page.get_data(as_text=True)
    response = book(client, therapist)
    assert response.status_code == 302 and response.location.endswith("/booking/appointments")
    listing = client.get("/booking/appointments").get_data(as_text=True)
    assert "Your appointment is booked" in listing and "Fay Therapist" in listing
    assert outbox[-1].to == patient.email


def test_a_slot_taken_meanwhile_is_explained_next_to_the_field(client, patient):
    therapist = make_bookable_therapist()
    other = make_patient()
    db.session.add(
        Appointment(
            patient_id=other.id,
            therapist_id=therapist.id,
            starts_at=datetime(2026, 3, 24, 9, tzinfo=UTC),
            ends_at=datetime(2026, 3, 24, 9, 50, tzinfo=UTC),
        )
    )
    db.session.commit()
    response = book(client, therapist)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and "just been booked" in page
    assert db.session.query(Appointment).filter_by(patient_id=patient.id).count() == 0


def test_a_malformed_time_is_refused_and_changes_nothing(client, patient):
    therapist = make_bookable_therapist()
    path = f"/booking/therapists/{therapist.id}/book?start={TOMORROW_9}"
    page = submit(client, path, {"start": "tomorrow"}).get_data(as_text=True)
    assert "Choose a time from the list" in page
    assert db.session.query(Appointment).count() == 0
    assert client.get(f"/booking/therapists/{therapist.id}/book?start=nonsense").status_code == 404


def _booked(client, therapist, start=TOMORROW_9) -> int:
    assert book(client, therapist, start).status_code == 302
    return db.session.query(Appointment.id).order_by(Appointment.id.desc()).limit(1).scalar()


def _fresh(appointment_id: int) -> Appointment:
    db.session.remove()
    return db.session.get(Appointment, appointment_id)


def test_the_cancel_page_warns_that_a_late_cancellation_uses_a_session(client, patient):
    therapist = make_bookable_therapist()
    early = _booked(client, therapist)  # 25 hours away
    page = client.get(f"/booking/appointments/{early}/cancel").get_data(as_text=True)
    assert "will not count as one of your sessions" in page
    late = _booked(client, therapist, "20260323T100000Z")  # 2 hours away
    page = client.get(f"/booking/appointments/{late}/cancel").get_data(as_text=True)
    assert "This will use up one of your sessions" in page
    assert "You will not have to pay anything" in page


def test_a_cancellation_pressed_after_the_24_hours_passed_is_not_charged_unseen(
    client, patient, clock
):
    """The page said it would not count; by the press it would. Nothing changes until the
    patient has read the page as it is now and pressed again."""
    therapist = make_bookable_therapist()
    appointment_id = _booked(client, therapist)  # 25 hours away
    path = f"/booking/appointments/{appointment_id}/cancel"
    _stay_signed_in_until(client, clock, NOW + timedelta(minutes=59))
    page = client.get(path).get_data(as_text=True)
    assert "will not count as one of your sessions" in page
    assert 'name="charged_shown" type="hidden" value="no"' in page
    clock.move_to(NOW + timedelta(hours=1, minutes=1))  # now 23 hours 59 minutes away
    response = submit(client, path, {"reason": "", "charged_shown": "no"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert "now 24 hours away or less" in page and "Nothing has changed yet" in page
    assert "This will use up one of your sessions" in page
    assert 'name="charged_shown" type="hidden" value="yes"' in page
    assert _fresh(appointment_id).status is AppointmentStatus.BOOKED
    assert submit(client, path, {"reason": "", "charged_shown": "yes"}).status_code == 302
    cancelled = _fresh(appointment_id)
    assert cancelled.status is AppointmentStatus.CANCELLED and cancelled.charged is True


def _stay_signed_in_until(client, clock, until) -> None:
    """Move the clock on in steps shorter than the idle sign-out, using the site at each."""
    step = datetime.now(UTC)
    while step < until:
        step = min(until, step + timedelta(minutes=20))
        clock.move_to(step)
        client.get("/booking/appointments")


def test_a_move_pressed_after_the_24_hours_passed_changes_nothing_unseen(client, patient, clock):
    therapist = make_bookable_therapist()
    appointment_id = _booked(client, therapist)
    new_start = "20260324T110000Z"
    path = f"/booking/appointments/{appointment_id}/reschedule/confirm?start={new_start}"
    _stay_signed_in_until(client, clock, NOW + timedelta(minutes=59))
    assert 'value="no"' in client.get(path).get_data(as_text=True)
    clock.move_to(NOW + timedelta(hours=1, minutes=1))
    response = submit(client, path, {"start": new_start, "reason": "", "charged_shown": "no"})
    assert "now 24 hours away or less" in response.get_data(as_text=True)
    assert _fresh(appointment_id).status is AppointmentStatus.BOOKED


def test_cancelling_records_who_when_and_the_code(client, patient):
    therapist = make_bookable_therapist()
    appointment_id = _booked(client, therapist)
    path = f"/booking/appointments/{appointment_id}/cancel"
    response = submit(client, path, {"reason": "Going away"})
    assert response.status_code == 302
    appointment = _fresh(appointment_id)
    assert appointment.status is AppointmentStatus.CANCELLED
    assert (appointment.attendance_code, appointment.cancelled_by_role) == ("2", "patient")
    assert appointment.cancel_reason == "Going away"


def test_a_too_long_cancel_reason_is_refused_and_changes_nothing(client, patient):
    appointment_id = _booked(client, make_bookable_therapist())
    path = f"/booking/appointments/{appointment_id}/cancel"
    page = submit(client, path, {"reason": "x" * 501}).get_data(as_text=True)
    assert "Reason must be 500 characters or fewer" in page
    assert _fresh(appointment_id).status is AppointmentStatus.BOOKED


def test_another_patients_appointment_is_not_found(client, patient):
    therapist, other = make_bookable_therapist(), make_patient()
    theirs = Appointment(
        patient_id=other.id,
        therapist_id=therapist.id,
        starts_at=datetime(2026, 3, 25, 9, tzinfo=UTC),
        ends_at=datetime(2026, 3, 25, 9, 50, tzinfo=UTC),
    )
    db.session.add(theirs)
    db.session.commit()
    theirs_id = theirs.id
    for path in ("cancel", "reschedule", f"reschedule/confirm?start={TOMORROW_9}"):
        assert client.get(f"/booking/appointments/{theirs_id}/{path}").status_code == 404
    response = submit(
        client,
        f"/booking/appointments/{theirs_id}/cancel",
        {},
        form_page="/booking/appointments",
    )
    assert response.status_code == 404
    assert _fresh(theirs_id).status is AppointmentStatus.BOOKED


def test_moving_an_appointment_books_the_new_time_and_releases_the_old(client, patient):
    therapist = make_bookable_therapist()
    old_id = _booked(client, therapist)
    picker = client.get(f"/booking/appointments/{old_id}/reschedule").get_data(as_text=True)
    assert f"start={TOMORROW_9}" not in picker  # the current time is not offered
    new_start = "20260324T110000Z"
    assert f"start={new_start}" in picker
    path = f"/booking/appointments/{old_id}/reschedule/confirm?start={new_start}"
    assert submit(client, path, {"start": new_start, "reason": ""}).status_code == 302
    old = _fresh(old_id)
    assert old.status is AppointmentStatus.RESCHEDULED
    new = db.session.get(Appointment, old.rescheduled_to_id)
    assert new.starts_at == datetime(2026, 3, 24, 11, tzinfo=UTC) and new.is_live


def test_a_booking_moved_as_often_as_allowed_offers_no_more_moves(client, patient):
    therapist = make_bookable_therapist()
    booked_id = _booked(client, therapist)
    link = f"/booking/appointments/{booked_id}/reschedule"
    assert link in client.get("/booking/appointments").get_data(as_text=True)
    booked = _fresh(booked_id)
    booked.reschedule_count = 2  # MAX_RESCHEDULES
    db.session.commit()
    page = client.get("/booking/appointments").get_data(as_text=True)
    assert link not in page and "moved this appointment as many times as you can" in page


def test_the_photo_is_served_as_a_jpeg_with_nosniff(client, patient):
    therapist = make_bookable_therapist()
    assert client.get(f"/booking/therapists/{therapist.id}/photo").status_code == 404
    db.session.add(
        TherapistPhoto(therapist_id=therapist.id, content_type="image/jpeg", data=b"\xff\xd8")
    )
    db.session.commit()
    response = client.get(f"/booking/therapists/{therapist.id}/photo")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data() == b"\xff\xd8"


def test_no_photo_is_served_for_anyone_but_an_active_therapist(client, patient):
    therapist = make_bookable_therapist()
    db.session.add(TherapistPhoto(therapist_id=patient.id, content_type="image/jpeg", data=b"x"))
    db.session.add(TherapistPhoto(therapist_id=therapist.id, content_type="image/jpeg", data=b"y"))
    therapist.is_active_account = False
    db.session.commit()
    assert client.get(f"/booking/therapists/{patient.id}/photo").status_code == 404
    assert client.get(f"/booking/therapists/{therapist.id}/photo").status_code == 404


def test_pages_carry_titles_and_error_prefixes(client, patient):
    therapist = make_bookable_therapist()
    page = client.get(f"/booking/therapists/{therapist.id}").get_data(as_text=True)
    assert re.search(r"<title>[^<]*Test Therapist", page)
    path = f"/booking/therapists/{therapist.id}/book?start={TOMORROW_9}"
    error_page = submit(client, path, {"start": "x"}).get_data(as_text=True)
    assert "<title>Error: Check your appointment" in error_page


def test_slots_are_offered_only_within_the_booking_window(app, client, patient):
    assert app.config["BOOKING_WINDOW_DAYS"] == 28
    therapist = make_bookable_therapist()
    page = client.get(f"/booking/therapists/{therapist.id}").get_data(as_text=True)
    # The window runs to Monday 20 April 08:00 UTC, which is 09:00 BST: that slot is outside it.
    assert "start=20260419T150000Z" in page
    assert "start=20260420T" not in page
    assert "start=20260323T090000Z" not in page  # less than 2 hours' notice from 08:00


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("20260323T070000Z", "That time has passed, or is less than 2 hours away"),
        ("20260323T090000Z", "That time has passed, or is less than 2 hours away"),
        ("20270323T090000Z", "You can book up to"),
    ],
)
def test_a_time_no_list_offered_says_what_is_wrong_with_it(client, patient, start, message):
    """A page left open or an edited address: not 'someone has just booked it'."""
    therapist = make_bookable_therapist()
    response = book(client, therapist, start)
    page = response.get_data(as_text=True)
    assert message in page and "just been booked" not in page
    assert db.session.query(Appointment).count() == 0


def test_pressing_book_twice_shows_the_confirmation_not_someone_else_took_it(
    client, patient, outbox
):
    therapist = make_bookable_therapist()
    assert book(client, therapist).status_code == 302
    again = book(client, therapist)
    assert again.status_code == 302 and again.location.endswith("/booking/appointments")
    listing = client.get(again.location).get_data(as_text=True)
    assert "Your appointment is booked" in listing and "just been booked" not in listing
    assert db.session.query(Appointment).filter_by(patient_id=patient.id).count() == 1
    assert [m.subject for m in outbox] == ["Your appointment is booked"]


def test_the_book_button_ignores_a_second_click(client, patient):
    therapist = make_bookable_therapist()
    page = client.get(f"/booking/therapists/{therapist.id}/book?start={TOMORROW_9}")
    assert 'data-prevent-double-click="true"' in page.get_data(as_text=True)


def _book_page(client, therapist, start=TOMORROW_9) -> str:
    page = client.get(f"/booking/therapists/{therapist.id}/book?start={start}")
    assert page.status_code == 200
    return " ".join(page.get_data(as_text=True).split())


@pytest.mark.parametrize(
    ("mobile", "sms", "email", "confirmation", "reminders"),
    [
        ("+447700900123", True, True, "by email and text message", "by email and text message"),
        ("+447700900123", False, True, "by email.", "by email."),
        ("+447700900123", True, False, "by email and text message", "by text message."),
        (None, True, True, "by email.", "by email."),  # texts cannot reach them without a number
    ],
)
def test_the_book_page_says_which_channels_the_messages_use(
    client, mobile, sms, email, confirmation, reminders
):
    sign_in(client, make_patient(mobile=mobile, sms=sms, email=email))
    page = _book_page(client, make_bookable_therapist())
    assert f"We will send you a confirmation {confirmation}" in page
    assert f"the day before and an hour before {reminders}" in page


def test_the_book_page_says_no_reminders_will_come_when_both_are_off(client):
    sign_in(client, make_patient(sms=False, email=False))
    page = _book_page(client, make_bookable_therapist())
    assert "We will send you a confirmation by email." in page
    assert "You chose not to get reminders, so we will not send any." in page
    assert "/my-data/choices" in page


def test_a_slot_within_24_hours_warns_that_cancelling_or_moving_it_uses_a_session(client, patient):
    therapist = make_bookable_therapist()
    soon = _book_page(client, therapist, "20260323T140000Z")  # 6 hours away
    assert "If you cancel or move it, it will count as one of your sessions" in soon
    assert "24 hours" in soon
    assert "the day before" not in soon  # that reminder's time has passed: only the hour before
    later = _book_page(client, therapist, "20260324T090000Z")  # 25 hours away
    assert "count as one of your sessions" not in later


def test_a_slot_exactly_24_hours_away_warns_as_the_charging_rule_decides(client, patient):
    """Notice of exactly 24 hours is charged (webapp.charging.NOTICE_PERIOD)."""
    from datetime import time

    therapist = make_bookable_therapist(hours=tuple((d, time(8), time(17)) for d in range(7)))
    page = _book_page(client, therapist, "20260324T080000Z")
    assert "count as one of your sessions" in page


def test_a_patient_whose_access_ended_is_told_before_choosing_a_time(client):
    patient = make_patient(access_ends_at=datetime(2026, 3, 1, tzinfo=UTC))
    sign_in(client, patient)
    therapist = make_bookable_therapist()
    for path in (
        "/booking/therapists",
        f"/booking/therapists/{therapist.id}",
        f"/booking/therapists/{therapist.id}/book?start={TOMORROW_9}",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "Your access to booking has ended" in page, path
        assert "refer yourself again" in page, path
        assert "?start=" not in page and "Book this appointment" not in page, path
    response = book(client, therapist)
    assert response.status_code == 200
    assert "You can only book sessions during your access period" in response.get_data(as_text=True)
    assert db.session.query(Appointment).count() == 0


def test_times_after_the_access_period_ends_are_not_offered(client):
    patient = make_patient(access_ends_at=datetime(2026, 3, 25, tzinfo=UTC))
    sign_in(client, patient)
    therapist = make_bookable_therapist()
    page = client.get(f"/booking/therapists/{therapist.id}").get_data(as_text=True)
    assert "start=20260324T090000Z" in page
    assert "start=20260325T" not in page and "start=20260326T" not in page
    assert "25 March 2026" in page  # when their access ends
