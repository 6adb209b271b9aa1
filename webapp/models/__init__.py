"""SQLAlchemy models, one module per domain. Importing this package registers them all."""

from webapp.models.activity import ActivityEvent
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
from webapp.models.charging import (
    AllowanceMovement,
    FailureAffected,
    FailureFault,
    FailureReport,
    FailureStatus,
    MovementKind,
    TechnicalFailure,
)
from webapp.models.measures import ExperienceResponse, QuestionnaireResponse, RiskFlag
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
from webapp.models.self_help import SafetyPlan, SavedWorksheet
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
    "ActivityEvent",
    "AllowanceMovement",
    "Appointment",
    "AppointmentStatus",
    "AuditEvent",
    "AvailabilityException",
    "Base",
    "Credential",
    "CredentialKind",
    "ExceptionKind",
    "ExperienceResponse",
    "FailureAffected",
    "FailureFault",
    "FailureReport",
    "FailureStatus",
    "MovementKind",
    "NotificationAttempt",
    "NotificationChannel",
    "NotificationKind",
    "NotificationStatus",
    "PatientProfile",
    "QuestionnaireResponse",
    "RecoveryCode",
    "Referral",
    "ReferralDraft",
    "ReferralStatus",
    "RefusalCount",
    "RiskFlag",
    "Role",
    "SafetyPlan",
    "SavedWorksheet",
    "TechnicalFailure",
    "TherapistPhoto",
    "TherapistProfile",
    "TokenPurpose",
    "User",
    "UserToken",
    "WeeklyHours",
    "utcnow",
]
