"""Commissioners' reports: aggregates only, never identifiable records.

Commissioners, the clinical lead and admins see the published (suppressed) reports; the charging
statement stays the commissioner's, and the record-level dataset extracts the provider submits
are the clinical lead's and admins' only (`roles_required` narrows those routes)."""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(require_roles(Role.COMMISSIONER, Role.CLINICAL_LEAD, Role.ADMIN))

from webapp.reports import views  # noqa: E402, F401  - registers the routes on the blueprint
