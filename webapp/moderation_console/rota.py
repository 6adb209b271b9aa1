"""Writes for the rota: moderator and on-call shifts, and the staff mobile numbers escalation texts.

One write = one function = one transaction; every change is audited.
"""

from __future__ import annotations

from datetime import datetime

from webapp import audit
from webapp.extensions import db
from webapp.models import Shift, ShiftKind, StaffContact, User
from webapp.moderation_console import queries
from webapp.moderation_console.services import ModerationRefused


def add_shift(
    actor: User,
    user_id: int,
    kind: ShiftKind,
    starts_at: datetime,
    ends_at: datetime,
    *,
    now: datetime,
) -> Shift:
    if ends_at <= starts_at:
        raise ModerationRefused("The shift must end after it starts")
    person = queries.rota_person(actor.id, user_id, kind)
    if person is None:
        raise ModerationRefused(
            "Choose a moderator for a moderator shift, or a clinical lead for on-call"
        )
    with db.transaction():
        shift = Shift(user_id=person.id, kind=kind, starts_at=starts_at, ends_at=ends_at)
        db.session.add(shift)
        audit.record(
            "moderation.shift_added",
            actor=actor,
            subject_type="user",
            subject_id=person.id,
            detail={
                "kind": kind.value,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            },
        )
    return shift


def set_mobile(actor: User, mobile_e164: str) -> None:
    with db.transaction():
        contact = db.session.get(StaffContact, actor.id)
        if contact is None:
            db.session.add(StaffContact(user_id=actor.id, mobile_e164=mobile_e164))
        else:
            contact.mobile_e164 = mobile_e164
        audit.record("moderation.mobile_set", actor=actor, subject_type="user", subject_id=actor.id)
