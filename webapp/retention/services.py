"""Apply the retention schedule: delete (or, for a patient's clinical record, erase) what is
due, in batches of RETENTION_BATCH rows, one transaction per batch, with SQL rather than by
loading rows; then write the run's report (`RetentionRun` and one `RetentionRunItem` per kind).

Called by the nightly Huey job and `flask apply-retention`; time is passed in.

Erasing a patient's record deletes their clinical content and everything tied to their
appointments and group sessions (their places, attendance, reminders and the messages they wrote
in group rooms, with any alert about one), and anonymises the account row itself: the
append-only audit log (which the database refuses to change) still refers to it by id, and must
keep doing so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from webapp import audit
from webapp.extensions import db
from webapp.models import (
    AccountClosure,
    ActivityEvent,
    AllowanceMovement,
    Appointment,
    AttendanceEvent,
    CareEpisode,
    ChatMessage,
    CommunityMember,
    ConsentRecord,
    EpisodeAssessmentVersion,
    EpisodeChange,
    EscalationFollowUp,
    ExperienceResponse,
    FailureReport,
    GroupAttendance,
    GroupEnrolment,
    GroupMessage,
    GroupOccurrence,
    GroupReminder,
    ModerationItem,
    ModeratorMessage,
    NotificationAttempt,
    NotificationStatus,
    PatientProfile,
    PatientSessionNote,
    Post,
    QuestionnaireResponse,
    Reaction,
    RecoveryCode,
    Referral,
    ReferralDraft,
    ReferralStatus,
    RetentionRun,
    RetentionRunItem,
    RiskFlag,
    Role,
    SafetyPlan,
    SavedWorksheet,
    SessionRating,
    SessionRecord,
    SessionRecordVersion,
    StepChange,
    SubjectAccessRequest,
    SupervisionCase,
    TechnicalFailure,
    User,
    UserToken,
)
from webapp.models.people import new_session_token
from webapp.retention import schedule

ERASED_NAME = "Erased patient"


def rules() -> tuple[schedule.Rule, ...]:
    config = current_app.config
    keys = {key for key, _ in schedule.SETTINGS.values() if key}
    return schedule.schedule({key: int(config[key]) for key in keys})


def _batch() -> int:
    return max(1, int(current_app.config["RETENTION_BATCH"]))


def delete_in_batches(model: Any, condition: ColumnElement[bool]) -> int:
    """Delete every row matching `condition`, a batch of ids per transaction."""
    (key,) = model.__mapper__.primary_key
    total = 0
    while True:
        with db.transaction() as session:
            ids = list(session.scalars(select(key).where(condition).order_by(key).limit(_batch())))
            if ids:
                session.execute(delete(model).where(key.in_(ids)))
        if not ids:
            return total
        total += len(ids)


# --- one function per kind: (cutoff, now) -> rows deleted or records erased -----------------


def _activity_events(cutoff: datetime, now: datetime) -> int:
    return delete_in_batches(ActivityEvent, ActivityEvent.occurred_at < cutoff)


def _used_links(cutoff: datetime, now: datetime) -> int:
    return delete_in_batches(UserToken, UserToken.expires_at < cutoff)


def _referral_drafts(cutoff: datetime, now: datetime) -> int:
    return delete_in_batches(ReferralDraft, ReferralDraft.expires_at < cutoff)


def _notifications(cutoff: datetime, now: datetime) -> int:
    return delete_in_batches(
        NotificationAttempt,
        and_(
            NotificationAttempt.created_at < cutoff,
            NotificationAttempt.status.not_in(
                [NotificationStatus.SCHEDULED, NotificationStatus.SENDING]
            ),
        ),
    )


def _unfinished_referrals(cutoff: datetime, now: datetime) -> int:
    return delete_in_batches(
        Referral,
        and_(
            Referral.status == ReferralStatus.AWAITING_PATIENT,
            Referral.patient_id.is_(None),
            Referral.received_at < cutoff,
        ),
    )


def _decided_referrals(cutoff: datetime, now: datetime) -> int:
    return delete_in_batches(
        Referral,
        and_(
            Referral.status.in_([ReferralStatus.DECLINED, ReferralStatus.SIGNPOSTED]),
            Referral.patient_id.is_(None),
            Referral.decided_at < cutoff,
        ),
    )


def _subject_access_requests(cutoff: datetime, now: datetime) -> int:
    return delete_in_batches(SubjectAccessRequest, SubjectAccessRequest.completed_at < cutoff)


def _erase_candidates(cutoff: datetime, after_id: int, limit: int) -> list[int]:
    """Patients with no contact since the cutoff and not yet erased, in id order."""
    patient = User.id
    no_recent = [
        ~exists().where(Appointment.patient_id == patient, Appointment.starts_at >= cutoff),
        ~exists().where(
            Referral.patient_id == patient,
            or_(Referral.received_at >= cutoff, Referral.decided_at >= cutoff),
        ),
        ~exists().where(
            CareEpisode.patient_id == patient,
            or_(CareEpisode.ended_on.is_(None), CareEpisode.ended_on >= cutoff.date()),
        ),
        ~exists().where(
            GroupAttendance.patient_id == patient,
            GroupAttendance.occurrence_id == GroupOccurrence.id,
            GroupOccurrence.starts_at >= cutoff,
        ),
        ~exists().where(AccountClosure.user_id == patient, AccountClosure.erased_at.is_not(None)),
    ]
    query = (
        select(patient)
        .where(User.role == Role.PATIENT, User.created_at < cutoff, patient > after_id, *no_recent)
        .order_by(patient)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def last_contact(patient_id: int) -> datetime | None:
    """The latest contact: an appointment's start, a group meeting they were recorded at, a
    referral received or decided, a discharge."""
    moments: list[datetime | None] = [
        db.session.scalar(
            select(func.max(Appointment.starts_at)).where(Appointment.patient_id == patient_id)
        ),
        db.session.scalar(
            select(func.max(GroupOccurrence.starts_at))
            .join(GroupAttendance, GroupAttendance.occurrence_id == GroupOccurrence.id)
            .where(GroupAttendance.patient_id == patient_id)
        ),
        db.session.scalar(
            select(func.max(Referral.received_at)).where(Referral.patient_id == patient_id)
        ),
        db.session.scalar(
            select(func.max(Referral.decided_at)).where(Referral.patient_id == patient_id)
        ),
    ]
    ended = db.session.scalar(
        select(func.max(CareEpisode.ended_on)).where(CareEpisode.patient_id == patient_id)
    )
    if ended is not None:
        moments.append(datetime(ended.year, ended.month, ended.day, tzinfo=UTC))
    known = [moment for moment in moments if moment is not None]
    if not known:
        user = db.session.get(User, patient_id)
        return user.created_at if user is not None else None
    return max(_as_utc(moment) for moment in known)


def _as_utc(moment: datetime) -> datetime:
    # func.max over a UTCDateTime column comes back untyped on SQLite: naive, but UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _clinical_records(cutoff: datetime, now: datetime) -> int:
    years = int(current_app.config["RETENTION_CLINICAL_YEARS"])
    erased, after = 0, 0
    while True:
        candidates = _erase_candidates(cutoff, after, _batch())
        if not candidates:
            return erased
        for patient_id in candidates:
            contact = last_contact(patient_id)
            profile = db.session.get(PatientProfile, patient_id)
            birth = profile.date_of_birth if profile is not None else None
            if (
                contact is None
                or schedule.clinical_record_due_on(
                    contact.date(), birth if birth and birth <= contact.date() else None, years
                )
                > now.date()
            ):
                continue
            erase_patient(patient_id, now=now)
            erased += 1
        after = candidates[-1]


def erase_patient(patient_id: int, *, now: datetime) -> None:
    """Erase one patient's record in one transaction (see the module docstring)."""
    with db.transaction() as session:
        appointments = select(Appointment.id).where(Appointment.patient_id == patient_id)
        failures = select(TechnicalFailure.id).where(
            TechnicalFailure.appointment_id.in_(appointments)
        )
        episodes = select(CareEpisode.id).where(CareEpisode.patient_id == patient_id)
        referrals = select(Referral.id).where(Referral.patient_id == patient_id)
        by_appointment = (
            ChatMessage,
            AttendanceEvent,
            SessionRecord,
            SessionRecordVersion,
            PatientSessionNote,
            SessionRating,
            RiskFlag,
            QuestionnaireResponse,
            NotificationAttempt,
            AllowanceMovement,
        )
        _run(session, delete(FailureReport).where(FailureReport.failure_id.in_(failures)))
        _run(session, delete(TechnicalFailure).where(TechnicalFailure.id.in_(failures)))
        for model in by_appointment:
            _run(session, delete(model).where(model.appointment_id.in_(appointments)))
        for model in (
            RiskFlag,
            QuestionnaireResponse,
            AllowanceMovement,
            PatientSessionNote,
            SessionRating,
        ):
            _run(session, delete(model).where(model.patient_id == patient_id))
        _run(
            session,
            update(Appointment)
            .where(Appointment.rescheduled_to_id.in_(appointments))
            .values(rescheduled_to_id=None),
        )
        _run(session, delete(Appointment).where(Appointment.patient_id == patient_id))
        for model in (EpisodeChange, StepChange, EpisodeAssessmentVersion, SupervisionCase):
            _run(session, delete(model).where(model.episode_id.in_(episodes)))
        _run(session, delete(CareEpisode).where(CareEpisode.patient_id == patient_id))
        _run(session, delete(ReferralDraft).where(ReferralDraft.referral_id.in_(referrals)))
        _run(session, delete(Referral).where(Referral.patient_id == patient_id))
        for model in (ConsentRecord, ExperienceResponse, SavedWorksheet, SafetyPlan):
            _run(session, delete(model).where(model.patient_id == patient_id))
        group_messages = select(GroupMessage.id).where(GroupMessage.sender_id == patient_id)
        posts = select(Post.id).where(Post.author_id == patient_id)
        # The clinical lead's follow-up notes are about the identified patient: they go, on
        # items about their posts (kept, under an anonymous handle) as on their group messages.
        about_them = select(ModerationItem.id).where(
            or_(
                ModerationItem.group_message_id.in_(group_messages),
                ModerationItem.post_id.in_(posts),
            )
        )
        _run(session, delete(EscalationFollowUp).where(EscalationFollowUp.item_id.in_(about_them)))
        _run(
            session,
            delete(ModerationItem).where(ModerationItem.group_message_id.in_(group_messages)),
        )
        _run(session, delete(GroupMessage).where(GroupMessage.sender_id == patient_id))
        for model in (GroupAttendance, GroupReminder, GroupEnrolment):
            _run(session, delete(model).where(model.patient_id == patient_id))
        _run(session, delete(Reaction).where(Reaction.member_id == patient_id))
        _run(session, delete(ModeratorMessage).where(ModeratorMessage.member_id == patient_id))
        for model in (PatientProfile, RecoveryCode, UserToken):
            _run(session, delete(model).where(model.user_id == patient_id))
        member = session.get(CommunityMember, patient_id)
        if member is not None and not member.handle.startswith("Former member"):
            from webapp.records.services import anonymous_handle

            member.handle = anonymous_handle()
        _run(
            session,
            update(User)
            .where(User.id == patient_id)
            .values(
                full_name=ERASED_NAME,
                email=f"erased-{patient_id}@erased.invalid",
                password_hash=None,
                totp_secret=None,
                nhs_login_sub=None,
                is_active_account=False,
                session_token=new_session_token(),
            ),
        )
        closure = session.get(AccountClosure, patient_id)
        if closure is None:
            closure = AccountClosure(
                user_id=patient_id, closed_at=now, community_choice="anonymised"
            )
            session.add(closure)
        closure.erased_at = now
        audit.record(
            "retention.patient_erased",
            subject_type="patient",
            subject_id=patient_id,
            patient_id=patient_id,
        )


