"""Read-only: what the service holds about one patient, for their export, their consent page
and their account closure; and subject access requests for staff.

Every function takes the patient's id first and returns only rows about that patient: their
own rows, and rows of their own appointments (the therapist's messages and records of the
patient's sessions are part of the patient's record). Nothing about another patient is read:
other members' posts and who reported a post are left out.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import aliased

from webapp.extensions import db
from webapp.models import (
    AccountClosure,
    AllowanceMovement,
    Appointment,
    AppointmentStatus,
    AttendanceEvent,
    AuditEvent,
    CareEpisode,
    ChatMessage,
    CommunityMember,
    ConsentRecord,
    Consultation,
    ConsultationChoice,
    ConsultationOption,
    ConsultationResponse,
    EpisodeChange,
    ExperienceResponse,
    FailureReport,
    Group,
    GroupAttendance,
    GroupEnrolment,
    GroupMessage,
    GroupOccurrence,
    ModerationItem,
    ModeratorMessage,
    NotificationAttempt,
    PatientSessionNote,
    Post,
    QuestionnaireResponse,
    Reaction,
    Referral,
    RiskFlag,
    Role,
    SafetyPlan,
    SavedWorksheet,
    SessionRating,
    SessionRecord,
    SessionRecordVersion,
    StepChange,
    SubjectAccessRequest,
    Suggestion,
    SupervisionCase,
    SupervisionMeeting,
    Thread,
    User,
)
from webapp.records import consent
from webapp.records.archive import SECTION_KEYS


def _fields(row: Any, names: Iterable[str]) -> dict[str, Any]:
    values = {}
    for name in names:
        value = getattr(row, name)
        values[name] = value.value if isinstance(value, enum.Enum) else value
    return values


def patient_or_404(patient_id: int) -> User:
    """A patient's account (for staff recording a request); 404 for any other id."""
    user = db.session.get(User, patient_id)
    if user is None or user.role is not Role.PATIENT:
        abort(404)
    return user


def _appointment_ids(patient_id: int) -> list[int]:
    return list(
        db.session.scalars(select(Appointment.id).where(Appointment.patient_id == patient_id))
    )


def _names(user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


REFERRAL_FIELDS = (
    "reference",
    "source_code",
    "received_at",
    "status",
    "completed_at",
    "decided_at",
    "decision_reason",
    "full_name",
    "date_of_birth",
    "email",
    "mobile_e164",
    "postcode",
    "gp_practice",
    "issue_type",
    "issue_details",
    "gender",
    "ethnicity",
    "sexual_orientation",
    "disability",
    "religion",
    "long_term_condition",
    "living_status",
    "employment_status",
    "sought_help_gp",
    "sought_help_therapist",
    "sought_help_medication",
    "heard_about",
    "heard_about_other",
    "consent_given_at",
    "privacy_notice_version",
    "sms_reminders",
    "email_reminders",
    "accessibility_needs",
    "language",
    "needs_interpreter",
    "referrer_name",
    "referrer_role",
    "referrer_organisation",
    "referrer_email",
    "patient_consented_to_referral",
)


def _account(patient: User) -> list[dict[str, Any]]:
    return [
        _fields(
            patient,
            (
                "full_name",
                "email",
                "created_at",
                "last_sign_in_at",
                "password_changed_at",
                "is_active_account",
            ),
        )
        | {"signs_in_with_nhs_login": patient.nhs_login_sub is not None}
    ]


def _profile(patient: User) -> list[dict[str, Any]]:
    profile = patient.patient_profile
    if profile is None:
        return []
    return [
        _fields(
            profile,
            (
                "date_of_birth",
                "postcode",
                "gp_practice",
                "mobile_e164",
                "sms_reminders",
                "email_reminders",
                "accessibility_needs",
                "language",
                "needs_interpreter",
                "timezone",
                "access_starts_at",
                "access_ends_at",
            ),
        )
    ]


def _referrals(patient_id: int) -> list[dict[str, Any]]:
    referrals = db.session.scalars(
        select(Referral).where(Referral.patient_id == patient_id).order_by(Referral.received_at)
    ).all()
    names = _names(r.decided_by_id for r in referrals)
    return [
        _fields(r, REFERRAL_FIELDS) | {"decided_by": names.get(r.decided_by_id or 0)}
        for r in referrals
    ]


def _episodes(patient_id: int) -> list[dict[str, Any]]:
    episodes = db.session.scalars(
        select(CareEpisode).where(CareEpisode.patient_id == patient_id).order_by(CareEpisode.id)
    ).all()
    rows = []
    for episode in episodes:
        changes = db.session.scalars(
            select(EpisodeChange)
            .where(EpisodeChange.episode_id == episode.id)
            .order_by(EpisodeChange.changed_at)
        ).all()
        steps = db.session.scalars(
            select(StepChange)
            .where(StepChange.episode_id == episode.id)
            .order_by(StepChange.changed_on)
        ).all()
        rows.append(
            _fields(
                episode,
                ("id", "state", "opened_at", "current_step", "ended_on", "end_code", "end_reason"),
            )
            | {
                "therapist": episode.therapist.full_name if episode.therapist else None,
                "state_changes": [
                    _fields(c, ("from_state", "to_state", "changed_at", "note")) for c in changes
                ],
                "step_changes": [
                    _fields(s, ("from_step", "to_step", "changed_on", "reason")) for s in steps
                ],
            }
        )
    return rows


def consent_history(patient_id: int) -> list[ConsentRecord]:
    """The patient's dated consent choices, oldest first."""
    return list(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.patient_id == patient_id)
            .order_by(ConsentRecord.id)
        )
    )


