"""Commissioners' reports: aggregates only, never identifiable records."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(require_roles(Role.COMMISSIONER))

from webapp.reports import views  # noqa: E402, F401  - registers the routes on the blueprint
