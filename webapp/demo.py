"""The demo world for a newcomer to click through every role (`flask seed-demo`).

Never run in production. Every demo account shares one password, and staff accounts have
two-factor already set up with a secret printed here; `flask totp-code EMAIL` shows the code.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyotp
from flask import current_app
from sqlalchemy import select

from webapp.auth import services
from webapp.booking.slots import SESSION_LENGTH
from webapp.extensions import db
from webapp.models import (
    AllowanceMovement,
    Appointment,
    AppointmentStatus,
    AvailabilityException,
    Credential,
    CredentialKind,
    ExceptionKind,
    MovementKind,
    PatientProfile,
    Referral,
    ReferralStatus,
    Role,
    SafetyPlan,
    SavedWorksheet,
    TherapistProfile,
    User,
    WeeklyHours,
)
from webapp.pathway.demo import seed_episodes
from webapp.referral.codes import PRIVACY_NOTICE_VERSION

LONDON = ZoneInfo("Europe/London")

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

# Weekly hours per therapist (weekday 0 = Monday; UK wall-clock times).
HOURS = {
    "priya.nair": [(0, 9, 17), (1, 9, 17), (3, 9, 13)],
    "tom.evans": [(0, 12, 20), (2, 12, 20), (4, 9, 15)],
    "amara.okoye": [(1, 9, 17), (2, 9, 17), (3, 9, 17)],
    "daniel.kowalski": [(0, 17, 21), (1, 17, 21), (5, 9, 13)],
    "hannah.reid": [(2, 9, 17), (3, 13, 19), (4, 9, 17)],
    "yusuf.ahmed": [(0, 9, 17), (4, 9, 17)],
}
# Yusuf's DBS check has lapsed: he is hidden from patients and the clinical lead sees why.
EXPIRED_CREDENTIAL = ("yusuf.ahmed", CredentialKind.DBS)
# Hannah's appraisal is due within 30 days: the clinical lead sees the warning.
EXPIRING_CREDENTIAL = ("hannah.reid", CredentialKind.APPRAISAL)
# (patient, therapist, days from today, UK hour, attended?) for the demo appointments.
APPOINTMENTS = [
    ("patient", "priya.nair", -14, 10, True),
    ("patient", "priya.nair", -7, 10, True),
    ("patient", "priya.nair", 7, 10, False),
    ("patient2", "tom.evans", -3, 13, True),
    ("patient2", "tom.evans", 4, 13, False),
    ("patient3", "amara.okoye", 2, 11, False),
    ("patient4", "yusuf.ahmed", 3, 9, False),  # flagged: the therapist's DBS has lapsed
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
    now = datetime.now(UTC)
    _seed_therapists_availability(now)
    _seed_patient_profiles(now)
    _seed_appointments(now)
    _past_session()
    seed_episodes(_user, demo_email)  # after the demo bookings it puts in episodes
    from webapp.supervision.demo import seed_supervision

    seed_supervision(_user)  # after the episodes its meetings discuss
    _seed_allowances()  # after every demo appointment exists: each draws a session
    _seed_self_help(_make(*PATIENTS[0], Role.PATIENT))
    _seed_referrals()
    _seed_subject_access_request(now)
    from webapp.community.demo import seed_community

    locals_ = [local for local, _name, _role in STAFF] + [local for local, _name in PATIENTS]
    seed_community({local: _user(local) for local in locals_})
    from webapp.voice.demo import seed_voice

    seed_voice({local: _user(local) for local in locals_})
    from webapp.groups.demo import seed_groups

    therapists = [t[0] for t in THERAPISTS]
    seed_groups({local: _user(local) for local in locals_ + therapists})  # after the handles
    return before is None


def _seed_subject_access_request(now: datetime) -> None:
    """One open subject access request, received by letter ten days ago (issue #13)."""
    from webapp.models import SubjectAccessRequest
    from webapp.records.services import due_on

    patient = _user("patient2")
    exists = db.session.scalar(
        select(SubjectAccessRequest.id).where(SubjectAccessRequest.patient_id == patient.id)
    )
    if exists is not None:
        return
    received = now.date() - timedelta(days=10)
    with db.transaction() as session:
        session.add(
            SubjectAccessRequest(
                patient_id=patient.id,
                channel="letter",
                requester=patient.full_name,
                received_on=received,
                due_on=due_on(received),
                verification="Signed letter; date of birth and postcode match the record",
                recorded_at=now,
                recorded_by_id=_user("admin").id,
            )
        )


def _user(local_part: str) -> User:
    user = db.session.scalar(select(User).where(User.email == demo_email(local_part)))
    assert user is not None, local_part
    return user


def _seed_therapists_availability(now: datetime) -> None:
    today = now.astimezone(LONDON).date()
    with db.transaction() as session:
        for local_part, *_ in THERAPISTS:
            therapist = _user(local_part)
            if session.scalar(select(Credential.id).where(Credential.therapist_id == therapist.id)):
                continue  # already seeded
            for kind in CredentialKind:
                expires = today + timedelta(days=300)
                if (local_part, kind) == EXPIRED_CREDENTIAL:
                    expires = today - timedelta(days=5)
                elif (local_part, kind) == EXPIRING_CREDENTIAL:
                    expires = today + timedelta(days=20)
                session.add(
                    Credential(
                        therapist_id=therapist.id,
                        kind=kind,
                        body="BABCP" if kind is CredentialKind.REGISTRATION else "",
                        reference=f"DEMO-{kind.value.upper()}-{therapist.id:04d}",
                        expires_on=expires,
                    )
                )
            for weekday, start, end in HOURS[local_part]:
                session.add(
                    WeeklyHours(
                        therapist_id=therapist.id,
                        weekday=weekday,
                        starts_at=time(start),
                        ends_at=time(end),
                    )
                )
            if local_part == "amara.okoye":  # a week's leave in a fortnight
                start = datetime.combine(today + timedelta(days=14), time(), tzinfo=LONDON)
                session.add(
                    AvailabilityException(
                        therapist_id=therapist.id,
                        kind=ExceptionKind.LEAVE,
                        starts_at=start,
                        ends_at=start + timedelta(days=7),
                    )
                )
            if local_part == "tom.evans":  # one Saturday morning clinic
                saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
                start = datetime.combine(saturday, time(9), tzinfo=LONDON)
                session.add(
                    AvailabilityException(
                        therapist_id=therapist.id,
                        kind=ExceptionKind.EXTRA,
                        starts_at=start,
                        ends_at=start + timedelta(hours=3),
                    )
                )


def _seed_patient_profiles(now: datetime) -> None:
    with db.transaction():
        for number, (local_part, _name) in enumerate(PATIENTS):
            patient = _user(local_part)
            if patient.patient_profile is not None:
                continue
            patient.patient_profile = PatientProfile(
                date_of_birth=date(1980 + number * 3, 1 + number, 10),
                postcode=["LS1 4AP", "LS6 2QF", "BD1 1HY", "HX1 1UJ", "WF1 2EB", "HD1 2TA"][number],
                mobile_e164=f"+44770090012{number}",  # Ofcom's drama range: never a real phone
                sms_reminders=number != 3,
                email_reminders=True,
                timezone="Europe/Paris" if local_part == "patient6" else "Europe/London",
                access_starts_at=now - timedelta(days=30 + number),
                # Patient 5's access period has ended: they can no longer book.
                access_ends_at=now + (timedelta(days=-1) if number == 4 else timedelta(days=180)),
            )


def _demo_start(today: date, days: int, hour: int) -> datetime:
    day = today + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def _seed_appointments(now: datetime) -> None:
    """Past (attended) and future (booked) sessions, made once per patient. They are written
    directly, so seeding sends no confirmations or reminders."""
    today = now.astimezone(LONDON).date()
    with db.transaction() as session:
        for patient_part in dict.fromkeys(row[0] for row in APPOINTMENTS):
            patient = _user(patient_part)
            if session.scalar(select(Appointment.id).where(Appointment.patient_id == patient.id)):
                continue
            for row_patient, therapist_part, days, hour, attended in APPOINTMENTS:
                if row_patient != patient_part:
                    continue
                starts_at = _demo_start(today, days, hour)
                session.add(
                    Appointment(
                        patient_id=patient.id,
                        therapist_id=_user(therapist_part).id,
                        starts_at=starts_at,
                        ends_at=starts_at + SESSION_LENGTH,
                        status=AppointmentStatus.CLOSED if attended else AppointmentStatus.BOOKED,
                        attendance_code="5" if attended else "0",
                        outcome="attended" if attended else None,
                        charged=True if attended else None,
                        charge_reason="attended" if attended else None,
                        outcome_recorded_at=starts_at + SESSION_LENGTH if attended else None,
                        created_at=starts_at - timedelta(days=10),
                    )
                )


def _seed_allowances() -> None:
    """Each demo patient's funded sessions (as an accepted referral gets) and a draw for each of
    their demo bookings, once per patient: a patient with any ledger row is left alone."""
    sessions = int(current_app.config["SESSIONS_PER_REFERRAL"])
    with db.transaction() as session:
        for local_part, _name in PATIENTS:
            patient = _user(local_part)
            has_rows = session.scalar(
                select(AllowanceMovement.id).where(AllowanceMovement.patient_id == patient.id)
            )
            if has_rows or patient.patient_profile is None:
                continue
            granted_at = patient.patient_profile.access_starts_at
            session.add(
                AllowanceMovement(
                    patient_id=patient.id,
                    kind=MovementKind.GRANT,
                    sessions=sessions,
                    reason_code="referral",
                    occurred_at=granted_at,
                )
            )
            for appointment in session.scalars(
                select(Appointment).where(Appointment.patient_id == patient.id)
            ):
                session.add(
                    AllowanceMovement(
                        patient_id=patient.id,
                        appointment_id=appointment.id,
                        kind=MovementKind.DRAW,
                        sessions=-1,
                        reason_code="booked",
                        occurred_at=appointment.created_at,
                    )
                )


# The demo patient's access to self-help: a year from a week ago (the referral feature sets
# real access periods from the service's configured number of months).
DEMO_ACCESS_STARTED = timedelta(days=7)
DEMO_ACCESS_LASTS = timedelta(days=365)

DEMO_WORRY_LOG = {
    "worry": "I might not be able to pay the gas bill this month.",
    "when": "Tuesday night, lying in bed",
    "kind": "practical",
    "action": "Ring the supplier on Thursday morning and ask about a payment plan.",
    "worry_time": "6pm for 15 minutes, at the kitchen table",
}
DEMO_SAFETY_PLAN = {
    "warning_signs": "Not sleeping for a few nights. Staying in my room. Thinking I am a burden.",
    "coping_steps": "Cold water on my face. The 5, 4, 3, 2, 1 exercise. A walk round the park.",
    "people_and_places": "My sister Sam (07700 900123). The library café.",
    "professional_contacts": "My GP surgery. NHS 111, option 2. Samaritans on 116 123.",
    "safe_environment": "Ask Sam to keep my tablets at hers.",
    "reasons_for_living": "My dog, Pepper. Seeing my nephew grow up.",
}


def _seed_self_help(patient: User) -> None:
    """An access period, a saved worry log and a safety plan for the first demo patient."""
    now = datetime.now(UTC)
    with db.transaction():
        if patient.patient_profile is None:
            db.session.add(
                PatientProfile(
                    user_id=patient.id,
                    date_of_birth=date(1991, 4, 12),
                    postcode="LS6 2AB",
                    access_starts_at=now - DEMO_ACCESS_STARTED,
                    access_ends_at=now - DEMO_ACCESS_STARTED + DEMO_ACCESS_LASTS,
                )
            )
        has_worksheet = db.session.scalar(
            select(SavedWorksheet.id).where(SavedWorksheet.patient_id == patient.id).limit(1)
        )
        if has_worksheet is None:
            worksheet = SavedWorksheet(patient_id=patient.id, code="worry-log", created_at=now)
            worksheet.answers = DEMO_WORRY_LOG
            db.session.add(worksheet)
        if db.session.get(SafetyPlan, patient.id) is None:
            db.session.add(SafetyPlan(patient_id=patient.id, created_at=now, **DEMO_SAFETY_PLAN))


# Two new self-referrals in the queue; the second looks like a duplicate of the first.
DEMO_REFERRALS = [
    ("TT-DEMQ7A", "Casey Jordan", "casey.jordan", "worry", "01", 3),
    ("TT-DEMQ7B", "Casey Jordan", "c.jordan", "low_mood", "02", 1),
]


def _seed_referrals() -> None:
    now = datetime.now(UTC)
    with db.transaction():
        for reference, name, local_part, issue, employment, days_ago in DEMO_REFERRALS:
            if db.session.scalar(select(Referral.id).where(Referral.reference == reference)):
                continue
            db.session.add(
                Referral(
                    reference=reference,
                    source_code="B1",
                    received_at=now - timedelta(days=days_ago),
                    completed_at=now - timedelta(days=days_ago),
                    status=ReferralStatus.RECEIVED,
                    full_name=name,
                    date_of_birth=date(1994, 7, 12),
                    email=demo_email(local_part),
                    mobile_e164="+447700900456",
                    postcode="LS6 2AB",
                    gp_practice="Hyde Park Surgery",
                    issue_type=issue,
                    gender="Z",
                    ethnicity="C",
                    sexual_orientation="Z",
                    disability="N",
                    religion="N",
                    long_term_condition="N",
                    living_status="04",
                    employment_status=employment,
                    heard_about="poster",
                    consent_given_at=now - timedelta(days=days_ago),
                    privacy_notice_version=PRIVACY_NOTICE_VERSION,
                    sms_reminders=True,
                    email_reminders=True,
                )
            )


# The first demo patient's answers before that session: at caseness on PHQ-9 and GAD-7.
DEMO_PRE_SESSION_ANSWERS: dict[str, dict[str, object]] = {
    "phq9": dict(zip([f"q{n}" for n in range(1, 10)], [2, 2, 1, 2, 1, 1, 1, 0, 0], strict=True)),
    "gad7": dict(zip([f"q{n}" for n in range(1, 8)], [2, 2, 1, 1, 1, 1, 1], strict=True)),
    "phobia": {"social": 2, "panic_agoraphobia": 3, "specific": 1},
    "employment": {
        "status": "01",
        "hours_worked": "01",
        "statutory_sick_pay": "N",
        "jobseekers_allowance": "N",
        "employment_and_support_allowance": "N",
        "universal_credit": "N",
        "personal_independence_payment": "N",
    },
    "wsas": {
        "work": 4,
        "home_management": 3,
        "social_leisure": 4,
        "private_leisure": 3,
        "relationships": 2,
    },
    "medication": {"prescribed": "N"},
}

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
    with db.transaction() as session:
        # Their latest attended booking (APPOINTMENTS: a week ago), given what a session leaves
        # behind; a second appointment at the same time would show twice and never be charged.
        appointment = session.scalar(
            select(Appointment)
            .where(
                Appointment.patient_id == patient.id,
                Appointment.therapist_id == therapist.id,
                Appointment.status == AppointmentStatus.CLOSED,
                Appointment.outcome == "attended",
            )
            .order_by(Appointment.starts_at.desc())
            .limit(1)
        )
        if appointment is None:
            return
        starts_at = appointment.starts_at
        for code in questionnaires.PRE_SESSION_SET:
            result = questionnaires.score(code, DEMO_PRE_SESSION_ANSWERS[code])
            session.add(
                QuestionnaireResponse(
                    patient_id=patient.id,
                    appointment_id=appointment.id,
                    instrument=code,
                    instrument_version=result.version,
                    answers=dict(result.answers),
                    started_at=starts_at - timedelta(hours=2, minutes=10),
                    completed_at=starts_at - timedelta(hours=2),
                    total=result.total,
                    severity=result.severity,
                    caseness=result.caseness,
                    risk_flags=list(result.risk_flags),
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
                step_of_care="2",
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
    lines.append(
        "Patients (no second step); the first three are in the community as quiet-owl, "
        "river-stone and blue-kite, with a held risk alert waiting for the moderator, and are "
        "members of Priya Nair's weekly stress drop-in, meeting now (patient4 is waiting):"
    )
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
