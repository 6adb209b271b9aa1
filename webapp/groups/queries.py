"""Reads for group sessions. Every query that returns a group, meeting or message for a person
checks that they may see it: a facilitator their own groups (the clinical lead every group), a
patient an open group or one they were invited to or enrolled in; a meeting's room only its
facilitators and enrolled members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import ColumnElement, Exists, and_, func, or_, select, true
from sqlalchemy.orm import contains_eager, joinedload

from webapp.extensions import db
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
    PatientProfile,
    Role,
    User,
)

HOLDS_A_PLACE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.OFFERED)
FACILITATOR = "facilitator"
MEMBER = "A member"  # a member with no community handle


def is_facilitator(user_id: int, group_id: int) -> bool:
    return db.session.get(GroupFacilitator, {"group_id": group_id, "user_id": user_id}) is not None


def facilitator_ids(group_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(GroupFacilitator.user_id).where(GroupFacilitator.group_id == group_id)
        )
    )


def _staff_sees(user: User) -> ColumnElement[bool]:
    if user.role is Role.CLINICAL_LEAD:
        return true()
    return Group.id.in_(
        select(GroupFacilitator.group_id).where(GroupFacilitator.user_id == user.id)
    )


def groups_for_staff(user: User) -> list[Group]:
    return list(db.session.scalars(select(Group).where(_staff_sees(user)).order_by(Group.title)))


def group_for_staff_or_404(user: User, group_id: int) -> Group:
    group = db.session.scalar(select(Group).where(Group.id == group_id, _staff_sees(user)))
    if group is None:
        abort(404)
    return group


def _patient_sees(patient_id: int) -> ColumnElement[bool]:
    mine = select(GroupEnrolment.group_id).where(GroupEnrolment.patient_id == patient_id)
    return or_(Group.access == GroupAccess.OPEN, Group.id.in_(mine))


@dataclass(frozen=True)
class GroupLine:
    group: Group
    status: EnrolmentStatus | None
    next_meeting: GroupOccurrence | None


def groups_for_patient(patient_id: int, now: datetime) -> list[GroupLine]:
    groups = db.session.scalars(
        select(Group).where(_patient_sees(patient_id)).order_by(Group.title)
    )
    lines = []
    for group in groups:
        enrolment = enrolment_of(group.id, patient_id)
        lines.append(
            GroupLine(group, enrolment.status if enrolment else None, next_meeting(group.id, now))
        )
    return lines


def group_for_patient_or_404(patient_id: int, group_id: int) -> Group:
    group = db.session.scalar(select(Group).where(Group.id == group_id, _patient_sees(patient_id)))
    if group is None:
        abort(404)
    return group


def enrolment_of(group_id: int, patient_id: int) -> GroupEnrolment | None:
    return db.session.scalar(
        select(GroupEnrolment).where(
            GroupEnrolment.group_id == group_id, GroupEnrolment.patient_id == patient_id
        )
    )


def places_of(patient_id: int, *statuses: EnrolmentStatus) -> list[GroupEnrolment]:
    """A patient's own enrolments with these statuses, with their groups, by group title."""
    return list(
        db.session.scalars(
            select(GroupEnrolment)
            .join(GroupEnrolment.group)
            .where(GroupEnrolment.patient_id == patient_id, GroupEnrolment.status.in_(statuses))
            .order_by(Group.title, GroupEnrolment.id)
            .options(contains_eager(GroupEnrolment.group))
        )
    )


def enrolment_in_group_or_404(group_id: int, enrolment_id: int) -> GroupEnrolment:
    enrolment = db.session.get(GroupEnrolment, enrolment_id)
    if enrolment is None or enrolment.group_id != group_id:
        abort(404)
    return enrolment


def enrolments(group_id: int, *statuses: EnrolmentStatus) -> list[GroupEnrolment]:
    """In the order places were asked for (the waiting list's order)."""
    return list(
        db.session.scalars(
            select(GroupEnrolment)
            .where(GroupEnrolment.group_id == group_id, GroupEnrolment.status.in_(statuses))
            .order_by(GroupEnrolment.requested_at, GroupEnrolment.id)
            .options(joinedload(GroupEnrolment.patient))
        )
    )


def groups_with_people_waiting() -> list[Group]:
    return list(
        db.session.scalars(
            select(Group)
            .where(
                select(GroupEnrolment.id)
                .where(
                    GroupEnrolment.group_id == Group.id,
                    GroupEnrolment.status == EnrolmentStatus.WAITING,
                )
                .exists()
            )
            .order_by(Group.id)
        )
    )


def count(group_id: int, *statuses: EnrolmentStatus) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(GroupEnrolment)
            .where(GroupEnrolment.group_id == group_id, GroupEnrolment.status.in_(statuses))
        )
        or 0
    )


