"""Closing an account: confirmed with the password; bookings cancelled as the patient's own
cancellation; community content anonymised or deleted; the clinical record kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests import factories
from tests.conftest import sign_in, submit
from tests.webapp.groups.conftest import first_meeting, make_group, make_member
from tests.webapp.records.world import make_world
from webapp.extensions import db
from webapp.groups import services as groups
from webapp.models import (
    AccountClosure,
    Appointment,
    AppointmentStatus,
    AuditEvent,
    CommunityMember,
    EnrolmentStatus,
    GroupEnrolment,
    Post,
    PostStatus,
    SafetyPlan,
    SavedWorksheet,
    SessionRecord,
    Thread,
    User,
)


def close(client, choice: str = "anonymised", password: str = factories.PASSWORD):
    return submit(
        client,
        "/my-data/close-account",
        {"community": choice, "password": password, "confirm": "y"},
    )


def test_closing_keeps_the_clinical_record_anonymises_posts_and_refuses_sign_in(client):
    patient = make_world("Alpha")
    now = datetime.now(UTC).replace(microsecond=0)
    early = factories.make_appointment(patient, starts_at=now + timedelta(days=3))
    late = factories.make_appointment(patient, starts_at=now + timedelta(hours=5))
    sign_in(client, patient)
    page = client.get("/my-data/close-account").get_data(as_text=True)
    assert "20 years after your last contact" in page and "2 booked appointments" in page

    response = close(client)
    assert response.status_code == 200
    assert "Your account is closed" in response.get_data(as_text=True)
    db.session.expire_all()
    for appointment in (early, late):
        found = db.session.get(Appointment, appointment.id)
        assert found.status is AppointmentStatus.CANCELLED and found.attendance_code == "2"
    # The charging rules apply as to any patient cancellation (never charged to the patient).
    assert db.session.get(Appointment, early.id).charged is False
    assert db.session.get(Appointment, late.id).charged is True
    member = db.session.get(CommunityMember, patient.id)
    assert member.handle.startswith("Former member") and "Alpha" not in member.handle
    post = db.session.scalar(select(Post).where(Post.author_id == patient.id))
    assert post.body == "post body of Alpha" and post.status is PostStatus.VISIBLE
    assert db.session.get(SafetyPlan, patient.id) is None
    assert (
        db.session.scalar(select(SavedWorksheet).where(SavedWorksheet.patient_id == patient.id))
        is None
    )
    assert db.session.scalar(select(SessionRecord)).clinical_notes == "clinical note about Alpha"
    closure = db.session.get(AccountClosure, patient.id)
    assert closure.community_choice == "anonymised" and closure.bookings_cancelled == 2
    assert db.session.get(User, patient.id).is_active_account is False
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.closed"))
    assert client.get("/my-data").status_code == 302  # signed out
    refused = sign_in(client, patient)
    assert refused.status_code == 200  # the sign-in page again, not the home page
    # The same words as a wrong password: a right one for a closed account is not confirmed.
    wrong = sign_in(client, patient, password="not-the-password")
    assert refused.get_data(as_text=True).count("A closed account cannot be signed in to") == 1
    assert wrong.get_data(as_text=True).count("A closed account cannot be signed in to") == 1


def test_choosing_deletion_erases_the_posts_text_and_hides_the_thread(client):
    patient = make_world("Alpha")
    sign_in(client, patient)
    close(client, "deleted")
    db.session.expire_all()
    post = db.session.scalar(select(Post).where(Post.author_id == patient.id))
    assert post.body == "" and post.status is PostStatus.REMOVED
    thread = db.session.scalar(select(Thread).where(Thread.author_id == patient.id))
    assert "Alpha" not in thread.title
    assert db.session.get(AccountClosure, patient.id).community_choice == "deleted"


def test_deletion_erases_the_posts_while_a_group_meeting_alert_is_in_the_queue(client):
    """A group meeting's alert is a queue item with no post: the posts kept for the safety
    record are those with a risk item, and that list must not hold a NULL (NOT IN would then
    match nothing, and nothing would be erased)."""
    patient = make_world("Alpha")
    meeting = first_meeting(make_group(factories.make_therapist()))
    factories.make_group_alert(meeting.id, patient.id)
    db.session.commit()
    sign_in(client, patient)
    close(client, "deleted")
    db.session.expire_all()
    post = db.session.scalar(select(Post).where(Post.author_id == patient.id))
    assert post.body == "" and post.status is PostStatus.REMOVED


def test_a_wrong_password_closes_nothing(client):
    patient = make_world("Alpha")
    sign_in(client, patient)
    response = close(client, password="not-the-password")
    assert "The password is not right" in response.get_data(as_text=True)
    assert db.session.get(AccountClosure, patient.id) is None
    assert db.session.get(User, patient.id).is_active_account is True


def test_the_closure_must_be_confirmed(client):
    patient = factories.make_patient()
    sign_in(client, patient)
    response = submit(
        client, "/my-data/close-account", {"community": "anonymised", "password": "x"}
    )
    assert "There is a problem" in response.get_data(as_text=True)
    assert db.session.get(AccountClosure, patient.id) is None


def test_closing_gives_up_group_places_to_those_waiting(client, outbox):
    """A closed account must not keep a group place, nor a place on a waiting list."""
    patient = make_world("Alpha")
    now = datetime.now(UTC)
    full = make_group(factories.make_therapist(), capacity=1)
    other = make_group(factories.make_therapist(), capacity=1)
    other.title = "Sleep better"
    waiting = make_member("next-in-line")
    groups.request_place(patient, full, now=now)
    groups.request_place(waiting, full, now=now + timedelta(minutes=1))
    groups.request_place(make_member("got-there-first"), other, now=now)
    groups.request_place(patient, other, now=now + timedelta(minutes=1))  # waiting itself
    sign_in(client, patient)
    page = client.get("/my-data/close-account").get_data(as_text=True)
    assert "leave your 3 groups (Six-week stress course, Sleep better, group of Alpha)" in page

    close(client)
    db.session.expire_all()
    statuses = {
        (e.group_id, e.patient_id): e.status for e in db.session.scalars(select(GroupEnrolment))
    }
    assert statuses[(full.id, patient.id)] is EnrolmentStatus.LEFT
    assert statuses[(other.id, patient.id)] is EnrolmentStatus.LEFT
    assert {s for (_, who), s in statuses.items() if who == patient.id} == {EnrolmentStatus.LEFT}
    assert statuses[(full.id, waiting.id)] is EnrolmentStatus.OFFERED
    assert [message.to for message in outbox] == [waiting.email]
    closed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.closed"))
    assert closed.detail["groups_left"] == 3
