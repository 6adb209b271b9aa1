"""Patients choose a therapist, book, cancel and reschedule. Therapists and the clinical lead
may see therapists' photos (their own profile pages show them); every other page is patients'
only, and every appointment query is filtered by the patient's id."""

from datetime import datetime

from flask import Blueprint

from webapp.models import Role
from webapp.security import require_roles

bp = Blueprint("booking", __name__, url_prefix="/booking")
bp.before_request(require_roles(Role.PATIENT, Role.THERAPIST, Role.CLINICAL_LEAD))

from webapp.booking import views  # noqa: E402, F401  - registers the routes on the blueprint
from webapp.booking.forms import slot_token  # noqa: E402


@bp.app_template_filter("slot_token")
def _slot_token(value: datetime) -> str:
    """A slot's start as it travels in links: `{{ start|slot_token }}`."""
    return slot_token(value)
