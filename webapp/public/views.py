"""Public pages. No personal data is shown here, so no role is needed."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

import content
from content.render import sections as content_sections
from webapp import health as service_health
from webapp.extensions import db
from webapp.library.rendering import render_markdown
from webapp.models import Role
from webapp.public import bp
from webapp.referral.codes import PRIVACY_NOTICE_VERSION

HOME_FOR_ROLE = {
    Role.PATIENT: "patient.home",
    Role.THERAPIST: "therapy.dashboard",
    Role.MODERATOR: "moderation_console.dashboard",
    Role.CLINICAL_LEAD: "clinical.dashboard",
    Role.COMMISSIONER: "reports.index",
    Role.ADMIN: "admin.users",
}


@bp.route("/")
def index() -> str:
    return render_template("public/index.html", title="Talk to a therapist online")


@bp.route("/home")
@login_required
def home_for_role() -> Response:
    return redirect(url_for(HOME_FOR_ROLE[current_user.role]))


@bp.route("/need-help-now")
def need_help_now() -> str:
    page = content.crisis_page()  # the crisis text lives in content/pages/need-help-now.md
    intro, sections = content_sections(page.body)
    return render_template(
        "public/need_help_now.html",
        title=page.title,
        page=page,
        intro=render_markdown(intro),
        sections=[(section.heading, render_markdown(section.body)) for section in sections],
    )


@bp.route("/privacy")
def privacy() -> str:
    return render_template(
        "public/privacy.html", title="Privacy notice", privacy_notice_version=PRIVACY_NOTICE_VERSION
    )


@bp.route("/accessibility")
def accessibility() -> str:
    return render_template("public/accessibility.html", title="Accessibility statement")


@bp.route("/contact")
def contact() -> str:
    return render_template("public/contact.html", title="Contact the service")


@bp.route("/health")
def health() -> tuple[Response, int]:
    """For load balancers and monitoring: is the database reachable (else 503), and what is
    degraded while Redis is not (webapp.health)."""
    try:
        db.session.execute(text("SELECT 1"))
        database_ok = True
    except SQLAlchemyError:
        db.session.rollback()
        database_ok = False
    body, status = service_health.report(current_app.config, database_ok)
    return jsonify(body), status
