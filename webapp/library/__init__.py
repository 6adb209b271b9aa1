"""The self-help library and worksheets, for patients during their access period.

After access ends (or before it starts, or with no patient profile) every page here shows the
access notice instead; the safety plan (webapp/safety_plan) and the public crisis page stay open.
"""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("library", __name__, url_prefix="/self-help")
bp.before_request(require_roles(Role.PATIENT))

from webapp.library import views  # noqa: E402, F401  - registers the routes on the blueprint