def current_choices(patient_id: int) -> dict[str, bool]:
    """Each choice as it stands: the newest dated record; communication preferences fall back to
    the profile (then the referral), optional uses to "no"."""
    choices: dict[str, bool] = {key: False for key in consent.KEYS}
    patient = db.session.get(User, patient_id)
    profile = patient.patient_profile if patient is not None else None
    if profile is not None:
        choices["sms_reminders"] = profile.sms_reminders
        choices["email_reminders"] = profile.email_reminders
    for record in consent_history(patient_id):
        if record.kind in choices and record.kind in consent.OPTIONAL_USE_KEYS:
            choices[record.kind] = record.granted
    return choices


def consent_given(patient_id: int) -> Referral | None:
    """The referral under which the patient agreed to the privacy notice (the latest)."""
    return db.session.scalar(
        select(Referral)
        .where(Referral.patient_id == patient_id, Referral.consent_given_at.is_not(None))
        .order_by(Referral.consent_given_at.desc())
        .limit(1)
    )


def _consent(patient_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    referral = consent_given(patient_id)
    if referral is not None:
        rows.append(
            {
                "kind": "privacy_notice",
                "granted": True,
                "recorded_at": referral.consent_given_at,
                "source": "referral",
                "privacy_notice_version": referral.privacy_notice_version,
            }
        )
    rows += [
        _fields(r, ("kind", "granted", "recorded_at", "source", "privacy_notice_version"))
        for r in consent_history(patient_id)
    ]
    return rows


def _by_patient(
    model: Any, patient_id: int, names: Sequence[str], order: Any
) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(model).where(model.patient_id == patient_id).order_by(order))
    return [_fields(row, names) for row in rows]


def _by_appointments(model: Any, ids: list[int], order: Any) -> list[Any]:
    if not ids:
        return []
    if not isinstance(order, tuple):
        order = (order,)
    query = select(model).where(model.appointment_id.in_(ids)).order_by(*order)
    return list(db.session.scalars(query))


def _appointments(patient_id: int) -> list[dict[str, Any]]:
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient_id)
        .order_by(Appointment.starts_at)
    ).all()
    return [
        _fields(
            a,
            (
                "id",
                "starts_at",
                "ends_at",
                "status",
                "attendance_code",
                "outcome",
                "created_at",
                "cancelled_at",
                "cancelled_by_role",
                "cancel_reason",
                "reschedule_count",
                "rescheduled_to_id",
                "appointment_type",
                "step_of_care",
                "episode_id",
            ),
        )
        | {"therapist": a.therapist.full_name}
        for a in appointments
    ]


