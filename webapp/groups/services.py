"""Writes for group sessions: creating a group and its meetings, enrolment and the waiting list,
invitations, muting and removing members, the room's messages (screened by the watchwords) and
each meeting's attendance and charge. One write = one function = one transaction; time is
passed in as `now`. Messages and alerts are sent once the transaction has committed."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import cast

from flask import current_app
from sqlalchemy import Row, String, Table, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from moderation import Decision
from webapp import audit, local_datetime, london_datetime
from webapp.booking.reminders import channels, patient_zone
from webapp.extensions import db
from webapp.groups import queries, rules
from webapp.models import (
    EnrolmentStatus,
    Group,
    GroupAccess,
    GroupAttendance,
    GroupEnrolment,
    GroupFacilitator,
    GroupMessage,
    GroupOccurrence,
    GroupReminder,
    ModerationItem,
    NotificationChannel,
    NotificationKind,
    OccurrenceStatus,
    Role,
    ShiftKind,
    User,
)
from webapp.moderation_console import queries as moderation_queries
from webapp.moderation_console import services as moderation_services
from webapp.moderation_console.watchwords import current_engine
from webapp.notify import DeliveryError, send_email, send_sms
from webapp.sessions import rate, room
from webapp.sessions.services import (
    MessageRefused,
    RoomRefused,
    insert_in_session,
    numbered_insert,
    store_numbered,
)

log = logging.getLogger(__name__)
STAFF = (Role.THERAPIST, Role.CLINICAL_LEAD)


class Refused(ValueError):
    """The request cannot be done; the message says why and what to do."""


# --- groups and their meetings ------------------------------------------------------------------


@dataclass(frozen=True)
class GroupPlan:
    title: str
    description: str
    access: GroupAccess
    capacity: int
    first_date: date
    local_time: time
    weeks: int
    duration_minutes: int
    co_facilitator_ids: Sequence[int] = ()


def create_group(creator: User, plan: GroupPlan, *, now: datetime) -> Group:
    """A group, its facilitators (the creator and any co-facilitators) and every meeting."""
    if creator.role not in STAFF:
        raise Refused("Only therapists and clinical leads run groups")
    if not 1 <= plan.capacity <= rules.MAX_CAPACITY:
        raise Refused(f"A group has room for 1 to {rules.MAX_CAPACITY} members")
    try:
        schedule = rules.WeeklySchedule(
            plan.first_date, plan.local_time, plan.weeks, timedelta(minutes=plan.duration_minutes)
        )
    except ValueError as error:
        raise Refused(str(error)) from error
    meetings = rules.meetings(schedule)
    if meetings[-1].ends_at <= now:
        raise Refused("Every meeting of that schedule is in the past")
    facilitator_ids = {creator.id, *plan.co_facilitator_ids}
    staff_ids = {user.id for user in queries.staff_choices()}
    if not facilitator_ids <= staff_ids | {creator.id}:
        raise Refused("Facilitators must be therapists or clinical leads")
    with db.transaction():
        group = Group(
            title=plan.title.strip(),
            description=plan.description.strip(),
            access=plan.access,
            capacity=plan.capacity,
            first_date=plan.first_date,
            local_time=plan.local_time.strftime("%H:%M"),
            weeks=plan.weeks,
            duration_minutes=plan.duration_minutes,
            created_by_id=creator.id,
            created_at=now,
        )
        db.session.add(group)
        db.session.flush()
        for user_id in sorted(facilitator_ids):
            db.session.add(GroupFacilitator(group_id=group.id, user_id=user_id))
        for meeting in meetings:
            db.session.add(
                GroupOccurrence(
                    group_id=group.id, starts_at=meeting.starts_at, ends_at=meeting.ends_at
                )
            )
        audit.record(
            "group.created",
            actor=creator,
            subject_type="group",
            subject_id=group.id,
            detail={"meetings": len(meetings), "capacity": plan.capacity},
        )
    return group


@dataclass(frozen=True)
class GroupDetails:
    title: str
    description: str
    access: GroupAccess
    capacity: int


def edit_group(
    editor: User, group: Group, details: GroupDetails, *, now: datetime
) -> list[GroupEnrolment]:
    """Change what patients see of a group, who may join and its number of places (not its
    schedule). It cannot shrink below the places already held; new places are offered to those
    waiting, in order, and they are told. Returns those offered a place."""
    title = details.title.strip()
    if not title:
        raise Refused("Enter a title, like Six-week stress course")
    if not 1 <= details.capacity <= rules.MAX_CAPACITY:
        raise Refused(f"A group has room for 1 to {rules.MAX_CAPACITY} members")
    with db.transaction():
        _lock(group)
        taken = _taken(group.id)
        if details.capacity < taken:
            raise Refused(
                f"{taken} places are held, so the group needs room for at least {taken} members"
            )
        new = {
            "title": title,
            "description": details.description.strip(),
            "access": details.access,
            "capacity": details.capacity,
        }
        changed = sorted(name for name, value in new.items() if getattr(group, name) != value)
        for name, value in new.items():
            setattr(group, name, value)
        audit.record(
            "group.edited",
            actor=editor,
            subject_type="group",
            subject_id=group.id,
            detail={"changed": changed, "capacity": details.capacity},
        )
        offered = _offer_free_places(group, now)
    _tell_offered(group, offered)
    return offered


# --- enrolment and the waiting list -------------------------------------------------------------


def _lock(group: Group) -> None:
    """Serialise changes to one group's places (PostgreSQL row lock; SQLite writes one at a
    time anyway)."""
    db.session.execute(select(Group.id).where(Group.id == group.id).with_for_update())


def _taken(group_id: int) -> int:
    return queries.count(group_id, *queries.HOLDS_A_PLACE)


def request_place(patient: User, group: Group, *, now: datetime) -> GroupEnrolment:
    """Enrol a patient, or put them on the waiting list when the group is full (or others are
    already waiting). Patients need to be in their access period, to have a community handle
    (they appear under it) and, for an invitation-only group, an invitation."""
    profile = queries.profile_of(patient.id)
    if patient.role is not Role.PATIENT or profile is None or not profile.has_access(now):
        raise Refused("Groups are open to patients during their access period")
    if queries.handle_of(patient.id) is None:
        raise Refused("Choose your name in the community first: members see it, not your name")
    with db.transaction():
        _lock(group)
        enrolment = queries.enrolment_of(group.id, patient.id)
        if enrolment is not None and enrolment.status in (
            EnrolmentStatus.ENROLLED,
            EnrolmentStatus.WAITING,
            EnrolmentStatus.OFFERED,
        ):
            return enrolment
        if enrolment is not None and enrolment.status is EnrolmentStatus.REMOVED:
            raise Refused("A facilitator removed you from this group. Talk to your therapist")
        invited = enrolment is not None and enrolment.status is EnrolmentStatus.INVITED
        if group.access is GroupAccess.INVITATION and not invited:
            raise Refused("This group is by invitation only")
        place = rules.place_for_new_request(
            _taken(group.id), group.capacity, queries.count(group.id, EnrolmentStatus.WAITING)
        )
        status = (
            EnrolmentStatus.ENROLLED if place is rules.Place.ENROLLED else EnrolmentStatus.WAITING
        )
        if enrolment is None:
            enrolment = GroupEnrolment(group_id=group.id, patient_id=patient.id)
            db.session.add(enrolment)
        enrolment.status, enrolment.requested_at, enrolment.changed_at = status, now, now
        enrolment.is_muted = False
        db.session.flush()
        audit.record(
            "group.place_requested",
            actor=patient,
            subject_type="group",
            subject_id=group.id,
            patient_id=patient.id,
            detail={"status": status.value},
        )
    return enrolment


def _offer_free_places(group: Group, now: datetime) -> list[GroupEnrolment]:
    """Inside the caller's locked transaction: offer free places to those waiting, in order."""
    waiting = [  # (a closed account gives up its wait, so none should be here)
        e
        for e in queries.enrolments(group.id, EnrolmentStatus.WAITING)
        if e.patient.is_active_account
    ]
    chosen = set(
        rules.to_offer([(e.requested_at, e.id) for e in waiting], _taken(group.id), group.capacity)
    )
    offered = [e for e in waiting if e.id in chosen]
    for enrolment in offered:
        enrolment.status, enrolment.changed_at = EnrolmentStatus.OFFERED, now
        audit.record(
            "group.place_offered",
            subject_type="group",
            subject_id=group.id,
            patient_id=enrolment.patient_id,
        )
    return offered


