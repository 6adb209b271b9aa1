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
from webapp.models.referral import Referral, ReferralDraft, ReferralStatus, RefusalCount
from webapp.models.self_help import SafetyPlan, SavedWorksheet

__all__ = [
    "STAFF_ROLES",
    "ActivityEvent",
    "Appointment",
    "AppointmentStatus",
    "AuditEvent",
    "Base",
    "ExperienceResponse",
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
    "TherapistProfile",
    "TokenPurpose",
    "User",
    "UserToken",
    "utcnow",
]
