"""Self-help pages: the library, each module, and the patient's own worksheets."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

import content
from content import worksheets
from webapp.library import bp, queries, services
from webapp.library.forms import DeleteForm, worksheet_form
from webapp.library.rendering import render_markdown

SECTION = "library"  # the activity-tracking section for every page here


def utcnow() -> datetime:
    return datetime.now(UTC)


@bp.before_request
def require_access_period() -> tuple[str, int] | None:
    """Outside the access period the library shows the access notice; the safety plan and the
    crisis page are elsewhere and stay open."""
    access = queries.access_for_patient(current_user.id, utcnow())
    if access.has_access:
        return None
    return render_template(
        "library/access_ended.html", title="Your access to self-help", access=access
    ), 403


@bp.route("/")
def index() -> str:
    g.activity = (SECTION, None)
    return render_template(
        "library/index.html",
        title="Self-help",
        modules=content.all_modules(),
        suggested_modules=queries.suggested_modules(current_user.id),
        access=queries.access_for_patient(current_user.id, utcnow()),
        section=SECTION,
    )


@bp.route("/<slug>")
def module(slug: str) -> str:
    document = queries.module(slug)
    g.activity = (SECTION, document.slug)  # read by the activity tracking (reports)
    sheet = worksheets.get(document.worksheet) if document.worksheet else None
    return render_template(
        "library/module.html",
        title=document.title,
        document=document,
        body=render_markdown(document.body),
        worksheet=sheet,
        saved=queries.worksheets_for_patient(current_user.id, sheet.code) if sheet else [],
        section=SECTION,
        module=document.slug,
    )


@bp.route("/worksheets")
def worksheet_list() -> str:
    return render_template(
        "library/worksheets.html",
        title="Your worksheets",
        saved=queries.worksheets_for_patient(current_user.id),
        worksheets=worksheets.WORKSHEETS,
    )


@bp.route("/worksheets/new/<code>", methods=["GET", "POST"])
def start_worksheet(code: str) -> Response | str:
    sheet = worksheets.WORKSHEETS.get(code) or abort(404)
    form = worksheet_form(sheet)
    if form.validate_on_submit():
        saved = services.save_worksheet(current_user, code, form.answers(), now=utcnow())
        flash(f"Your {sheet.title.lower()} is saved. Only you can see it.")
        return redirect(url_for("library.worksheet", worksheet_id=saved.id))
    return render_template("library/worksheet.html", title=sheet.title, sheet=sheet, form=form)


@bp.route("/worksheets/<int:worksheet_id>", methods=["GET", "POST"])
def worksheet(worksheet_id: int) -> Response | str:
    saved = queries.worksheet_for_patient(current_user.id, worksheet_id)
    sheet = worksheets.get(saved.code)
    form = worksheet_form(sheet, saved.answers)
    if form.validate_on_submit():
        services.save_worksheet(
            current_user, sheet.code, form.answers(), now=utcnow(), worksheet=saved
        )
        flash(f"Your changes to your {sheet.title.lower()} are saved.")
        return redirect(url_for("library.worksheet", worksheet_id=saved.id))
    return render_template(
        "library/worksheet.html", title=sheet.title, sheet=sheet, form=form, saved=saved
    )


@bp.route("/worksheets/<int:worksheet_id>/delete", methods=["GET", "POST"])
def delete_worksheet(worksheet_id: int) -> Response | str:
    saved = queries.worksheet_for_patient(current_user.id, worksheet_id)
    sheet = worksheets.get(saved.code)
    form = DeleteForm()
    if form.validate_on_submit():
        services.delete_worksheet(current_user, saved)
        flash(f"Your {sheet.title.lower()} is deleted.")
        return redirect(url_for("library.worksheet_list"))
    return render_template(
        "library/delete_worksheet.html", title=f"Delete this {sheet.title.lower()}?", form=form
    )