def _tell_offered(group: Group, offered: Sequence[GroupEnrolment]) -> None:
    for enrolment in offered:
        try:
            send_email(
                enrolment.patient.email,
                "A place in your group is free",
                f"A place has come free in {group.title}. Sign in to take it, or to let it go "
                "to the next person waiting.",
            )
        except DeliveryError:
            log.exception("telling enrolment %s of an offered place failed", enrolment.id)


def offer_free_places_everywhere(*, now: datetime) -> int:
    """The hourly sweep: each group still meeting, with people waiting, offers its free places
    (and tells those offered). Every change that frees a place offers it at once; this catches
    places freed where no one could be told, such as those migration 0021 gave up for accounts
    closed earlier. Returns how many places were offered."""
    total = 0
    for group in queries.groups_with_people_waiting():
        if queries.next_meeting(group.id, now) is None:
            continue  # the course is over: there is nothing left to join
        with db.transaction():
            _lock(group)
            offered = _offer_free_places(group, now)
        _tell_offered(group, offered)
        total += len(offered)
    return total


def accept_offer(patient: User, group: Group, *, now: datetime) -> GroupEnrolment:
    with db.transaction():
        _lock(group)
        enrolment = queries.enrolment_of(group.id, patient.id)
        if enrolment is None or enrolment.status is not EnrolmentStatus.OFFERED:
            raise Refused("There is no place waiting for you in this group")
        enrolment.status, enrolment.changed_at = EnrolmentStatus.ENROLLED, now
        audit.record(
            "group.offer_accepted",
            actor=patient,
            subject_type="group",
            subject_id=group.id,
            patient_id=patient.id,
        )
    return enrolment


