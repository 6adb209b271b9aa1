"""The community moderators' console."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("moderation_console", __name__, url_prefix="/moderation")
bp.before_request(require_roles(Role.MODERATOR))

from webapp.moderation_console import views  # noqa: E402, F401  - registers the routes on the blueprint
