"""The patient's own pages. Patients only; every query is filtered by the patient's id."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("patient", __name__, url_prefix="/my")
bp.before_request(require_roles(Role.PATIENT))

from webapp.patient import views  # noqa: E402, F401  - registers the routes on the blueprint
