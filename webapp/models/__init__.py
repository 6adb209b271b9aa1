"""SQLAlchemy models, one module per domain. Importing this package registers them all."""

from webapp.models.audit import AuditEvent
from webapp.models.base import Base, utcnow
from webapp.models.booking import Appointment, AppointmentStatus
from webapp.models.people import (
    STAFF_ROLES,
    PatientProfile,
    RecoveryCode,
    Role,
    TherapistProfile,
    TokenPurpose,
    User,
    UserToken,
)
from webapp.models.referral import Referral, ReferralDraft, ReferralStatus, RefusalCount

__all__ = [
    "STAFF_ROLES",
    "Appointment",
    "AppointmentStatus",
    "AuditEvent",
    "Base",
    "PatientProfile",
    "RecoveryCode",
    "Referral",
    "ReferralDraft",
    "ReferralStatus",
    "RefusalCount",
    "Role",
    "TherapistProfile",
    "TokenPurpose",
    "User",
    "UserToken",
    "utcnow",
]
