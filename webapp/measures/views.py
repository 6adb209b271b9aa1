from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import questionnaires
from webapp import audit
from webapp.booking import queries as booking_queries
from webapp.measures import bp, history, pages, queries, services
from webapp.measures.forms import AcknowledgeForm, answers_from, page_form
from webapp.models import Appointment, Role
from webapp.security import roles_required

PRE_SESSION = [questionnaires.get(code) for code in questionnaires.PRE_SESSION_SET]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _saved_answers(appointment_id: int) -> dict[str, dict[str, object]]:
    return {
        code: response.answers
        for code, response in queries.responses_for_appointment(appointment_id).items()
    }


@bp.route("/appointments/<int:appointment_id>")
@roles_required(Role.PATIENT)
def overview(appointment_id: int) -> str:
    appointment = booking_queries.appointment_for_patient(current_user.id, appointment_id)
    responses = queries.responses_for_appointment(appointment.id)
    steps = pages.steps(PRE_SESSION, _saved_answers(appointment.id))
    next_step = next((s for s in steps if not _step_done(s, responses)), None)
    return render_template(
        "measures/overview.html",
        title="Before your appointment",
        appointment=appointment,
        instruments=PRE_SESSION,
        responses=responses,
        next_step=next_step,
        opens_at=services.opens_at(appointment),
        is_open=_is_open(appointment),
        needs_support=bool(queries.risk_flags_for_appointment(appointment.id)),
    )


def _step_done(step: pages.Step, responses: dict) -> bool:  # type: ignore[type-arg]
    response = responses.get(step.instrument)
    return response is not None and all(key in response.answers for key in step.items)


def _is_open(appointment) -> bool:  # type: ignore[no-untyped-def]
    try:
        services.check_open(appointment, utcnow())
    except services.NotOpen:
        return False
    return True


@bp.route("/appointments/<int:appointment_id>/<code>/<int:page>", methods=["GET", "POST"])
@roles_required(Role.PATIENT)
def question_page(appointment_id: int, code: str, page: int) -> Response | str:
    appointment = booking_queries.appointment_for_patient(current_user.id, appointment_id)
    if not _is_open(appointment):
        return redirect(url_for("measures.overview", appointment_id=appointment.id))
    saved = _saved_answers(appointment.id)
    steps = pages.steps(PRE_SESSION, saved)
    step = next((s for s in steps if (s.instrument, s.page) == (code, page)), None)
    if step is None:
        abort(404)
    instrument = questionnaires.get(code)
    form = page_form(instrument, step.items, saved.get(code, {}))
    if form.validate_on_submit():
        services.save_answers(
            current_user, appointment, code, answers_from(form, step.items), now=utcnow()
        )
        return redirect(_after(appointment.id, step))
    return render_template(
        "measures/question_page.html",
        title=instrument.title,
        form=form,
        instrument=instrument,
        step=step,
        appointment=appointment,
        number=steps.index(step) + 1,
        of=len(steps),
        # crisis routes show at once, on the very next page, after a risk answer
        needs_support=bool(queries.risk_flags_for_appointment(appointment.id)),
    )


def _after(appointment_id: int, step: pages.Step) -> str:
    """The next page still to answer after this one, or the overview when none is: someone
    going back to change one answer returns to the overview, not through pages already done
    (a change that asks a new question elsewhere leads to it)."""
    responses = queries.responses_for_appointment(appointment_id)
    later = pages.steps(PRE_SESSION, _saved_answers(appointment_id))
    position = [(s.instrument, s.page) for s in later].index((step.instrument, step.page))
    following = next((s for s in later[position + 1 :] if not _step_done(s, responses)), None)
    if following is not None:
        return url_for(
            "measures.question_page",
            appointment_id=appointment_id,
            code=following.instrument,
            page=following.page,
        )
    return url_for("measures.overview", appointment_id=appointment_id)


@bp.route("/scores")
@roles_required(Role.PATIENT)
def scores() -> str:
    return render_template(
        "measures/scores.html",
        title="Your scores over time",
        charts=history.score_charts(current_user.id),
    )


