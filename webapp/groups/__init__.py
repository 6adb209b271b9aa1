"""Group sessions (issue #15): groups a therapist or clinical lead runs, patients' enrolment and
the waiting list, each meeting's room (Socket.IO namespace `/group`), attendance and charging."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("groups", __name__, url_prefix="/groups")
bp.before_request(require_roles(Role.PATIENT, Role.THERAPIST, Role.CLINICAL_LEAD))

from webapp.groups import jobs, views  # noqa: E402, F401  - registers the routes and the job
from webapp.groups.sockets import register_namespace  # noqa: E402

bp.record_once(lambda _state: register_namespace())
