"""The clinical lead's pages: escalations, credentials and supervision."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("clinical", __name__, url_prefix="/clinical")
bp.before_request(require_roles(Role.CLINICAL_LEAD))

from webapp.clinical import views  # noqa: E402, F401  - registers the routes on the blueprint