def _session_records(ids: list[int]) -> list[dict[str, Any]]:
    records = _by_appointments(SessionRecord, ids, SessionRecord.recorded_at)
    names = _names(r.therapist_id for r in records)
    return [
        _fields(
            r,
            (
                "appointment_id",
                "clinical_notes",
                "therapy_type",
                "step_of_care",
                "contact_minutes",
                "attendance_code",
                "next_steps",
                "recorded_at",
            ),
        )
        | {"therapist": names.get(r.therapist_id)}
        for r in records
    ]


def _session_record_versions(ids: list[int]) -> list[dict[str, Any]]:
    """What each record said before an amendment replaced it (the clinical record keeps it)."""
    versions = _by_appointments(
        SessionRecordVersion,
        ids,
        (SessionRecordVersion.appointment_id, SessionRecordVersion.version),
    )
    names = _names(user for v in versions for user in (v.saved_by_id, v.replaced_by_id))
    return [
        _fields(
            v,
            (
                "appointment_id",
                "version",
                "clinical_notes",
                "appointment_type",
                "therapy_type",
                "step_of_care",
                "contact_minutes",
                "attendance_code",
                "next_steps",
                "saved_at",
                "replaced_at",
            ),
        )
        | {"saved_by": names.get(v.saved_by_id), "replaced_by": names.get(v.replaced_by_id)}
        for v in versions
    ]


def _transcripts(patient_id: int, ids: list[int]) -> list[dict[str, Any]]:
    messages = _by_appointments(
        ChatMessage, ids, (ChatMessage.appointment_id, ChatMessage.sequence)
    )
    names = _names(m.sender_id for m in messages)
    return [
        {
            "appointment_id": m.appointment_id,
            "sequence": m.sequence,
            "from": "you" if m.sender_id == patient_id else names.get(m.sender_id),
            "sent_at": m.sent_at,
            "text": m.body,
        }
        for m in messages
    ]


def _attendance(patient_id: int, ids: list[int]) -> list[dict[str, Any]]:
    events = _by_appointments(AttendanceEvent, ids, AttendanceEvent.at)
    return [_fields(e, ("appointment_id", "kind", "at")) for e in events if e.user_id == patient_id]


def _technical_problems(patient_id: int) -> list[dict[str, Any]]:
    reports = db.session.scalars(
        select(FailureReport)
        .where(FailureReport.reported_by_id == patient_id)
        .order_by(FailureReport.created_at)
    )
    return [
        _fields(r, ("what_happened", "affected", "fault", "created_at"))
        | {"appointment_id": r.failure.appointment_id}
        for r in reports
    ]


def _notifications(ids: list[int]) -> list[dict[str, Any]]:
    attempts = _by_appointments(NotificationAttempt, ids, NotificationAttempt.send_at)
    return [
        _fields(a, ("appointment_id", "kind", "channel", "status", "send_at", "attempted_at"))
        for a in attempts
    ]


def _worksheets(patient_id: int) -> list[dict[str, Any]]:
    sheets = db.session.scalars(
        select(SavedWorksheet)
        .where(SavedWorksheet.patient_id == patient_id)
        .order_by(SavedWorksheet.created_at)
    )
    return [
        _fields(s, ("code", "created_at", "updated_at")) | {"answers": s.answers} for s in sheets
    ]


def _safety_plan(patient_id: int) -> list[dict[str, Any]]:
    plan = db.session.get(SafetyPlan, patient_id)
    if plan is None:
        return []
    return [
        _fields(
            plan,
            (
                "warning_signs",
                "coping_steps",
                "people_and_places",
                "professional_contacts",
                "safe_environment",
                "reasons_for_living",
                "created_at",
                "updated_at",
            ),
        )
    ]


