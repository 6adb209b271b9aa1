"""Account and configuration management for administrators."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_roles(Role.ADMIN))

from webapp.admin import views  # noqa: E402, F401  - registers the routes on the blueprint
