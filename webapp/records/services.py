"""Writes for the patient's data rights: exports and subject access requests, consent choices
and account closure. One write = one function = one transaction, with its audit row; time is
passed in (STYLE.md section 3).

Decisions (issue #13):
- The export holds the therapist's clinical notes and messages in the patient's own sessions:
  they are the patient's personal data, disclosable under UK GDPR article 15. The exemption
  for serious harm (Data Protection Act 2018, schedule 3 part 2) needs a clinician's judgement
  about one person, so it cannot be automated: staff producing an export for a request made by
  other means are asked to have a clinician check it before it is sent.
- Closing an account cancels future bookings through the booking service as the patient's own
  cancellation, so the charging rules apply unchanged (DOMAIN.md section 2): with more than 24
  hours' notice nothing is charged and the session returns to the allowance; with less, the
  commissioner is charged as for any late cancellation by the patient (never the patient).
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, func, select, update

from webapp import audit
from webapp.auth.passwords import verify_password
from webapp.booking import services as booking
from webapp.extensions import db
from webapp.groups import services as groups
from webapp.models import (
    AccountClosure,
    CommunityMember,
    ConsentRecord,
    ModerationItem,
    PatientSessionNote,
    Post,
    PostStatus,
    Reaction,
    SafetyPlan,
    SavedWorksheet,
    SubjectAccessRequest,
    Thread,
    User,
)
from webapp.records import archive, consent, queries
from webapp.records.archive import document
from webapp.referral.codes import PRIVACY_NOTICE_VERSION
from webapp.retention.schedule import add_months

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
ANONYMISED = "anonymised"
DELETED = "deleted"
REMOVED_TITLE = "Removed at the author's request"
REMOVED_NOTE = "Deleted at the author's request when they closed their account."
CHANNELS = {
    "email": "Email",
    "letter": "Letter",
    "phone": "Telephone",
    "in_person": "In person",
    "account": "From their account",
}


class RecordsError(ValueError):
    """A write the person cannot make; the message is written for them."""


NO_MOBILE_FOR_TEXTS = "Add a mobile number in your contact details to get text reminders"
TEXTS_SWITCHED_OFF = "sms_reminders"  # in what `change_contact_details` returns


def due_on(received_on: date) -> date:
    """One calendar month to respond (UK GDPR article 12(3)); 31 January is due 28 February."""
    return add_months(received_on, 1)


def london_day(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def export_document(patient: User, *, now: datetime) -> dict[str, Any]:
    return document(
        subject=patient.full_name,
        generated_at=now,
        sections=queries.export_sections(patient.id),
    )


# --- exports and subject access requests ----------------------------------------------------


def export_own_data(patient: User, *, now: datetime, form: str) -> dict[str, Any]:
    """The patient asks from their account: the request is recorded and completed at once
    (`form` is "archive" or "page")."""
    with db.transaction() as session:
        request = SubjectAccessRequest(
            patient_id=patient.id,
            channel="account",
            requester="The patient, signed in to their account",
            received_on=london_day(now),
            due_on=due_on(london_day(now)),
            verification="Signed in to their own account",
            recorded_at=now,
            recorded_by_id=patient.id,
            exported_at=now,
            exported_by_id=patient.id,
            completed_at=now,
            completed_by_id=patient.id,
            note=f"Downloaded as {form}",
        )
        session.add(request)
        session.flush()
        for action in ("subject_access.requested", "subject_access.completed"):
            audit.record(
                action,
                actor=patient,
                subject_type="subject_access_request",
                subject_id=request.id,
                patient_id=patient.id,
                detail={"channel": "account", "form": form},
            )
        session.flush()
        doc = export_document(patient, now=now)  # includes this request and its audit rows
    return doc


def archive_bytes(doc: dict[str, Any]) -> bytes:
    return archive.zip_archive(doc, current_app.config["SERVICE_NAME"])


def record_request(
    staff: User,
    patient: User,
    *,
    channel: str,
    requester: str,
    received_on: date,
    verification: str,
    note: str,
    now: datetime,
) -> SubjectAccessRequest:
    """Staff record a request received by email, letter, telephone or in person."""
    if channel not in CHANNELS or channel == "account":
        raise RecordsError("Select how the request was made")
    if received_on > london_day(now):
        raise RecordsError("The date the request was received must be today or in the past")
    if not verification.strip():
        raise RecordsError("Enter how you checked the requester's identity")
    with db.transaction() as session:
        request = SubjectAccessRequest(
            patient_id=patient.id,
            channel=channel,
            requester=requester.strip() or patient.full_name,
            received_on=received_on,
            due_on=due_on(received_on),
            verification=verification.strip(),
            recorded_at=now,
            recorded_by_id=staff.id,
            note=note.strip(),
        )
        session.add(request)
        session.flush()
        audit.record(
            "subject_access.requested",
            actor=staff,
            subject_type="subject_access_request",
            subject_id=request.id,
            patient_id=patient.id,
            detail={"channel": channel},
        )
    return request


def produce_export(staff: User, request: SubjectAccessRequest, *, now: datetime) -> dict[str, Any]:
    """Staff produce the patient's export for a request (audited as a view of their record)."""
    if request.completed_at is not None:
        raise RecordsError("This request is complete; record a new one to send another copy")
    with db.transaction():
        request.exported_at = now
        request.exported_by_id = staff.id
        audit.record(
            "subject_access.exported",
            actor=staff,
            subject_type="subject_access_request",
            subject_id=request.id,
            patient_id=request.patient_id,
            detail={"what": "everything held (subject access request)"},
        )
        db.session.flush()
        doc = export_document(request.patient, now=now)
    return doc


