"""The community moderators' console: the live queue, decisions, watchwords and the rota.

Moderators and clinical leads (who manage watchwords and receive escalations); escalation pages,
which show who a member really is, are for the clinical lead alone.
"""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles
from webapp.user_text import to_html

bp = Blueprint("moderation_console", __name__, url_prefix="/moderation")
# Every post, reply, message and handle is shown through the one bleach module.
bp.add_app_template_filter(to_html, "user_text")
bp.before_request(require_roles(Role.MODERATOR, Role.CLINICAL_LEAD))

from webapp.moderation_console import views  # noqa: E402, F401  - registers the routes on the blueprint
from webapp.moderation_console.sockets import register_namespace  # noqa: E402

bp.record_once(lambda _state: register_namespace())
