"""Therapists' pages: their sessions and their own patients only."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("therapy", __name__, url_prefix="/therapist")
bp.before_request(require_roles(Role.THERAPIST))

from webapp.therapy import views  # noqa: E402, F401  - registers the routes on the blueprint
