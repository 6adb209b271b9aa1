"""The peer community: spaces, threads, replies and support for patients in their access period.

Members are pseudonymous (a handle chosen at joining); every post is screened by the watchword
engine on submission (DOMAIN.md section 7) and routed to the moderators' queue when it matches.
"""

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles
from webapp.user_text import to_html

bp = Blueprint("community", __name__, url_prefix="/community")
# Every post, reply, message and handle is shown through the one bleach module.
bp.add_app_template_filter(to_html, "user_text")
bp.before_request(require_roles(Role.PATIENT))

from webapp.community import views  # noqa: E402  - registers the routes on the blueprint

bp.before_request(views.require_access)
