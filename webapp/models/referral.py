"""Referrals: every answer a self-referral or a practitioner's referral gives, the national
source-of-referral code, when it was received (the waiting-time clock starts then) and what staff
decided. Also the drafts of a journey in progress and the count of eligibility refusals.

Demographics are stored as codes (webapp/referral/codes.py) and shown as labels.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, EncryptedText, UTCDateTime, enum_values, utcnow
from webapp.models.people import User


class ReferralStatus(enum.StrEnum):
    # A practitioner referred the patient; the patient has not yet finished the questions.
    AWAITING_PATIENT = "awaiting_patient"
    RECEIVED = "received"  # in the staff queue
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SIGNPOSTED = "signposted"
    # The same person as an existing patient who is in care now: closed, linked to their record.
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return {
            "awaiting_patient": "Waiting for the patient",
            "received": "New",
            "accepted": "Accepted",
            "declined": "Declined",
            "signposted": "Signposted",
            "duplicate": "Duplicate",
        }[self.value]

    @property
    def is_decided(self) -> bool:
        return self in (
            ReferralStatus.ACCEPTED,
            ReferralStatus.DECLINED,
            ReferralStatus.SIGNPOSTED,
            ReferralStatus.DUPLICATE,
        )


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_status_received", "status", "received_at"),
        Index("ix_referrals_dob_postcode", "date_of_birth", "postcode"),
        Index("ix_referrals_email", "email"),
        Index("ix_referrals_received", "received_at"),  # referrals received in a month
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(9), unique=True)  # "TT-7K3M9Q"
    source_code: Mapped[str] = mapped_column(String(2))  # national source of referral
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the waiting-time clock start
    status: Mapped[ReferralStatus] = mapped_column(
        Enum(
            ReferralStatus,
            name="referral_status",
            values_callable=enum_values,
            native_enum=False,
            length=20,
        ),
        default=ReferralStatus.RECEIVED,
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # every answer given
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    # About the person.
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    email: Mapped[str] = mapped_column(String(254))  # stored lower case, so matches ignore case
    mobile_e164: Mapped[str | None] = mapped_column(String(16))
    postcode: Mapped[str] = mapped_column(String(10))  # normalised, "LS1 4AP"
    gp_practice: Mapped[str] = mapped_column(String(200), default="")

    # What they want help with.
    issue_type: Mapped[str | None] = mapped_column(String(30))
    issue_details: Mapped[str] = mapped_column(Text, default="")

    # Demographics (codes; each list has a "prefer not to say" code).
    gender: Mapped[str | None] = mapped_column(String(2))
    ethnicity: Mapped[str | None] = mapped_column(String(2))
    sexual_orientation: Mapped[str | None] = mapped_column(String(2))
    disability: Mapped[str | None] = mapped_column(String(2))
    religion: Mapped[str | None] = mapped_column(String(2))
    long_term_condition: Mapped[str | None] = mapped_column(String(2))
    living_status: Mapped[str | None] = mapped_column(String(2))
    employment_status: Mapped[str | None] = mapped_column(String(2))

    # Help sought elsewhere, and how they heard of the site.
    sought_help_gp: Mapped[bool] = mapped_column(Boolean, default=False)
    sought_help_therapist: Mapped[bool] = mapped_column(Boolean, default=False)
    sought_help_medication: Mapped[bool] = mapped_column(Boolean, default=False)
    heard_about: Mapped[str | None] = mapped_column(String(20))
    heard_about_other: Mapped[str] = mapped_column(String(200), default="")

    # Consent to the service's use of their data, under a stated privacy notice version.
    consent_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))

    # Communication preferences.
    sms_reminders: Mapped[bool] = mapped_column(Boolean, default=False)
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=False)
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(60), default="English")
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, default=False)

    # A practitioner's referral: who referred, and the patient's consent to be referred.
    referrer_name: Mapped[str | None] = mapped_column(String(200))
    referrer_role: Mapped[str | None] = mapped_column(String(100))
    referrer_organisation: Mapped[str | None] = mapped_column(String(200))
    referrer_email: Mapped[str | None] = mapped_column(String(254))
    patient_consented_to_referral: Mapped[bool | None] = mapped_column(Boolean)

    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    patient: Mapped[User | None] = relationship(foreign_keys=[patient_id])

    @property
    def is_practitioner_referral(self) -> bool:
        return self.referrer_name is not None


class ReferralDraft(Base):
    """A self-referral in progress: the answers so far, encrypted, for a few hours at most.

    The browser holds only a random key (in its session); the row is deleted when the referral
    is sent, when the eligibility check refuses, or when it expires."""

    __tablename__ = "referral_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[str] = mapped_column(EncryptedText())  # JSON
    # Set when the draft finishes a practitioner's referral rather than starting a new one.
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RefusalCount(Base):
    """How many eligibility checks refused, by day, reason and route: no personal data."""

    __tablename__ = "referral_refusal_counts"
    __table_args__ = (UniqueConstraint("day", "reason", "source_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(20))
    source_code: Mapped[str] = mapped_column(String(2))
    count: Mapped[int] = mapped_column(Integer, default=0)