def handles(user_ids: list[int]) -> dict[int, str]:
    """Community handles by user id: how members appear in a group (never their real names)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(CommunityMember.user_id, CommunityMember.handle).where(
            CommunityMember.user_id.in_(user_ids)
        )
    )
    return {user_id: handle for user_id, handle in rows}


def names(user_ids: list[int]) -> dict[int, str]:
    """Staff names by user id (who acknowledged an alert)."""
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


def labels_for(senders: set[int], facilitator_ids: set[int]) -> dict[int, str]:
    """What each sender is shown as in a group (and to moderators): a member's handle, never
    their name; a facilitator's name. A member with no handle is missing: show MEMBER."""
    labels = handles(sorted(senders - facilitator_ids))
    for user_id in senders & facilitator_ids:
        user = db.session.get(User, user_id)
        labels[user_id] = f"{user.full_name} ({FACILITATOR})" if user else FACILITATOR
    return labels


def handle_of(user_id: int) -> str | None:
    return handles([user_id]).get(user_id)


def profile_of(user_id: int) -> PatientProfile | None:
    return db.session.get(PatientProfile, user_id)


def occurrences(group_id: int) -> list[GroupOccurrence]:
    return list(
        db.session.scalars(
            select(GroupOccurrence)
            .where(GroupOccurrence.group_id == group_id)
            .order_by(GroupOccurrence.starts_at)
        )
    )


def next_meeting(group_id: int, now: datetime) -> GroupOccurrence | None:
    return db.session.scalar(
        select(GroupOccurrence)
        .where(
            GroupOccurrence.group_id == group_id,
            GroupOccurrence.ends_at > now,
            GroupOccurrence.status == OccurrenceStatus.SCHEDULED,
        )
        .order_by(GroupOccurrence.starts_at)
        .limit(1)
    )


def meeting_overlapping(
    group_id: int, starts_at: datetime, ends_at: datetime, *, but: int
) -> GroupOccurrence | None:
    """A meeting of the group, other than `but` and not cancelled, that overlaps this time."""
    return db.session.scalar(
        select(GroupOccurrence)
        .where(
            GroupOccurrence.group_id == group_id,
            GroupOccurrence.id != but,
            GroupOccurrence.status != OccurrenceStatus.CANCELLED,
            GroupOccurrence.starts_at < ends_at,
            GroupOccurrence.ends_at > starts_at,
        )
        .order_by(GroupOccurrence.starts_at)
        .limit(1)
    )


def occurrence_for_staff_or_404(user: User, occurrence_id: int) -> GroupOccurrence:
    occurrence = db.session.scalar(
        select(GroupOccurrence)
        .join(Group, Group.id == GroupOccurrence.group_id)
        .where(GroupOccurrence.id == occurrence_id, _staff_sees(user))
    )
    if occurrence is None:
        abort(404)
    return occurrence


def _is_in_group(
    user_id: ColumnElement[int] | int, group_id: ColumnElement[int]
) -> ColumnElement[bool]:
    facilitator = (
        select(GroupFacilitator.user_id)
        .where(GroupFacilitator.group_id == group_id, GroupFacilitator.user_id == user_id)
        .exists()
    )
    member = (
        select(GroupEnrolment.id)
        .where(
            GroupEnrolment.group_id == group_id,
            GroupEnrolment.patient_id == user_id,
            GroupEnrolment.status == EnrolmentStatus.ENROLLED,
        )
        .exists()
    )
    return or_(facilitator, member)


def occurrence_for_participant(user_id: int, occurrence_id: int) -> GroupOccurrence | None:
    """The meeting, if `user_id` is one of its group's facilitators or enrolled members."""
    return db.session.scalar(
        select(GroupOccurrence).where(
            GroupOccurrence.id == occurrence_id,
            _is_in_group(user_id, GroupOccurrence.group_id),
        )
    )


@dataclass(frozen=True)
class Standing:
    """For a socket event, from one query: the account active, still a facilitator or an
    enrolled member (and whether muted), the meeting still on."""

    is_active: bool
    is_facilitator: bool
    enrolment: EnrolmentStatus | None
    is_muted: bool
    occurrence_status: OccurrenceStatus


def standing(user_id: int, session_token: str, occurrence_id: int) -> Standing | None:
    """None when the person is no longer signed in with that session (signed out everywhere,
    password or role changed) or the meeting does not exist."""
    facilitator = (
        select(GroupFacilitator.user_id)
        .where(
            GroupFacilitator.group_id == GroupOccurrence.group_id,
            GroupFacilitator.user_id == User.id,
        )
        .exists()
    )
    row = db.session.execute(
        select(
            User.is_active_account,
            facilitator,
            GroupEnrolment.status,
            GroupEnrolment.is_muted,
            GroupOccurrence.status,
        )
        .select_from(GroupOccurrence)
        .join(User, and_(User.id == user_id, User.session_token == session_token))
        .outerjoin(
            GroupEnrolment,
            and_(
                GroupEnrolment.group_id == GroupOccurrence.group_id,
                GroupEnrolment.patient_id == User.id,
            ),
        )
        .where(GroupOccurrence.id == occurrence_id)
    ).first()
    if row is None:
        return None
    return Standing(bool(row[0]), bool(row[1]), row[2], bool(row[3]), row[4])


