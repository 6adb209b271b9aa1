"""Referral writes: drafts of a journey in progress, sending a referral, refusal counts, a
practitioner's referral and its invitation link, and staff decisions.

One write = one function = one transaction; the time is passed in (STYLE.md section 3). Callers
are the referral views; nothing here reads the request.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, update

from webapp import audit
from webapp.auth import twofactor
from webapp.auth.services import normalise_email, send_invitation, user_by_email
from webapp.charges import services as charges
from webapp.extensions import db
from webapp.models import (
    PatientProfile,
    Referral,
    ReferralDraft,
    ReferralStatus,
    RefusalCount,
    Role,
    User,
)
from webapp.notify import send_email
from webapp.pathway import queries as pathway_queries
from webapp.pathway import services as pathway
from webapp.referral import codes, eligibility, queries

TOKEN_SALT = "practitioner-referral"  # noqa: S105 - a signing salt, not a password


def _london_day(now: datetime) -> date:
    return now.astimezone(ZoneInfo("Europe/London")).date()


class ReferralError(ValueError):
    """Something the person (or member of staff) can put right; the message is for them."""


# Drafts -------------------------------------------------------------------------------------


def start_draft(*, now: datetime, referral: Referral | None = None) -> str:
    """A new draft; returns its key, which only the browser's session holds."""
    key = secrets.token_urlsafe(32)
    with db.transaction():
        # Unfinished answers are not kept: each new start clears every draft past its time.
        db.session.execute(delete(ReferralDraft).where(ReferralDraft.expires_at <= now))
        db.session.add(
            ReferralDraft(
                key_hash=twofactor.hash_token(key),
                # A patient finishing a practitioner's referral: their mobile is already known.
                answers=json.dumps(
                    {"mobile_e164": referral.mobile_e164 or ""} if referral is not None else {}
                ),
                referral_id=referral.id if referral is not None else None,
                created_at=now,
                expires_at=now + current_app.config["REFERRAL_DRAFT_VALID_FOR"],
            )
        )
    return key


def draft_for_key(key: str | None, *, now: datetime) -> ReferralDraft | None:
    if not key:
        return None
    draft = db.session.scalar(
        select(ReferralDraft).where(ReferralDraft.key_hash == twofactor.hash_token(key))
    )
    if draft is None or now >= draft.expires_at:
        return None
    return draft


def answers_of(draft: ReferralDraft) -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(draft.answers)
    return answers


COMMUNICATION_STEP = "communication"


def has_texts_without_mobile(answers: dict[str, Any]) -> bool:
    """Text reminders chosen, but no number to send them to."""
    return bool(answers.get("sms_reminders")) and not answers.get("mobile_e164")


def save_answers(
    draft: ReferralDraft, step: str, updates: dict[str, Any], *, now: datetime
) -> bool:
    """Merge one page's answers; each save keeps the draft for the full period again.

    Text reminders need a mobile number. When a change of contact details removes the number
    after texts were chosen, texts are switched off and the reminders question is asked again
    (it counts as unanswered), so the person chooses afresh rather than finding their choice
    quietly changed. Returns True when that happened."""
    answers = answers_of(draft)
    answers.update(updates)
    steps = {*answers.get("_steps", []), step}
    texts_dropped = has_texts_without_mobile(answers)
    if texts_dropped:
        answers["sms_reminders"] = False
        steps.discard(COMMUNICATION_STEP)
    answers["_steps"] = sorted(steps)
    with db.transaction():
        draft.answers = json.dumps(answers)
        draft.expires_at = now + current_app.config["REFERRAL_DRAFT_VALID_FOR"]
    return texts_dropped


def discard_draft(draft: ReferralDraft) -> None:
    with db.transaction():
        db.session.delete(draft)


