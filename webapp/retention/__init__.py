"""The retention schedule applied (issue #13): `schedule.py` says how long each kind of data is
kept (pure), `services.py` deletes or erases what is due in batches, `jobs.py` runs it nightly
with Huey, and the admin sees the schedule and each run's report here."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("retention", __name__, url_prefix="/admin/retention")
bp.before_request(require_roles(Role.ADMIN))

from webapp.retention import jobs, views  # noqa: E402, F401  - registers the routes and the job