def complete_request(staff: User, request: SubjectAccessRequest, *, now: datetime) -> None:
    if request.completed_at is not None:
        raise RecordsError("This request is already complete")
    if request.exported_at is None:
        raise RecordsError("Produce the export before you mark the request complete")
    with db.transaction():
        request.completed_at = now
        request.completed_by_id = staff.id
        audit.record(
            "subject_access.completed",
            actor=staff,
            subject_type="subject_access_request",
            subject_id=request.id,
            patient_id=request.patient_id,
            detail={"on_time": london_day(now) <= request.due_on},
        )


# --- consent --------------------------------------------------------------------------------


def change_choices(patient: User, wanted: dict[str, bool], *, now: datetime) -> dict[str, bool]:
    """Record each changed choice with its date; returns what changed. Text reminders need a
    mobile number to go to (RecordsError, nothing changed, if there is none)."""
    profile = patient.patient_profile
    if wanted.get("sms_reminders") and not (profile is not None and profile.mobile_e164):
        raise RecordsError(NO_MOBILE_FOR_TEXTS)
    with db.transaction() as session:
        changed = consent.changes(queries.current_choices(patient.id), wanted)
        _apply_choices(session, patient, changed, now=now, actor=patient, source="patient")
        if changed:
            _audit_own_change(patient, "consent.changed", changed)
    _replan_reminders(patient, now)
    return changed


def _apply_choices(
    session: Any,
    patient: User,
    changed: dict[str, bool],
    *,
    now: datetime,
    actor: User,
    source: str,
) -> None:
    profile = patient.patient_profile
    for key, granted in changed.items():
        if key in consent.COMMUNICATION_KEYS and profile is not None:
            setattr(profile, key, granted)  # what the reminder jobs read
        session.add(
            ConsentRecord(
                patient_id=patient.id,
                kind=key,
                granted=granted,
                recorded_at=now,
                recorded_by_id=actor.id,
                source=source,
                privacy_notice_version=PRIVACY_NOTICE_VERSION,
            )
        )


# --- contact details -------------------------------------------------------------------------


def change_contact_details(
    patient: User, mobile_e164: str | None, timezone: str, *, now: datetime
) -> list[str]:
    """The patient's own mobile number (None: no texts can reach them) and the time zone their
    pages and reminders use; audited with what changed (not the number). Returns the names of
    what changed.

    Removing the number while text reminders are on switches them off, dated and audited as
    any change of choice is, and TEXTS_SWITCHED_OFF is among the names returned so the patient
    can be told. Switching off rather than refusing: the person has said plainly that texts
    cannot reach them (a lost or changed phone), and sending them to another page first to
    untick a box would only stand between them and saying so. Adding a number again does not
    switch texts back on: that is their choice to make."""
    profile = patient.patient_profile
    if profile is None:
        raise RecordsError("Your details are not set up yet: contact the service")
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError):
        raise RecordsError("Choose a time zone from the list") from None
    with db.transaction() as session:
        changed = [
            name
            for name, old, new in (
                ("mobile", profile.mobile_e164, mobile_e164),
                ("timezone", profile.timezone, timezone),
            )
            if old != new
        ]
        profile.mobile_e164, profile.timezone = mobile_e164, timezone
        if changed:
            _audit_own_change(patient, "patient.contact_details_changed", changed)
        if mobile_e164 is None and profile.sms_reminders:
            texts_off = {TEXTS_SWITCHED_OFF: False}
            _apply_choices(session, patient, texts_off, now=now, actor=patient, source="patient")
            _audit_own_change(patient, "consent.changed", texts_off)
            changed = [*changed, TEXTS_SWITCHED_OFF]
    _replan_reminders(patient, now)
    return changed