def purge_expired_drafts(*, now: datetime) -> int:
    """Unfinished referrals are not kept: delete every draft past its time."""
    with db.transaction():
        result = db.session.execute(delete(ReferralDraft).where(ReferralDraft.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


# Eligibility --------------------------------------------------------------------------------


def eligibility_of(answers: dict[str, Any], *, today: date) -> eligibility.Eligibility | None:
    """The check as far as the answers allow: age once the date of birth is known (so an
    under-16 is not asked where they live), and the area too once the postcode is; None
    before the date of birth."""
    if not answers.get("date_of_birth"):
        return None
    date_of_birth = date.fromisoformat(answers["date_of_birth"])
    if not answers.get("postcode"):
        if eligibility.is_old_enough(date_of_birth, today):
            return None
        return eligibility.Eligibility((eligibility.Refusal.UNDER_16,))
    return eligibility.check_eligibility(
        date_of_birth,
        eligibility.parse_postcode(answers["postcode"]),
        on=today,
        districts=current_app.config["COMMISSIONING_POSTCODE_DISTRICTS"],
    )


def record_refusals(
    refusals: Iterable[eligibility.Refusal], *, source_code: str, day: date
) -> None:
    """Count a refusal by day, reason and route; nothing about the person is kept."""
    with db.transaction():
        for refusal in refusals:
            row = db.session.scalar(
                select(RefusalCount).where(
                    RefusalCount.day == day,
                    RefusalCount.reason == refusal.value,
                    RefusalCount.source_code == source_code,
                )
            )
            if row is None:
                row = RefusalCount(day=day, reason=refusal.value, source_code=source_code, count=0)
                db.session.add(row)
            row.count += 1


def refuse_draft(
    draft: ReferralDraft, refusals: Iterable[eligibility.Refusal], *, now: datetime
) -> None:
    """The check said no: count it and forget every answer."""
    record_refusals(refusals, source_code=codes.SELF_REFERRAL, day=_london_day(now))
    discard_draft(draft)


# Sending a referral -------------------------------------------------------------------------

# Answers copied as they are onto the referral.
_PLAIN_ANSWERS = (
    "full_name",
    "gp_practice",
    "issue_type",
    "issue_details",
    *codes.DEMOGRAPHICS,
    "sought_help_gp",
    "sought_help_therapist",
    "sought_help_medication",
    "heard_about",
    "heard_about_other",
    "sms_reminders",
    "email_reminders",
    "accessibility_needs",
    "language",
    "needs_interpreter",
)


def _new_reference() -> str:
    for _ in range(10):
        reference = eligibility.format_reference(secrets.randbelow(eligibility.REFERENCE_SPACE))
        if db.session.scalar(select(Referral.id).where(Referral.reference == reference)) is None:
            return reference
    raise RuntimeError("could not find an unused referral reference")


def _apply_answers(referral: Referral, answers: dict[str, Any], *, now: datetime) -> None:
    for name in _PLAIN_ANSWERS:
        if name in answers:
            setattr(referral, name, answers[name])
    if "date_of_birth" in answers:
        referral.date_of_birth = date.fromisoformat(answers["date_of_birth"])
    if "postcode" in answers:
        referral.postcode = str(eligibility.parse_postcode(answers["postcode"]))
    if "email" in answers:
        referral.email = normalise_email(answers["email"])
    if "mobile_e164" in answers:
        referral.mobile_e164 = answers["mobile_e164"] or None
    # Never store a promise of texts that cannot be sent (a draft saved before the rule).
    referral.sms_reminders = bool(referral.sms_reminders) and referral.mobile_e164 is not None
    if not answers.get("consent"):
        raise ReferralError("Confirm that you agree to how we use your information")
    referral.consent_given_at = now
    referral.privacy_notice_version = codes.PRIVACY_NOTICE_VERSION
    referral.completed_at = now


class _AlreadySent(Exception):
    """Another request sent this draft first (a double tap on Send)."""


def referral_sent_from(draft: ReferralDraft) -> Referral | None:
    """The referral this draft became, once sent: a self-referral's draft is linked to its
    referral when it is sent; a practitioner's referral, linked from the start, is sent once it
    no longer waits for the patient. None while the draft is still being answered."""
    if draft.referral_id is None:
        return None
    referral = db.session.get(Referral, draft.referral_id)
    if referral is None or referral.status is ReferralStatus.AWAITING_PATIENT:
        return None
    return referral


def _keep_as_sent(draft: ReferralDraft, *, now: datetime) -> None:
    """A sent draft forgets every answer but stays, for the draft period, to say which referral
    it became: sending it again (a double tap, or back and Send) shows that referral's
    reference rather than asking the person to start again."""
    draft.answers = json.dumps({})
    draft.expires_at = now + current_app.config["REFERRAL_DRAFT_VALID_FOR"]


def submit_self_referral(draft: ReferralDraft, *, now: datetime) -> Referral:
    """Turn a finished draft into a referral in the staff queue. Sending a draft already sent,
    even by a request that read it before the other sent it, returns that referral and makes
    no other: the draft is claimed by a conditional update in the same transaction."""
    sent = referral_sent_from(draft)
    if sent is not None:
        return sent
    answers = answers_of(draft)
    check = eligibility_of(answers, today=_london_day(now))
    if check is None or not check.is_eligible:
        raise ReferralError("Answer the questions about your age and postcode")
    try:
        with db.transaction():
            referral = Referral(
                reference=_new_reference(),
                source_code=codes.SELF_REFERRAL,
                received_at=now,
                status=ReferralStatus.RECEIVED,
            )
            _apply_answers(referral, answers, now=now)
            db.session.add(referral)
            db.session.flush()
            claimed = db.session.execute(
                update(ReferralDraft)
                .where(ReferralDraft.id == draft.id, ReferralDraft.referral_id.is_(None))
                .values(referral_id=referral.id)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                raise _AlreadySent
            db.session.refresh(draft)
            _keep_as_sent(draft, now=now)
            audit.record(
                "referral.received",
                subject_type="referral",
                subject_id=referral.id,
                detail={"source_code": referral.source_code},
            )
    except _AlreadySent:
        db.session.refresh(draft)
        sent = referral_sent_from(draft)
        assert sent is not None  # the request that claimed it made it, in one transaction
        return sent
    return referral


# A practitioner's referral ------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def finish_link_token(referral: Referral) -> str:
    return _serializer().dumps({"referral": referral.id, "reference": referral.reference})


def referral_for_finish_token(token: str) -> Referral | None:
    """The referral a signed, unexpired link names, while it still waits for the patient."""
    max_age = current_app.config["PRACTITIONER_LINK_VALID_FOR"].total_seconds()
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    referral = db.session.get(Referral, data.get("referral"))
    if (
        referral is None
        or referral.reference != data.get("reference")
        or referral.status is not ReferralStatus.AWAITING_PATIENT
    ):
        return None
    return referral


def refer_patient(details: dict[str, Any], *, now: datetime) -> Referral:
    """A practitioner's referral: recorded at once (the waiting-time clock starts now), then
    the patient is emailed a link to answer the rest of the questions themselves."""
    with db.transaction():
        referral = Referral(
            reference=_new_reference(),
            source_code=details["source_code"],
            received_at=now,
            status=ReferralStatus.AWAITING_PATIENT,
            full_name=details["full_name"],
            date_of_birth=details["date_of_birth"],
            email=normalise_email(details["email"]),
            mobile_e164=details.get("mobile_e164") or None,
            postcode=str(eligibility.parse_postcode(details["postcode"])),
            gp_practice=details.get("gp_practice", ""),
            referrer_name=details["referrer_name"],
            referrer_role=details["referrer_role"],
            referrer_organisation=details["referrer_organisation"],
            referrer_email=normalise_email(details["referrer_email"]),
            patient_consented_to_referral=bool(details["patient_consented_to_referral"]),
        )
        if not referral.patient_consented_to_referral:
            raise ReferralError("Confirm that the patient agreed to be referred")
        db.session.add(referral)
        db.session.flush()
        audit.record(
            "referral.received",
            subject_type="referral",
            subject_id=referral.id,
            detail={"source_code": referral.source_code, "practitioner": True},
        )
    link = url_for("referral.finish", token=finish_link_token(referral), _external=True)
    service = current_app.config["SERVICE_NAME"]
    send_email(
        referral.email,
        f"Finish your referral to {service}",
        f"Hello {referral.full_name},\n\n{referral.referrer_name} "
        f"({referral.referrer_organisation}) has referred you to {service}, "
        "free NHS talking therapy by online chat.\n\n"
        "To finish your referral, answer a few questions about yourself with this link. "
        f"It works for {current_app.config['PRACTITIONER_LINK_VALID_FOR'].days} days:\n\n"
        f"{link}\n\nYour reference is {referral.reference}.\n\n"
        "This is not an emergency service. If you need help now, call 999, NHS 111 "
        "(option 2 for mental health) or Samaritans on 116 123.\n",
    )
    return referral


def finish_practitioner_referral(draft: ReferralDraft, *, now: datetime) -> Referral:
    """The patient's own answers complete the referral, which then joins the staff queue.
    Finishing it again (a double tap, or back and Send) returns it unchanged: the referral
    leaves "waiting for the patient" by a conditional update, once."""
    referral = db.session.get(Referral, draft.referral_id)
    if referral is None:
        raise ReferralError("This referral is no longer waiting for your answers")
    if referral.status is not ReferralStatus.AWAITING_PATIENT:
        return referral
    answers = answers_of(draft)
    try:
        with db.transaction():
            claimed = db.session.execute(
                update(Referral)
                .where(
                    Referral.id == referral.id,
                    Referral.status == ReferralStatus.AWAITING_PATIENT,
                )
                .values(status=ReferralStatus.RECEIVED)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                raise _AlreadySent
            db.session.refresh(referral)
            _apply_answers(referral, answers, now=now)
            _keep_as_sent(draft, now=now)
            audit.record(
                "referral.completed_by_patient", subject_type="referral", subject_id=referral.id
            )
    except _AlreadySent:
        db.session.refresh(referral)
    return referral


# Staff decisions ----------------------------------------------------------------------------


def _check_open(referral: Referral) -> None:
    if referral.status is not ReferralStatus.RECEIVED:
        raise ReferralError(f"This referral is already {referral.status.label.lower()}")


SAME_PERSON = "Same person: add to their existing record"  # the decision's name on the page


def accept(
    referral: Referral, *, actor: User, now: datetime, different_person_reason: str = ""
) -> User:
    """Accept a new patient: make their account (no password yet), copy their details to their
    profile, give access for the configured months, fund the referral, open its care episode
    (waiting for assessment) and email them a link to set a password.

    A referral that may be an existing patient (`queries.likely_duplicates`) is accepted only
    with the decider's reason for saying it is a different person; someone who already has an
    account with this email address is not a new patient (`add_to_existing_patient`)."""
    _check_open(referral)
    existing = user_by_email(referral.email)
    if existing is not None:
        if existing.role is Role.PATIENT:
            raise ReferralError(
                f"{existing.full_name} already has an account with this email address, so "
                f"this is not a new patient. If this is the same person, choose "
                f'"{SAME_PERSON}"'
            )
        raise ReferralError(
            "There is already an account with this email address. Check whether this is "
            "the same person before deciding"
        )
    duplicates = queries.likely_duplicates(referral)
    patients = queries.patients_among(duplicates)
    reason = different_person_reason.strip()
    if patients and not reason:
        raise ReferralError(
            "This referral may be someone who is already our patient. Confirm that this is a "
            'different person and say how you know, or choose "' + SAME_PERSON + '"'
        )
    months = current_app.config["ACCESS_PERIOD_MONTHS"]
    with db.transaction():
        patient = User(email=referral.email, full_name=referral.full_name, role=Role.PATIENT)
        patient.patient_profile = PatientProfile(
            date_of_birth=referral.date_of_birth,
            postcode=referral.postcode,
            gp_practice=referral.gp_practice,
            mobile_e164=referral.mobile_e164,
            sms_reminders=referral.sms_reminders and referral.mobile_e164 is not None,
            email_reminders=referral.email_reminders,
            accessibility_needs=referral.accessibility_needs,
            language=referral.language,
            needs_interpreter=referral.needs_interpreter,
            access_starts_at=now,
            access_ends_at=now + relativedelta(months=months),
        )
        db.session.add(patient)
        db.session.flush()
        referral.status = ReferralStatus.ACCEPTED
        referral.patient_id = patient.id
        charges.apply_initial_grant(db.session(), patient, actor=actor, now=now)
        pathway.apply_open(db.session(), referral, patient, actor=actor, now=now)
        referral.decided_at = now
        referral.decided_by_id = actor.id
        if patients:
            referral.decision_reason = f"A different person from {_names(patients)}: {reason}"
        audit.record(
            "user.created",
            actor=actor,
            subject_type="user",
            subject_id=patient.id,
            patient_id=patient.id,
            detail={"role": Role.PATIENT.value, "referral": referral.id},
        )
        audit.record(
            "referral.accepted",
            actor=actor,
            subject_type="referral",
            subject_id=referral.id,
            patient_id=patient.id,
            detail=(
                {"different_person_from": [p.id for p in patients], "reason": reason}
                if patients
                else None
            ),
        )
    send_invitation(patient, now=now)
    return patient


def _names(patients: list[User]) -> str:
    return ", ".join(patient.full_name for patient in patients)


def add_to_existing_patient(
    referral: Referral, patient_id: int, *, actor: User, now: datetime
) -> ReferralStatus:
    """The "same person" decision: the referral is from an existing patient it was flagged as. No
    account is made and nobody is sent a refusal; returns the referral's new status.

    - In care now (an open episode): the referral is closed as a duplicate, linked to their
      record; their episode, access and funding carry on unchanged, and nobody is emailed.
    - Not in care (discharged): it is a new referral for the same person, as DOMAIN.md section 4
      counts them (each referral its own course of care and waiting-time clock), so it is
      accepted onto their record: access restarts, it is funded and opens a new episode, and
      they are told to sign in as usual (`_accept_returning`)."""
    _check_open(referral)
    candidates = queries.patients_among(queries.likely_duplicates(referral))
    patient = next((p for p in candidates if p.id == patient_id), None)
    if patient is None:
        raise ReferralError("Choose which existing patient this referral is from")
    if patient.patient_profile is None:
        raise ReferralError(
            f"{patient.full_name} has no patient record to add this referral to. Check with "
            "the admin team before deciding"
        )
    episode = pathway_queries.open_episode_for_patient(patient.id)
    if episode is None:
        _accept_returning(referral, patient, actor=actor, now=now)
        return ReferralStatus.ACCEPTED
    with db.transaction():
        referral.status = ReferralStatus.DUPLICATE
        referral.patient_id = patient.id
        referral.decided_at = now
        referral.decided_by_id = actor.id
        referral.decision_reason = (
            f"The same person as {patient.full_name}, who is already in our care"
        )
        audit.record(
            "referral.duplicate",
            actor=actor,
            subject_type="referral",
            subject_id=referral.id,
            patient_id=patient.id,
            detail={"episode": episode.id},
        )
    return ReferralStatus.DUPLICATE


def _accept_returning(referral: Referral, patient: User, *, actor: User, now: datetime) -> User:
    """A discharged patient coming back (the care pathway tells them how): their account is
    kept, access starts again for the configured months, the new referral is funded and opens a
    new care episode. Someone whose episode is still open is not referred twice (their new
    referral is a duplicate: `add_to_existing_patient`)."""
    if pathway_queries.open_episode_for_patient(patient.id) is not None:
        raise ReferralError(
            "This person already has an open care episode with us. Check whether this is the "
            "same person before deciding"
        )
    profile = patient.patient_profile
    assert profile is not None  # checked by the caller
    with db.transaction():
        profile.access_starts_at = now
        profile.access_ends_at = now + relativedelta(
            months=current_app.config["ACCESS_PERIOD_MONTHS"]
        )
        referral.status = ReferralStatus.ACCEPTED
        referral.patient_id = patient.id
        referral.decided_at = now
        referral.decided_by_id = actor.id
        charges.apply_initial_grant(db.session(), patient, actor=actor, now=now)
        pathway.apply_open(db.session(), referral, patient, actor=actor, now=now)
        audit.record(
            "referral.accepted",
            actor=actor,
            subject_type="referral",
            subject_id=referral.id,
            patient_id=patient.id,
            detail={"returning": True, "same_person": True},
        )
    service = current_app.config["SERVICE_NAME"]
    send_email(
        patient.email,
        f"Welcome back to {service}",
        f"Hello {patient.full_name},\n\nWe have accepted your new referral. Sign in with your "
        f"usual email address and password to book an appointment:\n\n"
        f"{url_for('auth.sign_in', _external=True)}\n\nYour reference is "
        f"{referral.reference}.\n\nThis is not an emergency service. If you need help now, "
        "call 999, NHS 111 (option 2 for mental health) or Samaritans on 116 123.\n",
    )
    return patient


def decide_not_to_accept(
    referral: Referral, status: ReferralStatus, reason: str, *, actor: User, now: datetime
) -> None:
    """Decline, or signpost elsewhere, with a reason; the person is told by email."""
    if status not in (ReferralStatus.DECLINED, ReferralStatus.SIGNPOSTED):
        raise ValueError(f"not a refusal: {status}")
    _check_open(referral)
    reason = reason.strip()
    if not reason:
        raise ReferralError("Enter the reason for your decision")
    with db.transaction():
        referral.status = status
        referral.decision_reason = reason
        referral.decided_at = now
        referral.decided_by_id = actor.id
        audit.record(
            f"referral.{status.value}",
            actor=actor,
            subject_type="referral",
            subject_id=referral.id,
        )
    service = current_app.config["SERVICE_NAME"]
    if status is ReferralStatus.SIGNPOSTED:
        body = (
            f"Hello {referral.full_name},\n\nThank you for your referral ({referral.reference}). "
            f"Our team has looked at it and thinks another service will suit you better:\n\n"
            f"{reason}\n\n"
        )
    else:
        body = (
            f"Hello {referral.full_name},\n\nThank you for your referral ({referral.reference}). "
            f"Our team has looked at it and {service} is not the right service for you at the "
            "moment. Your GP can talk to you about other support.\n\n"
        )
    send_email(
        referral.email,
        f"Your referral to {service}",
        body + "If you need help now, call 999, NHS 111 (option 2 for mental health) or "
        "Samaritans on 116 123.\n",
    )
