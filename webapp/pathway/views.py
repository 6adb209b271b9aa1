"""The care pathway pages: a therapist's caseload of episodes and each episode's page, where
they record the assessment, change its state and step, code appointments, plan the ending and
discharge. A therapist sees only the episodes they are responsible for; the clinical lead sees
every episode but changes none (writes are the responsible therapist's).

The blueprint lives here, not in `webapp/pathway/__init__.py`, because the models import the
pure `webapp.pathway.episode`, and a package `__init__` that imported Flask and the models would
make that a circular import.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from questionnaires.measures import MEASURES
from webapp import audit
from webapp.models import CareEpisode, Role
from webapp.pathway import episode as rules
from webapp.pathway import queries, services
from webapp.pathway.codes import DESCRIPTOR_LABELS, END_CODES, ICD10
from webapp.pathway.forms import (
    AssessmentForm,
    CodingForm,
    DischargeForm,
    EndingForm,
    StateForm,
    StepForm,
)
from webapp.security import require_roles, roles_required
from webapp.therapy.forms import parse_date

bp = Blueprint("pathway", __name__, url_prefix="/care-pathway")
bp.before_request(require_roles(Role.THERAPIST, Role.CLINICAL_LEAD))

ZONE = "Europe/London"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return rules.uk_today(utcnow())


def _review_after() -> int:
    return int(current_app.config["REVIEW_AFTER_TREATMENT_SESSIONS"])


@bp.route("/")
def caseload() -> str:
    return render_template(
        "pathway/caseload.html",
        title="Care episodes",
        rows=queries.caseload_for(current_user, review_after=_review_after(), include_ended=True),
        review_after=_review_after(),
    )


@bp.route("/episodes/<int:episode_id>")
def episode_page(episode_id: int) -> str:
    episode = queries.episode_for(current_user, episode_id)
    audit.record_patient_record_view(current_user, episode.patient_id, f"care episode {episode.id}")
    return render_template("pathway/episode.html", title="Care episode", **_facts(episode))


def _facts(episode: CareEpisode) -> dict[str, object]:
    contacts = queries.contacts_for(episode.id)
    assessment = queries.assessment_for(episode.id)
    descriptor = assessment.problem_descriptor if assessment else None
    return {
        "episode": episode,
        "appointments": queries.appointments_for(episode.id),
        "assessment": assessment,
        "assessment_versions": queries.assessment_versions_for(episode.id),
        "changes": queries.changes_for(episode.id),
        "step_changes": queries.step_changes_for(episode.id),
        "step_waits": rules.step_waits(contacts, queries.step_moves_for(episode.id)),
        "treatment_sessions": len(rules.treatment_sessions(contacts)),
        "entered_treatment_on": rules.entered_treatment_on(contacts),
        "outcome": rules.episode_outcome(
            contacts, ended_on=episode.ended_on, descriptor=descriptor
        ),
        "pair": rules.paired_scores(contacts, descriptor),
        "waits": rules.waits(episode.referral.received_at, contacts),
        "needs_review": not episode.state.is_ended
        and rules.needs_review(contacts, after_sessions=_review_after()),
        "review_after": _review_after(),
        "experience_offered_at": queries.experience_offered_at(episode),
        "ending_form": EndingForm(),
        "descriptors": DESCRIPTOR_LABELS,
        "measure_names": {code: measure.name for code, measure in MEASURES.items()},
        "icd10": ICD10,
        "end_codes": END_CODES,
        "steps": rules.STEP_LABELS,
        "zone": ZONE,
    }


def _refused(form: FlaskForm, error: services.PathwayError) -> None:
    """The refusal on its field when it names one the form has, else on the form (each of
    several reasons given at once)."""
    if error.field is not None and error.field in form:
        form[error.field].errors = [*form[error.field].errors, str(error)]
        return
    form.form_errors.extend(error.problems or (str(error),))  # type: ignore[attr-defined]


def _back(episode: CareEpisode) -> Response:
    return redirect(url_for("pathway.episode_page", episode_id=episode.id))


@bp.route("/episodes/<int:episode_id>/state", methods=["GET", "POST"])
@roles_required(Role.THERAPIST)
def change_state(episode_id: int) -> Response | str:
    episode = queries.episode_for(current_user, episode_id)
    form = StateForm(episode.state)
    if form.validate_on_submit():
        try:
            new = rules.EpisodeState(form.to_state.data)
            services.change_state(
                episode, new, actor=current_user, note=form.note.data or "", now=utcnow()
            )
            flash(f"The episode is now: {new.label.lower()}.")
            return _back(episode)
        except services.PathwayError as error:
            _refused(form, error)
    return render_template(
        "pathway/state.html", title="Change the state", episode=episode, form=form
    )


@bp.route("/episodes/<int:episode_id>/assessment", methods=["GET", "POST"])
@roles_required(Role.THERAPIST)
def assessment(episode_id: int) -> Response | str:
    episode = queries.episode_for(current_user, episode_id)
    saved = queries.assessment_for(episode.id)
    form = AssessmentForm(_today(), obj=saved, data=_assessment_data(saved, episode))
    if form.validate_on_submit():
        try:
            services.save_assessment(episode, form.values(), actor=current_user, now=utcnow())
            flash("The assessment is saved.")
            return _back(episode)
        except services.PathwayError as error:
            _refused(form, error)
    return render_template(
        "pathway/assessment.html", title="Assessment", episode=episode, form=form
    )


def _assessment_data(saved: object, episode: CareEpisode) -> dict[str, object]:
    # The step the assessment set, which may differ from today's after a step up or down.
    step = queries.assessment_step_for(episode.id) or episode.current_step
    data: dict[str, object] = {"step_of_care": step}
    if saved is not None:
        data["assessed_on"] = saved.assessed_on.isoformat()  # type: ignore[attr-defined]
        data["preference_met"] = "yes" if saved.preference_met else "no"  # type: ignore[attr-defined]
    return data


@bp.route("/episodes/<int:episode_id>/step", methods=["GET", "POST"])
@roles_required(Role.THERAPIST)
def change_step(episode_id: int) -> Response | str:
    episode = queries.episode_for(current_user, episode_id)
    form = StepForm(_today())
    if form.validate_on_submit():
        try:
            services.change_step(
                episode,
                form.to_step.data or "",
                on=parse_date(form.changed_on.data),  # type: ignore[arg-type]
                reason=form.reason.data or "",
                actor=current_user,
                now=utcnow(),
            )
            flash(f"The episode is now at step {episode.current_step}.")
            return _back(episode)
        except services.PathwayError as error:
            _refused(form, error)
    return render_template("pathway/step.html", title="Change the step", episode=episode, form=form)


@bp.route("/episodes/<int:episode_id>/ending", methods=["POST"])
@roles_required(Role.THERAPIST)
def plan_ending(episode_id: int) -> Response:
    episode = queries.episode_for(current_user, episode_id)
    if EndingForm().validate_on_submit():
        try:
            services.plan_ending(episode, actor=current_user, now=utcnow())
            flash("The patient has been asked for their experience of the service.")
        except services.PathwayError as error:
            flash(str(error))
    return _back(episode)


@bp.route("/episodes/<int:episode_id>/discharge", methods=["GET", "POST"])
@roles_required(Role.THERAPIST)
def discharge(episode_id: int) -> Response | str:
    episode = queries.episode_for(current_user, episode_id)
    form = DischargeForm(episode.state, _today())
    if form.validate_on_submit():
        try:
            services.discharge(
                episode,
                form.end_code.data or "",
                reason=form.reason.data or "",
                ended_on=parse_date(form.ended_on.data),  # type: ignore[arg-type]
                actor=current_user,
                now=utcnow(),
            )
            flash("The patient is discharged.")
            return _back(episode)
        except services.PathwayError as error:
            _refused(form, error)
    return render_template("pathway/discharge.html", title="Discharge", episode=episode, form=form)


@bp.route(
    "/episodes/<int:episode_id>/appointments/<int:appointment_id>/coding", methods=["GET", "POST"]
)
@roles_required(Role.THERAPIST)
def code_appointment(episode_id: int, appointment_id: int) -> Response | str:
    episode = queries.episode_for(current_user, episode_id)
    appointment = queries.appointment_in_episode(current_user, episode, appointment_id)
    form = CodingForm(obj=appointment)
    if form.validate_on_submit():
        services.code_appointment(
            appointment,
            form.appointment_type.data or "",
            form.step_of_care.data or "",
            actor=current_user,
            now=utcnow(),
        )
        flash("The appointment’s coding is saved.")
        return _back(episode)
    return render_template(
        "pathway/coding.html",
        title="Code the appointment",
        episode=episode,
        appointment=appointment,
        form=form,
        zone=ZONE,
    )