def leave(patient: User, group: Group, *, now: datetime) -> None:
    """Leave the group, the waiting list or decline an offered place: the place goes to the
    next person waiting."""
    enrolment = queries.enrolment_of(group.id, patient.id)
    if enrolment is None or enrolment.status not in STILL_IN:
        raise Refused("You are not in this group")
    _vacate(enrolment, EnrolmentStatus.LEFT, patient, "You have left this group.", now)


STILL_IN = (
    EnrolmentStatus.ENROLLED,
    EnrolmentStatus.WAITING,
    EnrolmentStatus.OFFERED,
    EnrolmentStatus.INVITED,
)


def leave_every_group(patient: User, *, now: datetime) -> int:
    """A patient closing their account gives up every place, wait, offer and invitation they
    hold (each its own transaction, as if they left): a closed account must not keep a place
    someone waiting could have. Returns how many groups they left."""
    left = 0
    for enrolment in queries.places_of(patient.id, *STILL_IN):
        _vacate(enrolment, EnrolmentStatus.LEFT, patient, "You have left this group.", now)
        left += 1
    return left


def _vacate(
    enrolment: GroupEnrolment, status: EnrolmentStatus, actor: User, message: str, now: datetime
) -> None:
    """A place (or a wait) given up or taken away: it goes to the next person waiting, who is
    told, and the person's sockets in the group's rooms are closed with `message`."""
    group = enrolment.group
    with db.transaction():
        _lock(group)
        enrolment.status, enrolment.changed_at = status, now
        audit.record(
            f"group.{status.value}",
            actor=actor,
            subject_type="group",
            subject_id=group.id,
            patient_id=enrolment.patient_id,
        )
        offered = _offer_free_places(group, now)
    _tell_offered(group, offered)
    from webapp.groups import sockets

    sockets.close_member(group.id, enrolment.patient_id, message)


