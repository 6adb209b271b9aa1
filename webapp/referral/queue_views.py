"""The staff referral queue: new referrals oldest first, one referral's answers (an audited
view of a patient's record), likely duplicates, and the decision: accept, decline or signpost.

The clinical lead triages: the queue and the decision are theirs alone. A therapist may read the
referral of a patient they look after (from the care episode's page); others' are a 404."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import audit
from webapp.models import Referral, ReferralStatus, Role
from webapp.referral import codes, journey, queries, queue_bp, services
from webapp.referral.forms import DecisionForm
from webapp.security import roles_required

TABS = (ReferralStatus.RECEIVED, ReferralStatus.AWAITING_PATIENT, ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED, ReferralStatus.SIGNPOSTED)  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(UTC)


@queue_bp.route("/")
@roles_required(Role.CLINICAL_LEAD)
def queue() -> str:
    try:
        status = ReferralStatus(request.args.get("status", ReferralStatus.RECEIVED.value))
    except ValueError:
        status = ReferralStatus.RECEIVED
    referrals = queries.queue_for_staff(current_user, status)
    return render_template(
        "referral/queue.html",
        title="Referrals",
        referrals=referrals,
        status=status,
        tabs=TABS,
        duplicates=queries.duplicate_counts(referrals),
        now=utcnow(),
        sources=codes.SOURCES,
    )


@queue_bp.route("/<int:referral_id>")
def referral(referral_id: int) -> str:
    referral = queries.referral_for_staff(current_user, referral_id)  # 404 if not theirs
    return _referral_page(referral, DecisionForm())


@queue_bp.route("/<int:referral_id>/decision", methods=["POST"])
@roles_required(Role.CLINICAL_LEAD)
def decide(referral_id: int) -> Response | str:
    referral = queries.referral_for_staff(current_user, referral_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            if form.decision.data == ReferralStatus.ACCEPTED.value:
                services.accept(referral, actor=current_user, now=utcnow())
                flash(
                    f"Referral {referral.reference} accepted. We have emailed "
                    f"{referral.full_name} to tell them how to sign in."
                )
            else:
                services.decide_not_to_accept(
                    referral,
                    ReferralStatus(form.decision.data),
                    form.reason.data or "",
                    actor=current_user,
                    now=utcnow(),
                )
                flash(
                    f"Referral {referral.reference} "
                    f"{ReferralStatus(form.decision.data).label.lower()}."
                )
        except services.ReferralError as error:
            form.form_errors.append(str(error))
        else:
            return redirect(url_for("referrals.queue"))
    return _referral_page(referral, form)


def _referral_page(referral: Referral, form: DecisionForm) -> str:
    """The referral's answers, as an audited view of a patient's record; for the clinical lead,
    who triages, also its likely duplicates and the decision."""
    audit.record_now(
        "referral.viewed",
        actor=current_user,
        subject_type="referral",
        subject_id=referral.id,
        patient_id=referral.patient_id,
        detail={"reference": referral.reference},
    )
    triages = current_user.role is Role.CLINICAL_LEAD
    return render_template(
        "referral/referral.html",
        title=f"Referral {referral.reference}",
        referral=referral,
        form=form,
        triages=triages,
        duplicates=queries.likely_duplicates(referral) if triages else [],
        codes=codes,
        steps=journey.SELF_STEPS,
    )
