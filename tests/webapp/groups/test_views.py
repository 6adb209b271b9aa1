"""Group pages: patients find, join and leave groups; therapists start and run them; the room
page admits only members and facilitators; attendance is recorded with the national codes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.groups.conftest import STARTS_AT, make_member
from tests.webapp.sessions.conftest import fast_sign_in
from webapp.extensions import db
from webapp.models import EnrolmentStatus, Group, GroupAttendance, GroupEnrolment, Role


def test_a_patient_joins_a_group_from_its_page_under_their_handle(world):
    patient = make_member("new-joiner", full_name="Nadia Newcomer")
    client = world.client(patient)
    listing = client.get("/groups/").get_data(as_text=True)
    assert "Six-week stress course" in listing
    page = client.get(f"/groups/{world.group.id}").get_data(as_text=True)
    assert "Join the waiting list" in page  # three members fill its three places
    assert "new-joiner" in page
    response = client.post(
        f"/groups/{world.group.id}/enrol",
        data={"csrf_token": csrf_token(client, f"/groups/{world.group.id}")},
    )
    assert response.status_code == 302
    enrolment = db.session.scalar(
        select(GroupEnrolment).where(GroupEnrolment.patient_id == patient.id)
    )
    assert enrolment.status is EnrolmentStatus.WAITING
    assert "On the waiting list" in client.get(f"/groups/{world.group.id}").get_data(as_text=True)


def test_a_patient_without_a_handle_is_sent_to_choose_one(world):
    patient = factories.make_patient()
    client = world.client(patient)
    page = client.get(f"/groups/{world.group.id}").get_data(as_text=True)
    assert "/community/join" in page and "Join the group" not in page


def test_a_therapist_starts_a_group(world, clock):
    client = world.client(world.facilitator)
    token = csrf_token(client, "/groups/new")
    response = client.post(
        "/groups/new",
        data={
            "csrf_token": token,
            "title": "Weekly drop-in",
            "description": "Come along.",
            "access": "open",
            "capacity": "10",
            "first_date": "2029-10-16",
            "local_time": "18:30",
            "weeks": "4",
            "duration": "60",
            "co_facilitator": "",
        },
    )
    assert response.status_code == 302
    group = db.session.scalar(select(Group).where(Group.title == "Weekly drop-in"))
    page = client.get(response.location).get_data(as_text=True)
    assert group.weeks == 4 and "Weekly drop-in" in page


def test_a_bad_group_form_shows_its_errors_and_stores_nothing(world):
    client = world.client(world.facilitator)
    token = csrf_token(client, "/groups/new")
    response = client.post(
        "/groups/new",
        data={"csrf_token": token, "title": "", "capacity": "0", "first_date": "2029-02-30"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "nhsuk-error-summary" in page
    assert db.session.scalar(select(Group).where(Group.id != world.group.id)) is None


def test_the_facilitator_sees_handles_and_the_room_link(world):
    page = world.client(world.facilitator).get(f"/groups/{world.group.id}").get_data(as_text=True)
    assert "calm-river" in page and "Go to the room" in page


def test_the_clinical_lead_oversees_the_group_but_is_not_sent_to_a_room_that_refuses_them(world):
    lead = world.client(factories.make_user(Role.CLINICAL_LEAD))
    page = lead.get(f"/groups/{world.group.id}").get_data(as_text=True)
    assert "calm-river" in page and "Go to the room" not in page
    assert lead.get(f"/groups/meetings/{world.meeting.id}").status_code == 404


def test_another_therapist_cannot_see_the_group(world):
    other = factories.make_therapist()
    client = world.app.test_client()
    fast_sign_in(client, other)
    assert client.get(f"/groups/{world.group.id}").status_code == 404
    assert client.get(f"/groups/meetings/{world.meeting.id}").status_code == 404


def test_the_room_page_is_for_members_and_facilitators(world):
    assert (
        world.client(world.members[0]).get(f"/groups/meetings/{world.meeting.id}").status_code
        == 200
    )
    room = world.client(world.facilitator).get(f"/groups/meetings/{world.meeting.id}")
    assert room.status_code == 200 and "group.js" in room.get_data(as_text=True)
    outsider = make_member("outsider")
    assert world.client(outsider).get(f"/groups/meetings/{world.meeting.id}").status_code == 404


def test_the_facilitator_records_attendance_with_national_codes(world, clock):
    clock.move_to(STARTS_AT + timedelta(hours=2))
    client = world.client(world.facilitator)
    fast_sign_in(client, world.facilitator)
    path = f"/groups/meetings/{world.meeting.id}/attendance"
    page = client.get(path).get_data(as_text=True)
    assert "calm-river" in page and "Did not attend without warning (3)" in page
    data = {"csrf_token": csrf_token(client, path)}
    data |= {f"code-{m.id}": code for m, code in zip(world.members, "563", strict=True)}
    assert client.post(path, data=data).status_code == 302
    assert {a.code for a in db.session.scalars(select(GroupAttendance))} == {"5", "6", "3"}


def test_a_missing_attendance_code_is_shown_as_an_error(world, clock):
    clock.move_to(STARTS_AT + timedelta(hours=2))
    client = world.client(world.facilitator)
    fast_sign_in(client, world.facilitator)
    path = f"/groups/meetings/{world.meeting.id}/attendance"
    data = {"csrf_token": csrf_token(client, path), f"code-{world.members[0].id}": "5"}
    response = client.post(path, data=data)
    assert "nhsuk-error-summary" in response.get_data(as_text=True)
    assert db.session.scalar(select(GroupAttendance.code)) is None


def test_mute_and_remove_from_the_group_page(world):
    client = world.client(world.facilitator)
    enrolment = db.session.scalar(
        select(GroupEnrolment).where(GroupEnrolment.patient_id == world.members[0].id)
    )
    token = csrf_token(client, f"/groups/{world.group.id}")
    base = f"/groups/{world.group.id}/members/{enrolment.id}"
    client.post(f"{base}/mute", data={"csrf_token": token})
    assert db.session.get(GroupEnrolment, enrolment.id).is_muted
    db.session.expire_all()
    client.post(f"{base}/remove", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(GroupEnrolment, enrolment.id).status is EnrolmentStatus.REMOVED
