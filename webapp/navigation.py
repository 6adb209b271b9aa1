"""The header's navigation links for whoever is signed in."""

from __future__ import annotations

from flask import request, url_for
from flask_login import current_user

from webapp.models import Role

# (endpoint, label) per role; each later feature adds its own entries here.
NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.PATIENT: [
        ("patient.home", "Home"),
        ("patient.care", "Your care"),
        ("booking.appointments", "Appointments"),
        ("sessions.index", "Your sessions"),
        ("booking.therapists", "Therapists"),
        ("measures.scores", "Your scores"),
        ("library.index", "Self-help"),
        ("safety_plan.show", "Your safety plan"),
        ("community.index", "Community"),
        ("groups.index", "Groups"),
        ("records.index", "Your data"),
        ("voice.index", "Have your say"),
    ],
    Role.THERAPIST: [
        ("therapy.dashboard", "Your day"),
        ("sessions.index", "Session rooms"),
        ("pathway.caseload", "Care episodes"),
        ("groups.index", "Groups"),
        ("supervision.index", "Your supervision figures"),
        ("therapy.outcomes", "Outcomes"),
        ("therapy.availability", "Availability"),
        ("therapy.profile", "Your profile"),
    ],
    Role.MODERATOR: [
        ("moderation_console.dashboard", "Moderation"),
        ("moderation_console.watchwords", "Watchwords"),
        ("moderation_console.rota", "Rota"),
        ("voice_console.index", "Consultations"),
    ],
    Role.CLINICAL_LEAD: [
        ("clinical.dashboard", "Clinical lead"),
        ("moderation_console.escalations", "Escalations"),
        ("moderation_console.watchwords", "Watchwords"),
        ("voice_console.index", "Consultations"),
        ("clinical.credentials", "Credentials"),
        ("clinical.notifications", "Messages"),
        ("clinical.outcomes", "Outcomes"),
        ("pathway.caseload", "Care episodes"),
        ("groups.index", "Groups"),
        ("supervision.index", "Supervision"),
        ("clinical.disputes", "Disputes"),
        ("referrals.queue", "Referrals"),
        ("subject_access.index", "Data requests"),
        ("reports.index", "Reports"),
    ],
    Role.COMMISSIONER: [("reports.index", "Reports")],
    Role.ADMIN: [
        ("admin.users", "Accounts"),
        ("admin.audit_log", "Audit log"),
        ("subject_access.index", "Data requests"),
        ("retention.index", "Retention"),
        ("reports.index", "Reports"),
    ],
}


def navigation_items() -> list[dict[str, object]]:
    if not current_user.is_authenticated:
        return []
    return [
        {"href": url_for(endpoint), "text": label, "current": request.endpoint == endpoint}
        for endpoint, label in NAVIGATION[current_user.role]
    ]
