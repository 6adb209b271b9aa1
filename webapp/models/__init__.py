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
from webapp.models.therapy import (
    AttendanceEvent,
    AttendanceKind,
    ChatMessage,
    PatientSessionNote,
    SessionRating,
    SessionRecord,
)

__all__ = [
    "STAFF_ROLES",
    "ActivityEvent",
    "Appointment",
    "AppointmentStatus",
    "AttendanceEvent",
    "AttendanceKind",
    "AuditEvent",
    "AvailabilityException",
    "Base",
    "ChatMessage",
    "Credential",
    "CredentialKind",
    "ExceptionKind",
    "ExperienceResponse",
    "NotificationAttempt",
    "NotificationChannel",
    "NotificationKind",
    "NotificationStatus",
    "PatientProfile",
    "PatientSessionNote",
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
    "SessionRating",
    "SessionRecord",
    "TherapistPhoto",
    "TherapistProfile",
    "TokenPurpose",
    "User",
    "UserToken",
    "WeeklyHours",
    "utcnow",
]