@bp.route("/therapist/appointments/<int:appointment_id>")
@roles_required(Role.THERAPIST, Role.CLINICAL_LEAD)
def therapist_view(appointment_id: int) -> str:
    return _therapist_page(_clinicians_appointment(appointment_id))


def _clinicians_appointment(appointment_id: int) -> Appointment:
    """The therapist's own appointment (another's is a 404); for the clinical lead, who is the
    service's clinical back-up for risk, any appointment with a risk flag."""
    if current_user.role is Role.CLINICAL_LEAD:
        appointment = booking_queries.appointment_for_clinical_lead(current_user.id, appointment_id)
        if not queries.risk_flags_for_appointment(appointment.id):
            abort(404)  # (the lead reads answers that raised a flag, not every patient's)
        return appointment
    return booking_queries.appointment_for_therapist(current_user.id, appointment_id)


def _therapist_page(
    appointment: Appointment, failed: tuple[int, AcknowledgeForm] | None = None
) -> str:
    """The session's answers and risk flags; `failed` is a flag's acknowledgement refused,
    shown on it with what was typed."""
    audit.record_patient_record_view(
        current_user,
        appointment.patient_id,
        f"pre-session questionnaires for appointment {appointment.id}",
    )
    flags = queries.risk_flags_for_appointment(appointment.id)
    forms = {flag.id: acknowledge_form(flag.id) for flag in flags if not flag.acknowledged_at}
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render_template(
        "measures/therapist_view.html",
        title="Pre-session questionnaires",
        appointment=appointment,
        instruments=PRE_SESSION,
        responses=queries.responses_for_appointment(appointment.id),
        flags=flags,
        forms=forms,
        form=failed[1] if failed else None,  # (for the error summary)
        page_has_errors=failed is not None,
    )


def acknowledge_form(flag_id: int) -> AcknowledgeForm:
    """One form per flag on the page, each note box with its own id."""
    form = AcknowledgeForm()
    form.note.id = f"flag-{flag_id}-note"
    return form


@bp.route(
    "/therapist/appointments/<int:appointment_id>/risk-flags/<int:flag_id>/acknowledge",
    methods=["POST"],
)
@roles_required(Role.THERAPIST, Role.CLINICAL_LEAD)
def acknowledge(appointment_id: int, flag_id: int) -> Response | str:
    appointment = _clinicians_appointment(appointment_id)
    flag = next(
        (f for f in queries.risk_flags_for_appointment(appointment.id) if f.id == flag_id), None
    )
    if flag is None:
        abort(404)
    form = acknowledge_form(flag.id)
    if not form.validate_on_submit():
        return _therapist_page(appointment, failed=(flag.id, form))  # the note kept
    try:
        done = services.acknowledge_flag(
            current_user,
            flag,
            form.note.data or "",
            now=utcnow(),
            level_shown=request.form.get("level_shown", ""),
        )
    except services.FlagChanged as changed:
        form.form_errors.append(str(changed))
        return _therapist_page(appointment, failed=(flag.id, form))
    flash("Risk flag acknowledged." if done else "Someone had already acknowledged this flag.")
    return redirect(url_for("measures.therapist_view", appointment_id=appointment.id))


@bp.route("/experience/<int:response_id>", methods=["GET", "POST"])
@roles_required(Role.PATIENT)
def experience(response_id: int) -> Response | str:
    offer = queries.experience_for_patient(current_user.id, response_id)
    instrument = questionnaires.get(offer.instrument)
    if offer.completed_at is not None:
        return render_template("measures/experience_done.html", title="Thank you")
    answers = dict(offer.answers)
    asked = [item.key for item in instrument.items if pages.is_asked(item, answers)]
    if request.method == "POST":  # a follow-up depends on an answer on this same page
        answers.update(
            {
                key: value
                for key, value in request.form.items()
                if key in {item.key for item in instrument.items}
            }
        )
        asked = [item.key for item in instrument.items if pages.is_asked(item, answers)]
    form = page_form(instrument, asked, answers)
    if form.validate_on_submit():
        services.complete_experience(offer, answers_from(form, asked), now=utcnow())
        return render_template("measures/experience_done.html", title="Thank you")
    return render_template(
        "measures/experience.html",
        title=instrument.title,
        form=form,
        instrument=instrument,
        items=asked,
    )
