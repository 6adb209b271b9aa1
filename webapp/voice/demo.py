"""The community's voice in the demo world (`flask seed-demo` calls `seed_voice` after the
community): a closed poll with enough responses that its results show unsuppressed figures, an
open multiple-choice poll and an open survey the demo patient can still answer, and suggestions
with staff's replies (done, planned, not doing and why, under review) and one waiting.

The respondents are demo members who cannot sign in (no password, no patient profile): they exist
only so that the results are large enough to show. Their accounts are made as every account is
(`auth.services.create_user`, audited). Rows are written directly, not through the services, so that
seeding raises no queue items. Idempotent: nothing is added once a demo consultation exists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

from sqlalchemy import select

from webapp.auth.services import create_user
from webapp.demo import demo_email
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    Consultation,
    ConsultationChoice,
    ConsultationKind,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationResponse,
    Post,
    PostStatus,
    Role,
    Space,
    Suggestion,
    SuggestionStatus,
    Thread,
    User,
)
from webapp.voice.services import VOICE_SPACE_TITLE

CLOSED_POLL = "When should live group chats run?"
# How many demo members chose each option of the closed poll: 14, 9, 6 and 3 of 32 are shown
# to members as 15, 10, 5 and * (43.8%, 28.1%, 18.8% and *).
CLOSED_VOTES = [
    ("Weekday evenings (6pm to 8pm)", 14),
    ("Weekday lunchtimes", 9),
    ("Weekend mornings", 6),
    ("Late at night", 3),
]
ADJECTIVES = ["amber", "brave", "calm", "gentle", "kindly", "bright"]
NOUNS = ["robin", "fern", "brook", "maple", "heron", "lark"]

SUGGESTIONS = [
    (
        "river-stone",
        "A space for carers",
        "Some of us look after someone as well. A space to talk about that would help.",
        SuggestionStatus.DONE,
        "You said you wanted a space for carers: we opened one in November.",
    ),
    (
        "blue-kite",
        "Reminders for the live chats",
        "I keep missing the group chats. Could we get a text the hour before?",
        SuggestionStatus.PLANNED,
        "We are adding opt-in text reminders in the new year, using the booking reminders.",
    ),
    (
        "quiet-owl",
        "Let us post photos",
        "It would be nice to share photos of walks and pets.",
        SuggestionStatus.NOT_DOING,
        "Not for now: photos can show faces, places and other details that make people easy to "
        "identify, and we cannot check every one before it appears. Describing them still works!",
    ),
    (
        "river-stone",
        "A dark mode",
        "The white screen is bright late at night. A dark mode would be kinder on the eyes.",
        SuggestionStatus.UNDER_REVIEW,
        "We are checking a dark mode with the NHS.UK design system's colours for contrast.",
    ),
    (
        "blue-kite",
        "Longer posts",
        "Sometimes I need more room to explain how I feel.",
        SuggestionStatus.NEW,
        None,
    ),
]


def _respondent_accounts(count: int) -> list[User]:
    """Accounts for demo members who cannot sign in, each made in its own transaction."""
    users = []
    for n in range(count):
        email = demo_email(f"voice.member{n + 1:02d}")
        user = db.session.scalar(select(User).where(User.email == email))
        users.append(user or create_user(email, f"Demo Member {n + 1:02d}", Role.PATIENT))
    return users


def _respondents(users: list[User], now: datetime) -> list[CommunityMember]:
    members = []
    for user, (adjective, noun) in zip(users, product(ADJECTIVES, NOUNS), strict=False):
        member = db.session.get(CommunityMember, user.id)
        if member is None:
            member = CommunityMember(
                user_id=user.id,
                handle=f"{adjective}-{noun}",
                joined_at=now - timedelta(days=30),
                house_rules_accepted_at=now - timedelta(days=30),
            )
            db.session.add(member)
        members.append(member)
    db.session.flush()
    return members


def _closed_poll(author: User, members: list[CommunityMember], now: datetime) -> None:
    poll = Consultation(
        kind=ConsultationKind.POLL,
        title=CLOSED_POLL,
        description="We want to run two live group chats a week, led by a moderator.",
        opens_at=now - timedelta(days=19),
        closes_at=now - timedelta(days=5),
        created_by_id=author.id,
        created_at=now - timedelta(days=19),
        options=[
            ConsultationOption(position=n, label=label) for n, (label, _) in enumerate(CLOSED_VOTES)
        ],
    )
    db.session.add(poll)
    db.session.flush()
    voters = iter(members)
    for option, (_, votes) in zip(poll.options, CLOSED_VOTES, strict=True):
        for _ in range(votes):
            response = ConsultationResponse(
                consultation_id=poll.id,
                member_id=next(voters).user_id,
                created_at=now - timedelta(days=10),
            )
            db.session.add(response)
            db.session.flush()
            db.session.add(ConsultationChoice(response_id=response.id, option_id=option.id))


def _open_ones(author: User, members: list[CommunityMember], now: datetime) -> None:
    topics = Consultation(
        kind=ConsultationKind.POLL,
        title="What should the next self-help module cover?",
        description="Choose up to two.",
        is_multiple_choice=True,
        max_choices=2,
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=12),
        created_by_id=author.id,
        created_at=now - timedelta(days=2),
        options=[
            ConsultationOption(position=n, label=label)
            for n, label in enumerate(["Loneliness", "Anger", "Money worries", "Grief"])
        ],
    )
    survey = Consultation(
        kind=ConsultationKind.SURVEY,
        title="What would make the community feel safer?",
        description="Your answers are read by moderators only.",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=13),
        created_by_id=author.id,
        created_at=now - timedelta(days=1),
        questions=[
            ConsultationQuestion(position=0, prompt="What makes you feel safe posting here?"),
            ConsultationQuestion(position=1, prompt="What could we change?"),
        ],
    )
    db.session.add_all([topics, survey])
    db.session.flush()
    for n, member in enumerate(members[:7]):
        response = ConsultationResponse(
            consultation_id=topics.id, member_id=member.user_id, created_at=now - timedelta(hours=n)
        )
        db.session.add(response)
        db.session.flush()
        for option in (topics.options[n % 4], topics.options[(n + 1) % 4]):
            db.session.add(ConsultationChoice(response_id=response.id, option_id=option.id))


def _voice_space() -> Space:
    space = db.session.scalar(select(Space).where(Space.title == VOICE_SPACE_TITLE))
    if space is None:
        space = Space(title=VOICE_SPACE_TITLE, position=10_000, is_listed=False)
        db.session.add(space)
        db.session.flush()
    return space


def _suggestions(staff: User, now: datetime) -> None:
    space = _voice_space()
    by_handle = {member.handle: member for member in db.session.scalars(select(CommunityMember))}
    for n, (handle, title, body, status, reply) in enumerate(SUGGESTIONS):
        author = by_handle[handle]
        when = now - timedelta(days=25 - 5 * n)
        thread = Thread(space_id=space.id, author_id=author.user_id, title=title, created_at=when)
        post = Post(
            thread=thread,
            author_id=author.user_id,
            body=body,
            is_opening=True,
            status=PostStatus.VISIBLE,
            created_at=when,
        )
        db.session.add(post)
        db.session.flush()
        db.session.add(
            Suggestion(
                author_id=author.user_id,
                post_id=post.id,
                status=status,
                reply=reply,
                replied_at=when + timedelta(days=2) if reply else None,
                replied_by_id=staff.id if reply else None,
                created_at=when,
            )
        )


def seed_voice(users: dict[str, User]) -> None:
    """`users` by demo local part; needs the community's demo members (seed_community)."""
    now = datetime.now(UTC)
    if db.session.scalar(select(Consultation.id).where(Consultation.title == CLOSED_POLL)):
        return
    accounts = _respondent_accounts(sum(votes for _, votes in CLOSED_VOTES))
    with db.transaction():
        members = _respondents(accounts, now)
        moderator = users["moderator"]
        _closed_poll(moderator, members, now)
        _open_ones(moderator, members, now)
        _suggestions(moderator, now)
