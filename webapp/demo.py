"""The demo world for a newcomer to click through every role (`flask seed-demo`).

Never run in production. Every demo account shares one password, and staff accounts have
two-factor already set up with a secret printed here; `flask totp-code EMAIL` shows the code.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import select

from webapp.auth import services
from webapp.extensions import db
from webapp.models import Role, TherapistProfile, User

DEMO_PASSWORD = "calm-river-demo-2026"  # noqa: S105 - a published demo password, never used in production
DEMO_DOMAIN = "demo.example.org"

STAFF = [
    ("admin", "Alex Morgan", Role.ADMIN),
    ("commissioner", "Chris Patel", Role.COMMISSIONER),
    ("clinical.lead", "Dr Sam Okafor", Role.CLINICAL_LEAD),
    ("moderator", "Jo Williams", Role.MODERATOR),
    ("moderator.nights", "Ravi Shah", Role.MODERATOR),
]

THERAPISTS = [
    (
        "priya.nair",
        "Priya Nair",
        "she/her",
        "Female",
        ["English", "Malayalam"],
        ["CBT", "Guided self-help"],
        "step2",
        "I am a psychological wellbeing practitioner. I help people with low mood and worry using "
        "practical, step-by-step cognitive behavioural therapy. I like to keep things simple and "
        "agree small goals together.",
    ),
    (
        "tom.evans",
        "Tom Evans",
        "he/him",
        "Male",
        ["English", "Welsh"],
        ["CBT"],
        "step3",
        "I am a cognitive behavioural therapist with ten years’ experience, mostly with panic, "
        "health anxiety and obsessive worries. Sessions with me are structured and collaborative.",
    ),
    (
        "amara.okoye",
        "Amara Okoye",
        "she/her",
        "Female",
        ["English", "Yoruba"],
        ["Interpersonal psychotherapy"],
        "step3",
        "I work with people whose low mood is tied up with relationships, loss or big changes in "
        "life. We look at what is happening between you and the people around you.",
    ),
    (
        "daniel.kowalski",
        "Daniel Kowalski",
        "he/him",
        "Male",
        ["English", "Polish"],
        ["Person-centred counselling", "Integrative counselling"],
        "step3",
        "I offer a calm, unhurried space to talk. I am a counsellor for depression and I will "
        "follow your lead on what matters most to you.",
    ),
    (
        "hannah.reid",
        "Hannah Reid",
        "they/them",
        "Non-binary",
        ["English", "British Sign Language"],
        ["CBT", "Guided self-help"],
        "step2",
        "I support people with stress, sleep problems and worry. I am happy to work with Deaf "
        "clients and to adapt how we communicate.",
    ),
    (
        "yusuf.ahmed",
        "Yusuf Ahmed",
        "he/him",
        "Male",
        ["English", "Urdu", "Punjabi"],
        ["CBT", "Integrative counselling"],
        "step3",
        "I help adults with anxiety, including social anxiety and trauma-related worry. I bring "
        "warmth and a bit of humour to the work.",
    ),
]

PATIENTS = [
    ("patient", "Jamie Taylor"),
    ("patient2", "Morgan Lee"),
    ("patient3", "Aisha Begum"),
    ("patient4", "Owen Hughes"),
    ("patient5", "Grace Kim"),
    ("patient6", "Luca Rossi"),
]


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_DOMAIN}"


def demo_totp_secret(email: str) -> str:
    """A fixed secret per demo account, so the printed sign-ins stay true between runs."""
    digest = hashlib.sha256(f"demo-totp:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def _make(local_part: str, name: str, role: Role) -> User:
    email = demo_email(local_part)
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        return existing
    user = services.create_user(email, name, role, password=DEMO_PASSWORD)
    if role.is_staff:
        with db.transaction():
            user.totp_secret = demo_totp_secret(email)
            user.totp_confirmed_at = datetime.now(UTC)
    return user


def seed() -> bool:
    """Create whatever part of the demo world is missing; True if anything was created."""
    before = db.session.scalar(select(User.id).where(User.email.endswith("@" + DEMO_DOMAIN)))
    for local_part, name, role in STAFF:
        _make(local_part, name, role)
    for local_part, name, pronouns, gender, languages, approaches, step, bio in THERAPISTS:
        user = _make(local_part, name, Role.THERAPIST)
        if user.therapist_profile is None:
            with db.transaction():
                user.therapist_profile = TherapistProfile(
                    display_name=name,
                    pronouns=pronouns,
                    gender=gender,
                    languages=languages,
                    approaches=approaches,
                    step_of_care=step,
                    biography=bio,
                )
    for local_part, name in PATIENTS:
        _make(local_part, name, Role.PATIENT)
    _past_session()
    return before is None


TRANSCRIPT = [
    ("therapist", "Hello Jamie, it is good to meet you. How has your week been?"),
    ("patient", "Hi. Honestly not great, I have been sleeping badly and worrying about work."),
    ("therapist", "Thank you for telling me. Shall we start with the sleep, and keep a diary?"),
    ("patient", "OK. Is there something I can read about it?"),
    ("therapist", "Yes: https://www.nhs.uk/every-mind-matters/mental-health-issues/sleep/"),
    ("patient", "Thanks, I will have a look before next time."),
]


def _past_session() -> None:
    """One finished session a week ago between the first demo patient and therapist, with a
    transcript, the therapist's record, the patient's notes and a rating (once only)."""
    import questionnaires
    from webapp.models import (
        Appointment,
        AppointmentStatus,
        AttendanceEvent,
        AttendanceKind,
        ChatMessage,
        PatientSessionNote,
        QuestionnaireResponse,
        SessionRating,
        SessionRecord,
    )

    patient = db.session.scalar(select(User).where(User.email == demo_email(PATIENTS[0][0])))
    therapist = db.session.scalar(select(User).where(User.email == demo_email(THERAPISTS[0][0])))
    if patient is None or therapist is None:
        return
    done = db.session.scalar(
        select(SessionRecord.id).where(SessionRecord.therapist_id == therapist.id).limit(1)
    )
    if done is not None:
        return
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    starts_at = today - timedelta(days=7)
    with db.transaction() as session:
        appointment = Appointment(
            patient_id=patient.id,
            therapist_id=therapist.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
            status=AppointmentStatus.CLOSED,
            attendance_code="5",
        )
        session.add(appointment)
        session.flush()
        for code in questionnaires.PRE_SESSION_SET:
            session.add(
                QuestionnaireResponse(
                    patient_id=patient.id,
                    appointment_id=appointment.id,
                    instrument=code,
                    instrument_version="1",
                    answers={},
                    completed_at=starts_at - timedelta(hours=2),
                )
            )
        for user, party, minute in ((therapist, "therapist", -5), (patient, "patient", 0)):
            for kind, at in ((AttendanceKind.JOIN, minute), (AttendanceKind.LEAVE, 50)):
                session.add(
                    AttendanceEvent(
                        appointment_id=appointment.id,
                        user_id=user.id,
                        party=party,
                        kind=kind,
                        connection=f"demo-{party}",
                        at=starts_at + timedelta(minutes=at),
                    )
                )
        for number, (party, body) in enumerate(TRANSCRIPT, start=1):
            sender = patient if party == "patient" else therapist
            session.add(
                ChatMessage(
                    appointment_id=appointment.id,
                    sequence=number,
                    sender_id=sender.id,
                    client_id=f"demo-message-{number:04d}",
                    body=body,
                    sent_at=starts_at + timedelta(minutes=2 + 7 * number),
                )
            )
        session.add(
            SessionRecord(
                appointment_id=appointment.id,
                therapist_id=therapist.id,
                clinical_notes="First session. Low mood and worry about work; poor sleep. "
                "Agreed a sleep diary.",
                therapy_type="cbt",
                step_of_care="step2",
                contact_minutes=50,
                attendance_code="5",
                next_steps="Review the sleep diary next week; introduce worry time.",
                proposed_outcome="attended",
                recorded_at=starts_at + timedelta(minutes=56),
            )
        )
        session.add(
            PatientSessionNote(
                appointment_id=appointment.id,
                patient_id=patient.id,
                body="Keep the sleep diary every morning. Read the NHS sleep page.",
                updated_at=starts_at + timedelta(hours=2),
            )
        )
        answers = {"relationship": 9, "goals_topics": 8, "approach_method": 9, "overall": 9}
        session.add(
            SessionRating(
                appointment_id=appointment.id,
                patient_id=patient.id,
                therapist_id=therapist.id,
                answers=answers,
                total=sum(answers.values()),
                is_alliance_concern=sum(answers.values()) <= 36,
                rated_at=starts_at + timedelta(hours=1),
            )
        )


def current_totp_code(email: str) -> str:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.totp_secret is None:
        return f"{email} has no two-factor secret."
    return pyotp.TOTP(user.totp_secret).now()


def describe() -> str:
    lines = [f"Every demo account's password: {DEMO_PASSWORD}", ""]
    lines.append("Patients (no second step):")
    lines += [f"  {demo_email(local)}  {name}" for local, name in PATIENTS]
    lines.append("")
    lines.append(
        "Staff (two-factor: add the key to an authenticator app, or run "
        "`flask totp-code EMAIL` for the current code):"
    )
    staff = [(local, name, role) for local, name, role in STAFF]
    staff += [(t[0], t[1], Role.THERAPIST) for t in THERAPISTS]
    for local, _name, role in staff:
        email = demo_email(local)
        lines.append(f"  {email:38} {role.label:14} key {demo_totp_secret(email)}")
    return "\n".join(lines)
