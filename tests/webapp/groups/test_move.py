"""A facilitator moves one meeting still to come to another UK date and time: it keeps its
length, may not overlap another of the group's meetings, is reminded of again at its new time,
and every enrolled member is told by email and by text as they chose, without the group's name;
anyone in its room early is told and the room closes."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, submit
from tests.webapp.groups.conftest import NAMESPACE, connect, received
from tests.webapp.groups.test_cancel import cancel, meeting
from webapp.extensions import db
from webapp.groups import reminders
from webapp.models import AuditEvent, GroupOccurrence, OccurrenceStatus, Role

REASON = "Bank holiday"


def move(client, occurrence: GroupOccurrence, day: str, time: str, reason: str = REASON):
    return submit(
        client,
        f"/groups/meetings/{occurrence.id}/move",
        {"new_date": day, "new_time": time, "reason": reason},
    )


def test_a_facilitator_moves_a_meeting_and_every_member_is_told(world, outbox, sms):
    second = meeting(world, 2)  # Tuesday 12 June 2029, 18:30 UK time, an hour long
    client = world.client(world.facilitator)
    page = client.get(f"/groups/{world.group.id}").get_data(as_text=True)
    assert f"/groups/meetings/{second.id}/move" in page
    assert f"/groups/meetings/{meeting(world, 1).id}/move" not in page  # it has started
    form = client.get(f"/groups/meetings/{second.id}/move").get_data(as_text=True)
    assert 'value="2029-06-12"' in form and 'value="18:30"' in form  # where it is now
    assert "3 members will be told" in form
    outbox.clear()

    response = move(client, second, "2029-06-13", "19:00")
    assert response.status_code == 302
    flashed = client.get(response.location).get_data(as_text=True)
    assert (
        "The meeting is moved to 13 June 2029" in flashed and "3 members have been told" in flashed
    )
    db.session.expire_all()
    moved = db.session.get(GroupOccurrence, second.id)
    assert moved.starts_at == datetime(2029, 6, 13, 18, 0, tzinfo=UTC)  # 19:00 BST
    assert moved.ends_at - moved.starts_at == timedelta(hours=1)
    assert moved.status is OccurrenceStatus.SCHEDULED
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "group.meeting_moved"))
    assert audit.actor_id == world.facilitator.id and audit.detail["reason"] == REASON
    assert audit.detail["from"].startswith("2029-06-12T17:30")

    assert sorted(m.to for m in outbox) == sorted(member.email for member in world.members)
    assert len(sms) == 3  # each member chose texts too
    for message in [*outbox, *sms]:
        assert "12 June 2029" in message.body and "13 June 2029" in message.body
        assert "stress" not in message.body.lower() and REASON not in message.body
    assert "116 123" in outbox[0].body
    member_page = world.client(world.members[0]).get(f"/groups/{world.group.id}")
    assert "13 June 2029" in member_page.get_data(as_text=True)


def test_its_reminders_go_again_for_the_new_time(app, world, outbox):
    """A reminder is sent once per meeting (its row is claimed first): moving the meeting
    clears them, so the members are reminded of the new time too."""
    second = meeting(world, 2)
    with app.app_context():
        reminders.send_due(second.starts_at - timedelta(hours=24))
    assert len(outbox) == 3  # the day-before reminders for the old time
    move(world.client(world.facilitator), second, "2029-06-14", "18:30")
    db.session.expire_all()
    moved = db.session.get(GroupOccurrence, second.id)
    outbox.clear()
    with app.app_context():
        reminders.send_due(moved.starts_at - timedelta(hours=24))
    assert len(outbox) == 3 and "14 June 2029" in outbox[0].body


@pytest.mark.parametrize(
    ("day", "time", "reason", "error"),
    [
        ("2029-06-13", "19:00", "  ", "Give a reason"),
        ("13/06/2029", "19:00", REASON, "Enter the new date as a real date"),
        ("2029-06-13", "7pm", REASON, "Enter the time as hours and minutes"),
        ("", "", REASON, "Enter the new date"),
        ("2029-06-12", "18:30", REASON, "Choose a date or time other than the meeting's own"),
        ("2029-06-01", "18:30", REASON, "Choose a date and time in the future"),
        ("2029-06-19", "18:00", REASON, "That would overlap the group's meeting on 19 June 2029"),
        ("2029-06-05", "19:00", REASON, "That would overlap the group's meeting on 5 June 2029"),
    ],
)
def test_a_move_that_cannot_be_made_says_why_and_changes_nothing(
    world, outbox, day, time, reason, error
):
    second = meeting(world, 2)
    before = second.starts_at
    outbox.clear()
    response = move(world.client(world.facilitator), second, day, time, reason)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "nhsuk-error-summary" in page
    assert error in page
    db.session.expire_all()
    assert db.session.get(GroupOccurrence, second.id).starts_at == before
    assert outbox == []


def test_a_meeting_that_has_started_or_was_cancelled_cannot_be_moved(world):
    client = world.client(world.facilitator)
    response = move(client, meeting(world, 1), "2029-06-07", "18:30")
    assert "Only a meeting that is still to come can be moved" in response.get_data(as_text=True)
    third = meeting(world, 3)
    assert cancel(client, third).status_code == 302
    response = move(client, third, "2029-06-20", "18:30")
    assert "Only a meeting that is still to come can be moved" in response.get_data(as_text=True)
    # Nor into a cancelled meeting's very time (the group has one meeting per start).
    response = move(client, meeting(world, 2), "2029-06-19", "18:30")
    assert "A cancelled meeting of this group was at that time" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(GroupOccurrence, meeting(world, 2).id).starts_at == datetime(
        2029, 6, 12, 17, 30, tzinfo=UTC
    )


def test_only_the_groups_facilitators_and_the_clinical_lead_may_move(world):
    second = meeting(world, 2)
    path = f"/groups/meetings/{second.id}/move"
    stranger = world.client(factories.make_therapist(full_name="Dr Other"))
    assert stranger.get(path).status_code == 404
    member = world.client(world.members[0])
    token = csrf_token(member, f"/groups/{world.group.id}")
    data = {"csrf_token": token, "new_date": "2029-06-13", "new_time": "19:00", "reason": REASON}
    assert member.post(path, data=data).status_code == 403
    db.session.expire_all()
    assert db.session.get(GroupOccurrence, second.id).starts_at == datetime(
        2029, 6, 12, 17, 30, tzinfo=UTC
    )
    lead = world.client(factories.make_user(Role.CLINICAL_LEAD))
    assert move(lead, second, "2029-06-13", "19:00").status_code == 302


def test_a_facilitator_in_the_room_early_is_told_and_the_room_closes(world, clock):
    second = meeting(world, 2)
    clock.move_to(second.starts_at - timedelta(minutes=5))  # the room opens 10 minutes early
    early = connect(world, world.facilitator, occurrence_id=second.id)
    assert early.is_connected(NAMESPACE)
    received(early)
    assert move(world.client(world.facilitator), second, "2029-06-13", "19:00").status_code == 302
    assert not early.is_connected(NAMESPACE)
    told = [p["args"][0] for p in early.queue if p["name"] == "closed"]
    assert told == [{"message": "This meeting has moved to 13 June 2029, 7:00pm."}]
