from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import questionnaires
from webapp.models import Appointment, AppointmentStatus, Role
from webapp.security import roles_required
from webapp.sessions import bp, queries, room, services
from webapp.sessions.forms import RECORD_LABELS, NoteForm, RecordForm, rating_form
from webapp.user_text import to_html


def utcnow() -> datetime:
    return datetime.now(UTC)


@bp.route("/")
def index() -> str:
    return render_template(
        "sessions/index.html",
        title="Your sessions",
        sessions=queries.sessions_for(current_user.id),
        owed=queries.appointment_awaiting_record(current_user.id, utcnow()),
        concerns=queries.alliance_concerns_for_therapist(current_user.id),
        now=utcnow(),
    )


@bp.route("/<int:appointment_id>")
def room_page(appointment_id: int) -> Response | str:
    appointment = queries.appointment_for_participant_or_404(current_user.id, appointment_id)
    now = utcnow()
    try:
        party = services.check_room(current_user, appointment, now)
    except services.RoomRefused as refused:
        return _not_in_room(refused, appointment, now)
    return render_template(
        "sessions/room.html",
        title="Your session",
        appointment=appointment,
        party=party.value,
        seconds_left=room.seconds_left(appointment.starts_at, now),
    )


def _not_in_room(
    refused: services.RoomRefused, appointment: Appointment, now: datetime
) -> Response | str:
    is_patient = appointment.patient_id == current_user.id
    if refused.code == "questionnaires":
        flash(refused.message)
        return redirect(url_for("measures.overview", appointment_id=appointment.id))
    if refused.code == "risk_flags" and not is_patient:
        flash(refused.message)
        return redirect(url_for("measures.therapist_view", appointment_id=appointment.id))
    if refused.code == "record_owed":
        flash(refused.message)
        owed = queries.appointment_awaiting_record(current_user.id, now, other_than=appointment.id)
        return redirect(
            url_for("sessions.record", appointment_id=owed.id if owed else appointment.id)
        )
    if refused.code == "closed" or appointment.status is AppointmentStatus.CLOSED:
        # (a session whose outcome is recorded is over, not cancelled)
        return redirect(
            url_for(
                "sessions.rating" if is_patient else "sessions.record",
                appointment_id=appointment.id,
            )
        )
    if refused.code == "not_booked":
        return render_template(
            "sessions/not_booked.html",
            title="This session is not booked",
            appointment=appointment,
            moved_to=queries.where_it_was_moved(current_user.id, appointment),
            is_patient=is_patient,
        )
    opens = room.opens_at(queries.party_of(current_user.id, appointment), appointment.starts_at)
    return render_template(
        "sessions/waiting.html",
        title="Your session",
        appointment=appointment,
        message=refused.message,
        opens_at=opens if opens > now else None,  # a time already past would only confuse
    )


@bp.route("/<int:appointment_id>/record", methods=["GET", "POST"])
@roles_required(Role.THERAPIST)
def record(appointment_id: int) -> Response | str:
    appointment = queries.appointment_for_participant_or_404(current_user.id, appointment_id)
    now = utcnow()
    state = room.record_state(appointment.starts_at, now)
    form, proposal = _record_form(appointment, state, now)
    changed = False
    if state is not room.RecordState.NOT_YET and form.validate_on_submit():
        shown = form.version_shown.data or ""
        try:
            services.save_record(appointment, current_user, form.data, now=now, shown=shown)
        except services.RecordRefused as refused:
            changed = _refused(form, refused)
        else:
            flash("The session record is saved.")
            return redirect(url_for("sessions.index"))
    return render_template(
        "sessions/record.html",
        title="Session record",
        appointment=appointment,
        form=form,
        state=state.value,
        proposal=proposal,
        saved=queries.record_for(current_user.id, appointment.id),  # as now held
        changed=changed,
        earlier=queries.earlier_versions_for(current_user.id, appointment.id),
        labels=RECORD_LABELS,
        rating=queries.rating_for(current_user.id, appointment.id),
        page_has_errors=bool(form.errors or form.form_errors),
    )


