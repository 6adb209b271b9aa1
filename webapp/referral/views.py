"""The public referral pages: refer yourself (one question a page, check your answers, a
reference), refer a patient (for practitioners), and the patient's link to finish a
practitioner's referral. No sign-in; answers wait in an encrypted draft until sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp import LONDON
from webapp.extensions import limiter
from webapp.models import Referral, ReferralDraft
from webapp.referral import bp, codes, eligibility, journey, services
from webapp.referral.forms import PractitionerReferralForm

DRAFT_KEY = "referral_draft"
REFERENCE = "referral_reference"  # a practitioner's referral, for their "sent" page
SENT = "referral_sent"  # the reference of the referral this browser's draft became
REFUSALS = "referral_refusals"
TEXTS_DROPPED = (
    "You removed your mobile number, so we cannot send you text reminders. "
    "Choose how you would like us to remind you."
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def london_today() -> date:
    """Age is judged on the day of referral as people in the UK count days."""
    return utcnow().astimezone(LONDON).date()


def _public_form_limit() -> str:
    return str(current_app.config["PUBLIC_FORM_RATE_LIMIT"])


def _question_limit() -> str:
    return str(current_app.config["REFERRAL_RATE_LIMIT"])


def _draft() -> ReferralDraft | None:
    return services.draft_for_key(session.get(DRAFT_KEY), now=utcnow())


def _begin(referral: Referral | None = None) -> Response:
    key = services.start_draft(now=utcnow(), referral=referral)
    session[DRAFT_KEY] = key
    session.pop(SENT, None)
    steps = journey.steps_for(is_finishing=referral is not None)
    return redirect(url_for("referral.question", slug=steps[0].slug))


def _restart() -> Response:
    flash(
        "We did not keep your answers because you had not used the page for a while. Start again."
    )
    return redirect(url_for("referral.start"))


def _open_draft() -> ReferralDraft | Response:
    """The draft being answered, or where to go instead: its "sent" page again if it was
    already sent (a double tap on Send, or back and Send again), else the start."""
    draft = _draft()
    if draft is None:
        return redirect(url_for("referral.sent")) if session.get(SENT) else _restart()
    sent = services.referral_sent_from(draft)
    return draft if sent is None else _show_sent(sent)


def _show_sent(referral: Referral) -> Response:
    session.pop(DRAFT_KEY, None)
    session[SENT] = referral.reference
    return redirect(url_for("referral.sent"))


@bp.route("/refer-yourself", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"])
def start() -> Response | str:
    if FlaskForm().validate_on_submit():
        return _begin()
    return render_template("referral/start.html")


@bp.route("/refer-yourself/<slug>", methods=["GET", "POST"])
@limiter.limit(_question_limit, methods=["POST"])
def question(slug: str) -> Response | str:
    draft = _open_draft()
    if not isinstance(draft, ReferralDraft):
        return draft
    steps = journey.steps_for(is_finishing=draft.referral_id is not None)
    step = journey.step_named(steps, slug) or abort(404)
    answers = services.answers_of(draft)
    if not journey.may_open(steps, step, answers):
        return redirect(url_for("referral.question", slug=journey.next_slug(steps, answers)))
    form = step.form(data=step.form.initial(answers))
    form.has_mobile = bool(answers.get("mobile_e164"))
    if form.validate_on_submit():
        texts_dropped = services.save_answers(draft, step.slug, form.answers(), now=utcnow())
        answers = services.answers_of(draft)
        check = services.eligibility_of(answers, today=london_today())
        if step.slug in journey.ELIGIBILITY_STEPS and check is not None and not check.is_eligible:
            return _refuse(draft, check.refusals)
        slug = journey.next_slug(steps, answers)
        if texts_dropped:
            flash(TEXTS_DROPPED)
            return redirect(
                url_for("referral.question", slug=slug, change=request.args.get("change"))
            )
        return redirect(url_for("referral.question", slug=slug))
    return render_template(
        "referral/question.html",
        step=step,
        form=form,
        back_href=_back_link(steps, step),
        privacy_notice_version=codes.PRIVACY_NOTICE_VERSION,
    )


def _refuse(draft: ReferralDraft, refusals: tuple[eligibility.Refusal, ...]) -> Response:
    """Not eligible: forget the answers, count the refusal, say why and where to go instead."""
    services.refuse_draft(draft, refusals, now=utcnow())
    session.pop(DRAFT_KEY, None)
    session[REFUSALS] = [refusal.value for refusal in refusals]
    return redirect(url_for("referral.cannot_refer"))


def _back_link(steps: tuple[journey.Step, ...], step: journey.Step) -> str:
    if request.args.get("change"):
        return url_for("referral.question", slug=journey.CHECK_ANSWERS)
    index = steps.index(step)
    if index == 0:
        return url_for("referral.start")
    return url_for("referral.question", slug=steps[index - 1].slug)


@bp.route("/refer-yourself/check-your-answers", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"])
def check_answers() -> Response | str:
    draft = _open_draft()
    if not isinstance(draft, ReferralDraft):
        return draft
    steps = journey.steps_for(is_finishing=draft.referral_id is not None)
    answers = services.answers_of(draft)
    if journey.first_unanswered(steps, answers) is not None:
        return redirect(url_for("referral.question", slug=journey.next_slug(steps, answers)))
    if FlaskForm().validate_on_submit():
        if draft.referral_id is None:
            referral = services.submit_self_referral(draft, now=utcnow())
        else:
            referral = services.finish_practitioner_referral(draft, now=utcnow())
        return _show_sent(referral)
    return render_template("referral/check_answers.html", rows_in=journey.summary(steps, answers))


@bp.route("/refer-yourself/sent")
def sent() -> Response | str:
    reference = session.get(SENT)
    if not reference:
        return redirect(url_for("referral.start"))
    return render_template("referral/sent.html", reference=reference)


@bp.route("/refer-yourself/cannot-refer")
def cannot_refer() -> Response | str:
    refusals = session.get(REFUSALS)
    if not refusals:
        return redirect(url_for("referral.start"))
    return render_template(
        "referral/cannot_refer.html",
        refusals=refusals,
        practitioner=False,
        heading="You cannot use this service",
    )


@bp.route("/refer-a-patient", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"])
def refer_patient() -> Response | str:
    form = PractitionerReferralForm()
    if form.validate_on_submit():
        details = form.details()
        check = services.eligibility_of(
            {
                "date_of_birth": details["date_of_birth"].isoformat(),
                "postcode": details["postcode"],
            },
            today=london_today(),
        )
        if check is not None and not check.is_eligible:
            services.record_refusals(
                check.refusals, source_code=details["source_code"], day=london_today()
            )
            refusals = [refusal.value for refusal in check.refusals]
            return render_template(
                "referral/cannot_refer.html",
                refusals=refusals,
                practitioner=True,
                heading="We cannot take this referral",
            )
        referral = services.refer_patient(details, now=utcnow())
        session[REFERENCE] = referral.reference
        return redirect(url_for("referral.patient_referred"))
    return render_template("referral/practitioner.html", form=form)


@bp.route("/refer-a-patient/sent")
def patient_referred() -> Response | str:
    reference = session.get(REFERENCE)
    if not reference:
        return redirect(url_for("referral.refer_patient"))
    days = current_app.config["PRACTITIONER_LINK_VALID_FOR"].days
    return render_template("referral/practitioner_sent.html", reference=reference, days=days)


@bp.route("/finish-your-referral/<token>", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"])
def finish(token: str) -> Response | str | tuple[str, int]:
    referral = services.referral_for_finish_token(token)
    if referral is None:
        return render_template("referral/link_expired.html"), 410
    if FlaskForm().validate_on_submit():
        return _begin(referral)
    return render_template("referral/finish_start.html", referral=referral)
