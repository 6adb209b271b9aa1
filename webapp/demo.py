"""The demo world for a newcomer to click through every role (`flask seed-demo`).

Never run in production. Every demo account shares one password, and staff accounts have
two-factor already set up with a secret printed here; `flask totp-code EMAIL` shows the code.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

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
    from webapp.community.demo import seed_community

    locals_ = [local for local, _name, _role in STAFF] + [local for local, _name in PATIENTS]
    seed_community({local: _make_or_get(local) for local in locals_})
    return before is None


def _make_or_get(local_part: str) -> User:
    user = db.session.scalar(select(User).where(User.email == demo_email(local_part)))
    assert user is not None  # made just above
    return user


def current_totp_code(email: str) -> str:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.totp_secret is None:
        return f"{email} has no two-factor secret."
    return pyotp.TOTP(user.totp_secret).now()


def describe() -> str:
    lines = [f"Every demo account's password: {DEMO_PASSWORD}", ""]
    lines.append(
        "Patients (no second step); the first three are in the community as quiet-owl, "
        "river-stone and blue-kite, with a held risk alert waiting for the moderator:"
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