def invite(facilitator: User, group: Group, email: str, *, now: datetime) -> GroupEnrolment:
    """Invite a patient (by their email address) to an invitation-only or open group."""
    patient = queries.user_by_email(email)
    profile = queries.profile_of(patient.id) if patient is not None else None
    if patient is None or patient.role is not Role.PATIENT or profile is None:
        raise Refused("There is no patient with that email address")
    if not profile.has_access(now):
        raise Refused("That patient's access period has ended")
    with db.transaction():
        _lock(group)
        enrolment = queries.enrolment_of(group.id, patient.id)
        if enrolment is not None and enrolment.status is not EnrolmentStatus.LEFT:
            raise Refused("That patient is already invited, waiting or in this group")
        if enrolment is None:
            enrolment = GroupEnrolment(group_id=group.id, patient_id=patient.id)
            db.session.add(enrolment)
        enrolment.status, enrolment.requested_at, enrolment.changed_at = (
            EnrolmentStatus.INVITED,
            now,
            now,
        )
        db.session.flush()
        audit.record(
            "group.invited",
            actor=facilitator,
            subject_type="group",
            subject_id=group.id,
            patient_id=patient.id,
        )
    try:
        send_email(
            patient.email,
            "You are invited to a group",
            f"Your therapist has invited you to join {group.title}. Sign in to take your place.",
        )
    except DeliveryError:
        log.exception("the invitation to group %s could not be sent", group.id)
    return enrolment


def set_muted(facilitator: User, enrolment: GroupEnrolment, muted: bool, *, now: datetime) -> None:
    if enrolment.status is not EnrolmentStatus.ENROLLED:
        raise Refused("Only members can be muted")
    with db.transaction():
        enrolment.is_muted, enrolment.changed_at = muted, now
        audit.record(
            "group.muted" if muted else "group.unmuted",
            actor=facilitator,
            subject_type="group",
            subject_id=enrolment.group_id,
            patient_id=enrolment.patient_id,
        )
    from webapp.groups import sockets

    sockets.announce_muted(enrolment.group_id, enrolment.patient_id, muted)


def remove(facilitator: User, enrolment: GroupEnrolment, *, now: datetime) -> None:
    """Remove a member (or someone waiting): they leave every room of the group at once."""
    if enrolment.status not in STILL_IN:
        raise Refused("They are no longer in this group")
    message = "A facilitator has removed you from this group."
    _vacate(enrolment, EnrolmentStatus.REMOVED, facilitator, message, now)


# --- the room -----------------------------------------------------------------------------------


def check_standing(user_id: int, session_token: str, occurrence_id: int) -> queries.Standing:
    """One query, on every event: still signed in with this session and active, still a
    facilitator or enrolled member, the meeting not cancelled. Raise RoomRefused otherwise."""
    found = queries.standing(user_id, session_token, occurrence_id)
    if found is None or not found.is_active:
        raise RoomRefused("signed_out", "Sign in to join your group.")
    if not found.is_facilitator:
        if found.enrolment is EnrolmentStatus.REMOVED:
            raise RoomRefused("removed", "A facilitator has removed you from this group.")
        if found.enrolment is not EnrolmentStatus.ENROLLED:
            raise RoomRefused("not_a_member", "You are not a member of this group.")
    if found.occurrence_status is OccurrenceStatus.CANCELLED:
        raise RoomRefused("cancelled", "This meeting has been cancelled.")
    return found


