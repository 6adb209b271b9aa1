"""The demo world's supervision history: a few past meetings for two therapists, each discussing
that therapist's own demo episodes, so the supervision pages show how often each was supervised.
Idempotent: a therapist who already has a meeting gets no more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CareEpisode, SupervisionCase, SupervisionMeeting, User

# therapist, days ago, actions agreed
HISTORY = [
    (
        "priya.nair",
        84,
        "Review the formulation with the patient; bring the PHQ-9 trend to the next meeting.",
    ),
    ("priya.nair", 42, "Agree a relapse-prevention plan before the last sessions."),
    ("priya.nair", 10, "Continue; check the session rating with the patient next week."),
    ("hannah.reid", 70, "Plan the ending: three sessions left, then discharge with a blueprint."),
    ("hannah.reid", 28, "Reflect on the finished course; share the outcome with the team."),
]


def seed_supervision(user: Callable[[str], User]) -> None:
    lead = user("clinical.lead")
    today = datetime.now(UTC).date()
    with db.transaction() as session:
        for local_part in sorted({therapist for therapist, _days, _actions in HISTORY}):
            therapist = user(local_part)
            already = session.scalar(
                select(SupervisionMeeting.id).where(SupervisionMeeting.therapist_id == therapist.id)
            )
            if already is not None:
                continue
            episodes = list(
                session.scalars(
                    select(CareEpisode.id).where(CareEpisode.therapist_id == therapist.id)
                )
            )
            for name, days, actions in HISTORY:
                if name != local_part:
                    continue
                session.add(
                    SupervisionMeeting(
                        therapist_id=therapist.id,
                        supervisor_id=lead.id,
                        met_on=today - timedelta(days=days),
                        agreed_actions=actions,
                        recorded_by_id=lead.id,
                        cases=[SupervisionCase(episode_id=episode) for episode in episodes],
                    )
                )