def may_post(
    user_id: ColumnElement[int],
    session_token: ColumnElement[str],
    occurrence_id: ColumnElement[int],
) -> Exists:
    """SQL true while the sender is signed in with this session, active, a facilitator or an
    enrolled and unmuted member, and the meeting not cancelled: the guard on each message's
    INSERT."""
    facilitator = (
        select(GroupFacilitator.user_id)
        .where(
            GroupFacilitator.group_id == GroupOccurrence.group_id,
            GroupFacilitator.user_id == user_id,
        )
        .exists()
    )
    member = (
        select(GroupEnrolment.id)
        .where(
            GroupEnrolment.group_id == GroupOccurrence.group_id,
            GroupEnrolment.patient_id == user_id,
            GroupEnrolment.status == EnrolmentStatus.ENROLLED,
            GroupEnrolment.is_muted.is_(False),
        )
        .exists()
    )
    return (
        select(GroupOccurrence.id)
        .join(User, User.id == user_id)
        .where(
            GroupOccurrence.id == occurrence_id,
            GroupOccurrence.status != OccurrenceStatus.CANCELLED,
            User.session_token == session_token,
            User.is_active_account.is_(True),
            or_(facilitator, member),
        )
        .exists()
    )


def messages_after(
    occurrence_id: int, viewer_id: int, last_seen: int, *, facilitator: bool
) -> list[GroupMessage]:
    """What a reconnecting person missed, in order: a held message only to its author and the
    facilitators."""
    query = select(GroupMessage).where(
        GroupMessage.occurrence_id == occurrence_id, GroupMessage.sequence > last_seen
    )
    if not facilitator:
        query = query.where(
            or_(GroupMessage.is_held.is_(False), GroupMessage.sender_id == viewer_id)
        )
    return list(db.session.scalars(query.order_by(GroupMessage.sequence)))


def highest_sequence(occurrence_id: int) -> int:
    """The meeting's highest message number, held messages included (0 before the first)."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.max(GroupMessage.sequence), 0)).where(
                GroupMessage.occurrence_id == occurrence_id
            )
        )
        or 0
    )


def open_alerts(occurrence_id: int) -> list[ModerationItem]:
    """The meeting's risk alerts not yet closed by a moderator, oldest first, with their
    messages: what its facilitators see on their page, even after reloading it."""
    return list(
        db.session.scalars(
            select(ModerationItem)
            .join(ModerationItem.group_message)
            .where(
                GroupMessage.occurrence_id == occurrence_id,
                ModerationItem.kind == ItemKind.ALERT,
                ModerationItem.resolved_at.is_(None),
            )
            .order_by(ModerationItem.created_at, ModerationItem.id)
            .options(contains_eager(ModerationItem.group_message))
        )
    )


def has_open_alert(occurrence_id: int, member_id: int) -> bool:
    """Whether a risk alert about this member in this meeting is not yet closed."""
    return (
        db.session.scalar(
            select(ModerationItem.id)
            .join(ModerationItem.group_message)
            .where(
                GroupMessage.occurrence_id == occurrence_id,
                GroupMessage.sender_id == member_id,
                ModerationItem.kind == ItemKind.ALERT,
                ModerationItem.resolved_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def alert_in_meeting(occurrence_id: int, alert_id: int) -> ModerationItem | None:
    """One of the meeting's risk alerts, or None if the id is not one of them."""
    return db.session.scalar(
        select(ModerationItem)
        .join(ModerationItem.group_message)
        .where(
            ModerationItem.id == alert_id,
            ModerationItem.kind == ItemKind.ALERT,
            GroupMessage.occurrence_id == occurrence_id,
        )
    )


def existing_message(occurrence_id: int, sender_id: int, client_id: str) -> GroupMessage | None:
    return db.session.scalar(
        select(GroupMessage).where(
            GroupMessage.occurrence_id == occurrence_id,
            GroupMessage.sender_id == sender_id,
            GroupMessage.client_id == client_id,
        )
    )


def attendance(occurrence_id: int) -> dict[int, str]:
    rows = db.session.execute(
        select(GroupAttendance.patient_id, GroupAttendance.code).where(
            GroupAttendance.occurrence_id == occurrence_id
        )
    )
    return {patient_id: code for patient_id, code in rows}


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def staff_choices() -> list[User]:
    """Who may facilitate: active therapists and clinical leads."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role.in_((Role.THERAPIST, Role.CLINICAL_LEAD)),
                User.is_active_account.is_(True),
            )
            .order_by(User.full_name)
        )
    )
