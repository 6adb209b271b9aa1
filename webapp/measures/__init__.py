"""Pre-session questionnaires and score charts for patients; answers and risk flags for their
therapists, and for the clinical lead (the service's clinical back-up for risk). Routes narrow
the blueprint's minimum to the roles each serves."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("measures", __name__, url_prefix="/questionnaires")
bp.before_request(require_roles(Role.PATIENT, Role.THERAPIST, Role.CLINICAL_LEAD))

from webapp.measures import views  # noqa: E402, F401  - registers the routes on the blueprint