def check_clock(occurrence: GroupOccurrence, now: datetime, *, facilitator: bool) -> None:
    state = rules.room_state(occurrence.starts_at, occurrence.ends_at, now, facilitator=facilitator)
    if state is rules.RoomState.NOT_YET:
        raise RoomRefused("not_yet", "The group room is not open yet.")
    if state is rules.RoomState.CLOSED:
        raise RoomRefused("closed", "This meeting has ended.")


def refuse(user: User | None, occurrence_id: int | None, code: str) -> None:
    if db.session().in_transaction():
        db.session.commit()
    audit.record_now(
        "group.room_refused",
        actor=user,
        subject_type="group_occurrence",
        subject_id=occurrence_id,
        detail={"reason": code},
    )


GUARDED_INSERT = numbered_insert(
    cast(Table, GroupMessage.__table__),
    "occurrence_id",
    (
        "occurrence_id",
        "sender_id",
        "client_id",
        "body",
        "is_held",
        "is_clinical_risk",
        "rule_ids",
        "sent_at",
    ),
    lambda values: queries.may_post(
        values["sender_id"], bindparam("session_token", type_=String()), values["occurrence_id"]
    ),
)


@dataclass(frozen=True)
class Posted:
    message: GroupMessage
    created: bool
    decision: Decision | None
    alert: ModerationItem | None = None  # a member's clinical-risk message: in the queue


def post_message(
    occurrence_id: int,
    sender_id: int,
    session_token: str,
    client_id: object,
    body: object,
    *,
    is_facilitator: bool,
    now: datetime,
) -> Posted:
    """Store a screened message with the room's next number. A member's message a watchword
    holds is seen only by its author and the facilitators (a facilitator's is screened and its
    rules noted, but never held: they quote risk words to talk about them). A resend with the
    same client id stores nothing. Raise RoomRefused if the sender may no longer post (muted,
    removed, signed out), MessageRefused for a bad message."""
    try:
        client_id = room.clean_client_id(client_id)
        text = room.clean_message(body)
    except ValueError as error:
        raise MessageRefused(str(error)) from error

    def existing() -> GroupMessage | None:
        return queries.existing_message(occurrence_id, sender_id, client_id)

    decision = current_engine().decide(text)
    is_member_at_risk = decision.is_clinical_risk and not is_facilitator
    # A person in crisis may well type fast: a risk message gets past the rate limit, so it is
    # held and alerted, unless an alert about them in this meeting is already open (then the
    # people it reached are with them, and a flood of risk words cannot flood the on-call).
    if not rate.message_rate().allow(f"group-{occurrence_id}:{sender_id}", now) and not (
        is_member_at_risk and not queries.has_open_alert(occurrence_id, sender_id)
    ):
        check_standing(sender_id, session_token, occurrence_id)
        found = existing()
        if found is not None:
            return Posted(found, False, None)
        raise MessageRefused("You are sending messages too quickly. Wait a moment.")
    held = decision.is_held and not is_facilitator
    values = {
        "occurrence_id": occurrence_id,
        "sender_id": sender_id,
        "client_id": client_id,
        "body": text,
        "is_held": held,
        "is_clinical_risk": is_member_at_risk,
        "rule_ids": sorted({match.rule_id for match in decision.matches}),
        "sent_at": now,
    }
    alerts: list[ModerationItem] = []

    def queue_alert(stored: Row[tuple[int, int]]) -> None:
        alerts[:] = [moderation_services.queue_group_alert(stored.id, values["rule_ids"], now=now)]

    stored = store_numbered(
        partial(
            insert_in_session,
            GUARDED_INSERT,
            stored_with=queue_alert if values["is_clinical_risk"] else None,
        ),
        {**values, "session_token": session_token},
        existing,
    )
    if isinstance(stored, GroupMessage):
        return Posted(stored, False, None)
    if stored is None:  # the guard said no: find out why, for the person and the audit
        standing = check_standing(sender_id, session_token, occurrence_id)
        if standing.is_muted:
            raise RoomRefused("muted", "A facilitator has muted you for now. You can still read.")
        raise RoomRefused("signed_out", "Sign in to join your group.")
    message = GroupMessage(id=stored.id, sequence=stored.sequence, **values)
    if held:
        audit.record_now(
            "group.message_held",
            actor=db.session.get(User, sender_id),
            subject_type="group_message",
            subject_id=message.id,
            detail={"rules": values["rule_ids"], "clinical_risk": values["is_clinical_risk"]},
        )
    return Posted(message, True, decision, alerts[0] if alerts else None)


