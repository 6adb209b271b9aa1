"""Form handling shared by the therapist's and the clinical lead's outcome pages and by both
parties' "report a problem" pages, so each blueprint's view stays a few lines. The caller has
already fetched the appointment through a query that checks who may see it."""

from __future__ import annotations

from flask import flash, redirect, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.charges import services
from webapp.charges.forms import LATE_CHOICES, FailureReportForm, OutcomeForm
from webapp.models import Appointment
from webapp.models.base import utcnow


def outcome_page(
    appointment: Appointment, form: OutcomeForm, *, back: str, zone: str
) -> Response | str:
    if form.validate_on_submit():
        choice = form.outcome.data or ""
        late = choice in LATE_CHOICES
        try:
            services.record_outcome(
                appointment,
                LATE_CHOICES.get(choice, choice),
                actor=current_user,
                now=utcnow(),
                note=form.note.data,
                late=late,
            )
        except services.ChargingError as error:
            form.form_errors.append(str(error))
        else:
            flash("The session’s outcome is recorded.")
            return redirect(back)
    return render_template(
        "charges/outcome.html", appointment=appointment, form=form, back=back, zone=zone
    )


def report_problem_page(
    appointment: Appointment, form: FailureReportForm, *, back: str, zone: str
) -> Response | str:
    if form.validate_on_submit():
        try:
            services.report_technical_failure(
                appointment,
                actor=current_user,
                what_happened=form.what_happened.data or "",
                affected=form.affected.data or "",
                fault=form.fault.data or "unknown",
                now=utcnow(),
            )
        except services.ChargingError as error:
            form.form_errors.append(str(error))
        else:
            flash("Thank you. Your report has been sent.")
            return redirect(back)
    return render_template(
        "charges/report_problem.html", appointment=appointment, form=form, back=back, zone=zone
    )