def _community(patient_id: int) -> list[dict[str, Any]]:
    member = db.session.get(CommunityMember, patient_id)
    if member is None:
        return []
    rows: list[dict[str, Any]] = [
        {"what": "membership"}
        | _fields(
            member,
            ("handle", "joined_at", "house_rules_accepted_at", "warnings", "suspended_until"),
        )
    ]
    for thread in db.session.scalars(
        select(Thread).where(Thread.author_id == patient_id).order_by(Thread.created_at)
    ):
        rows.append(
            {
                "what": "thread",
                "thread_id": thread.id,
                "title": thread.title,
                "created_at": thread.created_at,
            }
        )
    for post in db.session.scalars(
        select(Post).where(Post.author_id == patient_id).order_by(Post.created_at)
    ):
        rows.append(
            {"what": "post"}
            | _fields(
                post, ("thread_id", "body", "status", "created_at", "edited_at", "moderator_note")
            )
        )
    for reaction in db.session.scalars(
        select(Reaction).where(Reaction.member_id == patient_id).order_by(Reaction.created_at)
    ):
        rows.append(
            {"what": "reaction", "post_id": reaction.post_id, "created_at": reaction.created_at}
        )
    for item in db.session.scalars(
        select(ModerationItem)
        .where(ModerationItem.reporter_id == patient_id)
        .order_by(ModerationItem.created_at)
    ):
        rows.append(
            {
                "what": "report",
                "post_id": item.post_id,
                "reason": item.reason,
                "created_at": item.created_at,
            }
        )
    for message in db.session.scalars(
        select(ModeratorMessage)
        .where(ModeratorMessage.member_id == patient_id)
        .order_by(ModeratorMessage.sent_at)
    ):
        rows.append(
            {"what": "message_from_moderator"} | _fields(message, ("body", "is_warning", "sent_at"))
        )
    rows += _consultations(patient_id)
    for suggestion in db.session.scalars(
        select(Suggestion).where(Suggestion.author_id == patient_id).order_by(Suggestion.created_at)
    ):
        rows.append(
            {"what": "suggestion", "body": suggestion.post.body}
            | _fields(suggestion, ("status", "reply", "replied_at", "created_at"))
        )
    return rows


def _groups(patient_id: int) -> list[dict[str, Any]]:
    """Their places in groups, their attendance at each meeting, and the messages they wrote in
    group rooms (held ones too). Other members' messages are theirs, not the patient's."""
    rows: list[dict[str, Any]] = []
    for enrolment, title in db.session.execute(
        select(GroupEnrolment, Group.title)
        .join(Group, Group.id == GroupEnrolment.group_id)
        .where(GroupEnrolment.patient_id == patient_id)
        .order_by(GroupEnrolment.requested_at)
    ):
        rows.append(
            {"what": "place", "group": title}
            | _fields(enrolment, ("status", "requested_at", "changed_at", "is_muted"))
        )
    for attendance, title, starts_at in db.session.execute(
        select(GroupAttendance, Group.title, GroupOccurrence.starts_at)
        .join(GroupOccurrence, GroupOccurrence.id == GroupAttendance.occurrence_id)
        .join(Group, Group.id == GroupOccurrence.group_id)
        .where(GroupAttendance.patient_id == patient_id)
        .order_by(GroupOccurrence.starts_at)
    ):
        rows.append(
            {"what": "attendance", "group": title, "meeting": starts_at}
            | _fields(attendance, ("code", "recorded_at"))
        )
    for message, title, starts_at in db.session.execute(
        select(GroupMessage, Group.title, GroupOccurrence.starts_at)
        .join(GroupOccurrence, GroupOccurrence.id == GroupMessage.occurrence_id)
        .join(Group, Group.id == GroupOccurrence.group_id)
        .where(GroupMessage.sender_id == patient_id)
        .order_by(GroupMessage.sent_at)
    ):
        rows.append(
            {"what": "message", "group": title, "meeting": starts_at, "text": message.body}
            | _fields(message, ("is_held", "sent_at"))
        )
    return rows


