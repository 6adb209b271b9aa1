"""The patient's own pages: their data and privacy, the download, consent, closing the account."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.groups import queries as group_queries
from webapp.groups import services as group_services
from webapp.records import archive, bp, consent, queries, services
from webapp.records.forms import (
    CloseAccountForm,
    ConsentForm,
    ContactDetailsForm,
    ExportForm,
)
from webapp.referral import eligibility

TEXTS_SWITCHED_OFF = (
    "You removed your mobile number, so we have turned text reminders off. To get them again, "
    "add a mobile number, then turn text reminders on in your choices."
)


def utcnow() -> datetime:
    return datetime.now(UTC)


@bp.route("")
def index() -> str:
    return render_template(
        "records/index.html",
        title="Your data and privacy",
        referral=queries.consent_given(current_user.id),
        choices=queries.current_choices(current_user.id),
        options=consent.CHOICES,
        history=queries.consent_history(current_user.id),
        ended_episode=queries.ended_episode(current_user.id),
        form=ExportForm(),
    )


@bp.route("/download", methods=["POST"])
def download() -> BaseResponse:
    if not ExportForm().validate_on_submit():
        return redirect(url_for("records.index"))
    doc = services.export_own_data(current_user, now=utcnow(), form="archive")
    day = doc["generated_at"][:10]
    return Response(
        services.archive_bytes(doc),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="your-data-{day}.zip"'},
    )


@bp.route("/printable", methods=["POST"])
def printable() -> BaseResponse | str:
    if not ExportForm().validate_on_submit():
        return redirect(url_for("records.index"))
    doc = services.export_own_data(current_user, now=utcnow(), form="printable page")
    return export_page("Your data", doc)


def export_page(title: str, doc: dict[str, Any]) -> str:
    """An export as a page to print: the patient's own, and staff answering a request."""
    return render_template(
        "records/export.html",
        title=title,
        doc=doc,
        sections=archive.SECTIONS,
        field_label=archive.field_label,
        field_text=archive.field_text,
    )


@bp.route("/contact-details", methods=["GET", "POST"])
def contact_details() -> BaseResponse | str:
    profile = current_user.patient_profile
    form = ContactDetailsForm(
        data={
            "mobile": profile.mobile_e164 if profile else "",
            "timezone": profile.timezone if profile else "Europe/London",
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        mobile = (form.mobile.data or "").strip()
        try:
            changed = services.change_contact_details(
                current_user,
                eligibility.normalise_uk_mobile(mobile) if mobile else None,
                form.timezone.data or "Europe/London",
                now=utcnow(),
            )
        except services.RecordsError as error:
            form.form_errors.append(str(error))
        else:
            flash("Your contact details are saved." if changed else "Nothing changed.")
            if services.TEXTS_SWITCHED_OFF in changed:
                flash(TEXTS_SWITCHED_OFF)
            return redirect(url_for("records.index"))
    return render_template(
        "records/contact_details.html",
        title="Your contact details",
        form=form,
        texts_on=bool(profile and profile.sms_reminders),
        page_has_errors=bool(form.errors or form.form_errors),
    )


@bp.route("/choices", methods=["GET", "POST"])
def choices() -> BaseResponse | str:
    profile = current_user.patient_profile
    has_mobile = bool(profile and profile.mobile_e164)
    form = ConsentForm(has_mobile=has_mobile, data=queries.current_choices(current_user.id))
    if form.validate_on_submit():
        try:
            changed = services.change_choices(current_user, form.choices(), now=utcnow())
        except services.RecordsError as error:  # the number went meanwhile (another tab)
            form.sms_reminders.errors = [*form.sms_reminders.errors, str(error)]
        else:
            flash("Your choices are saved." if changed else "Nothing changed.")
            return redirect(url_for("records.index"))
    return render_template(
        "records/choices.html",
        title="Change your choices",
        form=form,
        options=consent.CHOICES,
        has_mobile=has_mobile,
    )


@bp.route("/close-account", methods=["GET", "POST"])
def close_account() -> BaseResponse | str:
    form = CloseAccountForm()
    if form.validate_on_submit():
        try:
            services.close_account(
                current_user,
                password=form.password.data or "",
                community_choice=form.community.data or "",
                now=utcnow(),
            )
        except services.RecordsError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            logout_user()
            session.clear()
            # Signed out now, so the page is rendered here rather than behind a redirect.
            return render_template("records/closed.html", title="Your account is closed")
    return render_template(
        "records/close_account.html",
        title="Close your account",
        form=form,
        bookings=queries.future_bookings(current_user.id, utcnow()),
        groups=group_queries.places_of(current_user.id, *group_services.STILL_IN),
    )
