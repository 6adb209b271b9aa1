"""Therapists' pages: the day view, their availability and profile, moving or cancelling their
own sessions, and recording their outcomes and technical problems. Every query is filtered by
the signed-in therapist's id."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.booking import queries as booking_queries
from webapp.booking import services as booking_services
from webapp.booking.forms import RescheduleForm, parse_slot
from webapp.charges import pages
from webapp.charges import queries as charge_queries
from webapp.charges.forms import (
    THERAPIST_FAULTS,
    THERAPIST_OUTCOMES,
    FailureReportForm,
    OutcomeForm,
)
from webapp.measures import queries as measures_queries
from webapp.models import Appointment, ExceptionKind
from webapp.sessions import room
from webapp.therapy import bp, queries, services
from webapp.therapy.forms import (
    WEEKDAYS,
    ExceptionForm,
    PhotoForm,
    ProfileForm,
    TherapistCancelForm,
    WeeklyHoursForm,
    parse_date,
    parse_time,
    split_list,
)
from webapp.therapy.photos import PhotoError

ZONE = "Europe/London"


def utcnow() -> datetime:
    return datetime.now(UTC)


@bp.route("/")
def dashboard() -> str:
    now = utcnow()
    day = parse_date(request.args.get("day")) or booking_queries.london_today(now)
    return render_template(
        "therapy/day.html",
        day=day,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        sessions=booking_queries.day_for_therapist(current_user.id, day),
        upcoming=booking_queries.upcoming_for_therapist(current_user.id, now=now),
        open_flags=measures_queries.open_risk_flags(current_user.id),
        room_is_open=lambda starts_at: (
            room.room_state(room.Party.THERAPIST, starts_at, now) is room.RoomState.OPEN
        ),
        now=now,
        zone=ZONE,
    )


def _availability_page(weekly_form: WeeklyHoursForm, exception_form: ExceptionForm) -> str:
    return render_template(
        "therapy/availability.html",
        weekly=queries.weekly_hours(current_user.id),
        exceptions=queries.exceptions(current_user.id, since=utcnow()),
        weekly_form=weekly_form,
        exception_form=exception_form,
        clashes=booking_queries.booked_during_time_off(current_user.id, now=utcnow()),
        weekdays=WEEKDAYS,
        zone=ZONE,
    )


@bp.route("/availability")
def availability() -> str:
    return _availability_page(WeeklyHoursForm(), ExceptionForm(formdata=None))


@bp.route("/availability/weekly", methods=["POST"])
def add_weekly_hours() -> Response | str:
    form = WeeklyHoursForm()
    if form.validate_on_submit():
        start, end = parse_time(form.starts_at.data), parse_time(form.ends_at.data)
        assert start is not None and end is not None  # validated
        try:
            services.add_weekly_hours(current_user, int(form.weekday.data), start, end)
        except services.AvailabilityError as error:
            form.starts_at.errors = [str(error)]
        else:
            spare = services.spare_minutes(start, end)
            flash(
                "Your weekly hours are saved."
                + (f" The last {spare} minutes hold no whole session." if spare else "")
            )
            return redirect(url_for("therapy.availability"))
    return _availability_page(form, ExceptionForm(formdata=None))


@bp.route("/availability/weekly/<int:block_id>/remove", methods=["POST"])
def remove_weekly_hours(block_id: int) -> Response:
    block = queries.weekly_block_for_therapist(current_user.id, block_id)
    services.remove_weekly_hours(current_user, block)
    flash("Those weekly hours are removed. Sessions already booked are kept.")
    return redirect(url_for("therapy.availability"))


@bp.route("/availability/exceptions", methods=["POST"])
def add_exception() -> Response | str:
    form = ExceptionForm()
    if form.validate_on_submit():
        starts_at = services.london_moment(
            parse_date(form.start_date.data),
            parse_time(form.start_time.data),  # type: ignore[arg-type]
        )
        ends_at = services.london_moment(
            parse_date(form.end_date.data),
            parse_time(form.end_time.data),  # type: ignore[arg-type]
        )
        try:
            kind = ExceptionKind(form.kind.data)
            services.add_exception(current_user, kind, starts_at, ends_at, now=utcnow())
        except services.AvailabilityError as error:
            form.end_date.errors = [str(error)]
        else:
            flash("Saved. Sessions already booked are kept: move or cancel any listed below.")
            return redirect(url_for("therapy.availability"))
    return _availability_page(WeeklyHoursForm(formdata=None), form)


@bp.route("/availability/exceptions/<int:exception_id>/remove", methods=["POST"])
def remove_exception(exception_id: int) -> Response:
    row = queries.exception_for_therapist(current_user.id, exception_id)
    services.remove_exception(current_user, row)
    flash("Removed.")
    return redirect(url_for("therapy.availability"))


def _profile_form(*, submitted: bool) -> ProfileForm:
    """The profile form, filled from the saved profile unless it is being submitted."""
    if submitted:
        return ProfileForm()
    existing = queries.profile(current_user.id)
    form = ProfileForm(formdata=None, obj=existing)
    if existing is not None:
        form.languages.data = ", ".join(existing.languages)
        form.approaches.data = ", ".join(existing.approaches)
    return form


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> Response | str:
    form = _profile_form(submitted=request.method == "POST")
    if form.validate_on_submit():
        data = dict(form.data)
        data.pop("csrf_token", None)
        data["languages"], data["approaches"] = (
            split_list(data["languages"]),
            split_list(data["approaches"]),
        )
        services.update_profile(current_user, **data)
        flash("Your profile is saved.")
        return redirect(url_for("therapy.profile"))
    return render_template(
        "therapy/profile.html",
        form=form,
        photo_form=PhotoForm(formdata=None),
        has_photo=queries.has_photo(current_user.id),
    )


@bp.route("/profile/photo", methods=["POST"])
def upload_photo() -> Response | str:
    form = PhotoForm()
    if form.validate_on_submit():
        upload = form.photo.data.read() if form.photo.data else b""
        try:
            limit = int(current_app.config["PHOTO_MAX_BYTES"])
            services.set_photo(current_user, upload, max_bytes=limit, now=utcnow())
        except PhotoError as error:
            form.photo.errors = [str(error)]
        else:
            flash("Your photo is saved.")
            return redirect(url_for("therapy.profile"))
    return render_template(
        "therapy/profile.html",
        form=_profile_form(submitted=False),
        photo_form=form,
        has_photo=queries.has_photo(current_user.id),
    )


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
def cancel(appointment_id: int) -> Response | str:
    appointment = booking_queries.appointment_for_therapist(current_user.id, appointment_id)
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
            return redirect(url_for("therapy.dashboard"))
    return render_template("therapy/cancel.html", appointment=appointment, form=form, zone=ZONE)


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
def reschedule(appointment_id: int) -> Response | str:
    appointment = booking_queries.appointment_for_therapist(current_user.id, appointment_id)
    form = RescheduleForm(start=request.args.get("start"))
    if form.validate_on_submit():
        try:
            booking_services.reschedule_appointment(
                appointment.id,
                form.starts_at,
                actor=current_user,
                reason=form.reason.data or "",
                now=utcnow(),
            )
        except booking_services.BookingError as error:
            form.start.errors = [str(error)]
        else:
            flash("The session is moved and the patient has been sent the new time.")
            return redirect(url_for("therapy.dashboard"))
    return render_template(
        "therapy/reschedule.html",
        appointment=appointment,
        form=form,
        days=_free_days(appointment),
        zone=ZONE,
        start=parse_slot(form.start.data),
    )


def _free_days(appointment: Appointment) -> list[tuple[date, list[datetime]]]:
    """The therapist's free times to move a session to, by day (not its current time)."""
    starts = booking_queries.free_slots(
        current_user.id, now=utcnow(), ignore_appointment_id=appointment.id
    )
    others = [start for start in starts if start != appointment.starts_at]
    return booking_queries.group_by_day(others, booking_queries.LONDON)


@bp.route("/outcomes")
def outcomes() -> str:
    return render_template(
        "charges/awaiting.html",
        appointments=charge_queries.awaiting_outcome_for_therapist(current_user.id, now=utcnow()),
        outcome_endpoint="therapy.record_outcome",
        sessions_endpoint=None,
        zone=ZONE,
    )


@bp.route("/appointments/<int:appointment_id>/outcome", methods=["GET", "POST"])
def record_outcome(appointment_id: int) -> Response | str:
    appointment = charge_queries.past_for_therapist(current_user.id, appointment_id, now=utcnow())
    form = OutcomeForm(THERAPIST_OUTCOMES)
    return pages.outcome_page(appointment, form, back=url_for("therapy.outcomes"), zone=ZONE)


@bp.route("/appointments/<int:appointment_id>/report-a-problem", methods=["GET", "POST"])
def report_problem(appointment_id: int) -> Response | str:
    appointment = charge_queries.past_for_therapist(current_user.id, appointment_id, now=utcnow())
    form = FailureReportForm(THERAPIST_FAULTS)
    return pages.report_problem_page(appointment, form, back=url_for("therapy.outcomes"), zone=ZONE)