def _supervision(patient_id: int) -> list[dict[str, Any]]:
    """When their care was discussed in their therapist's clinical supervision, and with whom.
    A meeting's agreed actions cover the therapist's other patients too, so they are not
    included (a request for them is decided by a person, as any third-party data is)."""
    therapist, supervisor = aliased(User), aliased(User)
    rows = db.session.execute(
        select(SupervisionMeeting.met_on, therapist.full_name, supervisor.full_name)
        .join(SupervisionCase, SupervisionCase.meeting_id == SupervisionMeeting.id)
        .join(CareEpisode, CareEpisode.id == SupervisionCase.episode_id)
        .join(therapist, therapist.id == SupervisionMeeting.therapist_id)
        .join(supervisor, supervisor.id == SupervisionMeeting.supervisor_id)
        .where(CareEpisode.patient_id == patient_id)
        .distinct()  # (two of their episodes discussed at one meeting: one row)
        .order_by(SupervisionMeeting.met_on)
    )
    return [
        {"discussed_on": met_on, "therapist": therapist_name, "supervisor": supervisor_name}
        for met_on, therapist_name, supervisor_name in rows
    ]


def _consultations(patient_id: int) -> list[dict[str, Any]]:
    """The member's poll and survey responses (survey answers are posts, listed above)."""
    rows: list[dict[str, Any]] = []
    responses = db.session.execute(
        select(ConsultationResponse, Consultation.title)
        .join(Consultation, Consultation.id == ConsultationResponse.consultation_id)
        .where(ConsultationResponse.member_id == patient_id)
        .order_by(ConsultationResponse.created_at)
    )
    for response, title in responses:
        choices = db.session.scalars(
            select(ConsultationOption.label)
            .join(ConsultationChoice, ConsultationChoice.option_id == ConsultationOption.id)
            .where(ConsultationChoice.response_id == response.id)
            .order_by(ConsultationOption.position)
        )
        rows.append(
            {
                "what": "consultation_response",
                "consultation": title,
                "choices": list(choices),
                "created_at": response.created_at,
            }
        )
    return rows


