"""The staff referral queue: new referrals oldest first, one referral's answers (an audited
view of a patient's record), likely duplicates, and the decision: accept, decline or signpost."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import audit
from webapp.models import ReferralStatus
from webapp.referral import codes, journey, queries, queue_bp, services
from webapp.referral.forms import DecisionForm

TABS = (ReferralStatus.RECEIVED, ReferralStatus.AWAITING_PATIENT, ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED, ReferralStatus.SIGNPOSTED)  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(UTC)


@queue_bp.route("/")
def queue() -> str:
    try:
        status = ReferralStatus(request.args.get("status", ReferralStatus.RECEIVED.value))
    except ValueError:
        status = ReferralStatus.RECEIVED
    referrals = queries.queue_for_staff(current_user.id, status)
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


@queue_bp.route("/<int:referral_id>", methods=["GET", "POST"])
def referral(referral_id: int) -> Response | str:
    referral = queries.referral_for_staff(current_user.id, referral_id)
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
    audit.record_now(
        "referral.viewed",
        actor=current_user,
        subject_type="referral",
        subject_id=referral.id,
        patient_id=referral.patient_id,
        detail={"reference": referral.reference},
    )
    return render_template(
        "referral/referral.html",
        title=f"Referral {referral.reference}",
        referral=referral,
        form=form,
        duplicates=queries.likely_duplicates(referral),
        codes=codes,
        steps=journey.SELF_STEPS,
    )