def _record_form(
    appointment: Appointment, state: room.RecordState, now: datetime
) -> tuple[RecordForm, room.Proposal | None]:
    """The form as saved, or suggested from the room's attendance records before the first
    save; on a page being opened, it carries the version it shows ("" for none)."""
    saved = queries.record_for(current_user.id, appointment.id)
    proposal = (
        None
        if saved or state is room.RecordState.NOT_YET
        else services.proposed_outcome(appointment, now)
    )
    suggested = _suggested_record(appointment, proposal) if proposal else {}
    form = RecordForm(
        obj=saved, data={"appointment_type": appointment.appointment_type, **suggested}
    )
    if not form.is_submitted():
        form.version_shown.data = str(saved.version) if saved else ""
    return form, proposal


def _refused(form: RecordForm, refused: services.RecordRefused) -> bool:
    """Show the refusal on the form, keeping what was typed; True if the record changed since
    the page was opened. The form then carries the version now held, so that saving again
    knowingly replaces it (and keeps it as an earlier version)."""
    if refused.field is not None:
        form[refused.field].errors = [*form[refused.field].errors, str(refused)]
        return False
    form.form_errors.append(str(refused))
    if not isinstance(refused, services.RecordChanged):
        return False
    form.version_shown.data = "" if refused.version is None else str(refused.version)
    return True


def _suggested_record(appointment: Appointment, proposal: room.Proposal) -> dict[str, object]:
    minutes = round(proposal.together.total_seconds() / 60)
    code = {"attended": "5", "patient_dna": "3"}.get(proposal.outcome.value, "4")
    if appointment.outcome is not None and appointment.attendance_code:
        code = appointment.attendance_code  # what is already recorded outranks the room's guess
    return {"contact_minutes": minutes, "attendance_code": code}


@bp.route("/<int:appointment_id>/my-notes", methods=["GET", "POST"])
@roles_required(Role.PATIENT)
def notes(appointment_id: int) -> Response | str:
    appointment = queries.appointment_for_participant_or_404(current_user.id, appointment_id)
    saved = queries.note_for(current_user.id, appointment.id)
    form = NoteForm(obj=saved)
    if form.validate_on_submit():
        body = (form.body.data or "").strip()
        if body:
            services.save_note(appointment, current_user, body, now=utcnow())
            flash("Your notes are saved. Only you can read them.")
            return redirect(url_for("sessions.index"))
        if saved is not None:
            services.delete_note(appointment, current_user)
            flash("Your notes about this session are deleted.")
            return redirect(url_for("sessions.index"))
        form.body.errors = ["Write your notes before saving them"]
    return render_template(
        "sessions/notes.html",
        title="Your notes",
        appointment=appointment,
        form=form,
        page_has_errors=bool(form.errors),
    )


@bp.route("/<int:appointment_id>/rating", methods=["GET", "POST"])
@roles_required(Role.PATIENT)
def rating(appointment_id: int) -> Response | str:
    appointment = queries.appointment_for_participant_or_404(current_user.id, appointment_id)
    saved = queries.rating_for(current_user.id, appointment.id)
    form = rating_form(data=saved.answers if saved else None)
    if form.validate_on_submit():
        answers = {key: value for key, value in form.data.items() if key != "csrf_token"}
        try:
            services.save_rating(appointment, current_user, answers, now=utcnow())
        except services.RoomRefused as refused:
            flash(refused.message)
            return redirect(url_for("sessions.index"))
        flash("Thank you for rating your session.")
        return redirect(url_for("sessions.notes", appointment_id=appointment.id))
    return render_template(
        "sessions/rating.html",
        title="Rate your session",
        appointment=appointment,
        form=form,
        instrument=questionnaires.get("srs"),
        page_has_errors=bool(form.errors),
    )


@bp.route("/<int:appointment_id>/transcript")
def transcript(appointment_id: int) -> str:
    appointment = queries.appointment_for_participant_or_404(current_user.id, appointment_id)
    services.audit_transcript_read(current_user, appointment)
    messages = queries.messages_after(current_user.id, appointment.id, 0)
    return render_template(
        "sessions/transcript.html",
        title="Session transcript",
        appointment=appointment,
        messages=[
            (m, queries.party_of(m.sender_id, appointment).value, to_html(m.body)) for m in messages
        ],
    )
