"""The clinical lead's pages: credentials and their expiry, bookings to act on, and messages
that could not be delivered."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.clinical import bp, queries, services
from webapp.clinical.forms import CredentialForm
from webapp.models import CredentialKind
from webapp.therapy.forms import parse_date


def utcnow() -> datetime:
    return datetime.now(UTC)


@bp.route("/")
def dashboard() -> str:
    now = utcnow()
    return render_template(
        "staff/clinical_dashboard.html",
        title="Clinical lead",
        flagged=queries.flagged_bookings(current_user.id, now=now),
        failures=queries.failed_notifications(current_user.id, limit=5),
    )


@bp.route("/credentials")
def credentials() -> str:
    days = int(current_app.config["CREDENTIAL_WARNING_DAYS"])
    now = utcnow()
    return render_template(
        "clinical/credentials.html",
        rows=queries.credentials_overview(current_user.id, now=now, warning_days=days),
        flagged=queries.flagged_bookings(current_user.id, now=now),
        warning_days=days,
    )


@bp.route("/therapists/<int:therapist_id>/credentials", methods=["GET", "POST"])
def record_credential(therapist_id: int) -> Response | str:
    therapist = queries.therapist_for_lead(current_user.id, therapist_id)
    form = CredentialForm()
    if form.validate_on_submit():
        services.record_credential(
            current_user,
            therapist,
            CredentialKind(form.kind.data),
            body=(form.body.data or "").strip(),
            reference=(form.reference.data or "").strip(),
            expires_on=parse_date(form.expires_on.data),  # type: ignore[arg-type]
            now=utcnow(),
        )
        flash(f"Credential saved for {therapist.full_name}.")
        return redirect(url_for("clinical.credentials"))
    return render_template("clinical/record_credential.html", therapist=therapist, form=form)


@bp.route("/notifications")
def notifications() -> str:
    return render_template(
        "clinical/notifications.html",
        failures=queries.failed_notifications(current_user.id),
    )
