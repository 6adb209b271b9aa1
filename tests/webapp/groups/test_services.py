"""Group writes: creating a group and its meetings, enrolment and the waiting list (places
offered in order), invitations, and attendance with the commissioner's charge."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.webapp.groups.conftest import FIRST, STARTS_AT, make_group, make_member
from webapp.extensions import db
from webapp.groups import services
from webapp.models import (
    AllowanceMovement,
    EnrolmentStatus,
    GroupAccess,
    GroupAttendance,
    GroupOccurrence,
    OccurrenceStatus,
    Role,
)

NOW = STARTS_AT - timedelta(days=7)


@pytest.fixture(autouse=True)
def _app_context(app):
    """Emails and the configured rate are read from the app, as in a request."""
    with app.app_context():
        yield


@pytest.fixture
def facilitator(app):
    return factories.make_therapist()


def statuses(group) -> dict[str, str]:
    from webapp.groups import queries

    rows = queries.enrolments(group.id, *EnrolmentStatus)
    handles = queries.handles([row.patient_id for row in rows])
    return {handles[row.patient_id]: row.status.value for row in rows}


def test_a_group_gets_every_meeting_at_its_uk_time(facilitator):
    group = make_group(facilitator)
    meetings = db.session.scalars(
        select(GroupOccurrence).where(GroupOccurrence.group_id == group.id)
    ).all()
    assert len(meetings) == 6
    assert min(m.starts_at for m in meetings) == STARTS_AT
    assert all(m.ends_at - m.starts_at == timedelta(hours=1) for m in meetings)
    assert [f.user_id for f in group.facilitators] == [facilitator.id]


def test_a_group_whose_meetings_are_all_past_is_refused(facilitator):
    plan = services.GroupPlan("Old", "", GroupAccess.OPEN, 5, FIRST, time(10, 0), 1, 60)
    with pytest.raises(services.Refused, match="past"):
        services.create_group(facilitator, plan, now=STARTS_AT + timedelta(days=1))


@pytest.mark.parametrize(
    ("capacity", "weeks", "minutes", "message"),
    [(0, 6, 60, "room for"), (31, 6, 60, "room for"), (5, 0, 60, "weeks"), (5, 6, 200, "lasts")],
)
def test_a_group_out_of_bounds_is_refused(facilitator, capacity, weeks, minutes, message):
    plan = services.GroupPlan(
        "Course", "", GroupAccess.OPEN, capacity, FIRST, time(10, 0), weeks, minutes
    )
    with pytest.raises(services.Refused, match=message):
        services.create_group(facilitator, plan, now=NOW)
    assert db.session.scalar(select(func.count()).select_from(GroupOccurrence)) == 0


def test_a_patient_cannot_run_a_group(app):
    patient = factories.make_patient()
    plan = services.GroupPlan("Course", "", GroupAccess.OPEN, 5, FIRST, time(10, 0), 6, 60)
    with pytest.raises(services.Refused, match="therapists and clinical leads"):
        services.create_group(patient, plan, now=NOW)


def test_places_fill_then_the_waiting_list_is_offered_places_in_order(facilitator, outbox):
    group = make_group(facilitator, capacity=2)
    a, b, c, d = (make_member(h) for h in ("member-a", "member-b", "member-c", "member-d"))
    for minutes, patient in enumerate((a, b, c, d)):
        services.request_place(patient, group, now=NOW + timedelta(minutes=minutes))
    assert statuses(group) == {
        "member-a": "enrolled",
        "member-b": "enrolled",
        "member-c": "waiting",
        "member-d": "waiting",
    }
    services.leave(a, group, now=NOW + timedelta(hours=1))
    assert statuses(group)["member-c"] == "offered"  # the first to ask
    assert statuses(group)["member-d"] == "waiting"
    assert [m.to for m in outbox] == [c.email]
    # An offered place is held: a newcomer joins the end of the list, not the free place.
    newcomer = make_member("member-e")
    assert services.request_place(newcomer, group, now=NOW + timedelta(hours=2)).status is (
        EnrolmentStatus.WAITING
    )
    services.leave(c, group, now=NOW + timedelta(hours=3))  # declines the offer
    assert statuses(group)["member-d"] == "offered"
    services.accept_offer(d, group, now=NOW + timedelta(hours=4))
    assert statuses(group)["member-d"] == "enrolled"
    with pytest.raises(services.Refused, match="no place waiting"):
        services.accept_offer(newcomer, group, now=NOW + timedelta(hours=4))


def test_asking_twice_changes_nothing(facilitator):
    group = make_group(facilitator)
    patient = make_member("twice-asked")
    first = services.request_place(patient, group, now=NOW)
    again = services.request_place(patient, group, now=NOW + timedelta(hours=1))
    assert first.id == again.id and again.requested_at == NOW.replace(tzinfo=UTC)


def test_a_patient_outside_their_access_period_is_refused(facilitator):
    group = make_group(facilitator)
    expired = make_member("expired-one", access_ends_at=datetime(2029, 1, 1, tzinfo=UTC))
    with pytest.raises(services.Refused, match="access period"):
        services.request_place(expired, group, now=NOW)


def test_a_patient_without_a_community_handle_is_asked_to_choose_one(facilitator):
    group = make_group(facilitator)
    with pytest.raises(services.Refused, match="name in the community"):
        services.request_place(factories.make_patient(), group, now=NOW)


def test_an_invitation_only_group_takes_only_invited_patients(facilitator, outbox):
    group = make_group(facilitator, access=GroupAccess.INVITATION)
    invited, uninvited = make_member("invited-one"), make_member("uninvited")
    with pytest.raises(services.Refused, match="invitation only"):
        services.request_place(uninvited, group, now=NOW)
    services.invite(facilitator, group, invited.email.upper(), now=NOW)
    assert [m.to for m in outbox] == [invited.email]
    assert services.request_place(invited, group, now=NOW).status is EnrolmentStatus.ENROLLED
    with pytest.raises(services.Refused, match="already"):
        services.invite(facilitator, group, invited.email, now=NOW)


@pytest.mark.parametrize("email", ["nobody@example.org", "staff"])
def test_only_patients_can_be_invited(facilitator, email):
    group = make_group(facilitator, access=GroupAccess.INVITATION)
    staff = factories.make_user(Role.MODERATOR)
    with pytest.raises(services.Refused, match="no patient"):
        services.invite(facilitator, group, staff.email if email == "staff" else email, now=NOW)


def test_a_removed_member_cannot_rejoin(facilitator):
    group = make_group(facilitator)
    patient = make_member("removed-one")
    enrolment = services.request_place(patient, group, now=NOW)
    services.remove(facilitator, enrolment, now=NOW)
    with pytest.raises(services.Refused, match="removed you"):
        services.request_place(patient, group, now=NOW)


def test_attendance_codes_deliver_the_meeting_as_one_unit_for_the_commissioner(app, world):
    allowance_before = db.session.scalar(select(func.count()).select_from(AllowanceMovement))
    codes = {world.members[0].id: "5", world.members[1].id: "6", world.members[2].id: "3"}
    charge = services.record_attendance(
        world.facilitator, world.meeting, codes, now=STARTS_AT + timedelta(hours=1)
    )
    assert charge.charged and charge.pence == app.config["GROUP_SESSION_RATE_PENCE"]
    meeting = db.session.get(GroupOccurrence, world.meeting.id)
    assert meeting.status is OccurrenceStatus.DELIVERED
    assert meeting.charge_pence == app.config["GROUP_SESSION_RATE_PENCE"]
    stored = {a.patient_id: a.code for a in db.session.scalars(select(GroupAttendance))}
    assert stored == codes
    # Never a patient charge, nor a draw on anyone's one-to-one allowance.
    assert db.session.scalar(select(func.count()).select_from(AllowanceMovement)) == (
        allowance_before
    )


def test_a_meeting_nobody_attended_is_not_delivered_nor_charged(world):
    codes = {m.id: "3" for m in world.members}
    charge = services.record_attendance(
        world.facilitator, world.meeting, codes, now=STARTS_AT + timedelta(hours=1)
    )
    assert not charge.charged
    meeting = db.session.get(GroupOccurrence, world.meeting.id)
    assert meeting.status is OccurrenceStatus.NOT_DELIVERED and meeting.charge_pence is None


def test_recording_again_replaces_the_codes_and_the_charge(world):
    later = STARTS_AT + timedelta(hours=1)
    services.record_attendance(
        world.facilitator, world.meeting, {m.id: "5" for m in world.members}, now=later
    )
    services.record_attendance(
        world.facilitator, world.meeting, {m.id: "2" for m in world.members}, now=later
    )
    meeting = db.session.get(GroupOccurrence, world.meeting.id)
    assert meeting.status is OccurrenceStatus.NOT_DELIVERED and meeting.charge_pence is None
    assert {a.code for a in db.session.scalars(select(GroupAttendance))} == {"2"}


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ("missing one", "every member"),
        ("a stranger", "every member"),
        ("code 0", "attendance codes"),
        ("code 9", "attendance codes"),
    ],
)
def test_attendance_refusals_store_nothing(world, codes, message):
    ids = [m.id for m in world.members]
    given = {
        "missing one": {ids[0]: "5", ids[1]: "5"},
        "a stranger": {**{i: "5" for i in ids}, 999_999: "5"},
        "code 0": {**{i: "5" for i in ids}, ids[0]: "0"},
        "code 9": {**{i: "5" for i in ids}, ids[0]: "9"},
    }[codes]
    with pytest.raises(services.Refused, match=message):
        services.record_attendance(
            world.facilitator, world.meeting, given, now=STARTS_AT + timedelta(hours=1)
        )
    assert db.session.scalar(select(func.count()).select_from(GroupAttendance)) == 0


def test_attendance_waits_for_the_meeting_to_start(world):
    with pytest.raises(services.Refused, match="started"):
        services.record_attendance(
            world.facilitator,
            world.meeting,
            {m.id: "5" for m in world.members},
            now=STARTS_AT - timedelta(minutes=1),
        )


def test_a_closed_account_waiting_is_passed_over_for_a_free_place(facilitator, outbox):
    group = make_group(facilitator, capacity=1)
    member, closed, next_open = (make_member(h) for h in ("member-a", "member-b", "member-c"))
    for minutes, patient in enumerate((member, closed, next_open)):
        services.request_place(patient, group, now=NOW + timedelta(minutes=minutes))
    closed.is_active_account = False
    db.session.commit()
    services.leave(member, group, now=NOW + timedelta(hours=1))
    assert statuses(group)["member-b"] == "waiting" and statuses(group)["member-c"] == "offered"
    assert [m.to for m in outbox] == [next_open.email]


def test_the_hourly_sweep_offers_places_freed_where_nobody_was_told(facilitator, outbox):
    """Migration 0021 marked closed accounts' places as left, with nobody waiting told."""
    group = make_group(facilitator, capacity=1)
    member, waiting = make_member("member-a"), make_member("member-b")
    services.request_place(member, group, now=NOW)
    services.request_place(waiting, group, now=NOW + timedelta(minutes=1))
    full = make_group(facilitator, capacity=1)
    services.request_place(make_member("member-c"), full, now=NOW)
    services.request_place(make_member("member-d"), full, now=NOW + timedelta(minutes=1))
    from webapp.groups import queries

    queries.enrolment_of(group.id, member.id).status = EnrolmentStatus.LEFT  # as 0021 does
    db.session.commit()
    outbox.clear()
    assert services.offer_free_places_everywhere(now=NOW + timedelta(hours=1)) == 1
    assert statuses(group)["member-b"] == "offered"
    assert statuses(full)["member-d"] == "waiting"  # no free place there
    assert [m.to for m in outbox] == [waiting.email]
    assert services.offer_free_places_everywhere(now=NOW + timedelta(hours=2)) == 0  # once


def test_the_sweep_offers_nothing_in_a_course_that_is_over(facilitator, outbox):
    group = make_group(facilitator, capacity=1)
    member, waiting = make_member("member-a"), make_member("member-b")
    services.request_place(member, group, now=NOW)
    services.request_place(waiting, group, now=NOW + timedelta(minutes=1))
    from webapp.groups import queries

    queries.enrolment_of(group.id, member.id).status = EnrolmentStatus.LEFT
    db.session.commit()
    outbox.clear()
    assert services.offer_free_places_everywhere(now=STARTS_AT + timedelta(weeks=8)) == 0
    assert statuses(group)["member-b"] == "waiting" and outbox == []
