"""The patient's personal safety plan: always open to its owner, whatever their access period,
because a person in crisis must never be locked out of it. Nobody else can read it."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("safety_plan", __name__, url_prefix="/safety-plan")
bp.before_request(require_roles(Role.PATIENT))

from webapp.safety_plan import views  # noqa: E402, F401  - registers the routes on the blueprint
