"""The community's part of the demo world (`flask seed-demo` calls `seed_community`): spaces and
threads under handles, a held clinical-risk post with an open alert, a flagged post, a post
escalated to the clinical lead and waiting for follow-up, and a rota with a moderator and an
on-call clinical lead covering now. Idempotent: what exists is kept.

Rows are written directly (not through the posting service) so that seeding neither texts the
on-call number nor schedules escalation jobs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from webapp import audit
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    ItemKind,
    ModerationItem,
    PatientProfile,
    Post,
    PostStatus,
    Reaction,
    Shift,
    ShiftKind,
    Space,
    StaffContact,
    Thread,
    User,
)
from webapp.moderation_console.queries import POST

SPACES = [
    ("Anxiety and worry", "Worry, panic and the things that help."),
    ("Low mood", "When things feel heavy. Share what gets you through."),
    ("Sleep", "Tips and company for the small hours."),
    ("Small wins", "Tell us about something that went well, however small."),
]
HANDLES = {"patient": "quiet-owl", "patient2": "river-stone", "patient3": "blue-kite"}
ON_CALL_DEMO_MOBILE = "+447700900000"  # an Ofcom drama number: never a real phone


def _member(user: User, handle: str, now: datetime) -> CommunityMember:
    if user.patient_profile is None:
        user.patient_profile = PatientProfile(
            date_of_birth=date(1990, 5, 17),
            postcode="LS1 4AP",
            access_starts_at=now - timedelta(days=20),
            access_ends_at=now + timedelta(days=160),
        )
    member = db.session.get(CommunityMember, user.id)
    if member is None:
        member = CommunityMember(
            user_id=user.id, handle=handle, joined_at=now, house_rules_accepted_at=now
        )
        db.session.add(member)
    return member


def _thread(
    space: Space,
    author: CommunityMember,
    title: str,
    body: str,
    now: datetime,
    status: PostStatus = PostStatus.VISIBLE,
    *,
    risk: bool = False,
) -> Post:
    thread = Thread(space_id=space.id, author_id=author.user_id, title=title, created_at=now)
    db.session.add(thread)
    post = Post(
        thread=thread,
        author_id=author.user_id,
        body=body,
        is_opening=True,
        status=status,
        is_clinical_risk=risk,
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    return post


def _reply(opening: Post, author: CommunityMember, body: str, now: datetime) -> Post:
    post = Post(
        thread_id=opening.thread_id,
        author_id=author.user_id,
        body=body,
        status=PostStatus.VISIBLE,
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    return post


def _rota(users: dict[str, User], now: datetime) -> None:
    covered = db.session.scalar(
        select(Shift.id).where(
            Shift.starts_at <= now, Shift.ends_at > now, Shift.kind == ShiftKind.MODERATOR
        )
    )
    if covered is None:
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        db.session.add_all(
            [
                Shift(
                    user_id=users["moderator"].id,
                    kind=ShiftKind.MODERATOR,
                    starts_at=start,
                    ends_at=start + timedelta(hours=10),
                ),
                Shift(
                    user_id=users["moderator.nights"].id,
                    kind=ShiftKind.MODERATOR,
                    starts_at=start + timedelta(hours=10),
                    ends_at=start + timedelta(hours=22),
                ),
                Shift(
                    user_id=users["clinical.lead"].id,
                    kind=ShiftKind.CLINICAL_ON_CALL,
                    starts_at=start,
                    ends_at=start + timedelta(hours=24),
                ),
            ]
        )
    lead = users["clinical.lead"]
    if db.session.get(StaffContact, lead.id) is None:
        db.session.add(StaffContact(user_id=lead.id, mobile_e164=ON_CALL_DEMO_MOBILE))


def seed_community(users: dict[str, User]) -> None:
    """`users` by demo local part ("patient", "moderator", "clinical.lead", ...)."""
    now = datetime.now(UTC)
    with db.transaction():
        _rota(users, now)
        members = {local: _member(users[local], handle, now) for local, handle in HANDLES.items()}
        if db.session.scalar(select(Space.id)) is not None:
            return
        spaces = [
            Space(title=title, description=text, position=position)
            for position, (title, text) in enumerate(SPACES)
        ]
        db.session.add_all(spaces)
        db.session.flush()
        owl, stone, kite = members["patient"], members["patient2"], members["patient3"]
        earlier = now - timedelta(hours=5)
        first = _thread(
            spaces[0],
            owl,
            "Tips for the morning dread?",
            "Mornings are the worst for me. What helps you get going?",
            earlier,
        )
        helpful = _reply(
            first,
            stone,
            "I keep my phone in another room and make tea first. Small, but it helps.",
            earlier + timedelta(minutes=20),
        )
        _reply(
            first,
            kite,
            "Breathing exercises from the self-help section, see "
            "https://www.nhs.uk/every-mind-matters/",
            earlier + timedelta(minutes=45),
        )
        db.session.add(Reaction(post_id=helpful.id, member_id=owl.user_id, created_at=now))
        win = _thread(
            spaces[3],
            kite,
            "Went to the shop on my own",
            "First time in weeks. Felt shaky but I did it.",
            earlier,
        )
        db.session.add(Reaction(post_id=win.id, member_id=stone.user_id, created_at=now))
        flagged = _reply(
            win,
            stone,
            "Well done! Has anyone tried bitcoin to take their mind off things?",
            now - timedelta(minutes=30),
        )
        db.session.add(
            ModerationItem(
                post_id=flagged.id,
                kind=ItemKind.FLAG,
                rule_ids=["house.spam.bitcoin"],
                created_at=now - timedelta(minutes=30),
            )
        )
        risk = _thread(
            spaces[1],
            stone,
            "Can't do this anymore",
            "Honestly I want to end my life, nothing is getting better.",
            now - timedelta(minutes=4),
            PostStatus.HELD,
            risk=True,
        )
        db.session.add(
            ModerationItem(
                post_id=risk.id,
                kind=ItemKind.ALERT,
                is_clinical_risk=True,
                rule_ids=["risk.suicide.end-my-life"],
                created_at=now - timedelta(minutes=4),
                next_escalation_at=now + timedelta(minutes=6),
            )
        )
        _escalation_to_follow_up(spaces[2], kite, users["moderator"], now)


def _escalation_to_follow_up(
    space: Space, author: CommunityMember, moderator: User, now: datetime
) -> None:
    """Yesterday's post a moderator escalated to the clinical lead, waiting for follow-up."""
    yesterday = now - timedelta(days=1)
    post = _thread(
        space,
        author,
        "Awake again",
        "Another night awake. Sometimes I think everyone would be better off without me.",
        yesterday,
        risk=True,
    )
    reason = "Hopeless and may be thinking of suicide; no watchword matched."
    db.session.add(
        ModerationItem(
            post_id=post.id,
            kind=ItemKind.REPORT,  # as a moderator's own item on a post none had queued
            is_clinical_risk=True,
            rule_ids=[],
            reason=f"Escalated by a moderator: {reason}",
            created_at=yesterday + timedelta(minutes=10),
            escalated_to_clinical_at=yesterday + timedelta(minutes=10),
        )
    )
    audit.record(
        "moderation.escalated",
        actor=moderator,
        subject_type=POST,
        subject_id=post.id,
        detail={"reason": reason},
    )
