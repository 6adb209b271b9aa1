"""The clinical lead's pages: credentials and their expiry, bookings to act on, messages that
could not be delivered, session outcomes, patients' session allowances and disputed technical
failures."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.booking import queries as booking_queries
from webapp.booking import services as booking_services
from webapp.charges import pages
from webapp.charges import queries as charge_queries
from webapp.charges import services as charge_services
from webapp.charges.forms import LEAD_OUTCOMES, DisputeForm, GrantForm, OutcomeForm
from webapp.clinical import bp, queries, services
from webapp.clinical.forms import CredentialForm
from webapp.measures import queries as measures_queries
from webapp.models import CredentialKind
from webapp.therapy.forms import TherapistCancelForm, parse_date

ZONE = "Europe/London"


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
        open_flags=measures_queries.open_risk_flags(None),
    )


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
def cancel_booking(appointment_id: int) -> Response | str:
    """The service cancels a booking it cannot keep (a therapist whose credentials will have
    lapsed): no charge, and the patient is told and may book with another therapist."""
    appointment = booking_queries.appointment_for_clinical_lead(current_user.id, appointment_id)
    form = TherapistCancelForm()
    if form.validate_on_submit():
        try:
            booking_services.cancel_appointment(
                appointment.id, actor=current_user, reason=form.reason.data or "", now=utcnow()
            )
        except booking_services.BookingError as error:
            form.form_errors.append(str(error))
        else:
            flash("The session is cancelled and the patient has been told.")
            return redirect(url_for("clinical.dashboard"))
    return render_template(
        "therapy/cancel.html",
        appointment=appointment,
        form=form,
        zone=ZONE,
        back_url=url_for("clinical.dashboard"),
        back_text="Back to the clinical lead’s page",
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


@bp.route("/outcomes")
def outcomes() -> str:
    return render_template(
        "charges/awaiting.html",
        appointments=charge_queries.awaiting_outcome_for_lead(current_user.id, now=utcnow()),
        outcome_endpoint="clinical.record_outcome",
        sessions_endpoint="clinical.patient_sessions",
        zone=ZONE,
    )


@bp.route("/appointments/<int:appointment_id>/outcome", methods=["GET", "POST"])
def record_outcome(appointment_id: int) -> Response | str:
    appointment = charge_queries.past_for_lead(current_user.id, appointment_id, now=utcnow())
    form = OutcomeForm(LEAD_OUTCOMES)
    return pages.outcome_page(appointment, form, back=url_for("clinical.outcomes"), zone=ZONE)


@bp.route("/patients/<int:patient_id>/sessions", methods=["GET", "POST"])
def patient_sessions(patient_id: int) -> Response | str:
    patient = charge_queries.patient_for_lead(current_user.id, patient_id)
    form = GrantForm()
    if form.validate_on_submit():
        charge_services.grant_sessions(
            patient,
            form.sessions.data or 0,
            reason=form.reason.data or "",
            actor=current_user,
            now=utcnow(),
        )
        flash(f"{form.sessions.data} more sessions granted to {patient.full_name}.")
        return redirect(url_for("clinical.patient_sessions", patient_id=patient.id))
    return render_template(
        "charges/patient_sessions.html",
        patient=patient,
        left=charge_queries.sessions_left(patient.id),
        movements=charge_queries.movements_for_lead(current_user.id, patient.id),
        form=form,
        zone=ZONE,
    )


@bp.route("/disputes")
def disputes() -> str:
    return render_template(
        "charges/disputes.html",
        failures=charge_queries.disputes_for_lead(current_user.id),
        overdue=charge_queries.overdue_reports_for_lead(current_user.id, now=utcnow()),
        wait_days=current_app.config["FAILURE_REPORT_WAIT_DAYS"],
        zone=ZONE,
    )


@bp.route("/disputes/<int:failure_id>", methods=["GET", "POST"])
def dispute(failure_id: int) -> Response | str:
    failure = charge_queries.dispute_for_lead(current_user.id, failure_id, now=utcnow())
    form = DisputeForm()
    if form.validate_on_submit():
        charge_services.decide_dispute(
            failure,
            form.fault.data or "",
            reason=form.reason.data or "",
            actor=current_user,
            now=utcnow(),
        )
        flash("Your decision is recorded.")
        return redirect(url_for("clinical.disputes"))
    return render_template("charges/dispute.html", failure=failure, form=form, zone=ZONE)