def alert_on_risk(
    occurrence: GroupOccurrence, message: GroupMessage, handle: str, alert: ModerationItem
) -> None:
    """Once stored, a member's clinical-risk message: the facilitators in the room are alerted
    (by socket), and the moderators on shift see the alert in their queue and by email; its
    escalation clock runs as a post's does. The email carries no name, handle or message text."""
    from webapp.groups import sockets

    now = message.sent_at
    moderation_services.after_queued(alert, now=now)  # first: the escalation clock must start
    try:
        sockets.alert_facilitators(occurrence, message, handle, alert)
    except Exception:  # (the moderators have it; the facilitator also sees the held message)
        log.exception("the risk alert to the facilitators of meeting %s failed", occurrence.id)
    moderators = moderation_queries.on_shift(ShiftKind.MODERATOR, now)
    for moderator in moderators:
        try:
            send_email(
                moderator.email,
                "Risk alert in a group session",
                f"A member's message in group meeting {occurrence.id} matched a clinical-risk "
                "watchword and was held. The facilitator has been alerted. Please acknowledge "
                f"alert {alert.id} in the moderation queue and check in with them now.",
            )
        except DeliveryError:
            log.exception("the group risk alert to moderator %s failed", moderator.id)
    if not moderators:
        log.error("group risk alert (meeting %s) with no moderator on shift", occurrence.id)


# --- cancelling a meeting ------------------------------------------------------------------------

CANCELLED_IN_ROOM = "This meeting has been cancelled."


def cancel_meeting(actor: User, occurrence: GroupOccurrence, reason: str, *, now: datetime) -> int:
    """A facilitator (or the clinical lead) cancels a meeting before it starts: its room never
    opens, no reminder goes, it is never charged. Every enrolled member is told, by email and
    by text if they chose texts, naming neither the group nor its subject (a text may be read by
    someone else); the reason stays in the audit log. Returns how many members were told (at
    least one message delivered)."""
    reason = reason.strip()
    if not reason:
        raise Refused("Give a reason: it is kept in the audit log")
    if occurrence.status is not OccurrenceStatus.SCHEDULED:
        raise Refused("Only a meeting that is still to come can be cancelled")
    if occurrence.starts_at <= now:
        raise Refused("This meeting has started: record attendance for it instead")
    with db.transaction() as session:
        claimed = session.execute(  # (one of two submissions at once; not once it has started)
            update(GroupOccurrence)
            .where(
                GroupOccurrence.id == occurrence.id,
                GroupOccurrence.status == OccurrenceStatus.SCHEDULED,
                GroupOccurrence.starts_at > now,
            )
            .values(status=OccurrenceStatus.CANCELLED)
        )
        if claimed.rowcount != 1:
            raise Refused("Only a meeting that is still to come can be cancelled")
        audit.record(
            "group.meeting_cancelled",
            actor=actor,
            subject_type="group_occurrence",
            subject_id=occurrence.id,
            detail={"reason": reason, "starts_at": occurrence.starts_at.isoformat()},
        )
    from webapp.groups import sockets

    sockets.close_meeting(occurrence.id, CANCELLED_IN_ROOM)  # a facilitator there early
    following = queries.next_meeting(occurrence.group_id, occurrence.ends_at)
    return sum(
        _tell_cancelled(member, occurrence, following) for member in _to_tell(occurrence.group_id)
    )


