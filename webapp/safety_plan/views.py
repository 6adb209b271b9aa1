"""The safety plan: see it (and print it) at any time; change it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from content.safety_plan import KEYS, SECTIONS
from webapp.safety_plan import bp, queries, services
from webapp.safety_plan.forms import SafetyPlanForm


def utcnow() -> datetime:
    return datetime.now(UTC)


@bp.route("")
def show() -> str:
    return render_template(
        "safety_plan/show.html",
        title="Your safety plan",
        plan=queries.plan_for_patient(current_user.id),
        sections=SECTIONS,
    )


@bp.route("/edit", methods=["GET", "POST"])
def edit() -> Response | str:
    plan = queries.plan_for_patient(current_user.id)
    saved = {key: getattr(plan, key) for key in KEYS} if plan is not None else {}
    form = SafetyPlanForm(data=saved)
    if form.validate_on_submit():
        services.save_plan(current_user, form.answers(), now=utcnow())
        flash("Your safety plan is saved. Only you can see it.")
        return redirect(url_for("safety_plan.show"))
    return render_template(
        "safety_plan/edit.html", title="Change your safety plan", form=form, sections=SECTIONS
    )
