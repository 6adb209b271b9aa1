"""The patient's data rights (issue #13): see what they agreed to and change it, download
everything held about them, close their account; and, for staff, subject access requests made
by other means than the patient's own account.

Two blueprints: `bp` for the patient (no ids in its URLs: a patient only reaches their own
data) and `staff_bp` for the admin and the clinical lead.
"""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("records", __name__, url_prefix="/my-data")
bp.before_request(require_roles(Role.PATIENT))

staff_bp = Blueprint("subject_access", __name__, url_prefix="/subject-access-requests")
staff_bp.before_request(require_roles(Role.ADMIN, Role.CLINICAL_LEAD))

from webapp.records import staff_views, views  # noqa: E402, F401  - registers the routes