def _to_tell(group_id: int) -> list[User]:
    """The enrolled members to tell of a change to a meeting (a closed account is not written
    to)."""
    return [
        enrolment.patient
        for enrolment in queries.enrolments(group_id, EnrolmentStatus.ENROLLED)
        if enrolment.patient.is_active_account
    ]


def _tell(member: User, subject: str, email: str, sms: str) -> bool:
    """By email, and by text if they chose texts, as for a provider's cancellation. True if
    at least one message was delivered. Neither names the group nor its subject: a text may be
    read by someone else."""
    profile = member.patient_profile
    told = False
    for channel in channels(NotificationKind.CANCELLATION, profile):
        try:
            if channel is NotificationChannel.EMAIL:
                send_email(member.email, subject, email)
            elif profile is not None and profile.mobile_e164:
                send_sms(profile.mobile_e164, sms)
            else:
                continue
            told = True
        except DeliveryError:
            log.exception("telling %s of a change to a group meeting failed", member.id)
    return told


CRISIS_LINES = (
    "If you need to talk to someone before then, call NHS 111 and choose the mental health "
    "option, or Samaritans on 116 123."
)


def _tell_cancelled(
    member: User, occurrence: GroupOccurrence, following: GroupOccurrence | None
) -> bool:
    zone = patient_zone(member.patient_profile)
    service = current_app.config["SERVICE_NAME"]
    lead = f"your group session on {local_datetime(occurrence.starts_at, zone)} is cancelled"
    then = (
        f" The next one is on {local_datetime(following.starts_at, zone)}."
        if following is not None
        else ""
    )
    return _tell(
        member,
        "Your group session is cancelled",
        f"We are sorry: {lead}. Your place in the group is kept.{then} {CRISIS_LINES}",
        f"{service}: sorry, {lead}.{then}",
    )


# --- moving a meeting ---------------------------------------------------------------------------


def moved_in_room(starts_at: datetime) -> str:
    return f"This meeting has moved to {london_datetime(starts_at)}."


def move_meeting(
    actor: User,
    occurrence: GroupOccurrence,
    day: date,
    wall: time,
    reason: str,
    *,
    now: datetime,
) -> int:
    """A facilitator (or the clinical lead) moves one meeting still to come to another UK date
    and time, keeping its length (a bank holiday, a facilitator away). It may not overlap
    another meeting of the group. Its reminders go again for the new time; every enrolled
    member is told as for a cancellation (email, and text if they chose texts, naming neither
    the group nor its subject); the reason stays in the audit log. Returns how many members
    were told."""
    reason = reason.strip()
    if not reason:
        raise Refused("Give a reason: it is kept in the audit log")
    if occurrence.status is not OccurrenceStatus.SCHEDULED or occurrence.starts_at <= now:
        raise Refused("Only a meeting that is still to come can be moved")
    was = occurrence.starts_at
    starts_at = rules.london_to_utc(day, wall)
    ends_at = starts_at + (occurrence.ends_at - occurrence.starts_at)
    if starts_at == was:
        raise Refused("Choose a date or time other than the meeting's own")
    if starts_at <= now:
        raise Refused("Choose a date and time in the future")
    try:
        with db.transaction() as session:
            _lock(occurrence.group)  # (two moves at once must not both pass the overlap check)
            clash = queries.meeting_overlapping(
                occurrence.group_id, starts_at, ends_at, but=occurrence.id
            )
            if clash is not None:
                raise Refused(
                    f"That would overlap the group's meeting on {london_datetime(clash.starts_at)}"
                )
            claimed = session.execute(  # (as the page showed it, and not yet started)
                update(GroupOccurrence)
                .where(
                    GroupOccurrence.id == occurrence.id,
                    GroupOccurrence.status == OccurrenceStatus.SCHEDULED,
                    GroupOccurrence.starts_at == was,
                    GroupOccurrence.starts_at > now,
                )
                .values(starts_at=starts_at, ends_at=ends_at)
            )
            if claimed.rowcount != 1:
                raise Refused("This meeting changed meanwhile: look at it again")
            session.execute(
                delete(GroupReminder).where(GroupReminder.occurrence_id == occurrence.id)
            )
            audit.record(
                "group.meeting_moved",
                actor=actor,
                subject_type="group_occurrence",
                subject_id=occurrence.id,
                detail={"reason": reason, "from": was.isoformat(), "to": starts_at.isoformat()},
            )
    except IntegrityError:  # a cancelled meeting of the group starts at that very time
        raise Refused(
            "A cancelled meeting of this group was at that time: choose another"
        ) from None
    db.session.refresh(occurrence)
    from webapp.groups import sockets

    sockets.close_meeting(occurrence.id, moved_in_room(starts_at))  # a facilitator there early
    return sum(_tell_moved(member, occurrence, was) for member in _to_tell(occurrence.group_id))


