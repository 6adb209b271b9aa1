"""Staff pages: publish, change and close consultations, read every result and answer, and
reply to suggestions. Views parse, call once and render (STYLE.md 2)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.models import ConsultationKind
from webapp.voice import console_bp as bp
from webapp.voice import queries, services
from webapp.voice.forms import CloseForm, ConsultationForm, ReplyForm


def utcnow() -> datetime:
    return datetime.now(UTC)


@bp.route("/")
def index() -> str:
    return render_template(
        "voice_console/index.html",
        title="Consultations and suggestions",
        consultations=queries.consultations_for_staff(current_user.id),
        suggestions=queries.suggestions_for_staff(current_user.id),
        now=utcnow(),
        phase_of=queries.phase_of,
    )


@bp.route("/consultations/new", methods=["GET", "POST"])
def new_consultation() -> Response | str:
    form = ConsultationForm()
    if form.validate_on_submit():
        consultation = services.publish(current_user, form.draft(), now=utcnow())
        flash("Published. Members see it from its opening time.")
        return redirect(url_for("voice_console.consultation", consultation_id=consultation.id))
    return render_template(
        "voice_console/edit.html",
        title="Publish a consultation",
        form=form,
        page_has_errors=bool(form.errors),
    )


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
def edit_consultation(consultation_id: int) -> Response | str:
    consultation = queries.consultation_for_staff(current_user.id, consultation_id)
    form = ConsultationForm()
    if form.validate_on_submit():
        try:
            services.update(current_user, consultation, form.draft(), now=utcnow())
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            flash("Your changes are saved.")
            return redirect(url_for("voice_console.consultation", consultation_id=consultation_id))
    elif not form.is_submitted():
        form.fill_from(consultation)
    return render_template(
        "voice_console/edit.html",
        title=f"Change “{consultation.title}”",
        form=form,
        consultation=consultation,
        page_has_errors=bool(form.errors),
    )


@bp.route("/consultations/<int:consultation_id>")
def consultation(consultation_id: int) -> str:
    consultation = queries.consultation_for_staff(current_user.id, consultation_id)
    is_poll = consultation.kind is ConsultationKind.POLL
    return render_template(
        "voice_console/consultation.html",
        title=consultation.title,
        consultation=consultation,
        phase=queries.phase_of(consultation, utcnow()).value,
        respondents=queries.response_count(consultation.id),
        results=queries.poll_results(current_user.id, consultation) if is_poll else None,
        answers=(
            [] if is_poll else queries.survey_answers_for_staff(current_user.id, consultation.id)
        ),
        close_form=CloseForm(),
    )


@bp.route("/consultations/<int:consultation_id>/close", methods=["POST"])
def close(consultation_id: int) -> Response:
    consultation = queries.consultation_for_staff(current_user.id, consultation_id)
    if CloseForm().validate_on_submit():
        try:
            services.close_early(current_user, consultation, now=utcnow())
            flash("Closed: members can now see the results.")
        except services.Refused as refused:
            flash(str(refused))
    return redirect(url_for("voice_console.consultation", consultation_id=consultation_id))


@bp.route("/suggestions/<int:suggestion_id>", methods=["GET", "POST"])
def suggestion(suggestion_id: int) -> Response | str:
    suggestion = queries.suggestion_for_staff(current_user.id, suggestion_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            services.reply_to_suggestion(
                current_user, suggestion, form.chosen_status(), form.reply.data or "", now=utcnow()
            )
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            flash("Your reply is published.")
            return redirect(url_for("voice_console.index"))
    elif not form.is_submitted() and suggestion.reply:
        form.status.data, form.reply.data = suggestion.status.value, suggestion.reply
    return render_template(
        "voice_console/suggestion.html",
        title=f"Reply to “{suggestion.post.thread.title}”",
        suggestion=suggestion,
        form=form,
        page_has_errors=bool(form.errors),
    )
