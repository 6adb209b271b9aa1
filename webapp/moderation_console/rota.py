"""Writes for the rota: moderator and on-call shifts, and the staff mobile numbers escalation texts.

One write = one function = one transaction; every change is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

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
    if ends_at <= now:
        raise ModerationRefused("That shift is already over: enter a shift now or to come")
    longest = LONGEST_SHIFT[kind]
    if ends_at - starts_at > longest:
        raise ModerationRefused(
            f"A {KIND_NAMES[kind]} shift can last at most {_length(longest)}: add longer cover "
            "as several shifts"
        )
    person = queries.rota_person(actor.id, user_id, kind)
    if person is None:
        raise ModerationRefused(
            "Choose a moderator for a moderator shift, or a clinical lead for on-call"
        )
    with db.transaction():
        clash = db.session.scalar(
            select(Shift).where(
                Shift.user_id == person.id,
                Shift.kind == kind,
                Shift.starts_at < ends_at,
                Shift.ends_at > starts_at,
            )
        )
        if clash is not None:
            raise ModerationRefused(
                f"{person.full_name} already has a {KIND_NAMES[kind]} shift then: change or "
                "remove that one instead"
            )
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


LONGEST_SHIFT = {
    ShiftKind.MODERATOR: timedelta(hours=24),
    ShiftKind.CLINICAL_ON_CALL: timedelta(days=7),
}
"""A mistaken shift of months would delay every alert: with a moderator on shift, an alert
waits for their acknowledgement before the on-call clinical lead is texted."""
KIND_NAMES = {ShiftKind.MODERATOR: "moderator", ShiftKind.CLINICAL_ON_CALL: "clinical on-call"}


def _length(span: timedelta) -> str:
    return f"{span.days} days" if span.days > 1 else f"{int(span.total_seconds() // 3600)} hours"


def remove_shift(actor: User, shift_id: int, *, now: datetime) -> str:
    """A shift still to come goes; one under way ends now (it cannot be undone, only ended).
    Returns what was done, for the page."""
    with db.transaction():
        shift = db.session.get(Shift, shift_id)
        if shift is None or shift.ends_at <= now:
            raise ModerationRefused("That shift is over or no longer on the rota")
        detail = {
            "kind": shift.kind.value,
            "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat(),
        }
        if shift.starts_at > now:
            db.session.delete(shift)
            done = "Shift removed from the rota."
        else:
            shift.ends_at = now
            done = "The shift has ended now."
        audit.record(
            "moderation.shift_removed",
            actor=actor,
            subject_type="user",
            subject_id=shift.user_id,
            detail=detail,
        )
    return done


def set_mobile(actor: User, mobile_e164: str) -> None:
    with db.transaction():
        contact = db.session.get(StaffContact, actor.id)
        if contact is None:
            db.session.add(StaffContact(user_id=actor.id, mobile_e164=mobile_e164))
        else:
            contact.mobile_e164 = mobile_e164
        audit.record("moderation.mobile_set", actor=actor, subject_type="user", subject_id=actor.id)
