"""The clinical lead's writes: recording a therapist's credential (one per kind, replaced when
renewed). One write = one function = one transaction, with its audit row."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from webapp import audit
from webapp.extensions import db
from webapp.models import Credential, CredentialKind, User


def record_credential(
    lead: User,
    therapist: User,
    kind: CredentialKind,
    *,
    body: str,
    reference: str,
    expires_on: date,
    now: datetime,
) -> Credential:
    with db.transaction() as session:
        credential = session.scalar(
            select(Credential).where(
                Credential.therapist_id == therapist.id, Credential.kind == kind
            )
        )
        if credential is None:
            credential = Credential(therapist_id=therapist.id, kind=kind)
            session.add(credential)
        credential.body, credential.reference = body, reference
        credential.expires_on, credential.recorded_at = expires_on, now
        credential.recorded_by_id = lead.id
        session.flush()
        audit.record(
            "credential.recorded",
            actor=lead,
            subject_type="therapist",
            subject_id=therapist.id,
            detail={"kind": kind.value, "expires_on": expires_on.isoformat()},
        )
    return credential
