"""SQLAlchemy models, one module per domain. Importing this package registers them all."""

from webapp.models.activity import ActivityEvent
from webapp.models.audit import AuditEvent
from webapp.models.base import Base, utcnow
from webapp.models.booking import Appointment, AppointmentStatus
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
    "Base",
    "ChatMessage",
    "ExperienceResponse",
    "PatientProfile",
    "PatientSessionNote",
    "QuestionnaireResponse",
    "RecoveryCode",
    "RiskFlag",
    "Role",
    "SessionRating",
    "SessionRecord",
    "TherapistProfile",
    "TokenPurpose",
    "User",
    "UserToken",
    "utcnow",
]
