"""SQLAlchemy models, one module per domain. Importing this package registers them all."""

from webapp.models.activity import ActivityEvent
from webapp.models.audit import AuditEvent
from webapp.models.base import Base, utcnow
from webapp.models.booking import Appointment, AppointmentStatus
from webapp.models.community import (
    CommunityMember,
    ItemKind,
    ModerationItem,
    ModeratorMessage,
    Post,
    PostStatus,
    Reaction,
    Resolution,
    Shift,
    ShiftKind,
    Space,
    StaffContact,
    Thread,
    WatchwordRule,
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
    "CommunityMember",
    "ExperienceResponse",
    "ItemKind",
    "ModerationItem",
    "ModeratorMessage",
    "PatientProfile",
    "PatientSessionNote",
    "Post",
    "PostStatus",
    "QuestionnaireResponse",
    "Reaction",
    "RecoveryCode",
    "Resolution",
    "RiskFlag",
    "Role",
    "SessionRating",
    "SessionRecord",
    "Shift",
    "ShiftKind",
    "Space",
    "StaffContact",
    "TherapistProfile",
    "Thread",
    "TokenPurpose",
    "User",
    "UserToken",
    "WatchwordRule",
    "utcnow",
]
