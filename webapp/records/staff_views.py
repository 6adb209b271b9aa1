"""Subject access requests made by other means (email, letter, telephone, in person): the
admin or the clinical lead records one, produces the export, and marks it complete."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.records import queries, services, staff_bp
from webapp.records.forms import ConfirmForm, FindPatientForm, RequestForm
from webapp.records.views import export_page


def utcnow() -> datetime:
    return datetime.now(UTC)


@staff_bp.route("")
def index() -> str:
    form = FindPatientForm(request.args, meta={"csrf": False})
    matches = queries.patients_matching(form.email.data) if form.email.data else None
    return render_template(
        "records/staff/index.html",
        title="Subject access requests",
        open_requests=queries.open_requests(),
        completed=queries.recent_completed_requests(),
        form=form,
        matches=matches,
        today=services.london_day(utcnow()),
    )


@staff_bp.route("/new/<int:patient_id>", methods=["GET", "POST"])
def new(patient_id: int) -> BaseResponse | str:
    patient = queries.patient_or_404(patient_id)
    form = RequestForm()
    if form.validate_on_submit() and form.received_on is not None:
        try:
            sar = services.record_request(
                current_user,
                patient,
                channel=form.channel.data or "",
                requester=form.requester.data or "",
                received_on=form.received_on,
                verification=form.verification.data or "",
                note=form.note.data or "",
                now=utcnow(),
            )
        except services.RecordsError as error:
            form.form_errors.append(str(error))
        else:
            flash(f"Request recorded. It is due by {sar.due_on:%-d %B %Y}.")
            return redirect(url_for("subject_access.show", request_id=sar.id))
    return render_template(
        "records/staff/new.html",
        title="Record a subject access request",
        form=form,
        patient=patient,
    )


@staff_bp.route("/<int:request_id>")
def show(request_id: int) -> str:
    return render_template(
        "records/staff/show.html",
        title="Subject access request",
        sar=queries.request_or_404(request_id),
        form=ConfirmForm(),
        channels=services.CHANNELS,
    )


@staff_bp.route("/<int:request_id>/export", methods=["POST"])
def export(request_id: int) -> BaseResponse:
    sar = queries.request_or_404(request_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("subject_access.show", request_id=sar.id))
    try:
        doc = services.produce_export(current_user, sar, now=utcnow())
    except services.RecordsError as error:
        flash(str(error))
        return redirect(url_for("subject_access.show", request_id=sar.id))
    return Response(
        services.archive_bytes(doc),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="sar-{sar.id}.zip"'},
    )


@staff_bp.route("/<int:request_id>/printable", methods=["POST"])
def printable(request_id: int) -> BaseResponse | str:
    sar = queries.request_or_404(request_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("subject_access.show", request_id=sar.id))
    try:
        doc = services.produce_export(current_user, sar, now=utcnow())
    except services.RecordsError as error:
        flash(str(error))
        return redirect(url_for("subject_access.show", request_id=sar.id))
    return export_page("Subject access export", doc)


@staff_bp.route("/<int:request_id>/complete", methods=["POST"])
def complete(request_id: int) -> BaseResponse:
    sar = queries.request_or_404(request_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.complete_request(current_user, sar, now=utcnow())
        except services.RecordsError as error:
            flash(str(error))
        else:
            flash("The request is marked complete.")
    return redirect(url_for("subject_access.show", request_id=sar.id))
