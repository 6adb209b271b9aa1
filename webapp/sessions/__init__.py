"""Session rooms: the 50-minute chat between a patient and their therapist, the record after
it, the patient's notes and rating, and transcripts. Patients and therapists both use it; each
route narrows the minimum to the role it serves, and every query checks the person is the
appointment's own patient or therapist."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("sessions", __name__, url_prefix="/sessions")
bp.before_request(require_roles(Role.PATIENT, Role.THERAPIST))

from webapp.sessions import views  # noqa: E402, F401  - registers the routes on the blueprint