def _tell_moved(member: User, occurrence: GroupOccurrence, was: datetime) -> bool:
    zone = patient_zone(member.patient_profile)
    service = current_app.config["SERVICE_NAME"]
    change = (
        f"your group session on {local_datetime(was, zone)} has moved to "
        f"{local_datetime(occurrence.starts_at, zone)}"
    )
    return _tell(
        member,
        "Your group session has moved",
        f"We are sorry for the change: {change}. Your place in the group is kept, and we will "
        f"remind you before the new time as before. {CRISIS_LINES}",
        f"{service}: {change}.",
    )


# --- attendance and the charge ------------------------------------------------------------------


def record_attendance(
    facilitator: User,
    occurrence: GroupOccurrence,
    codes: Mapping[int, object],
    *,
    now: datetime,
) -> rules.GroupCharge:
    """Each member's national attendance code for a meeting that has started, and the meeting's
    charge: one unit to the commissioner at the configured rate when anyone attended. Nothing
    is charged to a patient, nor drawn from their one-to-one allowance. Recording again
    replaces the codes and the charge."""
    if now < occurrence.starts_at:
        raise Refused("Attendance can be recorded once the meeting has started")
    if occurrence.status is OccurrenceStatus.CANCELLED:
        raise Refused("This meeting was cancelled")
    members = {e.patient_id for e in queries.enrolments(occurrence.group_id, *RECORDABLE)}
    members |= set(queries.attendance(occurrence.id))
    if set(codes) != members:
        raise Refused("Record a code for every member")
    try:
        cleaned = {pid: rules.clean_attendance_code(code) for pid, code in codes.items()}
    except ValueError as error:
        raise Refused(str(error)) from error
    charge = rules.group_charge(cleaned.values(), current_app.config["GROUP_SESSION_RATE_PENCE"])
    with db.transaction():
        for patient_id, code in cleaned.items():
            row = db.session.get(
                GroupAttendance, {"occurrence_id": occurrence.id, "patient_id": patient_id}
            ) or GroupAttendance(occurrence_id=occurrence.id, patient_id=patient_id)
            row.code, row.recorded_at = code, now
            db.session.add(row)
        occurrence.status = (
            OccurrenceStatus.DELIVERED if charge.charged else OccurrenceStatus.NOT_DELIVERED
        )
        occurrence.charge_pence = charge.pence if charge.charged else None
        occurrence.recorded_at, occurrence.recorded_by_id = now, facilitator.id
        audit.record(
            "group.attendance_recorded",
            actor=facilitator,
            subject_type="group_occurrence",
            subject_id=occurrence.id,
            detail={"members": len(cleaned), "charged_pence": charge.pence},
        )
    return charge


RECORDABLE = (EnrolmentStatus.ENROLLED,)
