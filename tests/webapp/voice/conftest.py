"""Voice fixtures: consultations written directly (open, closed or to come) and the community's
signed-in clients and members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests import factories
from tests.webapp.community.conftest import make_member, make_patient, signed_in
from webapp.extensions import db
from webapp.models import (
    Consultation,
    ConsultationKind,
    ConsultationOption,
    ConsultationQuestion,
    Role,
    User,
)

RISK = "I want to kill myself tonight"


def make_staff(role: Role = Role.MODERATOR) -> User:
    return factories.make_user(role)


def make_consultation(
    *,
    kind: ConsultationKind = ConsultationKind.POLL,
    options: tuple[str, ...] = ("Mornings", "Evenings", "Weekends"),
    questions: tuple[str, ...] = ("What would make the community better?", "Anything else?"),
    multiple: int | None = None,
    state: str = "open",
    **overrides: Any,
) -> Consultation:
    now = datetime.now(UTC)
    opens, closes = {
        "open": (now - timedelta(days=1), now + timedelta(days=6)),
        "closed": (now - timedelta(days=10), now - timedelta(days=3)),
        "upcoming": (now + timedelta(days=1), now + timedelta(days=8)),
    }[state]
    author = overrides.pop("author", None) or factories.make_user(Role.MODERATOR)
    consultation = Consultation(
        kind=kind,
        title=overrides.pop("title", "When should live chats run?"),
        description="Help us plan.",
        is_multiple_choice=multiple is not None,
        max_choices=multiple or 1,
        opens_at=opens,
        closes_at=closes,
        created_by_id=author.id,
        **overrides,
    )
    if kind is ConsultationKind.POLL:
        consultation.options = [
            ConsultationOption(position=n, label=label) for n, label in enumerate(options)
        ]
    else:
        consultation.questions = [
            ConsultationQuestion(position=n, prompt=prompt) for n, prompt in enumerate(questions)
        ]
    db.session.add(consultation)
    db.session.commit()
    return consultation


__all__ = ["RISK", "make_consultation", "make_member", "make_patient", "make_staff", "signed_in"]