def record_access(patient_id: int) -> list[dict[str, Any]]:
    """Who did what about the patient, newest first: staff by name and role. Addresses and
    browsers are left out (they are the staff member's data, not the patient's)."""
    actor = aliased(User)
    rows = db.session.execute(
        select(AuditEvent, actor.full_name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(AuditEvent.patient_id == patient_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    return [
        {
            "occurred_at": event.occurred_at,
            "action": event.action,
            "by": "you" if event.actor_id == patient_id else (name or "the service"),
            "by_role": event.actor_role,
            "what": (event.detail or {}).get("what"),
        }
        for event, name in rows
    ]


def requests_for(patient_id: int) -> list[SubjectAccessRequest]:
    return list(
        db.session.scalars(
            select(SubjectAccessRequest)
            .where(SubjectAccessRequest.patient_id == patient_id)
            .order_by(SubjectAccessRequest.recorded_at)
        )
    )


def closure_of(patient_id: int) -> AccountClosure | None:
    return db.session.get(AccountClosure, patient_id)


def export_sections(patient_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every section of the patient's export (webapp.records.archive.SECTIONS)."""
    patient = db.session.get(User, patient_id)
    if patient is None or patient.role is not Role.PATIENT:
        raise ValueError(f"user {patient_id} is not a patient")
    ids = _appointment_ids(patient_id)
    closure = closure_of(patient_id)
    sections: dict[str, list[dict[str, Any]]] = {
        "account": _account(patient),
        "profile": _profile(patient),
        "referrals": _referrals(patient_id),
        "care_episodes": _episodes(patient_id),
        "consent": _consent(patient_id),
        "questionnaires": _by_patient(
            QuestionnaireResponse,
            patient_id,
            (
                "instrument",
                "instrument_version",
                "appointment_id",
                "answers",
                "total",
                "severity",
                "caseness",
                "risk_flags",
                "started_at",
                "completed_at",
            ),
            QuestionnaireResponse.started_at,
        ),
        "experience": _by_patient(
            ExperienceResponse,
            patient_id,
            ("instrument", "instrument_version", "offered_at", "completed_at", "answers"),
            ExperienceResponse.offered_at,
        ),
        "risk_flags": _by_patient(
            RiskFlag,
            patient_id,
            (
                "appointment_id",
                "code",
                "description",
                "raised_at",
                "acknowledged_at",
                "acknowledgement_note",
            ),
            RiskFlag.raised_at,
        ),
        "appointments": _appointments(patient_id),
        "session_records": _session_records(ids),
        "session_record_versions": _session_record_versions(ids),
        "session_notes": _by_patient(
            PatientSessionNote,
            patient_id,
            ("appointment_id", "body", "updated_at"),
            PatientSessionNote.updated_at,
        ),
        "session_ratings": _by_patient(
            SessionRating,
            patient_id,
            ("appointment_id", "answers", "total", "rated_at"),
            SessionRating.rated_at,
        ),
        "chat_transcripts": _transcripts(patient_id, ids),
        "attendance": _attendance(patient_id, ids),
        "technical_problems": _technical_problems(patient_id),
        "sessions_funded": _by_patient(
            AllowanceMovement,
            patient_id,
            ("kind", "sessions", "reason_code", "appointment_id", "note", "occurred_at"),
            AllowanceMovement.occurred_at,
        ),
        "notifications": _notifications(ids),
        "self_help": _worksheets(patient_id),
        "safety_plan": _safety_plan(patient_id),
        "community": _community(patient_id),
        "groups": _groups(patient_id),
        "supervision": _supervision(patient_id),
        "record_access": record_access(patient_id),
        "access_requests": [
            _fields(
                r,
                ("channel", "received_on", "due_on", "recorded_at", "exported_at", "completed_at"),
            )
            for r in requests_for(patient_id)
        ],
        "account_closure": (
            [
                _fields(
                    closure,
                    ("closed_at", "community_choice", "posts_changed", "bookings_cancelled"),
                )
            ]
            if closure is not None
            else []
        ),
    }
    assert tuple(sections) == SECTION_KEYS  # the archive checks again, with a message
    return sections


def future_bookings(patient_id: int, now: datetime) -> list[Appointment]:
    """The patient's live bookings that have not started (cancelled when they close)."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
            .order_by(Appointment.starts_at)
        )
    )


def ended_episode(patient_id: int) -> CareEpisode | None:
    """The patient's latest ended care episode, if any: the account page shows the privacy
    notice again after discharge."""
    return db.session.scalar(
        select(CareEpisode)
        .where(CareEpisode.patient_id == patient_id, CareEpisode.ended_on.is_not(None))
        .order_by(CareEpisode.ended_on.desc())
        .limit(1)
    )


# --- staff: subject access requests ---------------------------------------------------------


def open_requests() -> list[SubjectAccessRequest]:
    """Every request not yet complete, the soonest due first (staff with the SAR role)."""
    return list(
        db.session.scalars(
            select(SubjectAccessRequest)
            .where(SubjectAccessRequest.completed_at.is_(None))
            .order_by(SubjectAccessRequest.due_on, SubjectAccessRequest.id)
        )
    )


def recent_completed_requests(limit: int = 50) -> list[SubjectAccessRequest]:
    return list(
        db.session.scalars(
            select(SubjectAccessRequest)
            .where(SubjectAccessRequest.completed_at.is_not(None))
            .order_by(SubjectAccessRequest.completed_at.desc())
            .limit(limit)
        )
    )


def request_or_404(request_id: int) -> SubjectAccessRequest:
    found = db.session.get(SubjectAccessRequest, request_id)
    if found is None:
        abort(404)
    return found


def patients_matching(email: str) -> list[User]:
    """Patients by exact email address (staff finding whose request it is)."""
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.PATIENT, User.email == email.strip().lower())
        )
    )
