"""The community's voice (issue #15): consultations (polls and short surveys) and suggestions.

Two blueprints. `bp` (/community/voice) is for patients in their access period who have joined the
community: they respond and suggest under their handle. `console_bp` (/moderation/voice) is for
moderators and the clinical lead: they publish consultations, read every answer and reply to
suggestions. Commissioners get only the aggregates `queries.consultation_summary` and
`queries.suggestion_counts` give the monthly report.
"""

from flask import Blueprint

from webapp.models import Role
from webapp.reports.suppression import suppress_count
from webapp.security import require_roles
from webapp.user_text import to_html

bp = Blueprint("voice", __name__, url_prefix="/community/voice")
bp.add_app_template_filter(to_html, "user_text")
# A count shown to members: 0, "*" for 1 to 4, else to the nearest 5 (DOMAIN.md section 4).
bp.add_app_template_filter(suppress_count, "suppress")
bp.before_request(require_roles(Role.PATIENT))

console_bp = Blueprint("voice_console", __name__, url_prefix="/moderation/voice")
console_bp.before_request(require_roles(Role.MODERATOR, Role.CLINICAL_LEAD))

from webapp.voice import console_views, views  # noqa: E402, F401  - registers the routes

bp.before_request(views.require_access)
