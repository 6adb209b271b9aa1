"""The groups' part of the demo world (`flask seed-demo` calls `seed_groups`): Priya Nair's
weekly stress drop-in, which started two weeks ago and meets at this hour, UK time, so today's
meeting is running; the demo patients with community handles are members (the first, Jamie
Taylor, is patient@demo.example.org), the two past meetings are delivered with attendance codes
(the first with a few messages and a member's risk message, its alert acknowledged by the
moderator and still in their queue), and a fourth patient is on the waiting list. Idempotent:
an existing group is kept.

Rows are written directly (not through the services) so that seeding sends no emails.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.groups import rules
from webapp.models import (
    CommunityMember,
    EnrolmentStatus,
    Group,
    GroupAccess,
    GroupAttendance,
    GroupEnrolment,
    GroupFacilitator,
    GroupMessage,
    GroupOccurrence,
    ItemKind,
    ModerationItem,
    OccurrenceStatus,
    User,
)

TITLE = "Weekly stress drop-in"
# (patient local part, attendance codes at the two past meetings)
MEMBERS = [("patient", ("5", "5")), ("patient2", ("6", "3")), ("patient3", ("5", "2"))]
WAITING = "patient4"


def seed_groups(users: dict[str, User], now: datetime | None = None) -> Group:
    now = now or datetime.now(UTC)
    existing = db.session.scalar(select(Group).where(Group.title == TITLE))
    if existing is not None:
        return existing
    facilitator = users["priya.nair"]
    local_now = now.astimezone(rules.LONDON)
    start_time = local_now.time().replace(minute=0, second=0, microsecond=0)
    schedule = rules.WeeklySchedule(
        local_now.date() - timedelta(weeks=2), start_time, 6, timedelta(minutes=60)
    )
    with db.transaction():
        group = Group(
            title=TITLE,
            description=(
                "A friendly weekly group to learn and practise ways of handling stress, with "
                "others who know what it is like. Come to as many weeks as you can."
            ),
            access=GroupAccess.OPEN,
            capacity=3,
            first_date=schedule.first_date,
            local_time=start_time.strftime("%H:%M"),
            weeks=schedule.weeks,
            duration_minutes=60,
            created_by_id=facilitator.id,
            created_at=now - timedelta(weeks=3),
        )
        db.session.add(group)
        db.session.flush()
        db.session.add(GroupFacilitator(group_id=group.id, user_id=facilitator.id))
        meetings = []
        for meeting in rules.meetings(schedule):
            occurrence = GroupOccurrence(
                group_id=group.id, starts_at=meeting.starts_at, ends_at=meeting.ends_at
            )
            db.session.add(occurrence)
            meetings.append(occurrence)
        db.session.flush()
        members = [(users[local], codes) for local, codes in MEMBERS]
        for index, (user, _codes) in enumerate(members):
            if db.session.get(CommunityMember, user.id) is None:
                continue  # a member is known by a community handle: none, no place
            db.session.add(
                GroupEnrolment(
                    group_id=group.id,
                    patient_id=user.id,
                    status=EnrolmentStatus.ENROLLED,
                    requested_at=now - timedelta(weeks=3, minutes=-index),
                    changed_at=now - timedelta(weeks=3),
                )
            )
        waiting = users.get(WAITING)
        if waiting is not None:
            db.session.add(
                GroupEnrolment(
                    group_id=group.id,
                    patient_id=waiting.id,
                    status=EnrolmentStatus.WAITING,
                    requested_at=now - timedelta(days=2),
                    changed_at=now - timedelta(days=2),
                )
            )
        rate = current_app.config["GROUP_SESSION_RATE_PENCE"]
        for week, occurrence in enumerate(meetings[:2]):
            codes = {user.id: member_codes[week] for user, member_codes in members}
            for patient_id, code in codes.items():
                db.session.add(
                    GroupAttendance(
                        occurrence_id=occurrence.id,
                        patient_id=patient_id,
                        code=code,
                        recorded_at=occurrence.ends_at,
                    )
                )
            charge = rules.group_charge(codes.values(), rate)
            occurrence.status = (
                OccurrenceStatus.DELIVERED if charge.charged else OccurrenceStatus.NOT_DELIVERED
            )
            occurrence.charge_pence = charge.pence if charge.charged else None
            occurrence.recorded_at = occurrence.ends_at
            occurrence.recorded_by_id = facilitator.id
        # Two weeks ago: patient and patient3 attended (patient2 did not).
        _seed_first_meetings_talk(meetings[0], facilitator, [user for user, _ in members], users)
    return group


def _seed_first_meetings_talk(
    meeting: GroupOccurrence, facilitator: User, members: list[User], users: dict[str, User]
) -> None:
    """The first meeting: a few messages, and a member's clinical-risk message held from the
    group, its alert acknowledged by the moderator and still open for them to close."""
    said = [
        (facilitator, "Welcome, everyone. What would you like to get from the group?", False),
        (members[0], "To worry less about work. I'm on edge most evenings.", False),
        (members[2], "Some days I want to end my life. I don't know why I'm here.", True),
        (
            facilitator,
            "Thank you for telling us. I'll message you straight after the group.",
            False,
        ),
    ]
    messages = []
    for number, (sender, body, risk) in enumerate(said, start=1):
        message = GroupMessage(
            occurrence_id=meeting.id,
            sequence=number,
            sender_id=sender.id,
            client_id=f"demo-{number:04d}",
            body=body,
            is_held=risk,
            is_clinical_risk=risk,
            rule_ids=["risk.suicide.end-my-life"] if risk else [],
            sent_at=meeting.starts_at + timedelta(minutes=5 * number),
        )
        db.session.add(message)
        messages.append(message)
    db.session.flush()
    risk_message = messages[2]
    db.session.add(
        ModerationItem(
            group_message_id=risk_message.id,
            kind=ItemKind.ALERT,
            is_clinical_risk=True,
            rule_ids=risk_message.rule_ids,
            created_at=risk_message.sent_at,
            acknowledged_at=risk_message.sent_at + timedelta(minutes=3),
            acknowledged_by_id=users["moderator"].id,
        )
    )
