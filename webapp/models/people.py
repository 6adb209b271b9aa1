"""People: accounts, roles, two-factor secrets, single-use tokens, therapists' profiles."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, EncryptedText, UTCDateTime, enum_values, utcnow


class Role(enum.StrEnum):
    PATIENT = "patient"
    THERAPIST = "therapist"
    MODERATOR = "moderator"
    CLINICAL_LEAD = "clinical_lead"
    COMMISSIONER = "commissioner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_staff(self) -> bool:
        return self is not Role.PATIENT


STAFF_ROLES = frozenset(role for role in Role if role.is_staff)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(Base):
    """Anyone who signs in. The login cookie carries `session_token`, never the id, so that
    rotating the token (sign out, password change) ends every other session at once."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="role", values_callable=enum_values, validate_strings=True)
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText())
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last accepted 30-second step, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # The patient's NHS login identity (the OpenID Connect `sub`), once they have used it.
    nhs_login_sub: Mapped[str | None] = mapped_column(String(255), unique=True)

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    therapist_profile: Mapped[TherapistProfile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    patient_profile: Mapped[PatientProfile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login's interface, spelled out rather than inherited from UserMixin.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class RecoveryCode(Base):
    """A single-use two-factor recovery code, stored only as a hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class TokenPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a token kind, not a password
    INVITATION = "invitation"


class UserToken(Base):
    """A single-use emailed link (password reset, invitation). Only its SHA-256 is stored."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(TokenPurpose, name="token_purpose", values_callable=enum_values)
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class TherapistProfile(Base):
    """What patients see when they choose a therapist."""

    __tablename__ = "therapist_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    display_name: Mapped[str] = mapped_column(String(120))
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    gender: Mapped[str] = mapped_column(String(40), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    approaches: Mapped[list[str]] = mapped_column(JSON, default=list)
    step_of_care: Mapped[str] = mapped_column(String(20), default="step3")
    biography: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(back_populates="therapist_profile")


class PatientProfile(Base):
    """A patient's contact details, preferences and access period (from their accepted referral).

    Access to self-help and the community runs from `access_starts_at` to `access_ends_at`."""

    __tablename__ = "patient_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    date_of_birth: Mapped[date] = mapped_column(Date)
    postcode: Mapped[str] = mapped_column(String(10))
    gp_practice: Mapped[str] = mapped_column(String(200), default="")
    mobile_e164: Mapped[str | None] = mapped_column(String(16))  # e.g. +447700900123
    sms_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(60), default="English")
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, default=False)
    # Reminders are sent in the patient's own time zone (IANA name).
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/London")
    access_starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    access_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="patient_profile")

    def has_access(self, now: datetime) -> bool:
        return self.access_starts_at <= now < self.access_ends_at
