"""The staff referral queue: new referrals oldest first, one referral's answers (an audited
view of a patient's record), likely duplicates, and the decision: accept, the same person as an
existing patient, decline or signpost.

The clinical lead triages: the queue and the decision are theirs alone. A therapist may read the
referral of a patient they look after (from the care episode's page); others' are a 404."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import audit
from webapp.models import Referral, ReferralStatus, Role
from webapp.referral import codes, forms, journey, queries, queue_bp, services
from webapp.referral.forms import DecisionForm
from webapp.security import roles_required

TABS = (ReferralStatus.RECEIVED, ReferralStatus.AWAITING_PATIENT, ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED, ReferralStatus.SIGNPOSTED, ReferralStatus.DUPLICATE)  # fmt: skip


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
    return _referral_page(referral, form=None)


@queue_bp.route("/<int:referral_id>/decision", methods=["POST"])
@roles_required(Role.CLINICAL_LEAD)
def decide(referral_id: int) -> Response | str:
    referral = queries.referral_for_staff(current_user, referral_id)
    duplicates = queries.likely_duplicates(referral)
    form = DecisionForm(patients=queries.patients_among(duplicates))
    if form.validate_on_submit():
        try:
            flash(_decide(referral, form))
        except services.ReferralError as error:
            form.form_errors.append(str(error))
        else:
            return redirect(url_for("referrals.queue"))
    return _referral_page(referral, form=form, duplicates=duplicates)


def _decide(referral: Referral, form: DecisionForm) -> str:
    """Carry out the decision (one service call); what to tell the clinical lead."""
    now, decision, name = utcnow(), form.decision.data, referral.full_name
    if decision == forms.ACCEPT:
        services.accept(
            referral,
            actor=current_user,
            now=now,
            different_person_reason=form.different_person_reason.data or "",
        )
        return (
            f"Referral {referral.reference} accepted. We have emailed {name} to tell them how "
            "to sign in."
        )
    if decision == forms.SAME_PERSON:
        status = services.add_to_existing_patient(
            referral, form.chosen_patient_id(), actor=current_user, now=now
        )
        patient = referral.patient.full_name if referral.patient else name
        if status is ReferralStatus.DUPLICATE:
            return (
                f"Referral {referral.reference} closed as a duplicate and added to {patient}'s "
                "record: they are already in our care. Nobody has been emailed."
            )
        return (
            f"Referral {referral.reference} accepted onto {patient}'s existing record, with a "
            "new episode of care. We have emailed them to sign in as usual."
        )
    status = ReferralStatus(decision)
    services.decide_not_to_accept(
        referral, status, form.reason.data or "", actor=current_user, now=now
    )
    return f"Referral {referral.reference} {status.label.lower()}."


def _referral_page(
    referral: Referral,
    *,
    form: DecisionForm | None,
    duplicates: list[queries.Duplicate] | None = None,
) -> str:
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
    if duplicates is None:
        duplicates = queries.likely_duplicates(referral) if triages else []
    patients = queries.patients_among(duplicates)
    return render_template(
        "referral/referral.html",
        title=f"Referral {referral.reference}",
        referral=referral,
        form=form or DecisionForm(patients=patients),
        triages=triages,
        duplicates=duplicates,
        patients=patients,
        codes=codes,
        steps=journey.SELF_STEPS,
    )
