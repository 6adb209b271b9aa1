"""Members' pages: consultations to respond to, their results once closed, and suggestions.
Views parse, call once and render (STYLE.md 2); a patient who has not joined the community is
sent to join first, as on every community page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.community import queries as community
from webapp.community.views import (
    may_post,
    require_access,  # noqa: F401  - the blueprint's access rule
)
from webapp.models import CommunityMember, ConsultationKind
from webapp.voice import bp, queries, services
from webapp.voice.forms import PollResponseForm, SuggestionForm, survey_answers, survey_form
from webapp.voice.rules import Phase


def utcnow() -> datetime:
    return datetime.now(UTC)


def _member() -> CommunityMember:
    member = community.member_of(current_user.id)
    if member is None:
        abort(redirect(url_for("community.join")))
    return member


@bp.route("/")
def index() -> str:
    member = _member()
    return render_template(
        "voice/index.html",
        title="Have your say",
        consultations=queries.consultations_for_member(member.user_id, utcnow()),
    )


@bp.route("/consultations/<int:consultation_id>", methods=["GET", "POST"])
def consultation(consultation_id: int) -> Response | str:
    member, now = _member(), utcnow()
    consultation = queries.consultation_for_member(member.user_id, consultation_id, now)
    is_poll = consultation.kind is ConsultationKind.POLL
    form = PollResponseForm(consultation) if is_poll else survey_form(consultation)
    if form.validate_on_submit():
        try:
            if is_poll:
                services.respond_to_poll(member, consultation, form.chosen(), now=now)  # type: ignore[attr-defined]
                flash("Thank you: your answer is counted.")
            else:
                screened = services.respond_to_survey(
                    member, consultation, survey_answers(form, consultation), now=now
                )
                flash(
                    "Thank you. A moderator will read your answers before they are counted."
                    if screened.is_held
                    else "Thank you: your answers are saved."
                )
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            return redirect(url_for("voice.consultation", consultation_id=consultation.id))
    phase = queries.phase_of(consultation, now)
    return render_template(
        "voice/consultation.html",
        title=consultation.title,
        consultation=consultation,
        phase=phase.value,
        form=form,
        has_responded=queries.has_responded(member.user_id, consultation.id),
        is_suspended=member.is_suspended(now),
        results=(
            queries.poll_results(member.user_id, consultation)
            if is_poll and phase is Phase.CLOSED
            else None
        ),
        respondents=queries.response_count(consultation.id) if phase is Phase.CLOSED else None,
        needs_support=queries.own_answers_need_support(member.user_id, consultation.id),
        page_has_errors=bool(form.errors),
    )


@bp.route("/suggestions")
def suggestions() -> str:
    member = _member()
    return render_template(
        "voice/suggestions.html",
        title="Suggestions: you said, we did",
        suggestions=queries.suggestions_for_member(member.user_id),
        member=member,
        needs_support=queries.own_suggestion_needs_support(member.user_id),
    )


@bp.route("/suggestions/new", methods=["GET", "POST"])
def suggest() -> Response | str:
    member = _member()
    form = SuggestionForm()
    if form.validate_on_submit() and may_post(form):
        try:
            screened = services.suggest(
                member, form.title.data or "", form.body.data or "", now=utcnow()
            )
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            flash(
                "Thank you. A moderator will read your suggestion before others can see it."
                if screened.is_held
                else "Thank you: your suggestion is published, and staff will reply."
            )
            return redirect(url_for("voice.suggestions"))
    return render_template(
        "voice/suggest.html",
        title="Suggest an improvement",
        form=form,
        page_has_errors=bool(form.errors),
    )
