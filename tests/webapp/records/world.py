"""A patient with a row of every kind the export covers, each marked with their own tag, so a
test can scan one patient's export for the other's tag."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tests import factories
from webapp.audit import record
from webapp.extensions import db
from webapp.models import (
    AppointmentStatus,
    AttendanceEvent,
    AttendanceKind,
    CareEpisode,
    ChatMessage,
    CommunityMember,
    ConsentRecord,
    EnrolmentStatus,
    EscalationFollowUp,
    ExperienceResponse,
    FailureAffected,
    FailureFault,
    FailureReport,
    FailureStatus,
    Group,
    GroupAccess,
    GroupAttendance,
    GroupEnrolment,
    GroupMessage,
    GroupOccurrence,
    ItemKind,
    ModerationItem,
    ModeratorMessage,
    NotificationAttempt,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    PatientSessionNote,
    Post,
    PostStatus,
    QuestionnaireResponse,
    Reaction,
    Resolution,
    RiskFlag,
    Role,
    SafetyPlan,
    SavedWorksheet,
    SessionRating,
    SessionRecord,
    SessionRecordVersion,
    Space,
    SupervisionCase,
    SupervisionMeeting,
    TechnicalFailure,
    Thread,
    User,
)
from webapp.pathway.episode import EpisodeState

PAST = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def space() -> Space:
    found = db.session.query(Space).filter_by(title="Records test space").one_or_none()
    if found is None:
        found = Space(title="Records test space", description="")
        db.session.add(found)
        db.session.commit()
    return found


def make_world(tag: str, therapist: User | None = None, *, starts_at: datetime = PAST) -> User:
    """Every kind of data about one patient; `tag` is in every text they or about them."""
    therapist = therapist or factories.make_therapist()
    patient = factories.make_patient(full_name=f"Person {tag}")
    patient.email = f"{tag.lower()}@example.com"  # make_patient's `email` is the reminder choice
    referral = factories.make_referral(
        full_name=f"Person {tag}",
        email=f"{tag.lower()}@example.com",
        issue_details=f"issue of {tag}",
        patient_id=patient.id,
        received_at=starts_at - timedelta(days=30),
        completed_at=starts_at - timedelta(days=30),
        consent_given_at=starts_at - timedelta(days=30),
        decided_at=starts_at - timedelta(days=20),
    )
    appointment = factories.make_appointment(
        patient, therapist, starts_at=starts_at, status=AppointmentStatus.CLOSED
    )
    episode = CareEpisode(
        referral_id=referral.id,
        patient_id=patient.id,
        therapist_id=therapist.id,
        state=EpisodeState.DISCHARGED,
        opened_at=starts_at - timedelta(days=20),
        ended_on=(starts_at + timedelta(days=7)).date(),
        end_code="46",
        end_reason=f"ended for {tag}",
    )
    db.session.add(episode)
    db.session.flush()
    response = QuestionnaireResponse(
        patient_id=patient.id,
        appointment_id=appointment.id,
        instrument="phq9",
        instrument_version="1",
        answers={"interest": 1, "note": f"answer of {tag}"},
        started_at=starts_at - timedelta(hours=2),
        completed_at=starts_at - timedelta(hours=1),
        total=9,
    )
    db.session.add(response)
    db.session.flush()
    space_id = space().id
    db.session.add_all(
        [
            RiskFlag(
                appointment_id=appointment.id,
                patient_id=patient.id,
                response_id=response.id,
                code="phq9_item9",
                description=f"risk of {tag}",
                raised_at=starts_at - timedelta(hours=1),
            ),
            ExperienceResponse(
                patient_id=patient.id,
                instrument="peq",
                instrument_version="1",
                answers={"comment": f"experience of {tag}"},
                offered_at=starts_at,
            ),
            SessionRecord(
                appointment_id=appointment.id,
                therapist_id=therapist.id,
                clinical_notes=f"clinical note about {tag}",
                therapy_type="cbt",
                step_of_care="3",
                contact_minutes=50,
                attendance_code="5",
                next_steps=f"next steps for {tag}",
                recorded_at=starts_at + timedelta(hours=1),
                version=2,
                amended_at=starts_at + timedelta(days=1),
                amended_by_id=therapist.id,
            ),
            SessionRecordVersion(
                appointment_id=appointment.id,
                version=1,
                clinical_notes=f"earlier clinical note about {tag}",
                therapy_type="cbt",
                appointment_type="treatment",
                step_of_care="3",
                contact_minutes=50,
                attendance_code="5",
                next_steps=f"earlier next steps for {tag}",
                saved_at=starts_at + timedelta(hours=1),
                saved_by_id=therapist.id,
                replaced_at=starts_at + timedelta(days=1),
                replaced_by_id=therapist.id,
            ),
            PatientSessionNote(
                appointment_id=appointment.id,
                patient_id=patient.id,
                body=f"own note of {tag}",
                updated_at=starts_at + timedelta(hours=1),
            ),
            SessionRating(
                appointment_id=appointment.id,
                patient_id=patient.id,
                therapist_id=therapist.id,
                answers={"relationship": 9},
                total=36,
                rated_at=starts_at + timedelta(hours=1),
            ),
            ChatMessage(
                appointment_id=appointment.id,
                sequence=1,
                sender_id=therapist.id,
                client_id=f"t-{tag}",
                body=f"therapist says hello {tag}",
                sent_at=starts_at,
            ),
            ChatMessage(
                appointment_id=appointment.id,
                sequence=2,
                sender_id=patient.id,
                client_id=f"p-{tag}",
                body=f"patient message {tag}",
                sent_at=starts_at + timedelta(minutes=1),
            ),
            AttendanceEvent(
                appointment_id=appointment.id,
                user_id=patient.id,
                party="patient",
                kind=AttendanceKind.JOIN,
                connection=f"socket-{tag}",
                at=starts_at,
            ),
            NotificationAttempt(
                appointment_id=appointment.id,
                kind=NotificationKind.REMINDER_24H,
                channel=NotificationChannel.SMS,
                status=NotificationStatus.SENT,
                send_at=starts_at - timedelta(days=1),
                created_at=starts_at - timedelta(days=2),
            ),
            SavedWorksheet(
                patient_id=patient.id, code="worry_log", answers_encrypted=f'{{"w": "sheet {tag}"}}'
            ),
            SafetyPlan(patient_id=patient.id, warning_signs=f"warning signs of {tag}"),
            CommunityMember(
                user_id=patient.id,
                handle=f"handle{tag}",
                house_rules_accepted_at=starts_at,
            ),
            ConsentRecord(
                patient_id=patient.id,
                kind="research_contact",
                granted=True,
                recorded_at=starts_at,
                source="patient",
            ),
        ]
    )
    db.session.flush()
    failure = TechnicalFailure(appointment_id=appointment.id, status=FailureStatus.OPEN)
    db.session.add(failure)
    db.session.flush()
    db.session.add(
        FailureReport(
            failure_id=failure.id,
            reported_by_id=patient.id,
            reported_by_role="patient",
            what_happened=f"problem of {tag}",
            affected=FailureAffected.PATIENT,
            fault=FailureFault.PATIENT,
        )
    )
    thread = Thread(space_id=space_id, author_id=patient.id, title=f"thread of {tag}")
    db.session.add(thread)
    db.session.flush()
    post = Post(
        thread_id=thread.id,
        author_id=patient.id,
        body=f"post body of {tag}",
        is_opening=True,
        status=PostStatus.VISIBLE,
    )
    db.session.add(post)
    db.session.flush()
    group = Group(
        title=f"group of {tag}",
        description="",
        access=GroupAccess.OPEN,
        capacity=8,
        first_date=starts_at.date(),
        local_time="18:30",
        weeks=1,
        duration_minutes=60,
        created_by_id=therapist.id,
        created_at=starts_at - timedelta(days=14),
    )
    db.session.add(group)
    db.session.flush()
    meeting = GroupOccurrence(
        group_id=group.id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )
    supervision = SupervisionMeeting(
        therapist_id=therapist.id,
        supervisor_id=factories.make_user(Role.CLINICAL_LEAD).id,
        met_on=(starts_at + timedelta(days=1)).date(),
        agreed_actions=f"actions agreed about {tag} and others",
    )
    db.session.add_all(
        [
            meeting,
            supervision,
            GroupEnrolment(
                group_id=group.id, patient_id=patient.id, status=EnrolmentStatus.ENROLLED
            ),
        ]
    )
    db.session.flush()
    db.session.add_all(
        [
            SupervisionCase(meeting_id=supervision.id, episode_id=episode.id),
            GroupAttendance(occurrence_id=meeting.id, patient_id=patient.id, code="5"),
            GroupMessage(
                occurrence_id=meeting.id,
                sequence=1,
                sender_id=patient.id,
                client_id=f"g-{tag}",
                body=f"group message of {tag}",
                sent_at=starts_at,
            ),
            Reaction(post_id=post.id, member_id=patient.id),
            ModeratorMessage(
                member_id=patient.id, sender_id=therapist.id, body=f"moderator to {tag}"
            ),
        ]
    )
    db.session.flush()
    # Their post and group message escalated to the clinical lead, who followed both up.
    message = db.session.query(GroupMessage).filter_by(client_id=f"g-{tag}").one()
    lead = factories.make_user(Role.CLINICAL_LEAD)
    # (a report on the post: a clinical-risk item would keep its text at closure, by design)
    for kind, subject in (
        (ItemKind.REPORT, {"post_id": post.id}),
        (ItemKind.ALERT, {"group_message_id": message.id}),
    ):
        item = ModerationItem(
            kind=kind,
            is_clinical_risk=kind is ItemKind.ALERT,
            rule_ids=[],
            created_at=starts_at,
            acknowledged_at=starts_at,
            escalated_to_clinical_at=starts_at,
            resolved_at=starts_at,  # (decided: an open item would keep the post for moderators)
            resolution=Resolution.CLOSED,
            **subject,
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            EscalationFollowUp(
                item_id=item.id, by_id=lead.id, at=starts_at, note=f"follow-up about {tag}"
            )
        )
    db.session.commit()
    return patient


def react_and_report(reporter: User, author: User) -> None:
    """`reporter` reacts to and reports `author`'s post: the report is the reporter's data."""
    post = db.session.query(Post).filter_by(author_id=author.id).first()
    assert post is not None
    db.session.add_all(
        [
            Reaction(post_id=post.id, member_id=reporter.id),
            ModerationItem(
                post_id=post.id,
                kind=ItemKind.REPORT,
                reporter_id=reporter.id,
                reason=f"report by {reporter.full_name}",
            ),
        ]
    )
    db.session.commit()


def in_the_same_group_and_supervision(guest: User, host: User) -> None:
    """`guest` writes in `host`'s group meeting, and `guest`'s episode is discussed at the
    supervision meeting that discussed `host`'s: neither is `host`'s data."""
    meeting = db.session.scalar(
        select(GroupOccurrence)
        .join(GroupMessage, GroupMessage.occurrence_id == GroupOccurrence.id)
        .where(GroupMessage.sender_id == host.id)
    )
    supervision = db.session.scalar(
        select(SupervisionMeeting)
        .join(SupervisionCase, SupervisionCase.meeting_id == SupervisionMeeting.id)
        .join(CareEpisode, CareEpisode.id == SupervisionCase.episode_id)
        .where(CareEpisode.patient_id == host.id)
    )
    episode = db.session.scalar(select(CareEpisode).where(CareEpisode.patient_id == guest.id))
    assert meeting and supervision and episode
    db.session.add_all(
        [
            GroupMessage(
                occurrence_id=meeting.id,
                sequence=2,
                sender_id=guest.id,
                client_id=f"g-guest-{guest.id}",
                body=f"group message of {guest.full_name}",
            ),
            SupervisionCase(meeting_id=supervision.id, episode_id=episode.id),
        ]
    )
    db.session.commit()


def viewed_by(staff: User, patient: User) -> None:
    record("patient_record.viewed", actor=staff, patient_id=patient.id, detail={"what": "notes"})
    db.session.commit()


def today() -> date:
    return datetime.now(UTC).date()
