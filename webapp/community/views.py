"""Community pages for patients in their access period. Views parse, call once and render;
what each patient may see is decided in `queries` (removed posts reach nobody, held posts only
their author)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp.community import bp, queries, services
from webapp.community.forms import JoinForm, ReplyForm, ReportForm, SupportForm, ThreadForm
from webapp.models import CommunityMember
from webapp.security import POSTING_TOO_FAST, posting_allowed


def utcnow() -> datetime:
    return datetime.now(UTC)


def require_access() -> tuple[str, int] | None:
    """No profile, or outside the access period: a clear notice instead of any community page."""
    profile = queries.profile_of(current_user.id)
    if profile is None or not profile.has_access(utcnow()):
        return render_template("community/no_access.html", title="The community"), 403
    return None


def _member() -> CommunityMember:
    member = queries.member_of(current_user.id)
    if member is None:
        abort(redirect(url_for("community.join")))
    return member


@bp.route("/")
def index() -> str:
    member = _member()
    return render_template(
        "community/index.html",
        title="The community",
        member=member,
        spaces=queries.spaces(current_user.id),
    )


@bp.route("/house-rules")
def house_rules() -> str:
    return render_template("community/house_rules.html", title="House rules")


@bp.route("/join", methods=["GET", "POST"])
def join() -> Response | str:
    if queries.member_of(current_user.id) is not None:
        return redirect(url_for("community.index"))
    form = JoinForm()
    if form.validate_on_submit():
        try:
            services.join(current_user, form.handle.data or "", now=utcnow())
        except services.Refused as refused:
            form.handle.errors = [str(refused)]
        else:
            flash("Welcome to the community.")
            return redirect(url_for("community.index"))
    return render_template(
        "community/join.html",
        title="Join the community",
        form=form,
        page_has_errors=bool(form.errors),
    )


@bp.route("/spaces/<int:space_id>")
def space(space_id: int) -> str:
    _member()
    space = queries.space_for(current_user.id, space_id)
    return render_template(
        "community/space.html",
        title=space.title,
        space=space,
        threads=queries.threads_in(current_user.id, space_id),
    )


@bp.route("/spaces/<int:space_id>/new-thread", methods=["GET", "POST"])
def new_thread(space_id: int) -> Response | str:
    member, space = _member(), queries.space_for(current_user.id, space_id)
    form = ThreadForm()
    if form.validate_on_submit() and may_post(form):
        try:
            posted = services.start_thread(
                member, space, form.title.data or "", form.body.data or "", now=utcnow()
            )
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            return _after_posting(posted)
    return render_template(
        "community/new_thread.html",
        title="Start a conversation",
        space=space,
        form=form,
        page_has_errors=bool(form.errors),
    )


def may_post(form: FlaskForm) -> bool:
    """Within the posting rate limit; if not, the form says so (what was typed is kept)."""
    if posting_allowed(current_user.id):
        return True
    form.form_errors.append(POSTING_TOO_FAST)
    return False


def _after_posting(posted: services.Posted) -> Response:
    if posted.is_held:
        flash("Thank you. A moderator will look at your post before others can see it.")
    return redirect(
        url_for(
            "community.thread", thread_id=posted.post.thread_id, _anchor=f"post-{posted.post.id}"
        )
    )


@bp.route("/threads/<int:thread_id>", methods=["GET", "POST"])
def thread(thread_id: int) -> Response | str:
    member, thread = _member(), queries.thread_for(current_user.id, thread_id)
    form = ReplyForm()
    if request.method == "POST" and form.validate_on_submit() and may_post(form):
        try:
            return _after_posting(
                services.reply(member, thread, form.body.data or "", now=utcnow())
            )
        except services.Refused as refused:
            form.form_errors.append(str(refused))
    posts = queries.posts_in(current_user.id, thread_id)
    return render_template(
        "community/thread.html",
        title=thread.title,
        thread=thread,
        posts=posts,
        form=form,
        member=member,
        support_form=SupportForm(),
        page_has_errors=bool(form.errors),
        needs_support=any(
            line.post.is_clinical_risk and line.post.status.value == "held" for line in posts
        ),
    )


@bp.route("/posts/<int:post_id>/support", methods=["POST"])
def support(post_id: int) -> Response:
    member, post = _member(), queries.visible_post_for(current_user.id, post_id)
    if SupportForm().validate_on_submit():
        services.toggle_support(member, post, now=utcnow())
    return redirect(
        url_for("community.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}")
    )


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
def report(post_id: int) -> Response | str:
    member, post = _member(), queries.visible_post_for(current_user.id, post_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.report(member, post, form.reason.data or "", now=utcnow())
        except services.Refused as refused:
            form.reason.errors = [str(refused)]
        else:
            flash("Thank you. A moderator will look at the post.")
            return redirect(url_for("community.thread", thread_id=post.thread_id))
    return render_template(
        "community/report.html",
        title="Report a post",
        post=post,
        form=form,
        page_has_errors=bool(form.errors),
    )


@bp.route("/messages")
def messages() -> str:
    _member()
    return render_template(
        "community/messages.html",
        title="Messages from moderators",
        messages=queries.messages_for(current_user.id),
    )
