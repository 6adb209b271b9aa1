"""Referral: the public self-referral journey and practitioner form (`referral`, no sign-in),
and the staff queue (`referrals`: the clinical lead triages; a therapist reads only their own
patients' referrals)."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("referral", __name__)
queue_bp = Blueprint("referrals", __name__, url_prefix="/referrals")
queue_bp.before_request(require_roles(Role.CLINICAL_LEAD, Role.THERAPIST))

from webapp.referral import queue_views, views  # noqa: E402, F401  - registers the routes