def _audit_own_change(patient: User, action: str, changed: object) -> None:
    """A patient's change to their own details, inside the caller's transaction."""
    audit.record(
        action,
        actor=patient,
        subject_type="patient",
        subject_id=patient.id,
        patient_id=patient.id,
        detail={"changed": changed},
    )


def _replan_reminders(patient: User, now: datetime) -> None:
    """On every save (so saving again mends a re-plan that failed): the reminders already
    planned follow the patient's choices, number and zone. The change itself is already
    committed; should the re-plan fail, it is logged, and the job still never sends on a
    channel switched off."""
    try:
        booking.replan_reminders(patient.id, now=now)
    except Exception:
        log.exception("re-planning the reminders of patient %s failed", patient.id)


# --- closing an account ---------------------------------------------------------------------


def close_account(
    patient: User, *, password: str, community_choice: str, now: datetime
) -> AccountClosure:
    """The patient closes their account. Future bookings are cancelled and group places given
    up first (each through its own service, in its own transaction); then, in one transaction:
    community content is anonymised or deleted, self-help and private notes are deleted,
    reminders are switched off (dated), the account is deactivated and signed out everywhere.
    The clinical record, group session messages among it, stays."""
    if community_choice not in (ANONYMISED, DELETED):
        raise RecordsError("Choose what happens to what you wrote in the community")
    if not verify_password(patient.password_hash, password):
        raise RecordsError("The password is not right")
    if queries.closure_of(patient.id) is not None:
        raise RecordsError("This account is already closed")
    cancelled = 0
    for appointment in queries.future_bookings(patient.id, now):
        try:
            booking.cancel_appointment(
                appointment.id, actor=patient, reason="The patient closed their account", now=now
            )
        except booking.BookingError:
            continue  # cancelled or moved meanwhile: nothing left to cancel
        cancelled += 1
    groups_left = groups.leave_every_group(patient, now=now)
    with db.transaction() as session:
        changed_posts = _community_on_closure(session, patient.id, community_choice)
        for model in (SavedWorksheet, SafetyPlan, PatientSessionNote):
            session.execute(delete(model).where(model.patient_id == patient.id))
        reminders = {key: False for key in consent.COMMUNICATION_KEYS} | {
            key: False for key in consent.OPTIONAL_USE_KEYS
        }
        changed = consent.changes(queries.current_choices(patient.id), reminders)
        _apply_choices(session, patient, changed, now=now, actor=patient, source="patient")
        patient.is_active_account = False
        patient.session_token = secrets.token_urlsafe(32)  # every session ends now
        closure = AccountClosure(
            user_id=patient.id,
            closed_at=now,
            community_choice=community_choice,
            posts_changed=changed_posts,
            bookings_cancelled=cancelled,
        )
        session.add(closure)
        audit.record(
            "account.closed",
            actor=patient,
            subject_type="patient",
            subject_id=patient.id,
            patient_id=patient.id,
            detail={
                "community": community_choice,
                "posts": changed_posts,
                "bookings_cancelled": cancelled,
                "groups_left": groups_left,
            },
        )
    return closure


def anonymous_handle() -> str:
    return f"Former member {secrets.token_hex(3)}"


def _community_on_closure(session: Any, patient_id: int, choice: str) -> int:
    """Anonymise: the handle becomes "Former member" and a random code, so nobody in the
    community can tell whose the posts were. Delete: each post's text is erased and hidden, the
    titles of threads they opened too (so the thread is hidden with its opening post), and their
    reactions go; a post that raised a clinical-risk alert is kept, hidden, for the safety
    record. Returns how many posts changed."""
    member = session.get(CommunityMember, patient_id)
    if member is None:
        return 0
    posts = session.scalar(
        select(func.count()).select_from(Post).where(Post.author_id == patient_id)
    )
    if choice == ANONYMISED:
        member.handle = anonymous_handle()
        return int(posts or 0)
    member.handle = anonymous_handle()  # the handle itself goes either way
    risk_posts = select(ModerationItem.post_id).where(
        ModerationItem.is_clinical_risk,
        ModerationItem.post_id.is_not(None),  # NOT IN a list holding NULL matches nothing
    )
    session.execute(delete(Reaction).where(Reaction.member_id == patient_id))
    session.execute(
        update(Post)
        .where(
            Post.author_id == patient_id,
            Post.id.not_in(risk_posts),
            Post.is_clinical_risk.is_(False),
        )
        .values(body="", status=PostStatus.REMOVED, moderator_note=REMOVED_NOTE)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Post)
        .where(Post.author_id == patient_id)
        .values(status=PostStatus.REMOVED)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Thread)
        .where(Thread.author_id == patient_id)
        .values(title=REMOVED_TITLE)
        .execution_options(synchronize_session=False)
    )
    return int(posts or 0)
