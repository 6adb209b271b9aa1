"""The moderation console's pages. Views parse, call once and render (STYLE.md section 2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from moderation import backtest
from webapp import audit, london_datetime
from webapp.models import ModerationItem, Role, ShiftKind, Thread
from webapp.moderation_console import bp, decisions, queries, services
from webapp.moderation_console import rota as rota_changes
from webapp.moderation_console import watchwords as watchword_list
from webapp.moderation_console.forms import (
    AcknowledgeForm,
    DecisionForm,
    FollowUpForm,
    GroupAlertForm,
    MobileForm,
    QueueForReviewForm,
    RemoveShiftForm,
    ShiftForm,
    SwitchForm,
    WatchwordForm,
)
from webapp.security import roles_required

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC)


@bp.route("/")
def dashboard() -> str:
    now = utcnow()
    items = queries.open_queue(current_user.id)
    return render_template(
        "moderation_console/queue.html",
        title="Moderation queue",
        items=items,
        subjects=queries.subjects(items),
        ack_form=AcknowledgeForm(),
        on_shift=queries.on_shift(ShiftKind.MODERATOR, now),
    )


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
def item(item_id: int) -> Response | str:
    item = queries.item_for(current_user.id, item_id)
    if item.group_message is not None:
        return _group_alert(item)
    post = item.post
    assert post is not None  # the table's check: a post or a group message
    form = DecisionForm()
    decided = _decided(form, lambda: decisions.apply(form, item, post, current_user, now=utcnow()))
    if decided is not None:
        return decided
    return render_template(
        "moderation_console/item.html",
        title=f"Queue item {item.id}",
        item=item,
        form=form,
        history=queries.history_of_post(current_user.id, post.id),
        actions=queries.actions_on_post(current_user.id, post.id),
        context=queries.thread_context(current_user.id, post.thread_id),
        ack_form=AcknowledgeForm(),
        page_has_errors=bool(form.errors),
    )


def _group_alert(item: ModerationItem) -> Response | str:
    form = GroupAlertForm()
    decided = _decided(
        form, lambda: decisions.apply_to_group_alert(form, item, current_user, now=utcnow())
    )
    if decided is not None:
        return decided
    return render_template(
        "moderation_console/group_alert.html",
        title=f"Queue item {item.id}",
        item=item,
        subject=queries.subjects([item])[item.id],
        meeting=queries.meeting_before(current_user.id, item),
        form=form,
        ack_form=AcknowledgeForm(),
        page_has_errors=bool(form.errors),
    )


def _decided(form: FlaskForm, decide: Callable[[], str]) -> Response | None:
    """A valid decision made: back to the queue with what was done. None (the page again)
    when the form is not sent or valid, or the decision was refused (on the form, as an error)."""
    if not form.validate_on_submit():
        return None
    try:
        message = decide()
    except services.ModerationRefused as refused:
        form.form_errors.append(str(refused))
        return None
    flash(message)
    return redirect(url_for("moderation_console.dashboard"))


def _already_acknowledged(item: ModerationItem) -> str:
    by = item.acknowledged_by.full_name if item.acknowledged_by else "someone"
    when = london_datetime(item.acknowledged_at) if item.acknowledged_at else "earlier"
    return f"{by} had already acknowledged this alert ({when}): nothing more to do here."


@bp.route("/community")
def community() -> str:
    """Moderators read the community as it is (handles only, every post whatever its status)."""
    space_id = request.args.get("space", type=int)
    return render_template(
        "moderation_console/community.html",
        title="Read the community",
        spaces=queries.all_spaces(current_user.id),
        space_id=space_id,
        threads=queries.recent_threads(current_user.id, space_id),
    )


@bp.route("/community/threads/<int:thread_id>")
def community_thread(thread_id: int) -> str:
    return _thread_page(queries.thread_or_404(current_user.id, thread_id), None, None)


def _thread_page(thread: Thread, form: QueueForReviewForm | None, post_id: int | None) -> str:
    posts = queries.thread_context(current_user.id, thread.id)
    return render_template(
        "moderation_console/community_thread.html",
        title=thread.title,
        thread=thread,
        posts=posts,
        open_items=queries.open_item_ids([post.id for post in posts]),
        form=form or QueueForReviewForm(formdata=None),
        failed_post_id=post_id,
        page_has_errors=bool(form and form.errors),
    )


@bp.route("/community/posts/<int:post_id>/review", methods=["POST"])
def queue_for_review(post_id: int) -> Response | str:
    post = queries.post_or_404(current_user.id, post_id)
    form = QueueForReviewForm()
    if form.validate_on_submit():
        item = services.queue_for_review(post, current_user, form.reason.data or "", now=utcnow())
        return redirect(url_for("moderation_console.item", item_id=item.id))
    return _thread_page(post.thread, form, post.id)


@bp.route("/items/<int:item_id>/acknowledge", methods=["POST"])
def acknowledge(item_id: int) -> Response:
    item = queries.item_for(current_user.id, item_id)
    if AcknowledgeForm().validate_on_submit():
        try:
            if services.acknowledge(item, current_user, now=utcnow()):
                flash("Alert acknowledged: the clinical lead will not be texted about it.")
            else:
                flash(_already_acknowledged(item))
        except services.ModerationRefused as refused:
            flash(str(refused))
    return redirect(url_for("moderation_console.item", item_id=item.id))


@bp.route("/watchwords")
def watchwords() -> str:
    return render_template(
        "moderation_console/watchwords.html",
        title="Watchwords",
        rules=watchword_list.listed_rules(),
        precision=queries.precision_by_rule(current_user.id),
        switch_form=SwitchForm(),
        may_switch_off=watchword_list.may_switch_off,
    )


@bp.route("/watchwords/new", methods=["GET", "POST"])
def new_watchword() -> Response | str:
    form, result, rule = WatchwordForm(), None, None
    if form.validate_on_submit():
        try:
            rule = watchword_list.proposed_rule(
                {
                    name: str(form[name].data)
                    for name in ("rule_id", "tier", "action", "kind", "pattern", "description")
                }
            )
            if request.form.get("save") == "yes":
                watchword_list.add_rule(current_user, rule, now=utcnow())
                flash(f"Rule {rule.id} is on.")
                return redirect(url_for("moderation_console.watchwords"))
            result = backtest(rule, queries.posts_to_backtest(current_user.id))
        except (ValueError, services.ModerationRefused) as error:
            form.pattern.errors = [str(error)]
    examples = queries.post_bodies(
        current_user.id, [int(c.post_id) for c in result.examples] if result else []
    )
    return render_template(
        "moderation_console/new_watchword.html",
        title="Add a watchword",
        form=form,
        result=result,
        examples=examples,
        page_has_errors=bool(form.errors),
    )


@bp.route("/watchwords/<rule_key>/switch", methods=["POST"])
def switch_watchword(rule_key: str) -> Response:
    if SwitchForm().validate_on_submit():
        is_enabled = request.form.get("enable") == "yes"
        try:
            watchword_list.set_rule_enabled(current_user, rule_key, is_enabled, now=utcnow())
            flash(f"Rule {rule_key} is {'on' if is_enabled else 'off'}.")
        except services.ModerationRefused as refused:
            flash(str(refused))
    return redirect(url_for("moderation_console.watchwords"))


@bp.route("/rota", methods=["GET", "POST"])
def rota() -> Response | str:
    form = _shift_form()
    if form.validate_on_submit():
        try:
            rota_changes.add_shift(
                current_user,
                form.user_id.data,
                ShiftKind(form.kind.data),
                _utc(form.starts_at.data),
                _utc(form.ends_at.data),
                now=utcnow(),
            )
        except services.ModerationRefused as refused:
            form.form_errors.append(str(refused))
        else:
            flash("Shift added to the rota.")
            return redirect(url_for("moderation_console.rota"))
    return _rota_page(form, MobileForm(formdata=None))


def _shift_form() -> ShiftForm:
    people = queries.rota_people(current_user.id)
    return ShiftForm([(p.id, f"{p.full_name} ({p.role.label})") for p in people])


def _rota_page(form: ShiftForm, mobile_form: MobileForm) -> str:
    return render_template(
        "moderation_console/rota.html",
        title="Rota",
        form=form,
        shifts=queries.rota(current_user.id, utcnow()),
        mobile=queries.mobile_of(current_user.id),
        mobile_form=mobile_form,
        remove_form=RemoveShiftForm(),
        now=utcnow(),
        page_has_errors=bool(form.errors or mobile_form.errors),
    )


def _utc(local: datetime | None) -> datetime:
    from webapp.voice.rules import uk_to_utc  # (at import time: a cycle through the blueprints)

    assert local is not None  # the form requires it
    try:
        return uk_to_utc(local)
    except ValueError as error:
        raise services.ModerationRefused(str(error)) from None


@bp.route("/rota/shifts/<int:shift_id>/remove", methods=["POST"])
def remove_shift(shift_id: int) -> Response:
    if RemoveShiftForm().validate_on_submit():
        try:
            flash(rota_changes.remove_shift(current_user, shift_id, now=utcnow()))
        except services.ModerationRefused as refused:
            flash(str(refused))
    return redirect(url_for("moderation_console.rota"))


@bp.route("/rota/mobile", methods=["POST"])
def mobile() -> Response | str:
    from webapp.referral import eligibility  # (at import time: a cycle through the blueprints)

    form = MobileForm()
    if form.validate_on_submit():
        rota_changes.set_mobile(
            current_user, eligibility.normalise_uk_mobile(form.mobile.data or "")
        )
        flash("Your mobile for on-call texts is saved.")
        return redirect(url_for("moderation_console.rota"))
    return _rota_page(_shift_form(), form)  # the error on the field, what was typed kept


@bp.route("/escalations")
@roles_required(Role.CLINICAL_LEAD)
def escalations() -> str:
    found = queries.escalations(current_user.id)
    # The pages that link community posts to patients: every viewing is audited.
    audit.record_now(
        "moderation.escalations_viewed",
        actor=current_user,
        detail={
            "patients": sorted({entry.patient.id for entry in [*found.waiting, *found.followed_up]})
        },
    )
    return render_template(
        "moderation_console/escalations.html",
        title="Escalations",
        escalations=found,
        followed_up_shown=queries.FOLLOWED_UP_SHOWN,
    )


@bp.route("/escalations/<int:item_id>", methods=["GET", "POST"])
@roles_required(Role.CLINICAL_LEAD)
def escalation(item_id: int) -> Response | str:
    found = queries.escalation(current_user.id, item_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            services.follow_up_escalation(
                found.item,
                current_user,
                form.note.data,
                now=utcnow(),
                shown=request.form.get("shown", ""),
            )
        except services.ModerationRefused as refused:
            form.form_errors.append(str(refused))
        else:
            flash(f"Follow-up recorded for {found.patient.full_name}.")
            return redirect(url_for("moderation_console.escalations"))
    if request.method == "GET":
        audit.record_now(
            "moderation.escalation_viewed",
            actor=current_user,
            subject_type="moderation_item",
            subject_id=item_id,
            detail={"patient": found.patient.id},
        )
    return render_template(
        "moderation_console/escalation.html",
        title=f"Escalation: {found.patient.full_name}",
        escalation=found,
        form=form,
        shown=services.follow_up_state(queries.items_about_the_same(found.item)),
        page_has_errors=bool(form.errors),
    )
