"""Patients' booking pages: find a therapist, book, see, cancel and move appointments."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from webapp.booking import bp, queries, services
from webapp.booking.forms import CancelForm, FilterForm, RescheduleForm, SlotForm, parse_slot
from webapp.booking.reminders import message_plan, patient_zone
from webapp.charges import pages
from webapp.charges import queries as charge_queries
from webapp.charges.forms import PATIENT_FAULTS, FailureReportForm
from webapp.charging import would_patient_cancellation_be_charged
from webapp.models import Role
from webapp.security import roles_required


def utcnow() -> datetime:
    return datetime.now(UTC)


def _zone() -> str:
    return patient_zone(current_user.patient_profile)


def _start_arg() -> datetime:
    start = parse_slot(request.args.get("start"))
    if start is None:
        abort(404)
    return start


@bp.route("/therapists")
@roles_required(Role.PATIENT)
def therapists() -> str:
    now = utcnow()
    form = FilterForm(queries.filter_choices(now), formdata=request.args)
    filters = queries.TherapistFilters(**{k: v for k, v in form.data.items() if v is not None})
    cards = queries.therapists_for_patient(current_user.id, filters, now=now)
    access = queries.booking_access_for_patient(current_user.id, now=now)
    return render_template(
        "booking/therapists.html", form=form, cards=cards, zone=_zone(), access=access
    )


@bp.route("/therapists/<int:therapist_id>")
@roles_required(Role.PATIENT)
def therapist(therapist_id: int) -> str:
    now = utcnow()
    card = queries.therapist_for_patient(current_user.id, therapist_id, now=now)
    access = queries.booking_access_for_patient(current_user.id, now=now)
    zone = _zone()
    starts = (
        queries.free_slots(therapist_id, now=now, before=access.before) if access.is_open else []
    )
    days = queries.group_by_day(starts, queries.zone(zone))
    return render_template("booking/therapist.html", card=card, days=days, zone=zone, access=access)


@bp.route("/therapists/<int:therapist_id>/photo")
def photo(therapist_id: int) -> Response:
    row = queries.photo(therapist_id)
    response = Response(row.data, mimetype=row.content_type)
    response.headers["Content-Disposition"] = "inline; filename=therapist.jpg"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.route("/therapists/<int:therapist_id>/book", methods=["GET", "POST"])
@roles_required(Role.PATIENT)
def book(therapist_id: int) -> WerkzeugResponse | str:
    card = queries.therapist_for_patient(current_user.id, therapist_id, now=utcnow())
    form = SlotForm(start=request.args.get("start"))
    if form.validate_on_submit():
        try:
            services.book_appointment(current_user.id, therapist_id, form.starts_at, now=utcnow())
        except services.BookingError as error:
            form.start.errors = [str(error)]
        else:
            flash("Your appointment is booked. We have sent you the details.")
            return redirect(url_for("booking.appointments"))
    start = parse_slot(form.start.data) or _start_arg()
    now = utcnow()
    return render_template(
        "booking/book.html",
        card=card,
        form=form,
        start=start,
        zone=_zone(),
        access=queries.booking_access_for_patient(current_user.id, now=now),
        messages=message_plan(start, current_user.patient_profile, now=now),
        uses_a_session_if_cancelled=would_patient_cancellation_be_charged(start, now),
    )


@bp.route("/appointments")
@roles_required(Role.PATIENT)
def appointments() -> str:
    now = utcnow()
    return render_template(
        "booking/appointments.html",
        upcoming=queries.upcoming_for_patient(current_user.id, now=now),
        past=queries.past_for_patient(current_user.id, now=now),
        sessions_left=charge_queries.sessions_left(current_user.id),
        now=now,
        zone=_zone(),
    )


@bp.route("/appointments/<int:appointment_id>/report-a-problem", methods=["GET", "POST"])
@roles_required(Role.PATIENT)
def report_problem(appointment_id: int) -> WerkzeugResponse | str:
    appointment = charge_queries.past_for_patient(current_user.id, appointment_id, now=utcnow())
    form = FailureReportForm(PATIENT_FAULTS)
    return pages.report_problem_page(
        appointment, form, back=url_for("booking.appointments"), zone=_zone()
    )


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
@roles_required(Role.PATIENT)
def cancel(appointment_id: int) -> WerkzeugResponse | str:
    appointment = queries.appointment_for_patient(current_user.id, appointment_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_appointment(
                appointment.id,
                actor=current_user,
                reason=form.reason.data or "",
                now=utcnow(),
                expect_charged=form.charged_shown.expected,
            )
        except services.BookingError as error:
            form.form_errors.append(str(error))
        else:
            flash("Your appointment is cancelled.")
            return redirect(url_for("booking.appointments"))
    charged = services.is_charged_if_cancelled_now(appointment, actor=current_user, now=utcnow())
    form.charged_shown.data = "yes" if charged else "no"
    return render_template(
        "booking/cancel.html", appointment=appointment, form=form, charged=charged, zone=_zone()
    )


@bp.route("/appointments/<int:appointment_id>/reschedule")
@roles_required(Role.PATIENT)
def reschedule(appointment_id: int) -> str:
    appointment = queries.appointment_for_patient(current_user.id, appointment_id)
    if not appointment.is_live:
        abort(404)
    now, zone = utcnow(), _zone()
    starts = queries.free_slots(
        appointment.therapist_id, now=now, ignore_appointment_id=appointment.id
    )
    starts = [s for s in starts if s != appointment.starts_at]
    days = queries.group_by_day(starts, queries.zone(zone))
    return render_template("booking/reschedule.html", appointment=appointment, days=days, zone=zone)


@bp.route("/appointments/<int:appointment_id>/reschedule/confirm", methods=["GET", "POST"])
@roles_required(Role.PATIENT)
def confirm_reschedule(appointment_id: int) -> WerkzeugResponse | str:
    appointment = queries.appointment_for_patient(current_user.id, appointment_id)
    form = RescheduleForm(start=request.args.get("start"))
    if form.validate_on_submit():
        try:
            services.reschedule_appointment(
                appointment.id,
                form.starts_at,
                actor=current_user,
                reason=form.reason.data or "",
                now=utcnow(),
                expect_charged=form.charged_shown.expected,
            )
        except services.BookingError as error:
            form.start.errors = [str(error)]
        else:
            flash("Your appointment has been moved. We have sent you the new details.")
            return redirect(url_for("booking.appointments"))
    start = parse_slot(form.start.data) or _start_arg()
    charged = services.is_charged_if_cancelled_now(appointment, actor=current_user, now=utcnow())
    form.charged_shown.data = "yes" if charged else "no"
    return render_template(
        "booking/confirm_reschedule.html",
        appointment=appointment,
        form=form,
        start=start,
        charged=charged,
        zone=_zone(),
    )
