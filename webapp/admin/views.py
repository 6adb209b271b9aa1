from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.admin import bp, queries
from webapp.admin.forms import ChangeRoleForm, CreateUserForm
from webapp.auth import services
from webapp.models import Role


@bp.route("/users")
def users() -> str:
    role = request.args.get("role")
    selected = Role(role) if role in {r.value for r in Role} else None
    return render_template(
        "admin/users.html",
        title="Accounts",
        users=queries.accounts(selected),
        selected=selected,
        roles=list(Role),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def create_user() -> Response | str:
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data or "",
                form.full_name.data or "",
                Role(form.role.data),
                actor=current_user,
            )
        except services.AccountError as error:
            form.email.errors = [*form.email.errors, str(error)]
        else:
            services.send_invitation(user, now=datetime.now(UTC))
            flash(f"Account created. We have emailed {user.email} a link to set a password.")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/create_user.html", title="Create an account", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Response | str:
    account = queries.account(user_id)
    form = ChangeRoleForm(role=account.role.value)
    if form.validate_on_submit():
        try:
            services.change_role(current_user, account, Role(form.role.data))
        except services.AccountError as error:
            form.role.errors = [*form.role.errors, str(error)]
        else:
            flash(f"{account.full_name} is now: {account.role.label}.")
            return redirect(url_for("admin.user", user_id=account.id))
    return render_template("admin/user.html", title=account.full_name, account=account, form=form)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def set_active(user_id: int) -> Response:
    account = queries.account(user_id)
    try:
        services.set_active(current_user, account, active=not account.is_active_account)
    except services.AccountError as error:
        flash(str(error))
    else:
        state = "active" if account.is_active_account else "deactivated"
        flash(f"{account.full_name}’s account is now {state}.")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<int:user_id>/reset-two-factor", methods=["POST"])
def reset_two_factor(user_id: int) -> Response:
    account = queries.account(user_id)
    services.reset_two_factor(current_user, account)
    flash(
        f"{account.full_name} will set up two-factor authentication again when they next sign in."
    )
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/audit-log")
def audit_log() -> str:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    action = (request.args.get("action") or "").strip()[:60] or None
    events, pages = queries.audit_page(page, action)
    ids = {e.actor_id for e in events if e.actor_id} | {
        e.subject_id for e in events if e.subject_type == "user" and e.subject_id
    }
    return render_template(
        "admin/audit_log.html",
        title="Audit log",
        events=events,
        page=page,
        pages=pages,
        action=action or "",
        names=queries.names_by_id(ids),
    )
