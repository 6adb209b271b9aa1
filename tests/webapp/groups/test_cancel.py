"""A facilitator cancels a meeting still to come: the room never opens (and closes on anyone in
it early), no reminder goes, nothing is charged, and every enrolled member is told by email and
by text as they chose, with the next meeting's date and without the group's name."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, submit
from tests.webapp.groups.conftest import NAMESPACE, connect, received
from webapp.extensions import db
from webapp.groups import queries, reminders
from webapp.models import AuditEvent, GroupOccurrence, OccurrenceStatus, Role

REASON = "Facilitator unwell"


def meeting(world, week: int) -> GroupOccurrence:
    return queries.occurrences(world.group.id)[week - 1]


def cancel(client, occurrence: GroupOccurrence, reason: str = REASON):
    return submit(client, f"/groups/meetings/{occurrence.id}/cancel", {"reason": reason})


def test_a_facilitator_cancels_a_meeting_and_every_member_is_told(world, outbox, sms):
    second, third = meeting(world, 2), meeting(world, 3)
    client = world.client(world.facilitator)
    page = client.get(f"/groups/{world.group.id}").get_data(as_text=True)
    assert f"/groups/meetings/{second.id}/cancel" in page
    assert f"/groups/meetings/{meeting(world, 1).id}/cancel" not in page  # it has started
    form = client.get(f"/groups/meetings/{second.id}/cancel").get_data(as_text=True)
    assert "3 members will be told" in form
    outbox.clear()

    response = cancel(client, second)
    assert response.status_code == 302
    assert "3 members have been told" in client.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(GroupOccurrence, second.id).status is OccurrenceStatus.CANCELLED
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "group.meeting_cancelled")
    )
    assert audit.actor_id == world.facilitator.id and audit.detail["reason"] == REASON

    assert sorted(m.to for m in outbox) == sorted(member.email for member in world.members)
    for message in [*outbox, *sms]:
        assert "12 June 2029" in message.body and "19 June 2029" in message.body
        assert "stress" not in message.body.lower() and REASON not in message.body
    assert len(sms) == 3  # each member chose texts too
    assert "116 123" in outbox[0].body
    member_page = world.client(world.members[0]).get(f"/groups/{world.group.id}")
    assert "(cancelled)" in member_page.get_data(as_text=True)
    assert third.status is OccurrenceStatus.SCHEDULED

    # No reminder goes for it, a day or an hour before.
    outbox.clear()
    for before in (timedelta(hours=24), timedelta(hours=1)):
        reminders.send_due(second.starts_at - before)
    assert outbox == []


def test_cancelling_needs_a_reason_and_a_meeting_still_to_come(world):
    client = world.client(world.facilitator)
    second = meeting(world, 2)
    response = cancel(client, second, reason="  ")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "nhsuk-error-summary" in page
    assert "Give a reason" in page
    for occurrence, error in (
        (meeting(world, 1), "This meeting has started"),
        (second, None),
        (second, "Only a meeting that is still to come can be cancelled"),
    ):
        response = cancel(client, occurrence)
        if error is None:
            assert response.status_code == 302
        else:
            assert error in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(GroupOccurrence, meeting(world, 1).id).status is (
        OccurrenceStatus.SCHEDULED
    )


def test_only_the_groups_facilitators_and_the_clinical_lead_may_cancel(world):
    second = meeting(world, 2)
    path = f"/groups/meetings/{second.id}/cancel"
    stranger = world.client(factories.make_therapist(full_name="Dr Other"))
    assert stranger.get(path).status_code == 404
    member = world.client(world.members[0])
    token = csrf_token(member, f"/groups/{world.group.id}")
    assert member.post(path, data={"csrf_token": token, "reason": REASON}).status_code == 403
    db.session.expire_all()
    assert db.session.get(GroupOccurrence, second.id).status is OccurrenceStatus.SCHEDULED
    lead = world.client(factories.make_user(Role.CLINICAL_LEAD))
    assert cancel(lead, second).status_code == 302


def test_a_facilitator_in_the_room_early_is_told_and_the_room_closes(world, clock):
    second = meeting(world, 2)
    clock.move_to(second.starts_at - timedelta(minutes=5))  # the room opens 10 minutes early
    early = connect(world, world.facilitator, occurrence_id=second.id)
    assert early.is_connected(NAMESPACE)
    received(early)
    assert cancel(world.client(world.facilitator), second).status_code == 302
    assert not early.is_connected(NAMESPACE)
    told = [p["args"][0] for p in early.queue if p["name"] == "closed"]  # (what came before)
    assert told == [{"message": "This meeting has been cancelled."}]
    again = connect(world, world.facilitator, occurrence_id=second.id)
    assert not again.is_connected(NAMESPACE)
    refused = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "group.room_refused")
    ).all()
    assert [event.detail["reason"] for event in refused] == ["cancelled"]
    # Nor do the pages lead there: the room page sends them back, and no room link is shown.
    client = world.client(world.facilitator)
    response = client.get(f"/groups/meetings/{second.id}")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "This meeting has been cancelled." in page
    assert f'/groups/meetings/{second.id}"' not in page


def test_a_member_whose_account_is_closed_is_not_written_to(world, outbox, sms):
    closed = world.members[2]
    closed.is_active_account = False
    db.session.commit()
    outbox.clear()
    response = cancel(world.client(world.facilitator), meeting(world, 2))
    assert "2 members have been told" in world.client(world.facilitator).get(
        response.location
    ).get_data(as_text=True)
    assert closed.email not in {m.to for m in outbox} and len(outbox) == 2
