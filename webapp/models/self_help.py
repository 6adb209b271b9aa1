"""Self-help a patient writes for themselves: saved worksheets and their personal safety plan.

What a patient writes here is about their mental health, so every word of it is encrypted at
rest (EncryptedText); only its owner ever reads it (see webapp/library and webapp/safety_plan).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, EncryptedText, UTCDateTime, utcnow


class SavedWorksheet(Base):
    """One filled-in worksheet (`content.worksheets`); a patient may keep several of each kind."""

    __tablename__ = "saved_worksheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    # The answers as JSON, encrypted as one value: the field keys are no secret, but storing
    # them inside the ciphertext keeps the shape of someone's notes private too.
    answers_encrypted: Mapped[str] = mapped_column("answers", EncryptedText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def answers(self) -> dict[str, str]:
        loaded: dict[str, str] = json.loads(self.answers_encrypted)
        return loaded

    @answers.setter
    def answers(self, value: dict[str, str]) -> None:
        self.answers_encrypted = json.dumps(value, ensure_ascii=False, sort_keys=True)


class SafetyPlan(Base):
    """A patient's own safety plan: one per patient, readable by them at any time, for ever.

    The sections follow `content.safety_plan.SECTIONS` (a test checks the two agree)."""

    __tablename__ = "safety_plans"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    warning_signs: Mapped[str] = mapped_column(EncryptedText(), default="")
    coping_steps: Mapped[str] = mapped_column(EncryptedText(), default="")
    people_and_places: Mapped[str] = mapped_column(EncryptedText(), default="")
    professional_contacts: Mapped[str] = mapped_column(EncryptedText(), default="")
    safe_environment: Mapped[str] = mapped_column(EncryptedText(), default="")
    reasons_for_living: Mapped[str] = mapped_column(EncryptedText(), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