def _run(session: Session, statement: Any) -> None:
    session.execute(statement.execution_options(synchronize_session=False))


HANDLERS: dict[str, Callable[[datetime, datetime], int]] = {
    "clinical_records": _clinical_records,
    "decided_referrals": _decided_referrals,
    "subject_access_requests": _subject_access_requests,
    "activity_events": _activity_events,
    "notifications": _notifications,
    "unfinished_referrals": _unfinished_referrals,
    "used_links": _used_links,
    "referral_drafts": _referral_drafts,
}


def apply_schedule(*, now: datetime, trigger: str) -> RetentionRun:
    """Apply every rule; the run and what each kind lost are recorded as it goes."""
    with db.transaction() as session:
        run = RetentionRun(started_at=now, trigger=trigger)
        session.add(run)
    for rule in rules():
        cutoff = rule.cutoff(now)
        count = HANDLERS[rule.kind](cutoff, now)
        with db.transaction() as session:
            session.add(
                RetentionRunItem(
                    run_id=run.id, kind=rule.kind, action=rule.action, cutoff=cutoff, count=count
                )
            )
    with db.transaction():
        run.finished_at = datetime.now(UTC)
        audit.record(
            "retention.applied",
            subject_type="retention_run",
            subject_id=run.id,
            detail={item.kind: item.count for item in run.items},
        )
    return run
