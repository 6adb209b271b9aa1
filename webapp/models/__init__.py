"""SQLAlchemy models, one module per domain. Importing this package registers them all."""

from webapp.models.audit import AuditEvent
from webapp.models.base import Base, utcnow
from webapp.models.booking import (
    Appointment,
    AppointmentStatus,
    NotificationAttempt,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
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
from webapp.models.therapists import (
    AvailabilityException,
    Credential,
    CredentialKind,
    ExceptionKind,
    TherapistPhoto,
    WeeklyHours,
)

__all__ = [
    "STAFF_ROLES",
    "Appointment",
    "AppointmentStatus",
    "AuditEvent",
    "AvailabilityException",
    "Base",
    "Credential",
    "CredentialKind",
    "ExceptionKind",
    "NotificationAttempt",
    "NotificationChannel",
    "NotificationKind",
    "NotificationStatus",
    "PatientProfile",
    "RecoveryCode",
    "Role",
    "TherapistPhoto",
    "TherapistProfile",
    "TokenPurpose",
    "User",
    "UserToken",
    "WeeklyHours",
    "utcnow",
]
